"""Speed and memory of the pose stage, as ratios measured in one run on one clip.

    python benchmarks/bench_pipeline.py                  # ≥ 60 s clip built from the sample video
    python benchmarks/bench_pipeline.py --clip my.mp4    # any clip
    python benchmarks/bench_pipeline.py --long           # also a 10-minute 1080p clip (memory targets; ~20 min)

(a) a bare loop: PyAV decode → RGB → MediaPipe tracking (what any script would do, no walker search)
(b) ``gaitlab analyze`` in one process (walker search, crops, sides, filtering, kinematics, writing)
(c) two bare loops at once: the machine's parallel ceiling P = 2·a / c
(d) ``gaitlab analyze --chunks 2``: median landmark difference from (b) and same passes

Targets (issue 3, 2 cores): b/a ≤ 1.25; on a ≥ 60 s clip d/a ≤ 1.15/P; peak RSS of the process tree
≤ 500 MB single and ≤ 800 MB with two chunks for a 10-minute 1080p clip. Every run is a separate process
whose whole tree's resident memory is sampled every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "walk_side.mp4"


def bare_loop(clip: str) -> None:
    """(a): the loop any MediaPipe script runs. Executed in a child process."""
    import av
    import mediapipe as mp

    pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False)
    with av.open(clip) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            pose.process(f.to_ndarray(format="rgb24"))
    pose.close()


def run_measured(cmds: list[list[str]]) -> tuple[float, float]:
    """Run commands at once; (wall s, peak summed RSS MB of all their process trees)."""
    import psutil

    env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env) for c in cmds]
    peak = 0.0
    while any(p.poll() is None for p in procs):
        rss = 0
        for p in procs:
            try:
                root = psutil.Process(p.pid)
                rss += sum(q.memory_info().rss for q in [root, *root.children(recursive=True)])
            except psutil.NoSuchProcess:
                pass
        peak = max(peak, rss / 2**20)
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    for p, c in zip(procs, cmds):
        if p.returncode != 0:
            raise SystemExit(f"failed: {' '.join(c)}\n{p.stderr.read().decode()[-2000:]}")
    return wall, peak


def build_clip(out: Path, repeat: int, size: tuple[int, int] | None = None) -> Path:
    """The sample video looped ``repeat`` times (optionally resized), re-encoded with H.264."""
    import cv2

    from gaitlab.pipeline import load_pipeline
    from gaitlab.video import iter_frames, open_writer, probe

    info = probe(SAMPLE, load_pipeline().video)
    frames = [f.image for f in iter_frames(info)]
    if size is not None:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in frames]
    h, w = frames[0].shape[:2]
    with open_writer(out, info.avg_fps, w, h, crf=23, preset="veryfast") as wr:
        for _ in range(repeat):
            for f in frames:
                wr.write(f)
    return out


def n_frames(clip: Path) -> int:
    import av

    with av.open(str(clip)) as c:
        return sum(1 for _ in c.demux(video=0)) - 1  # the last packet is the flush packet


def compare(out_b: Path, out_d: Path) -> tuple[float, bool]:
    import pandas as pd

    a = pd.read_csv(out_b / "landmarks.csv", comment="#")
    b = pd.read_csv(out_d / "landmarks.csv", comment="#")
    xs = [c for c in a.columns if c.endswith("_x_px")]
    d = np.hypot(a[xs].to_numpy() - b[xs].to_numpy(), a[[c.replace("_x_", "_y_") for c in xs]].to_numpy()
                 - b[[c.replace("_x_", "_y_") for c in xs]].to_numpy())
    same = pd.read_csv(out_b / "passes.csv").equals(pd.read_csv(out_d / "passes.csv"))
    return float(np.nanmedian(d)), same


def bench(clip: Path, tmp: Path, label: str) -> None:
    py = sys.executable
    nf = n_frames(clip)
    gl = [py, "-m", "gaitlab.cli", "analyze", str(clip), "--no-cache", "--quiet"]
    print(f"\n== {label}: {clip.name}, {nf} frames ==", flush=True)
    a, rss_a = run_measured([[py, __file__, "--bare", str(clip)]])
    b, rss_b = run_measured([[*gl, "--out", str(tmp / "b")]])
    c, rss_c = run_measured([[py, __file__, "--bare", str(clip)]] * 2)
    d, rss_d = run_measured([[*gl, "--chunks", "2", "--out", str(tmp / "d")]])
    p = 2 * a / c
    med, same = compare(tmp / "b", tmp / "d")
    rows = [
        ("(a) bare decode + MediaPipe loop", a, rss_a),
        ("(b) gaitlab analyze, 1 process", b, rss_b),
        ("(c) two bare loops at once", c, rss_c),
        ("(d) gaitlab analyze --chunks 2", d, rss_d),
    ]
    print(f"{'run':<36}{'wall s':>8}{'frames/s':>10}{'peak RSS MB':>13}")
    for name, t, rss in rows:
        fps = (2 * nf if name.startswith("(c)") else nf) / t
        print(f"{name:<36}{t:8.1f}{fps:10.1f}{rss:13.0f}")
    print(f"b/a = {b / a:.3f}   (target ≤ 1.25)")
    print(f"P = 2a/c = {p:.2f}   (parallel ceiling of this machine)")
    print(f"d/a = {d / a:.3f}   (target ≤ 1.15/P = {1.15 / p:.3f} on a ≥ 60 s clip)")
    print(f"chunked vs single: median landmark difference {med:.2f} px (target ≤ 2), same passes: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip", type=Path, help="clip to measure (default: the sample looped to ≥ 60 s)")
    ap.add_argument("--repeat", type=int, default=6, help="loops of the sample for the default clip")
    ap.add_argument("--long", action="store_true", help="also measure a 10-minute 1080p clip")
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_loop(args.bare)
        return
    with tempfile.TemporaryDirectory(prefix="gaitlab-bench-") as d:
        tmp = Path(d)
        clip = args.clip or build_clip(tmp / "bench_720p.mp4", args.repeat)
        bench(clip, tmp, "default clip")
        if args.long:
            long_clip = build_clip(tmp / "bench_1080p_10min.mp4", 55, size=(1920, 1080))
            bench(long_clip, tmp, "10-minute 1080p clip")


if __name__ == "__main__":
    main()
