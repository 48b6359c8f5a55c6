"""Flag sensitivity and specificity on gait-model walks analysed from their keypoints (no video, no MediaPipe).

    python benchmarks/flag_sensitivity_keypoints.py [--patterns knee_guarding antalgic ...] [--seeds 3]
        [--configs short long] [--fps 30] [--normals 6] [--workers 1]

Each side-view pattern of the `gaitlab validate` sweep is injected at 1.5 × its *marked* threshold
(``gaitlab.validate.sweep.threshold_magnitudes``, capped at what the gait model accepts) on each side, the
walk is projected through a side camera with the repo's pose-noise model (``gaitlab.synth.noise``) and
analysed by the whole pipeline from its landmarks. Two walks:

* ``short``: 24 s, 4 m walkway, 3 turns, camera 4 m (as ``benchmarks/flag_sensitivity_video.py``);
* ``long``: the recording protocol, 4 passes of an 8 m walkway with ≈ 7 m in view (camera 5 m, hfov 70°).

Normal walkers (0.8–1.6 m/s, 30 and 60 fps) in both walks measure specificity: a normal clip must raise no flag.
Prints per pattern, side and walk: flagged on the injected side (any severity / marked), not assessable, flagged
on the wrong side, other flags raised (the pattern's truth has none of them unless it causes them); the flag's
metric against the model's truth (mean bias and the per-clip values); then per normal walker the raised flags and
each flag's deciding interval bound, and the loading-response knee flexion's error against the truth. A report,
not a test: exits 0. Takes ≈ 2–7 s per walk on one core.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from gaitlab.validate.sweep import SAGITTAL, ClipSpec, threshold_magnitudes

#: Walks: ClipSpec fields. "short" is the 24-s clip of flag_sensitivity_video.py; "long" the protocol walk.
CONFIGS = {
    "short": dict(seconds=24.0, walk={"walkway_m": 4.0, "turns": 3}),
    "long": dict(seconds=36.0, walk={"walkway_m": 8.0, "turns": 3, "hfov_deg": 70.0}, distance_m=5.0),
}
DEFAULT_PATTERNS = ("knee_guarding", "antalgic", "irregular_stride_timing", "step_time_asymmetry")
FLAG_ID = {"antalgic": "antalgic_stance", "irregular_stride_timing": "irregular_stride_timing",
           "forward_trunk_lean": "forward_trunk_lean", "foot_drop": "foot_drop"}
#: pattern → (metrics.csv metric, metric side: "side" = the injected side, else literal)
METRIC = {"knee_guarding": ("knee_flex_loading_deg", "side"), "antalgic": ("stance_time_asymmetry", None),
          "step_time_asymmetry": ("step_time_asymmetry", None),
          "step_length_asymmetry": ("step_length_asymmetry", None),
          "irregular_stride_timing": ("stride_time_cv_pct", "both"),
          "reduced_hip_extension": ("peak_thigh_ext_deg", "side"), "foot_drop": ("ankle_late_swing_deg", "side"),
          "forward_trunk_lean": ("trunk_inclination_deg", "both")}
SPEEDS = (0.8, 1.0, 1.2, 1.4, 1.6, 1.2)


def _truth(walk, pattern: str, side: str) -> float:
    """The model's true value of the flag's metric (§3 measures on its own landmarks, straight strides)."""
    s = walk.summary()
    if pattern in ("antalgic", "step_time_asymmetry", "step_length_asymmetry"):
        key = {"antalgic": "stance_time", "step_time_asymmetry": "step_time",
               "step_length_asymmetry": "step_length"}[pattern]
        r = s["ratios_left_over_right"][key]
        return float(max(r, 1 / r))
    if pattern == "irregular_stride_timing":
        st = walk.strides[walk.strides.segment == "straight"].stride_time_s
        return float(100 * st.std(ddof=1) / st.mean())
    key = {"knee_guarding": "loading_knee_flexion_deg", "reduced_hip_extension": "peak_thigh_extension_deg",
           "foot_drop": "late_swing_dorsiflexion_deg", "forward_trunk_lean": "mean_trunk_inclination_deg"}[pattern]
    return float(s[side if side in ("left", "right") else "left"][key])


def run_one(job: dict) -> dict:
    """Simulate, add pose noise, analyse; the injected flag's outcome and every raised flag."""
    from gaitlab.analysis import analyze
    from gaitlab.synth.noise import NoiseModel
    from gaitlab.validate.sweep import simulate_clip

    spec = job["spec"]
    walk, camera = simulate_clip(spec)
    a = analyze(pose=walk.project(camera, noise=NoiseModel(), seed=spec.seed))
    raised = [(f.flag_id, f.side, f.severity) for f in a.flags[a.flags.status == "flagged"].itertuples()]
    out = {**job, "raised": raised}
    if not spec.patterns:  # each flag's deciding interval bound (a flag fires only past its threshold)
        m = a.metrics[a.metrics.measurable]

        def bound(metric, col, fn):
            v = m.loc[m.metric == metric, col]
            return float(fn(v)) if len(v) else np.nan
        out["margins"] = {
            "knee loading CI high (flag < 10)": bound("knee_flex_loading_deg", "ci_high", np.min),
            "knee swing CI high (flag < 45)": bound("knee_flex_swing_peak_deg", "ci_high", np.min),
            "stance ratio CI low (flag > 1.10)": bound("stance_time_asymmetry", "ci_low", np.max),
            "step-time ratio CI low (flag > 1.10)": bound("step_time_asymmetry", "ci_low", np.max),
            "CV % CI low (flag > 6)": bound("stride_time_cv_pct", "ci_low", np.max),
        }
        truth = walk.summary()
        k = m[m.metric == "knee_flex_loading_deg"]
        out["knee_loading_error"] = [float(r.value - truth[r.side]["loading_knee_flexion_deg"]) for r in k.itertuples()]
        return out
    (name, side, _), = spec.patterns
    fid = FLAG_ID.get(name, name)
    rows = a.flags[a.flags.flag_id == fid]
    on_side = rows[rows.side.isin([side, "both"])] if side else rows
    hit = [r for r in rows.itertuples() if r.status == "flagged" and (side is None or r.side == side)]
    out["status"] = ("flagged" if hit else "not_assessable" if (on_side.status == "not_assessable").all()
                     else "not_flagged")
    out["severity"] = hit[0].severity if hit else ""
    out["wrong_side"] = side is not None and any(r.status == "flagged" and r.side != side for r in rows.itertuples())
    out["others"] = [f"{f}:{s}" for f, s, _ in raised if f != fid]  # flags the pattern should not raise
    metric, mside = METRIC.get(name, (None, None))
    m = a.metrics[a.metrics.metric == metric] if metric else a.metrics.iloc[:0]
    if mside is not None:
        m = m[m.side == (side if mside == "side" else mside)]
    r = m.iloc[0] if len(m) else None
    out["metric"] = metric
    out["value"] = float(r.value) if r is not None and r.measurable else np.nan
    out["ci"] = (float(r.ci_low), float(r.ci_high)) if r is not None and r.measurable else (np.nan, np.nan)
    out["n"] = int(r.n) if r is not None else 0
    out["truth"] = _truth(walk, name, side or "both")
    return out


