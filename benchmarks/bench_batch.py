"""Throughput of ``gaitlab batch``, as ratios measured in one run on N distinct clips (default 8).

    python benchmarks/bench_batch.py                 # 8 clips of the sample looped twice (22 s, 720p30)
    python benchmarks/bench_batch.py --clips 8 --repeat 6

(a) one bare decode + MediaPipe loop, (c) two at once: the machine's parallel ceiling P = 2a/c
(1) ``gaitlab batch --workers 1``, (2) ``--workers 2``: speed-up T1/T2 (target ≥ 0.9 × P)
(3) ``gaitlab analyze`` once per clip, one after another: the batch layer's overhead T1/T3 − 1 (target ≤ 5 %)
(4) run (2) again after a threshold change (``[metrics] min_strides_mean``): T2/T4 (target ≥ 20×); the
    pose cache must be untouched. Also printed: the seconds inside ``analyze()`` per clip in (2) and (4)
    (from the done-markers), which do not depend on the clip count or the pool's start-up.

The clips are one encoded clip remuxed with a different container tag each, so their content hashes
(and pose cache keys) differ while the frames are identical. Every run gets a fresh pose cache except (4).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import bare_loop, build_clip, run_measured  # noqa: E402

PY = sys.executable


def tagged_copies(base: Path, folder: Path, n: int) -> list[Path]:
    """``n`` remuxed copies of ``base`` (half of them two folders deep), each with its own metadata tag."""
    import av

    out = []
    for i in range(n):
        dst = folder / ("" if i % 2 == 0 else "site_b/visit_2") / f"clip_{i:02d}.mp4"
        dst.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(base)) as src, av.open(str(dst), "w", options={"movflags": "+faststart"}) as o:
            o.metadata["comment"] = f"bench clip {i}"
            s_in = src.streams.video[0]
            s_out = o.add_stream_from_template(s_in)
            for pkt in src.demux(s_in):
                if pkt.dts is None:
                    continue
                pkt.stream = s_out
                o.mux(pkt)
        out.append(dst)
    return out


def timed(cmd: list[str], cache: Path, ok=(0,)) -> float:
    env = dict(os.environ, GAITLAB_CACHE_DIR=str(cache), GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode not in ok:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-3000:]}")
    return wall


def pose_cache(cache: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (cache / "pose").glob("*.npz")}


def per_clip_timings(out: Path) -> tuple[float, float]:
    """Mean pose and analysis seconds per clip from the done-markers of a batch output."""
    t = [json.loads(m.read_text())["timings_s"] for m in out.rglob("batch_done.json")]
    return sum(x["pose"] for x in t) / len(t), sum(x["analysis"] for x in t) / len(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2, help="loops of the 11-s sample per clip")
    ap.add_argument("--no-overlay", action="store_true", help="pass --no-overlay to every batch and analyze run")
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    extra = ["--no-overlay"] if args.no_overlay else []
    if args.bare:
        bare_loop(args.bare)
        return
    with tempfile.TemporaryDirectory(prefix="gaitlab-bench-batch-") as d:
        tmp = Path(d)
        clips = tagged_copies(build_clip(tmp / "base.mp4", args.repeat), tmp / "in", args.clips)
        n = len(clips)
        print(f"{n} clips of the sample looped {args.repeat}× (720p30){', --no-overlay' if extra else ''}, "
              f"{time.strftime('%Y-%m-%d %H:%M')}", flush=True)
        a, _ = run_measured([[PY, __file__, "--bare", str(clips[0])]])
        c, _ = run_measured([[PY, __file__, "--bare", str(clips[0])], [PY, __file__, "--bare", str(clips[1])]])
        p = 2 * a / c
        batch = [PY, "-m", "gaitlab.cli", "batch", str(tmp / "in"), "--quiet", *extra]
        t1 = timed([*batch, "--out", str(tmp / "out1"), "--workers", "1"], tmp / "cache1")
        t3 = 0.0  # right after (1), so that a change of the machine's load skews their ratio least
        for i, clip in enumerate(clips):
            t3 += timed([PY, "-m", "gaitlab.cli", "analyze", str(clip), "--quiet", *extra,
                         "--out", str(tmp / "seq" / str(i))], tmp / "cache3")
        t2 = timed([*batch, "--out", str(tmp / "out2"), "--workers", "2"], tmp / "cache2")
        before = pose_cache(tmp / "cache2")
        pose2, ana2 = per_clip_timings(tmp / "out2")
        tuned = tmp / "tuned.toml"
        tuned.write_text("[metrics]\nmin_strides_mean = 1\n")
        t4 = timed([*batch, "--out", str(tmp / "out2"), "--workers", "2", "--pipeline", str(tuned)], tmp / "cache2")
        untouched = pose_cache(tmp / "cache2") == before and len(before) == n
        pose4, ana4 = per_clip_timings(tmp / "out2")
        rows = [("(a) one bare pose loop (1 clip)", a), ("(c) two bare pose loops at once", c),
                ("(1) gaitlab batch --workers 1", t1), ("(2) gaitlab batch --workers 2", t2),
                ("(3) gaitlab analyze per clip, in turn", t3), ("(4) (2) again after a threshold change", t4)]
        print(f"{'run':<42}{'wall s':>8}")
        for name, t in rows:
            print(f"{name:<42}{t:8.1f}")
        print(f"P = 2a/c = {p:.2f}   (parallel ceiling of this machine)")
        print(f"speed-up T1/T2 = {t1 / t2:.2f}   (target ≥ 0.9 × P = {0.9 * p:.2f})")
        print(f"batch overhead T1/T3 − 1 = {100 * (t1 / t3 - 1):+.1f} %   (target ≤ 5 %)")
        print(f"re-run after a threshold change T2/T4 = {t2 / t4:.1f}×   (target ≥ 20×); pose cache untouched: {untouched}")
        print(f"inside analyze() per clip, (2): pose {pose2:.2f} s + analysis {ana2:.2f} s; (4): probe, hash and "
              f"cached pose {pose4:.2f} s + analysis {ana4:.2f} s → {(pose2 + ana2) / (pose4 + ana4):.1f}× less")
        print("The machine is shared: absolute seconds are noisy; the ratios come from one run.")


if __name__ == "__main__":
    main()
