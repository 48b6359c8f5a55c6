"""Image-based frontal pelvic obliquity and shoulder line against the rendered truth, and on real clips.

    GAITLAB_CACHE_DIR=/tmp/gl_cache .venv/bin/python benchmarks/probe_image_obliquity.py \
        [--work DIR] [--seconds 8] [--fps 30] [--hfov 40] [--methods lk,edge] [--only NAME,...] [--no-real]

Renders front-view clips walking toward the camera (:mod:`gaitlab.synth.render`; kept in ``--work`` and
reused), runs :func:`gaitlab.analysis.analyze` (pose cached), then compares per frame over the frontal
pass (per-pass means removed: only excursions matter for the flags) and per stride (true events, the
CLINICAL §3 definitions of :mod:`gaitlab.synth.measures`):

* pelvic obliquity: landmarks only (``kinematics.pelvic_obliquity_deg``) vs each image estimator of
  :mod:`gaitlab.pose.image_pelvis` — slope and r against the truth, RMSE; per-stride pelvic drop and hip
  hiking error (estimate − truth) on every stride of both sides;
* shoulder line (left→right shoulder to horizontal) likewise, and the landmarks' lateral trunk lean;
* cost (first clip): MediaPipe pose, decoding, and each estimator, ms/frame, measured one after the other.

Real frontal clips in ../shared/data/videos (no truth): range, SD and frame-to-frame SD of the estimates.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from gaitlab.analysis import analyze
from gaitlab.model import LM
from gaitlab.pose.image_pelvis import (ImageObliquityConfig, estimate_bands, finish, gray_frames, landmark_line_deg,
                                       substitute_column)
from gaitlab.synth import measures as ms

SHARED_VIDEOS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "videos"
REAL = ("intel/one-by-one-person-detection.mp4", "intel/face-demographics-walking_preview_CONVERTED.mp4")
KINDS = ("combined", "edge", "lk")
CLIPS = {"normal": ()}
for _side in ("left", "right"):
    for _m in (6.0, 10.0, 14.0):
        CLIPS[f"pelvic_drop_{_side[0].upper()}{_m:g}"] = (("pelvic_drop", _side, _m),)
    CLIPS[f"hip_hiking_{_side[0].upper()}6"] = (("hip_hiking", _side, 6.0),)
    CLIPS[f"trunk_lean_{_side[0].upper()}8"] = (("lateral_trunk_lean", _side, 8.0),)


def render(name: str, patterns, seed: int, a, work: Path) -> Path:
    from gaitlab.synth.gaitmodel import GaitParams, simulate
    from gaitlab.synth.patterns import PatternSpec
    from gaitlab.synth.render import RenderOptions, render_video

    path = work / f"{name}.mp4"
    if not path.exists():
        walk = simulate(GaitParams(seed=seed, patterns=tuple(PatternSpec(*p) for p in patterns)), fps=a.fps,
                        seconds=a.seconds)
        render_video(walk, walk.camera("front", hfov_deg=a.hfov), path, RenderOptions(seed=seed), view="front")
    return path


def truth_arrays(truth: dict) -> dict:
    """Per walk frame: time, obliquity, lean, shoulder line (subject convention) and the events."""
    ang = truth["angles_2d"]
    n = truth["frames"]["n"]
    t = np.asarray(truth["frames"]["time_s"], float)
    ob, lean = np.full(n, np.nan), np.full(n, np.nan)
    for f, side, o, ln in zip(ang["frame"], ang["side"], ang["pelvic_obliquity_deg"], ang["lateral_trunk_lean_deg"]):
        if side == "left":
            ob[f] = np.nan if o is None else o
            lean[f] = np.nan if ln is None else ln
    lm = np.full((n, 33, 2), np.nan)
    for part in ("hip", "shoulder"):
        for s in ("left", "right"):
            v = truth["landmarks_px"][f"{s}_{part}"]
            lm[:, LM[f"{s}_{part}"]] = [p if p is not None else (np.nan, np.nan) for p in v]
    sign = np.sign(np.nanmedian(lm[:, LM["right_hip"], 0] - lm[:, LM["left_hip"], 0]))
    return {"t": t, "ob": ob, "lean": lean, "sh": landmark_line_deg(lm, "shoulder", sign),
            "events": [tuple(e) for e in truth["events"]]}


def frame_stats(est: np.ndarray, tru: np.ndarray) -> dict:
    m = np.isfinite(est) & np.isfinite(tru)
    if m.sum() < 10:
        return {"n": int(m.sum())}
    e, t = est[m] - est[m].mean(), tru[m] - tru[m].mean()
    return {"n": int(m.sum()), "slope": float(np.polyfit(t, e, 1)[0]), "r": float(np.corrcoef(t, e)[0, 1]),
            "rmse": float(np.sqrt(np.mean((e - t) ** 2))), "true_sd": float(t.std())}


def stride_errors(t, est, tru, events, fn) -> np.ndarray:
    """(n, 2) per-stride (estimate, truth) of ``fn`` (a measures function) over both sides; strides with
    any NaN in the estimate's window are skipped."""
    out = []
    for side in ("left", "right"):
        a, b = fn(t, est, events, side), fn(t, tru, events, side)
        out += [(x, y) for x, y in zip(a, b) if np.isfinite(x) and np.isfinite(y)]
    return np.array(out).reshape(-1, 2)


