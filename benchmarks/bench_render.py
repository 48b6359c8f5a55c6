"""Rendered walker through MediaPipe: detection, left/right swaps and angle errors against the truth.

    .venv/bin/python benchmarks/bench_render.py [--seconds 16] [--fps 30] [--views side,side-left,front]
        [--width 1280 --height 720] [--seed 1] [--keep DIR]

For each view: simulate a walk with one turn (both directions), render it (:mod:`gaitlab.synth.render`),
run :func:`gaitlab.analysis.analyze` on the video and compare with the truth:

* detection: frames with a MediaPipe pose / frames with the whole walker (every landmark) inside the image;
* swaps: detected frames whose leg labels (knee, ankle, heel, foot index) sit nearer the other side's true
  positions — raw MediaPipe output against the labels MediaPipe should give, and after gaitlab's
  correction (``pose_sides``) against the subject's sides; sagittal passes only for side views;
* angles: RMSE and bias of ``result.kinematics`` against the truth's 2D angles (interpolated to the
  kinematics' times), per angle and near/far leg, over frames with the whole walker in view; front views:
  pelvic obliquity (RMSE, slope and correlation against the truth);
* render speed (frames/s, without encoding) and total render+encode time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from gaitlab.analysis import analyze
from gaitlab.model import LM
from gaitlab.synth.gaitmodel import GaitParams, simulate
from gaitlab.synth.patterns import PatternSpec
from gaitlab.synth.render import RenderOptions, WalkerRenderer, render_video
from gaitlab.validate.score import frame_rows, matched_angle, swapped

ANGLES = ("knee_flexion_deg", "thigh_angle_deg", "ankle_dorsiflexion_deg")


def oracle_kinematics(res, true_xy_at_rows):
    """Kinematics of the raw MediaPipe landmarks with every leg swap undone by the truth, through gaitlab's own
    filter and angle code on the passes the analysis found: the accuracy the rendering allows, apart from
    gaitlab's swap correction. ``true_xy_at_rows``: (T, 33, 2) true positions (subject sides) per pose row."""
    from gaitlab.gait.filtering import passes_on_grid, prepare
    from gaitlab.gait.kinematics import compute_kinematics
    from gaitlab.model import LEG_PAIRS

    lm = res.pose.landmarks.copy()
    flip = swapped(lm[..., :2], true_xy_at_rows)
    for a, b in LEG_PAIRS:
        lm[flip, a], lm[flip, b] = res.pose.landmarks[flip, b], res.pose.landmarks[flip, a]
    prepared = prepare(res.pose.with_landmarks(lm), res.config.filter)
    grid = passes_on_grid(res.passes, res.pose.t_s, prepared.t_s)
    return compute_kinematics(prepared.t_s, prepared.landmarks, grid, res.roll_deg, res.config.kinematics,
                              frame_index=prepared.frame_index)


def angle_errors(kin, truth_ang, full_view_t, walk_t) -> dict:
    """RMSE/bias per view, angle and leg of the analysis against the truth angles (same side, interpolated
    to the analysis' times), over times with the whole walker in view."""
    out = {}
    for view in sorted(set(kin.view)):
        cols = ANGLES if view == "sagittal" else ("pelvic_obliquity_deg",) if view.startswith("frontal") else ()
        for leg in (("near", "far") if view == "sagittal" else ("",)):
            for col in cols:
                errs, pairs = [], []
                for side in ("left", "right"):
                    pair = matched_angle(kin, truth_ang, side, view, leg, col, full_view_t, walk_t)
                    if pair is not None:
                        errs.append(pair[1] - pair[0])
                        pairs.append(np.c_[pair[0], pair[1]])
                if not errs or not np.concatenate(errs).size:
                    continue
                e, p = np.concatenate(errs), np.concatenate(pairs)
                res = {"rmse": float(np.sqrt(np.mean(e ** 2))), "bias": float(np.mean(e)), "n": int(e.size)}
                if col == "pelvic_obliquity_deg" and len(p) > 2 and np.ptp(p[:, 0]) > 0:
                    res["slope"] = float(np.polyfit(p[:, 0], p[:, 1], 1)[0])
                    res["corr"] = float(np.corrcoef(p[:, 0], p[:, 1])[0, 1])
                out[f"{view} {leg} {col}".replace("  ", " ")] = res
    return out