def jobs(patterns, seeds: int, configs, fps_list, n_normals: int) -> list[dict]:
    from gaitlab.validate.cli import _normal_summary
    from gaitlab.synth.patterns import CATALOGUE

    normal = _normal_summary()
    every = list(SAGITTAL) + ["step_time_asymmetry", "irregular_stride_timing"]
    out = []
    for cfg in configs:
        for name in patterns:
            _, mag, _ = threshold_magnitudes(name, normal)
            for si, side in enumerate(("left", "right") if CATALOGUE[name].sided else (None,)):
                for fps in fps_list:
                    for k in range(seeds):  # the same walk whatever else is run
                        seed = 5000 + 1000 * list(CONFIGS).index(cfg) + 100 * every.index(name) + 10 * si + k
                        spec = ClipSpec(f"{name}_{side}_{cfg}_{k}", "side", ((name, side, mag),), "marked_x1.5",
                                        seed=seed, fps=fps, **CONFIGS[cfg])
                        out.append({"config": cfg, "pattern": name, "side": side or "both", "fps": fps, "spec": spec})
        for i in range(n_normals):
            seed = 9000 + 100 * list(CONFIGS).index(cfg) + i
            sp, fps = SPEEDS[i % len(SPEEDS)], (30.0, 60.0)[i % 2]
            c = dict(CONFIGS[cfg])
            c["seconds"] = round(c["seconds"] * 1.2 / sp, 1)
            spec = ClipSpec(f"normal_{cfg}_{i}", "side", (), "normal", speed_m_s=sp, seed=seed, fps=fps, **c)
            out.append({"config": cfg, "pattern": "normal", "side": "", "fps": fps, "speed": sp, "spec": spec})
    return out