def pass_rows(res) -> np.ndarray:
    rows = np.zeros(len(res.pose), bool)
    for p in res.passes:
        if p.usable and p.view.startswith("frontal"):
            rows[p.start:p.end] = True
    return rows


def kin_column(res, col: str) -> np.ndarray:
    """Per pose row: the kinematics value (left rows) of the nearest frame, NaN where none."""
    k = res.kinematics[res.kinematics.side == "left"]
    out = np.full(len(res.pose), np.nan)
    pos = {int(f): i for i, f in enumerate(res.pose.frame_index)}
    for f, v in zip(k.frame.to_numpy(), k[col].to_numpy()):
        if int(f) in pos:
            out[pos[int(f)]] = v
    return out


def window_events(events, t0: float, t1: float):
    return [e for e in events if t0 + 0.3 <= e[0] <= t1 - 0.3]


def pipeline_strides(res, obliquity: np.ndarray | None):
    """The analysis' own strides (its events, passes, filtering) with the kinematics' obliquity replaced by
    ``obliquity`` (per pose row; None = landmarks as analysed)."""
    from gaitlab.gait.filtering import passes_on_grid, prepare
    from gaitlab.gait.spatiotemporal import compute_strides

    prepared = prepare(res.pose_sides, res.config.filter)
    grid = passes_on_grid(res.passes, res.pose_sides.t_s, prepared.t_s)
    kin = res.kinematics if obliquity is None else substitute_column(res.kinematics, res.pose_sides, obliquity)
    strides, _, _ = compute_strides(res.events, grid, prepared.t_s, prepared.landmarks, kin, res.roll_deg,
                                    res.config.strides, frame_index=prepared.frame_index)
    return strides


def pipeline_pairs(strides, t_true, ob_true, events, column: str) -> list:
    """(pipeline value, true value) per pipeline stride whose HS is within 0.1 s of a true HS of its side;
    true values by the CLINICAL §3 definitions on the true obliquity at the true events."""
    fn = ms.pelvic_drop_deg if column == "pelvic_drop_deg" else None
    out = []
    for side in ("left", "right"):
        true_hs = [hs for hs, _, nx in ms.strides(events, side) if hs >= t_true[0] and nx <= t_true[-1]]
        if fn is not None:
            vals = fn(t_true, ob_true, events, side)
        else:  # swing-side hiking of a stance-``side`` stride = hiking of the other hip in this stride
            vals = ms.hip_hiking_deg(t_true, ob_true, events, "left" if side == "right" else "right")
        g = strides[(strides.side == side) & strides.view.str.startswith("frontal")]
        for hs, v in zip(g.hs_time_s, g[column]):
            if not true_hs or not np.isfinite(v):
                continue
            j = int(np.argmin(np.abs(np.asarray(true_hs) - hs)))
            if abs(true_hs[j] - hs) <= 0.1 and j < len(vals):
                out.append((float(v), float(vals[j])))
    return out