def hip_tilt_deg(xy) -> np.ndarray:
    """(T,) tilt of the hip line to the image horizontal (deg, labels ignored: the line, not its direction)."""
    d = xy[:, LM["left_hip"]] - xy[:, LM["right_hip"]]
    d = np.where(d[:, :1] < 0, -d, d)
    return np.degrees(np.arctan2(d[:, 1], d[:, 0]))


def run(view: str, args, out_dir: Path) -> dict:
    frontal = view in ("front", "back")
    patterns = ()
    if frontal and args.front_pattern:
        name, side, mag = args.front_pattern.split(":")
        patterns = (PatternSpec(name, side, float(mag)),)
    params = GaitParams(seed=args.seed, turns=1, walkway_m=6.0, patterns=patterns)
    walk = simulate(params, fps=args.fps, seconds=args.seconds)
    kw = {"hfov_deg": args.front_hfov} if frontal else {"width_px": args.width, "height_px": args.height}
    camera = walk.camera(view, **kw)
    opt = RenderOptions(seed=args.seed, crf=args.crf)
    r = WalkerRenderer(walk, camera, opt)
    t0 = time.perf_counter()
    for i in range(0, len(r), 5):
        r.frame(i)
    render_fps = len(range(0, len(r), 5)) / (time.perf_counter() - t0)
    path = out_dir / f"bench_{view}.mp4"
    t0 = time.perf_counter()
    truth = render_video(walk, camera, path, opt, view=view)
    render_encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = analyze(path, use_cache=False)
    analyze_s = time.perf_counter() - t0

    true_pose = walk.project(camera, labels="true")
    mp_expected = walk.project(camera, labels="mediapipe")
    xy_true = true_pose.landmarks[..., :2]
    inside = ((xy_true[..., 0] >= 0) & (xy_true[..., 0] < camera.width_px) & (xy_true[..., 1] >= 0)
              & (xy_true[..., 1] < camera.height_px)).all(1)
    rows = frame_rows(res.pose.t_s, walk.t_s)
    detected = np.zeros(len(walk.t_s), bool)
    detected[rows[res.pose.tracked()]] = True
    passes = walk.true_passes(camera)
    in_view = {}
    for p in passes:
        in_view.setdefault(p.view, np.zeros(len(walk.t_s), bool))[p.start:p.end] = True
    out = {"view": view, "frames": len(walk.t_s), "frames_full_view": int(inside.sum()),
           "detection_full_view": float(detected[inside].mean()) if inside.any() else float("nan"),
           "render_fps": render_fps, "render_encode_s": render_encode_s, "analyze_s": analyze_s,
           "size_mb": path.stat().st_size / 1e6,
           "passes_found": [(p.view, p.direction, p.near_side, round(p.start_s, 2), round(p.end_s, 2), p.usable)
                            for p in res.passes],
           "passes_true": [(p.view, p.direction, p.near_side, round(p.start_s, 2), round(p.end_s, 2)) for p in passes]}
    det = res.pose.tracked()
    mp_xy = res.pose.landmarks[det][..., :2]
    fr = rows[det]
    for v, mask in in_view.items():
        sel = mask[fr] & inside[fr]
        if sel.sum() == 0:
            continue
        raw = swapped(mp_xy[sel], mp_expected.landmarks[fr[sel]][..., :2])
        fixed = swapped(res.pose_sides.landmarks[det][sel][..., :2], xy_true[fr[sel]])
        out[f"swaps_raw_{v}"] = float(raw.mean())
        out[f"swaps_corrected_{v}"] = float(fixed.mean())
        out[f"swap_frames_{v}"] = int(sel.sum())
    hip_mid = 0.5 * (walk.world_m[:, LM["left_hip"]] + walk.world_m[:, LM["right_hip"]])
    dist = camera.project(hip_mid)[:, 2]
    for lo in range(0, 14, 2):
        m = inside & (dist >= lo) & (dist < lo + 2)
        if m.any():
            out[f"detection_{lo}-{lo + 2}m"] = (float(detected[m].mean()), int(m.sum()))
    for v in ("frontal_toward", "frontal_away"):
        if v not in in_view:
            continue
        sel = in_view[v][fr] & inside[fr]
        if sel.sum() < 10:
            continue
        mp_t, tr_t = hip_tilt_deg(mp_xy[sel]), hip_tilt_deg(xy_true[fr[sel]])
        mp_t, tr_t = mp_t - mp_t.mean(), tr_t - tr_t.mean()
        out[f"hip_tilt_{v}"] = {"true_sd": float(tr_t.std()), "mp_sd": float(mp_t.std()),
                               "slope": float(np.polyfit(tr_t, mp_t, 1)[0]), "corr": float(np.corrcoef(tr_t, mp_t)[0, 1]),
                               "rmse": float(np.sqrt(np.mean((mp_t - tr_t) ** 2))), "n": int(sel.sum())}
    truth_ang = walk.true_2d_angles(true_pose, camera)
    out["angles"] = angle_errors(res.kinematics, truth_ang, inside, walk.t_s)
    if not camera.mirrored:  # subject sides = MediaPipe's labels in unmirrored side and toward views
        oracle = oracle_kinematics(res, xy_true[rows])
        out["angles_swaps_undone"] = angle_errors(oracle, truth_ang, inside, walk.t_s)
    out["warnings"] = res.warnings
    del truth
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--views", default="side,side-left,front")
    ap.add_argument("--seconds", type=float, default=16.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--crf", type=int, default=23)
    ap.add_argument("--front-hfov", type=float, default=40.0,
                    help="horizontal field of view of the portrait front camera (a phone held upright: ≈ 40°)")
    ap.add_argument("--front-pattern", default="pelvic_drop:right:10",
                    help="pattern injected in front views, NAME:SIDE:MAGNITUDE ('' = none)")
    ap.add_argument("--keep", help="keep the videos and truth files in this folder")
    ap.add_argument("--json", help="write the results to this file")
    a = ap.parse_args(argv)
    out_dir = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_render_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for view in a.views.split(","):
        r = run(view, a, out_dir)
        results.append(r)
        print(f"\n== {view}: {r['frames']} frames ({r['frames_full_view']} with the whole walker in view), "
              f"{r['size_mb']:.2f} MB; render {r['render_fps']:.1f} frames/s, render+encode {r['render_encode_s']:.1f} s, "
              f"analyze {r['analyze_s']:.1f} s")
        print(f"   detection (whole walker in view): {100 * r['detection_full_view']:.1f} %")
        for k, v in r.items():
            if k.startswith("detection_") and k != "detection_full_view":
                print(f"   {k}: {100 * v[0]:.1f} % of {v[1]} frames")
            if k.startswith("hip_tilt_"):
                print(f"   {k}: true SD {v['true_sd']:.1f}°, MediaPipe SD {v['mp_sd']:.1f}°, slope {v['slope']:.2f}, "
                      f"r {v['corr']:.2f}, RMSE {v['rmse']:.1f}° (n={v['n']}; per-pass mean removed)")
            if k.startswith("swaps_"):
                print(f"   {k}: {100 * v:.1f} % of {r['swap_frames_' + k.split('_', 2)[2]]} frames")
        print(f"   passes found: {r['passes_found']}\n   passes true:  {r['passes_true']}")
        for name, title in (("angles", "angles through gaitlab"), ("angles_swaps_undone", "angles, swaps undone by the truth")):
            print(f"   {title}:")
            for k, v in r.get(name, {}).items():
                extra = f", slope {v['slope']:.2f}, r {v['corr']:.2f}" if "slope" in v else ""
                print(f"     {k:<38} RMSE {v['rmse']:5.1f}°  bias {v['bias']:+5.1f}°  n={v['n']}{extra}")
        if r["warnings"]:
            print("   warnings:", *r["warnings"], sep="\n     ")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
