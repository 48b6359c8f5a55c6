"""``gaitlab batch``: discovery by content, failure isolation, mirrored tree, aggregates with the single-clip
column names, resume after a kill, analysis-only re-runs, schema and manifest checks, Dask = process pool.

MediaPipe runs once per session on two 3-s 384-px clips cut from the sample (plus a person-less clip);
every other test reuses that pose through the cache."""

from __future__ import annotations

import functools
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaitlab.batch.discover import discover, read_manifest
from gaitlab.batch.runner import BatchOptions, run_batch
from gaitlab.batch.state import DONE_MARKER, SchemaMismatchError
from gaitlab.cache import cache_dir
from gaitlab.errors import ConfigError

from conftest import SAMPLE_VIDEOS

GOOD = {"walk_right": 0.9, "nested/deeper/walk_left": 7.0}  # clip id → start second in the sample


def _cut(dst: Path, start_s: float, seconds: float = 3.0, width: int = 384) -> None:
    import av
    import cv2

    from gaitlab.video import open_writer

    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(SAMPLE_VIDEOS / "walk_side.mp4")) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s) if start_s <= float(f.pts * s.time_base) < start_s + seconds]
    h = int(round(frames[0].shape[0] * width / frames[0].shape[1] / 2) * 2)
    with open_writer(dst, 30.0, width, h, preset="ultrafast") as wr:
        for f in frames:
            wr.write(cv2.resize(f, (width, h), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="session")
def folder(tmp_path_factory) -> Path:
    """Good clips (one nested two deep), a truncated MP4, a text file named .mp4, a JPEG photo, a clip
    with nobody in it, and a text note that is not media at all."""
    import cv2

    from clipmaker import make_clip

    root = tmp_path_factory.mktemp("batch_in")
    for cid, start in GOOD.items():
        _cut(root / f"{cid}.mp4", start)
    (root / "corrupt.mp4").write_bytes((root / "walk_right.mp4").read_bytes()[:3000])
    (root / "notes.mp4").write_text("session notes, not a video\n")
    (root / "nested").mkdir(exist_ok=True)
    cv2.imwrite(str(root / "nested" / "photo.jpg"), np.full((120, 160, 3), 128, np.uint8))
    make_clip(root / "nested" / "empty_room.mp4", width=192, height=108, duration_s=3.0)
    (root / "nested" / "readme.txt").write_text("not media\n")
    return root


def _run(folder: Path, out: Path, **kw):
    """run_batch without overlay videos (the report module's own tests cover them; they cost seconds)."""
    log = io.StringIO()
    report = run_batch(BatchOptions(input_dir=folder, out_dir=out, interactive=False, overlay=False, **kw), log=log)
    return report, log.getvalue()


def _pose_cache() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in cache_dir().glob("*.npz")}