def estimates(path: Path, res, rows) -> dict:
    """{kind: ImageObliquity} for "combined", "edge" and "lk" from one decoding pass (module defaults)."""
    cfg = ImageObliquityConfig()
    raw = estimate_bands(gray_frames(path, cfg), res.pose_sides, rows, cfg)
    out = {m: finish({m: raw[m]}, res.pose_sides, rows, cfg, res.roll_deg) for m in raw}
    out["combined"] = finish(raw, res.pose_sides, rows, cfg, res.roll_deg)
    return out


def run_clip(name, path: Path) -> dict:
    truth = json.loads(path.with_name(path.stem + ".truth.json").read_text())
    tr = truth_arrays(truth)
    t0 = time.perf_counter()
    res = analyze(path)
    rows = pass_rows(res)
    fi = res.pose.frame_index
    ob_true, sh_true, lean_true = tr["ob"][fi], tr["sh"][fi], tr["lean"][fi]
    t = tr["t"][fi]
    good = rows & np.isfinite(ob_true)
    tt = t[good]
    events = window_events(tr["events"], tt.min(), tt.max()) if good.any() else []
    est = {"landmarks": kin_column(res, "pelvic_obliquity_deg")}
    sh_est = {"landmarks": landmark_line_deg(res.pose_sides.landmarks, "shoulder",
                                             np.sign(np.nanmedian(res.pose_sides.landmarks[rows, LM["right_hip"], 0]
                                                                  - res.pose_sides.landmarks[rows, LM["left_hip"], 0])))}
    st = pipeline_strides(res, None)
    pipe = {"landmarks": {c: pipeline_pairs(st, t[good], ob_true[good], events, c)
                          for c in ("pelvic_drop_deg", "swing_hip_hiking_deg")}}
    measured = {}
    for m, r in estimates(path, res, rows).items():
        est[m], sh_est[m] = r.obliquity_deg, r.shoulder_line_deg
        measured[m] = float(np.isfinite(r.obliquity_deg[good]).mean()) if good.any() else 0.0
        st = pipeline_strides(res, r.obliquity_deg)
        pipe[m] = {c: pipeline_pairs(st, t[good], ob_true[good], events, c)
                   for c in ("pelvic_drop_deg", "swing_hip_hiking_deg")}
    out = {"name": name, "n_rows": int(good.sum()), "events": len(events), "measured": measured, "ob": {}, "sh": {},
           "drop": {}, "hike": {}, "pipe": pipe}
    for k, v in est.items():
        v = np.where(good, v, np.nan)
        out["ob"][k] = frame_stats(v, np.where(good, ob_true, np.nan))
        out["drop"][k] = stride_errors(t[good], v[good], ob_true[good], events, ms.pelvic_drop_deg).tolist()
        out["hike"][k] = stride_errors(t[good], v[good], ob_true[good], events, ms.hip_hiking_deg).tolist()
    for k, v in sh_est.items():
        out["sh"][k] = frame_stats(np.where(good, v, np.nan), np.where(good, sh_true, np.nan))
    lean = kin_column(res, "lateral_trunk_lean_deg")
    out["lean_landmarks"] = frame_stats(np.where(good, lean, np.nan), np.where(good, lean_true, np.nan))
    out["lean_stride"] = stride_errors(t[good], lean[good], lean_true[good], events, ms.lateral_trunk_lean_deg).tolist()
    out["wall_s"] = time.perf_counter() - t0
    return out


