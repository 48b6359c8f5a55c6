"""Speed of the analysis stages (everything after pose) on a long keypoint sequence.

    python benchmarks/bench_analysis.py [MINUTES] [FPS]

Generates MINUTES (default 10) of noisy side-view treadmill walking at FPS (default 30) with the test
walker, writes it as a landmarks CSV and times ``gaitlab.analyze(keypoints=...)`` stage by stage, best
of three runs. Target (issue 5): the analytics stage (events → strides → gates → metrics → cycles) of a
10-minute sequence in under 2 s; the whole analysis (passes … cycles) is printed beside it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from gaitgen import generate_walk  # noqa: E402  (test helper: a walker with true events)

from gaitlab.analysis import analyze  # noqa: E402
from gaitlab.gait.cycles import compute_cycles, summarise_cycles  # noqa: E402
from gaitlab.gait.events import detect_events  # noqa: E402
from gaitlab.gait.filtering import passes_on_grid, prepare  # noqa: E402
from gaitlab.gait.kinematics import compute_kinematics, estimate_roll_deg  # noqa: E402
from gaitlab.gait.metrics import compute_metrics  # noqa: E402
from gaitlab.gait.passes import segment_passes  # noqa: E402
from gaitlab.gait.quality import evaluate_gates  # noqa: E402
from gaitlab.gait.spatiotemporal import compute_strides  # noqa: E402
from gaitlab.pipeline import load_pipeline  # noqa: E402
from gaitlab.pose.importers import write_landmarks_csv  # noqa: E402
from gaitlab.pose.sides import assign_sides, correct_leg_swaps  # noqa: E402


def _best(fn, n=3):
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(minutes: float = 10.0, fps: float = 30.0) -> None:
    cfg = load_pipeline()
    pose, _ = generate_walk("side", "right", fps=fps, noise=True, duration_s=60.0 * minutes, treadmill=True)
    print(f"{len(pose)} frames ({minutes:g} min at {fps:g} fps), treadmill side view with pose-like noise")
    times = {}
    times["passes"], (passes, _) = _best(lambda: segment_passes(pose, cfg.passes))
    times["swap correction"], (fixed, _) = _best(lambda: correct_leg_swaps(pose, passes, cfg.sides))
    times["sides"], (sided, passes, _) = _best(lambda: assign_sides(fixed, passes, mirrored=False, cfg=cfg.sides))
    times["filtering"], prep = _best(lambda: prepare(sided, cfg.filter))
    gp = passes_on_grid(passes, sided.t_s, prep.t_s)
    times["roll"], (roll, _, _) = _best(lambda: estimate_roll_deg(prep.t_s, prep.landmarks, gp, cfg.kinematics))
    times["kinematics"], kin = _best(lambda: compute_kinematics(prep.t_s, prep.landmarks, gp, roll, cfg.kinematics))
    analytics = {}
    analytics["events"], ev = _best(lambda: detect_events(prep.t_s, prep.landmarks, gp, roll, cfg.events))
    analytics["strides"], (st, steps, _) = _best(lambda: compute_strides(ev, gp, prep.t_s, prep.landmarks, kin, roll, cfg.strides,
                                                                   image_center_px=(pose.width_px / 2, pose.height_px / 2)))
    analytics["quality gates"], gates = _best(lambda: evaluate_gates(prep.landmarks, gp, pose.fps, roll, cfg.quality))
    analytics["metrics"], _ = _best(lambda: compute_metrics(st, gates, cfg.metrics, seed=1, fps=pose.fps,
                                                                 steps=steps))
    analytics["cycles"], _ = _best(lambda: summarise_cycles(compute_cycles(st, kin)))
    for name, s in {**times, **analytics}.items():
        print(f"  {name:<16} {s:7.3f} s")
    total = sum(analytics.values())
    print(f"analytics stage (events … cycles): {total:.2f} s for {len(st)} strides "
          f"({'meets' if total < 2.0 else 'MISSES'} the < 2 s target)")
    print(f"all analysis stages: {sum(times.values()) + total:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "seq.csv"
        write_landmarks_csv(pose, csv)
        t0 = time.perf_counter()
        res = analyze(keypoints=csv)
        print(f"gaitlab.analyze(keypoints=CSV) end to end incl. CSV read: {time.perf_counter() - t0:.2f} s "
              f"(analysis {res.timings_s['analysis']:.2f} s)")


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
