"""Video → outputs, as a user runs it: the sample video (always) and the real clips (../shared/data).

Pose results are cached per test session (conftest), so each clip runs through MediaPipe once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaitlab.analysis import analyze
from gaitlab.errors import NotAVideoError, NoPersonError
from gaitlab.export import DATA_DICTIONARY, SCHEMA_VERSION, undocumented_columns, write_outputs
from gaitlab.model import LM

from conftest import SAMPLE_VIDEOS

pytestmark = pytest.mark.slow
SAMPLE = SAMPLE_VIDEOS / "walk_side.mp4"
TRUTH = json.loads((SAMPLE_VIDEOS / "walk_side.truth.json").read_text())


@pytest.fixture(scope="module")
def sample_analysis():
    return analyze(SAMPLE)


@pytest.fixture(scope="module")
def sample_out(sample_analysis, tmp_path_factory):
    return write_outputs(sample_analysis, tmp_path_factory.mktemp("out") / "walk_side")


def usable(passes):
    return [p for p in passes if p.usable]


# ------------------------------------------------------------------------------ the sample video
def test_sample_passes_match_truth(sample_analysis):
    got = usable(sample_analysis.passes)
    assert [(p.view, p.direction, p.near_side) for p in got] == [
        ("sagittal", t["direction"], t["near_side"]) for t in TRUTH["passes"]
    ]
    for p, t in zip(got, TRUTH["passes"]):
        lo, hi = t["fully_visible_s"]
        assert abs(p.start_s - lo) < 0.35 and abs(p.end_s - hi) < 0.35


def test_sample_near_leg_knee_follows_truth(sample_analysis):
    """Not an accuracy claim (a drawn figure flatters MediaPipe): a guard that angles, sides and
    near/far labels line up with the figure's truth."""
    kin = sample_analysis.kinematics
    near = kin[kin.leg == "near"]
    truth_t = np.asarray(TRUTH["frames"]["time_s"])
    errs = []
    for side in ("left", "right"):
        rows = near[near.side == side]
        true = np.asarray(TRUTH["angles_deg"][f"{side}_knee_flexion_deg"], dtype=float)
        idx = np.clip(np.searchsorted(truth_t, rows.time_s.to_numpy() - 1e-6), 0, len(truth_t) - 1)
        errs.append(np.abs(rows.knee_flexion_deg.to_numpy() - true[idx]))
    err = np.concatenate(errs)
    err = err[np.isfinite(err)]
    assert len(err) > 150
    assert np.median(err) < 8.0


def test_outputs_are_complete_and_documented(sample_out):
    files = {p.name for p in sample_out.iterdir()}
    assert files == {*DATA_DICTIONARY, "analysis.json", "report.html"}  # no video given: no overlay or key frames
    for name in DATA_DICTIONARY:
        cols = list(pd.read_csv(sample_out / name, comment="#", nrows=2).columns)
        assert undocumented_columns(name, cols) == [], name
        if name != "landmarks.csv":  # its dictionary uses a <landmark> pattern
            assert cols == list(DATA_DICTIONARY[name]), name
    doc = json.loads((sample_out / "analysis.json").read_text())
    assert doc["schema_version"] == SCHEMA_VERSION
    prov = doc["provenance"]
    assert prov["mediapipe"] == "0.10.21" and len(prov["pose_model_sha256"]) == 64
    assert len(doc["pipeline"]["sha256"]) == 64
    assert doc["source"]["file_name"] == "walk_side.mp4" and "path" not in doc["source"]
    assert list(sample_out.parent.glob(".walk_side.*")) == []  # no temporary folder left behind
    assert {g["name"] for g in doc["quality_gates"]} >= {"frame_rate", "tracking_coverage", "camera_roll"}
    metrics = pd.read_csv(sample_out / "metrics.csv")
    assert len(doc["metrics"]) == len(metrics) and metrics.unit.notna().all()
    # every row says whether it is measurable, and why not
    assert (metrics.measurable | metrics.reason.fillna("").str.len().gt(0)).all()