def fmt_stats(s: dict) -> str:
    if "slope" not in s:
        return f"{'(n=' + str(s['n']) + ')':>24}"
    return f"{s['slope']:5.2f} {s['r']:5.2f} {s['rmse']:5.2f}"


def fmt_pairs(p) -> str:
    p = np.asarray(p).reshape(-1, 2)
    if not len(p):
        return "   –"
    e = p[:, 0] - p[:, 1]
    return f"{np.mean(np.abs(e)):4.1f}/{np.mean(e):+4.1f}/{np.max(np.abs(e)):4.1f} (n={len(e)}, true {np.mean(p[:, 1]):4.1f})"


def cost(path: Path) -> dict:
    """ms per frame, one after the other in this process: MediaPipe pose (analyze without cache), decoding
    to gray, and each estimator on already decoded frames (frontal rows)."""
    res = analyze(path, use_cache=False)
    out = {"pose": 1000 * res.timings_s["pose"] / len(res.pose)}
    rows = pass_rows(res)
    t0 = time.perf_counter()
    frames = list(gray_frames(path))
    out["decode+gray"] = 1000 * (time.perf_counter() - t0) / len(frames)
    for m in KINDS:
        cfg = ImageObliquityConfig(method=m)
        t0 = time.perf_counter()
        finish(estimate_bands(frames, res.pose_sides, rows, cfg), res.pose_sides, rows, cfg)
        out[m] = 1000 * (time.perf_counter() - t0) / max(int(rows.sum()), 1)
    return out