def report(results: list[dict]) -> None:
    print("| walk | pattern | side | fps | flagged (marked) | not assessable | wrong side | other flags raised | "
          "metric: truth → measured [CI] n per clip | mean bias |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    keys = []
    for r in results:
        k = (r["config"], r["pattern"], r["side"], r["fps"])
        if r["pattern"] != "normal" and k not in keys:
            keys.append(k)
    for k in keys:
        g = [r for r in results if (r["config"], r["pattern"], r["side"], r["fps"]) == k]
        hit = sum(r["status"] == "flagged" for r in g)
        marked = sum(r["severity"] == "marked" for r in g)
        na = sum(r["status"] == "not_assessable" for r in g)
        wrong = sum(r["wrong_side"] for r in g)
        others = ", ".join(sorted({o for r in g for o in r["others"]}))
        n_others = sum(bool(r["others"]) for r in g)
        vals = "; ".join(f"{r['truth']:.3g} → {r['value']:.3g} [{r['ci'][0]:.3g}, {r['ci'][1]:.3g}] {r['n']}" for r in g)
        finite = [r["value"] - r["truth"] for r in g if np.isfinite(r["value"])]
        bias = np.mean(finite) if finite else np.nan
        print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]:g} | {hit}/{len(g)} ({marked}) | {na} | {wrong} | "
              f"{n_others}/{len(g)} {others} | {g[0]['metric']}: "
              f"{vals} | {bias:+.2f} |")
    normals = [r for r in results if r["pattern"] == "normal"]
    if normals:
        bad = [r for r in normals if r["raised"]]
        print(f"\nnormal walkers: {len(bad)} of {len(normals)} raised a flag")
        for r in normals:
            print(f"  {r['config']:<6} {r['speed']:.1f} m/s {r['fps']:g} fps: "
                  + (", ".join(f"{f}:{s}:{v}" for f, s, v in r["raised"]) or "no flag") + "; "
                  + ", ".join(f"{k} {v:.3g}" for k, v in r["margins"].items()))
        for cfg in dict.fromkeys(r["config"] for r in normals):
            err = [e for r in normals if r["config"] == cfg for e in r["knee_loading_error"]]
            if err:
                print(f"normal walkers, {cfg} walk: loading-response knee flexion − truth {np.mean(err):+.2f} ± "
                      f"{np.std(err):.2f}° ({len(err)} sides with ≥ 3 near-leg strides)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patterns", nargs="+", default=list(DEFAULT_PATTERNS),
                    help=f"side-view patterns, or 'all' ({', '.join(SAGITTAL)} + step/irregular timing)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--fps", type=float, nargs="+", default=[30.0])
    ap.add_argument("--normals", type=int, default=6, help="normal walkers per walk (speeds 0.8–1.6, 30/60 fps)")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    pats = (list(SAGITTAL) + ["step_time_asymmetry", "irregular_stride_timing"] if args.patterns == ["all"]
            else args.patterns)
    js = jobs(pats, args.seeds, args.configs, args.fps, args.normals)
    t0 = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as ex:
            results = list(ex.map(run_one, js))
    else:
        results = [run_one(j) for j in js]
    print(f"{len(js)} keypoint walks with pose noise, {time.perf_counter() - t0:.0f} s\n")
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