def test_data_dictionary_doc_is_up_to_date():
    from gaitlab.export import data_dictionary_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"
    assert doc.read_text() == data_dictionary_markdown() + "\n", "run `make dictionary`"


def test_landmarks_csv_reproduces_the_analysis(sample_analysis, sample_out):
    again = analyze(keypoints=sample_out / "landmarks.csv")
    assert [(p.start, p.end, p.view, p.usable, p.near_side) for p in again.passes] == [
        (p.start, p.end, p.view, p.usable, p.near_side) for p in sample_analysis.passes
    ]
    pd.testing.assert_frame_equal(again.kinematics, sample_analysis.kinematics)


def test_openpose_folder_with_a_bystander_selects_the_walker(sample_analysis, tmp_path):
    """BODY_25 JSON of the walker plus a person standing still: the importer's walker choice."""
    from gaitlab.pose.importers import BODY25_TO_MEDIAPIPE

    pose = sample_analysis.pose
    folder = tmp_path / "openpose"
    folder.mkdir()
    bystander = np.array(pose.landmarks[np.nonzero(pose.tracked())[0][40]])
    bystander[:, 0] += 0  # stands where the walker was at one moment, and stays
    for i, lm in enumerate(pose.landmarks):
        people = []
        for person in (lm, bystander):
            if not np.isfinite(person[:, 0]).any():
                continue
            kp = np.zeros((25, 3))
            for b, m in BODY25_TO_MEDIAPIPE.items():
                if np.isfinite(person[m, 0]):
                    kp[b] = (person[m, 0], person[m, 1], max(person[m, 3], 0.05))
            people.append({"pose_keypoints_2d": kp.ravel().tolist()})
        (folder / f"walk_{i:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    res = analyze(SAMPLE, keypoints=folder)
    assert res.pose.backend == "openpose"
    assert any("Several people" in w for w in res.warnings)
    assert [(p.direction, p.near_side) for p in usable(res.passes)] == [("right", "right"), ("left", "left")]


# ------------------------------------------------------------------------------ bad and hard input
def _write_clip(path: Path, frames, fps=30, **kw):
    from gaitlab.video import open_writer

    frames = list(frames)
    h, w = frames[0].shape[:2]
    with open_writer(path, fps, w, h, **kw) as wr:
        for f in frames:
            wr.write(f)
    return path


def test_empty_clip_says_nobody_is_in_it(tmp_path):
    clip = _write_clip(tmp_path / "empty.mp4", [np.full((240, 320, 3), 90, np.uint8)] * 75)
    with pytest.raises(NoPersonError, match="Nobody"):
        analyze(clip)


def test_portrait_clip_with_rotation_metadata(tmp_path, sample_analysis):
    """The sample stored sideways with a 90° display rotation must give the same passes."""
    from gaitlab.video import iter_frames, probe
    from gaitlab.pipeline import load_pipeline

    info = probe(SAMPLE, load_pipeline().video)
    stored = (np.ascontiguousarray(np.rot90(f.image, 1)) for f in iter_frames(info, max_side_px=640))
    clip = _write_clip(tmp_path / "portrait.mp4", stored, rotation_deg=90)
    res = analyze(clip)
    assert res.pose.width_px > res.pose.height_px  # upright again
    assert [(p.direction, p.near_side) for p in usable(res.passes)] == [("right", "right"), ("left", "left")]


def test_mirrored_selfie_clip_names_the_other_side(tmp_path):
    """Stored flipped with a mirroring display matrix: frames look like the sample, but the picture is a
    mirror of the scene, so the near leg is the subject's other side."""
    from gaitlab.pipeline import load_pipeline
    from gaitlab.video import iter_frames, probe

    info = probe(SAMPLE, load_pipeline().video)
    stored = (np.ascontiguousarray(f.image[:, ::-1]) for f in iter_frames(info, max_side_px=640))
    clip = _write_clip(tmp_path / "selfie.mp4", stored, mirrored=True)
    res = analyze(clip)
    assert res.pose.mirrored
    assert [(p.direction, p.near_side) for p in usable(res.passes)] == [("right", "left"), ("left", "right")]


def test_truncated_clip_is_analysed_up_to_where_it_ends(tmp_path):
    data = SAMPLE.read_bytes()
    clip = tmp_path / "cut.mp4"
    clip.write_bytes(data[: int(len(data) * 0.6)])
    proc = subprocess.run([sys.executable, "-m", "gaitlab.cli", "analyze", str(clip), "--out", str(tmp_path / "o"),
                           "--quiet"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "file ends at" in proc.stderr and "Traceback" not in proc.stderr
    assert "1 usable pass(es)" in proc.stdout


def test_demo3_running_clip_is_too_short(shared):
    with pytest.raises(NotAVideoError, match="2 s"):
        analyze(shared("videos/sports2d/demo3_2024_sagittal_run.mp4"))


# ------------------------------------------------------------------------------ the CLI
def test_cli_killed_mid_run_leaves_no_output(tmp_path):
    out = tmp_path / "res"
    env = dict(os.environ, GAITLAB_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "gaitlab.cli", "analyze", str(SAMPLE), "--out", str(out), "--no-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(4.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists()


def test_cli_on_sample(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.run([sys.executable, "-m", "gaitlab.cli", "analyze", str(SAMPLE), "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "2 usable pass(es)" in proc.stdout and str(out) in proc.stdout
    assert (out / "kinematics.csv").exists()


# ------------------------------------------------------------------------------ real clips
def test_demo4_one_forward_pass_and_backward_walking_excluded(real_analysis):
    res = real_analysis("sports2d/demo4_2024_sagittal_walk.mp4")
    good = usable(res.passes)
    assert len(good) == 1
    p = good[0]
    assert (p.direction, p.facing, p.view, p.near_side) == ("left", "left", "sagittal", "left")
    assert 1.0 <= p.start_s <= 2.0 and 5.0 <= p.end_s <= 5.9
    backward = [q for q in res.passes if q.reason.startswith("backward walking")]
    assert backward and sum(q.end_s - q.start_s for q in backward) > 4.0
    assert min(q.start_s for q in backward) < 6.5 and max(q.end_s for q in backward) > 10.5
    kin = res.kinematics
    for side, g in kin[kin.pass_id == p.pass_id].groupby("side"):
        jumps = np.abs(np.diff(g.sort_values("time_s").knee_flexion_deg.to_numpy()))
        assert np.nanmax(jumps) <= 25.0, side


def test_demo4_spatiotemporal_are_normal_and_short_pass_limits_are_honest(real_analysis):
    res = real_analysis("sports2d/demo4_2024_sagittal_walk.mp4")
    m = res.metrics.set_index(["metric", "side"])
    assert 100 <= m.loc[("cadence_steps_min", "both"), "value"] <= 125
    for side in ("left", "right"):
        assert 55 <= m.loc[("stance_pct", side), "value"] <= 68
        assert 1 <= (res.strides.side == side).sum() <= 3  # ≈ 2 strides per side in the one pass
    # what needs more strides than the pass has is not measurable, with the reason
    for key in (("stance_time_ratio_r_l", "R/L"), ("stride_time_cv_pct", "both"), ("knee_flex_swing_peak_deg", "left")):
        row = m.loc[key]
        assert not row.measurable and np.isnan(row.value) and "min" in row.reason, key
    assert "near leg" in m.loc[("knee_flex_swing_peak_deg", "right"), "reason"]  # she only walks one way
    assert res.events.time_s.between(1.5, 5.6).all()  # nothing from the backward walking


def test_demo_current_follows_the_walker_not_the_man_on_the_box(real_analysis):
    res = real_analysis("sports2d/demo_current.mp4")
    assert any("Several people" in w for w in res.warnings)
    pose = res.pose
    hip = pose.landmarks[:, [LM["left_hip"], LM["right_hip"]], :2].mean(axis=1)
    tracked = np.isfinite(hip[:, 0])
    # she walks on the ground (the man stands on a box, hips in the upper half of the picture)
    assert np.all(hip[tracked, 1] > 0.55 * pose.height_px)
    # and crosses steadily right → left while visible
    x = hip[tracked, 0]
    assert x[0] - x[-1] > 0.4 * pose.width_px
    assert np.mean(np.diff(x) < 5) > 0.95
    assert pose.t_s[tracked][0] < 3.0
    assert [q.direction for q in usable(res.passes)] == ["left"]


def test_sample_sides_match_truth_after_correction(sample_analysis):
    """Ground truth for the left/right stage: after swap correction and side assignment the subject's
    left knee and ankle labels sit on the true left leg (frames with the legs ≥ 30 px apart)."""
    for joint in ("knee", "ankle"):
        true = {s: np.array([v if v is not None else [np.nan, np.nan] for v in TRUTH["landmarks_px"][f"{s}_{joint}"]],
                            float) for s in ("left", "right")}
        got = sample_analysis.pose_sides.landmarks[:, LM[f"left_{joint}"], :2]
        on_left = np.linalg.norm(got - true["left"], axis=1)
        on_right = np.linalg.norm(got - true["right"], axis=1)
        apart = np.linalg.norm(true["left"] - true["right"], axis=1) >= 30
        for p in usable(sample_analysis.passes):
            sel = apart & np.isfinite(on_left) & (np.arange(len(got)) >= p.start) & (np.arange(len(got)) < p.end)
            wrong = np.mean(on_right[sel] < on_left[sel])
            assert wrong <= 0.05, (joint, p.pass_id, wrong)


def test_standing_before_walking_gives_the_ankle_offset(sample_analysis, tmp_path):
    """2 s of quiet side-on standing before the sample's walk: the standing ankle angle is subtracted."""
    from gaitlab.model import PoseSequence
    from gaitlab.pose.importers import write_landmarks_csv

    pose = sample_analysis.pose
    still = np.repeat(pose.landmarks[60:61], 60, axis=0)  # the walker frozen mid-pass, facing right
    still[:, :, :2] += np.random.default_rng(0).normal(0, 0.3, still[:, :, :2].shape)
    t = np.r_[np.arange(60) / 30.0, 2.0 + 0.8 + pose.t_s]
    lm = np.concatenate([still, pose.landmarks])
    csv = tmp_path / "standing.csv"
    write_landmarks_csv(PoseSequence(t_s=t, landmarks=lm, width_px=pose.width_px, height_px=pose.height_px,
                                     fps=30.0, backend="mediapipe"), csv)
    res = analyze(keypoints=csv)
    standing = [p for p in res.passes if p.reason == "standing"]
    assert standing and standing[0].view == "sagittal" and standing[0].end_s - standing[0].start_s >= 1.0
    assert set(res.ankle_standing_offset_deg) == {"left", "right"}
    assert sample_analysis.ankle_standing_offset_deg == {}
    assert "no quiet standing" in sample_analysis.ankle_offset_reason
    before = sample_analysis.kinematics
    after = res.kinematics[res.kinematics.pass_id.isin([p.pass_id for p in usable(res.passes)])]
    for side, offset in res.ankle_standing_offset_deg.items():
        a = before[(before.side == side) & (before.leg == "near")].ankle_dorsiflexion_deg.median()
        b = after[(after.side == side) & (after.leg == "near")].ankle_dorsiflexion_deg.median()
        assert abs((a - offset) - b) < 1.0, side
