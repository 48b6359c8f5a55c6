"""Spatiotemporal metrics against the gait model's truth (issue 5 §8).

    python benchmarks/validate_model.py [--seeds N] [--fps 30 60]

1. **Injected asymmetries**: walks with one pattern on one side (antalgic left 8 %, step length right
   12 %, step time left 12 %), 8 passes in a side view (7 turns), pose-like noise (white + 1–4 Hz band,
   worse far leg, dropped frames, left/right swap runs), through the whole pipeline
   (``gaitlab.analyze`` on a landmarks CSV). For each: the measured R/L ratio and its CI against the
   model's true ratio (from its foot contacts), and whether the larger side is the right one.
2. **Normal walkers across speeds** (0.8–1.6 m/s): per metric with a model truth, the bias (measured −
   true), how often the 95 % CI contains the truth, and how often the CI lies entirely outside the
   normal range, beside how often the model's true value itself is outside it (the normal ranges are
   for self-selected speed; slow and fast walkers leave them legitimately).

Prints tables; exits 0 (a report, not a test).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from gaitlab.analysis import analyze
from gaitlab.pose.importers import write_landmarks_csv
from gaitlab.synth.gaitmodel import GaitParams, simulate
from gaitlab.synth.noise import NoiseModel
from gaitlab.synth.patterns import PatternSpec

#: (pattern, side, magnitude, metric stem, true ratio key in the model's summary)
CASES = (
    ("antalgic", "left", 8.0, "stance_time", "stance_time"),
    ("step_length_asymmetry", "right", 12.0, "step_length", "step_length"),
    ("step_time_asymmetry", "left", 12.0, "step_time", "step_time"),
)
SPEEDS = (0.8, 1.0, 1.2, 1.4, 1.6)
#: 8 passes of a 6 m walkway (the recording protocol asks for ≥ 3 each way): ≈ 8–11 strides per side in view
TURNS, SECONDS = 7, 55.0


def run(walk, fps_seed: int, tmp: Path, noise: bool = True, height_cm=None):
    pose = walk.project(walk.camera("side"), noise=NoiseModel() if noise else None, seed=fps_seed)
    csv = tmp / f"walk{fps_seed}.csv"
    write_landmarks_csv(pose, csv)
    return analyze(keypoints=csv, use_cache=False, height_cm=height_cm)


def _row(m, metric, side):
    r = m[(m.metric == metric) & (m.side == side)]
    return r.iloc[0] if len(r) else None


def asymmetries(seeds: int, fps_list, tmp: Path) -> None:
    print("Injected asymmetries (side view, 8 passes, pose noise): measured R/L [95 % CI] vs model truth")
    print(f"{'pattern':<24}{'side':<6}{'fps':>4}{'seed':>5}  {'truth R/L':>9}  {'measured R/L [CI]':<24}"
          f"{'n':>3}  covered  larger side")
    hits = total = named = 0
    for name, side, mag, stem, key in CASES:
        for fps in fps_list:
            for seed in range(seeds):
                walk = simulate(GaitParams(seed=seed, turns=TURNS, patterns=(PatternSpec(name, side, mag),)),
                                fps=fps, seconds=SECONDS)
                truth = 1.0 / walk.summary()["ratios_left_over_right"][key]  # R/L
                res = run(walk, 1000 * fps + seed, tmp)
                r = _row(res.metrics, f"{stem}_ratio_r_l", "R/L")
                big = res.metrics[res.metrics.metric == f"{stem}_asymmetry"].iloc[0]
                if r is None or not r.measurable:
                    print(f"{name:<24}{side:<6}{fps:>4}{seed:>5}  {truth:9.3f}  not measurable: {r.reason if r is not None else '?'}")
                    total += 1
                    continue
                ok = r.ci_low <= truth <= r.ci_high
                right_side = big.side == side if name != "antalgic" else big.side != side  # antalgic: short side
                hits += ok
                named += right_side
                total += 1
                print(f"{name:<24}{side:<6}{fps:>4}{seed:>5}  {truth:9.3f}  {r.value:6.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                      f"{'':>3}{int(r.n):>3}  {'yes' if ok else 'NO':<7}  {big.side}{'' if right_side else ' (WRONG)'}")
    print(f"truth inside the 95 % CI: {hits}/{total}; larger side named correctly: {named}/{total}\n")


#: metrics.csv name → key of the model's truth summary (per side)
TRUTH_KEYS = {
    "cadence_steps_min": "cadence_steps_min", "stride_time_s": "stride_time_s", "step_time_s": "step_time_s",
    "stance_pct": "stance_pct", "double_support_pct": "double_support_pct", "step_length_m": "step_length_m",
    "knee_flex_loading_deg": "loading_knee_flexion_deg", "knee_flex_swing_peak_deg": "peak_swing_knee_flexion_deg",
    "peak_thigh_ext_deg": "peak_thigh_extension_deg", "peak_swing_thigh_deg": "peak_swing_thigh_deg",
    "ankle_late_swing_deg": "late_swing_dorsiflexion_deg", "ankle_peak_df_stance_deg": "peak_stance_dorsiflexion_deg",
}


def normals(seeds: int, fps_list, tmp: Path) -> None:
    print("Normal walkers at 0.8–1.6 m/s (side view, 8 passes, pose noise): measured − true (model), share of 95 % "
          "CIs containing the truth, and share of CIs entirely outside the normal range (measured vs true)")
    rows: dict[str, list] = {}
    for speed in SPEEDS:
        for fps in fps_list:
            for seed in range(seeds):
                walk = simulate(GaitParams(seed=100 + seed, speed_m_s=speed, turns=TURNS), fps=fps,
                                seconds=SECONDS * 1.2 / speed)
                truth = walk.summary()
                res = run(walk, 7000 + 1000 * fps + seed, tmp, height_cm=100 * walk.params.height_m)
                for r in res.metrics[res.metrics.measurable & res.metrics.side.isin(["left", "right"])].itertuples():
                    if r.metric not in TRUTH_KEYS:
                        continue
                    true = truth[r.side][TRUTH_KEYS[r.metric]]
                    out_m = r.ci_low > r.normal_high or r.ci_high < r.normal_low
                    out_t = true > r.normal_high or true < r.normal_low
                    rows.setdefault(r.metric, []).append((r.value - true, r.ci_low <= true <= r.ci_high, out_m, out_t))
    print(f"  {'metric':<28}{'n':>4}{'bias':>9}{'sd':>8}  CI covers truth  outside normal: measured / true")
    for k, v in rows.items():
        a = np.array(v, dtype=float)
        print(f"  {k:<28}{len(a):>4}{a[:, 0].mean():9.2f}{a[:, 0].std():8.2f}  {100 * a[:, 1].mean():6.0f} %"
              f"         {100 * a[:, 2].mean():5.0f} % / {100 * a[:, 3].mean():3.0f} %")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--fps", type=int, nargs="+", default=[30, 60])
    ap.add_argument("--only", choices=["asymmetries", "normals"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        if args.only != "normals":
            asymmetries(args.seeds, args.fps, Path(d))
        if args.only != "asymmetries":
            normals(max(1, args.seeds // 2), args.fps, Path(d))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