@pytest.fixture(scope="session")
def first(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch_out")
    report, log = _run(folder, out, workers=2)
    return report, out, log


def test_discovery_by_content(folder):
    clips, ignored = discover(folder)
    assert sorted(c.clip_id for c in clips) == sorted([*GOOD, "corrupt", "notes", "nested/photo", "nested/empty_room"])
    assert ignored == 1  # readme.txt
    only = discover(folder, "*.jpg")[0]
    assert [c.relative_path for c in only] == ["nested/photo.jpg"]


@pytest.mark.slow
def test_bad_clips_isolated_and_tree_mirrored(first):
    report, out, log = first
    assert report.counts == {"succeeded": 2, "failed": 4, "skipped": 0, "cached": 0}
    assert report.exit_code == 3
    errors = pd.read_csv(out / "batch_errors.csv")
    assert dict(zip(errors.clip_id, errors.error_class)) == {
        "corrupt": "VideoDecodeError", "notes": "NotAVideoError", "nested/photo": "NotAVideoError",
        "nested/empty_room": "NoPersonError"}
    assert errors.message.str.len().min() > 30 and "export the clip" in errors.set_index("clip_id").message["notes"]
    for cid in GOOD:
        assert json.loads((out / cid / DONE_MARKER).read_text())["relative_path"] == f"{cid}.mp4"
        assert (out / cid / "analysis.json").is_file()
    assert not (out / "corrupt").exists() and not (out / "nested" / "empty_room").exists()
    assert "[6/6]" in log


@pytest.mark.slow
def test_aggregates_have_single_clip_columns(first):
    _, out, _ = first
    for name in ("strides.csv", "metrics.csv", "flags.csv", "summary.csv"):
        per_clip = [pd.read_csv(out / cid / name) for cid in GOOD if (out / cid / name).is_file()]
        if not per_clip:
            continue
        agg = pd.read_csv(out / f"batch_{name}")
        if name == "summary.csv":
            assert list(agg.columns[:4]) == ["clip_id", "relative_path", "status", "error_class"]
            assert set(per_clip[0].columns) <= set(agg.columns)
            assert set(agg.status) == {"analysed", "failed"} and len(agg) == 6
            continue
        assert list(agg.columns) == ["clip_id", "relative_path", *per_clip[0].columns]
        assert len(agg) == sum(len(d) for d in per_clip) and set(agg.clip_id) <= set(GOOD)
    strides = pd.read_csv(out / "batch_strides.csv")
    assert set(strides.clip_id) == set(GOOD)  # each good clip has strides


@pytest.mark.slow
def test_rerun_is_all_cached_and_threshold_change_reruns_analysis_only(first, folder, tmp_path):
    _, out0, _ = first
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    pose = _pose_cache()
    assert len(pose) >= 2  # the two walkers (a person-less clip may fail before its pose is saved)
    report, _ = _run(folder, out, workers=2)
    assert report.counts == {"succeeded": 0, "failed": 0, "skipped": 4, "cached": 2}
    before = pd.read_csv(out / "batch_metrics.csv")
    tuned = tmp_path / "tuned.toml"
    tuned.write_text("[metrics]\nmin_strides_mean = 1\n")
    report, _ = _run(folder, out, workers=0, pipeline=tuned)  # in this process: no pool start-up
    assert report.counts["succeeded"] == 2 and report.counts["cached"] == 0
    now = _pose_cache()  # other test files may add entries to the shared cache meanwhile
    assert {k: now.get(k) for k in pose} == pose  # no pose run: no pose cache entry rewritten
    after = pd.read_csv(out / "batch_metrics.csv")
    pick = lambda df: df[(df.metric == "stride_time_s")].set_index(["clip_id", "side"]).measurable  # noqa: E731
    assert not pick(before).any() and pick(after).all()
    report, _ = _run(folder, out, workers=0, pipeline=tuned, retry_failed=True)
    assert report.counts == {"succeeded": 0, "failed": 4, "skipped": 0, "cached": 2}


@pytest.mark.slow
def test_killed_run_resumes_without_redoing(first, folder, tmp_path, monkeypatch):
    src = tmp_path / "in"
    for cid in GOOD:
        (src / cid).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / f"{cid}.mp4", src / f"{cid}.mp4")
    out = tmp_path / "out"
    import gaitlab.export

    real = gaitlab.export.write_outputs
    calls = []

    @functools.wraps(real)  # same signature: the batch passes the options write_outputs supports
    def dies_on_second(analysis, out_dir, **kw):
        calls.append(out_dir)
        real(analysis, out_dir, **kw)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after the files were written, before the done-marker

    monkeypatch.setattr(gaitlab.export, "write_outputs", dies_on_second)
    report, log = _run(src, out, workers=0)
    assert report.interrupted and report.exit_code == 130 and "Run the same command again" in log
    done = [cid for cid in GOOD if (out / cid / DONE_MARKER).is_file()]
    assert done == ["walk_right"]  # clips run in folder-walk order: the top folder first
    killed = out / "nested" / "deeper" / "walk_left"
    assert not killed.exists() and [p.name for p in killed.parent.iterdir()]  # only a hidden staging folder
    assert set(pd.read_csv(out / "batch_strides.csv").clip_id) == set(done)
    monkeypatch.setattr(gaitlab.export, "write_outputs", real)
    report, _ = _run(src, out, workers=0)
    assert report.counts == {"succeeded": 1, "failed": 0, "skipped": 0, "cached": 1}
    assert set(pd.read_csv(out / "batch_strides.csv").clip_id) == set(GOOD)
    assert [p.name for p in killed.parent.iterdir()] == ["walk_left"]  # the leftover staging folder is gone