def real_clip(path: Path) -> dict:
    """Estimates over every frontal stretch the analysis found, usable or not (these clips have no usable
    frontal pass): plausibility only."""
    res = analyze(path)
    rows = np.zeros(len(res.pose), bool)
    for p in res.passes:
        if p.view.startswith("frontal"):
            rows[p.start:p.end] = True
    rows &= res.pose_sides.tracked()
    out = {"name": path.name, "rows": int(rows.sum()),
           "passes": [(p.view, round(p.start_s, 1), round(p.end_s, 1), p.reason or "usable")
                      for p in res.passes if p.view.startswith("frontal")]}
    s = np.sign(np.nanmedian(res.pose_sides.landmarks[rows, LM["right_hip"], 0]
                             - res.pose_sides.landmarks[rows, LM["left_hip"], 0]))
    series = {"landmarks": landmark_line_deg(res.pose_sides.landmarks, "hip", s)}
    for m, r in estimates(path, res, rows).items():
        series[m] = r.obliquity_deg
        series[m + " shoulder"] = r.shoulder_line_deg
        out[m + "_measured"] = float(np.isfinite(r.obliquity_deg[rows]).mean()) if rows.any() else 0.0
    for k, v in series.items():
        v = v[rows]
        v = v[np.isfinite(v)]
        out[k] = ({"n": len(v), "p5": float(np.percentile(v, 5)), "p95": float(np.percentile(v, 95)),
                   "sd": float(v.std()), "diff_sd": float(np.diff(v).std())} if len(v) > 3 else {"n": len(v)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/probe_image_obliquity")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--hfov", type=float, default=40.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    names = [n for n in CLIPS if not a.only or n in a.only.split(",")]
    results = []
    for i, name in enumerate(names):
        path = render(name, CLIPS[name], 100 + list(CLIPS).index(name), a, work)
        results.append(run_clip(name, path))
    kinds = ["landmarks", *KINDS]
    print("\nFrontal rows measured by each image estimator: " + "; ".join(
        f"{r['name']} " + " ".join(f"{m} {100 * v:.0f} %" for m, v in r["measured"].items()) for r in results))
    print("\nPer frame over the frontal pass (per-pass mean removed): slope, r, RMSE (deg) against the truth")
    print(f"{'clip':<20} {'n':>4} " + " ".join(f"{'ob ' + k:>17}" for k in kinds) + " | "
          + " ".join(f"{'shoulder ' + k:>17}" for k in kinds) + f" | {'lean landmarks':>17}")
    for r in results:
        print(f"{r['name']:<20} {r['n_rows']:4d} " + " ".join(f"{fmt_stats(r['ob'][k]):>17}" for k in kinds) + " | "
              + " ".join(f"{fmt_stats(r['sh'][k]):>17}" for k in kinds) + f" | {fmt_stats(r['lean_landmarks']):>17}")
    for key, title in (("drop", "pelvic drop"), ("hike", "hip hiking")):
        print(f"\nPer stride {title} (true events; both sides): |error| mean / bias / max, deg")
        for r in results:
            print(f"{r['name']:<20} " + "  ".join(f"{k}: {fmt_pairs(r[key][k])}" for k in kinds))
        pooled = {k: np.concatenate([np.asarray(r[key][k]).reshape(-1, 2) for r in results]) for k in kinds}
        print(f"{'POOLED':<20} " + "  ".join(f"{k}: {fmt_pairs(v)}" for k, v in pooled.items()))
        for k, p in pooled.items():
            if len(p) > 2:
                sl = np.polyfit(p[:, 1], p[:, 0], 1)[0]
                print(f"   {k}: per-stride slope {sl:.2f}, r {np.corrcoef(p[:, 1], p[:, 0])[0, 1]:.2f}")
    for c in ("pelvic_drop_deg", "swing_hip_hiking_deg"):
        print(f"\nPer stride {c} through the analysis' own events and strides: |error| mean / bias / max, deg")
        for r in results:
            print(f"{r['name']:<20} " + "  ".join(f"{k}: {fmt_pairs(r['pipe'][k][c])}" for k in kinds))
        pooled = {k: np.concatenate([np.asarray(r["pipe"][k][c]).reshape(-1, 2) for r in results]) for k in kinds}
        print(f"{'POOLED':<20} " + "  ".join(f"{k}: {fmt_pairs(v)}" for k, v in pooled.items()))
    print("\nPer stride lateral trunk lean from landmarks (true events): |error| mean / bias / max")
    for r in results:
        print(f"{r['name']:<20} {fmt_pairs(r['lean_stride'])}")
    pooled_frames = {k: [r['ob'][k] for r in results if 'slope' in r['ob'][k]] for k in kinds}
    print("\nPooled per-frame obliquity (mean of clips): " + "  ".join(
        f"{k}: slope {np.mean([s['slope'] for s in v]):.2f} r {np.mean([s['r'] for s in v]):.2f} "
        f"RMSE {np.mean([s['rmse'] for s in v]):.2f}" for k, v in pooled_frames.items() if v))
    c = cost(work / f"{names[0]}.mp4")
    print(f"\nCost on {names[0]} (ms/frame, measured one after the other): "
          + ", ".join(f"{k} {v:.1f}" for k, v in c.items()))
    real = []
    if not a.no_real and SHARED_VIDEOS.exists():
        print("\nReal frontal clips (no truth): 5th–95th percentile, SD, frame-to-frame SD (deg)")
        for rel in REAL:
            rr = real_clip(SHARED_VIDEOS / rel)
            real.append(rr)
            print(f"{rr['name']}: {rr['rows']} frontal rows, passes {rr['passes']}")
            for k, v in rr.items():
                if isinstance(v, dict) and "p5" in v:
                    print(f"   {k:<16} {v['p5']:+6.1f} … {v['p95']:+6.1f}  SD {v['sd']:4.1f}  diff SD {v['diff_sd']:4.2f}"
                          f"  n={v['n']}")
                elif k.endswith("_measured"):
                    print(f"   {k}: {100 * v:.0f} % of frontal rows")
    if a.json:
        Path(a.json).write_text(json.dumps({"clips": results, "real": real, "cost_ms": c}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