@pytest.mark.slow
def test_refuses_to_mix_schema_versions(first, folder, tmp_path):
    _, out0, _ = first
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    marker = out / "walk_right" / DONE_MARKER
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "schema_version": "0.9"}))
    stamp = (out / "batch_summary.csv").stat().st_mtime_ns
    with pytest.raises(SchemaMismatchError, match="schema 0.9"):
        _run(folder, out, workers=2)
    assert (out / "batch_summary.csv").stat().st_mtime_ns == stamp  # refused before any work


@pytest.mark.slow
def test_manifest_sessions(first, folder, tmp_path):
    """A two-clip row runs as one session (gaitlab.session.analyze_session; the 'front' clip here is a side
    view, which only changes what is measurable); a one-clip row as a single clip."""
    m = tmp_path / "sessions.csv"
    m.write_text("session_id,side_clip,front_clip,height_cm,notes\n"
                 "S01,walk_right.mp4,nested/deeper/walk_left.mp4,172,first visit\n"
                 "S02,nested/deeper/walk_left.mp4,,,\n")
    out = tmp_path / "out"
    report, log = _run(folder, out, workers=0, manifest=m)
    assert report.counts["succeeded"] == 2, log
    summary = pd.read_csv(out / "batch_summary.csv")
    assert list(summary.clip_id) == ["S01", "S02"] and list(summary.session_id) == ["S01", "S02"]
    assert list(summary.front_relative_path.fillna("")) == ["nested/deeper/walk_left.mp4", ""]
    assert json.loads((out / "S01" / "analysis.json").read_text())["source"]["height_cm"] == 172
    assert (out / "S01" / "front_clip" / "analysis.json").is_file() and (out / "S02" / "strides.csv").is_file()
    strides = pd.read_csv(out / "batch_strides.csv")
    assert set(strides[strides.clip_id == "S01"].relative_path) <= {"walk_right.mp4", "nested/deeper/walk_left.mp4"}


def test_manifest_rejected_before_any_work_naming_the_row(folder, tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("session_id,side_clip,front_clip,weight_kg\nS1,walk_right.mp4,,70\n")
    with pytest.raises(ConfigError, match="unknown column 'weight_kg'"):
        read_manifest(m, folder)
    m.write_text("session_id,side_clip,front_clip\nS1,walk_right.mp4,\nS2,walk_right.mp4,missing/front.mp4\n")
    with pytest.raises(ConfigError, match=r"row 3 \(session S2\): front_clip 'missing/front.mp4' does not exist"):
        read_manifest(m, folder)
    m.write_text("session_id,side_clip\nS1,walk_right.mp4\nS1,walk_right.mp4\n")
    with pytest.raises(ConfigError, match="row 3.*repeats"):
        read_manifest(m, folder)
    m.write_text("session_id,side_clip,height_cm\nS1,walk_right.mp4,tall\n")
    with pytest.raises(ConfigError, match="row 2.*height_cm 'tall'"):
        read_manifest(m, folder)
    out = tmp_path / "out"
    with pytest.raises(ConfigError):
        _run(folder, out, manifest=m)
    assert not out.exists()


def test_cli_errors_and_final_line(folder, tmp_path):
    from gaitlab.cli import main

    assert main(["batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["batch", str(empty), "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit):
        main(["batch", str(folder), "--out", str(tmp_path / "o"), "--scheduler", "tcp://x:1", "--dask-local", "2"])


@pytest.mark.slow
def test_cli_rerun_prints_counts_and_exits_nonzero(first, folder, tmp_path, capsys):
    from gaitlab.cli import main

    _, out0, _ = first
    out = tmp_path / "out"
    shutil.copytree(out0, out)
    assert main(["batch", str(folder), "--out", str(out), "--quiet", "--no-overlay"]) == 3
    assert capsys.readouterr().out.strip().startswith("gaitlab batch: 0 succeeded, 0 failed, 4 skipped, 2 cached")


@pytest.mark.slow
def test_dask_local_equals_process_pool(first, folder, tmp_path, monkeypatch):
    """Same clips on a 2-worker LocalCluster with an empty pose cache (pose really re-runs in the Dask
    workers): strides and metrics equal the process-pool run within 1e-9 relative (CPU last bits)."""
    pytest.importorskip("distributed")
    _, out0, _ = first
    src = tmp_path / "in"
    for cid in GOOD:
        (src / cid).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / f"{cid}.mp4", src / f"{cid}.mp4")
    monkeypatch.setenv("GAITLAB_CACHE_DIR", str(tmp_path / "fresh-cache"))
    report, _ = _run(src, tmp_path / "out", dask_local=2)
    assert report.counts == {"succeeded": 2, "failed": 0, "skipped": 0, "cached": 0}
    assert len(list(cache_dir().glob("*.npz"))) == 2  # pose ran on the Dask workers
    for name in ("batch_strides.csv", "batch_metrics.csv"):
        a = pd.read_csv(out0 / name).sort_values(["clip_id"], kind="stable").reset_index(drop=True)
        b = pd.read_csv(tmp_path / "out" / name).sort_values(["clip_id"], kind="stable").reset_index(drop=True)
        assert list(a.columns) == list(b.columns) and len(a) == len(b)
        num = a.select_dtypes("number").columns
        np.testing.assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), rtol=1e-9, atol=1e-9)
        pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num))


def test_hash_cache_keyed_by_path_size_mtime(tmp_path):
    from gaitlab.batch.state import HashCache

    f = tmp_path / "v.mp4"
    f.write_bytes(b"abc")
    cache = HashCache(tmp_path / "h.sqlite3")
    assert cache.get(f) is None
    cache.put(f, "0" * 64)
    assert cache.get(f) == "0" * 64
    f.write_bytes(b"abcd")  # new size (and mtime): the entry is stale
    assert cache.get(f) is None
    cache.close()


def test_progress_bar_and_plain_lines():
    from gaitlab.batch.progress import Progress

    for interactive in (True, False):
        buf = io.StringIO()
        p = Progress(2, interactive=interactive, stream=buf)
        p.started("a/clip1")
        p.started("clip2")
        p.finished({"clip_id": "a/clip1", "status": "analysed", "seconds": 1.0})
        p.finished({"clip_id": "clip2", "status": "failed", "seconds": 0.1, "error_class": "NoPersonError",
                    "message": "Nobody was found"})
        p.close()
        text = buf.getvalue()
        assert "failed   clip2 (0.1 s): NoPersonError: Nobody was found" in text
        assert ("running: a/clip1, clip2" in text and "2/2 clips" in text) if interactive else \
            ("[1/2] analysed a/clip1" in text and "clips/min" in text and "left" in text)


def test_dask_worker_path_check(tmp_path):
    from gaitlab.batch.dask_backend import _worker_sees

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".tok").write_text("ok")
    assert _worker_sees(str(tmp_path), str(tmp_path / "out"), ".tok") == ""
    assert "cannot see INPUT_DIR" in _worker_sees(str(tmp_path / "nope"), str(tmp_path / "out"), ".tok")
    assert "does not see OUT_DIR" in _worker_sees(str(tmp_path), str(tmp_path / "out"), ".other")


def test_dask_version_mismatch_refused(tmp_path):
    from gaitlab.batch.dask_backend import DaskBackend, _gaitlab_versions

    class FakeClient:  # what a cluster with another numpy and an older gaitlab answers
        def nthreads(self):
            return {"tcp://w1": 1}

        def get_versions(self, check, packages):
            return {"client": {"packages": {"numpy": "1.26.4"}}, "workers": {"tcp://w1": {"packages": {"numpy": "2.0"}}}}

        def run(self, fn, *args):
            return {"tcp://w1": {**_gaitlab_versions(), "gaitlab": "0.0.1"} if fn is _gaitlab_versions else ""}

    backend = DaskBackend.__new__(DaskBackend)
    backend.client = FakeClient()
    with pytest.raises(ConfigError, match=r"numpy 2.0 on worker tcp://w1, 1.26.4 here.*gaitlab 0.0.1 on worker"):
        backend._check(tmp_path, tmp_path / "out")
