"""Per-stride pelvic drop and hip hiking through the pipeline's own front-view events, against the gait model.

    GAITLAB_CACHE_DIR=/tmp/h1_cache nice -n 15 .venv/bin/python benchmarks/frontal_pelvis_events.py \
        [--work /tmp/h1_work] [--only NAME,...] [--no-flags] [--prepare-only]

Renders front-view walkers (:func:`gaitlab.validate.sweep.render_clip`: walkway 6 m, hfov 40°, portrait,
camera 2 m beyond the far turn; kept in ``--work``), runs :func:`gaitlab.analysis.analyze` once per clip
(pose cached by gaitlab; the analysis pickled in ``--work``), then recomputes the strides with the current
code from the analysis' own events, passes and image obliquity, and compares each frontal stride with the
gait model's truth (:mod:`gaitlab.synth.measures`: CLINICAL §3 on the model's pelvis seen from behind,
at the true events; a pipeline stride is matched to the true stride of its side whose heel strike is
nearest, within 0.4 s):

* per-stride ``pelvic_drop_deg`` and ``swing_hip_hiking_deg``: mean |error|, bias, max |error|, pooled and
  per clip, beside the definition before 2026-12-02 (obliquity at the detected heel strike as baseline) on
  the same strides; the heel-strike error of the matched strides;
* side attribution per pattern clip: the per-side means of both columns against the truth's;
* flags (``--no-flags`` skips): :func:`analyze` (default pipeline with ``report_pelvic_metrics`` on) of the
  longer clips (4 passes, ``turns`` 3): normal walkers must raise neither ``pelvic_drop`` nor
  ``circumduction_hip_hiking``; pelvic drop at 1.5 × the marked threshold (16°, the model's cap) must be
  flagged on its side only.

Rendering and pose take ≈ 1 h on a busy 2-core machine the first time (15 clips), a few minutes after. The
pickled analyses keep their events and image obliquity: delete them after changing those stages.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from gaitlab.validate.sweep import ClipSpec, render_clip

SHORT = {"walkway_m": 6.0, "turns": 1, "hfov_deg": 40.0}  # one pass toward the camera, then the turn
LONG = {"walkway_m": 6.0, "turns": 3, "hfov_deg": 40.0}  # as the sweep's front clips: 4 passes


def clips() -> list[tuple[ClipSpec, bool]]:
    """(spec, flag clip?): short pattern clips for the per-stride errors, long clips for the flags."""
    out = [(ClipSpec("normal_s", "front", (), seed=301, seconds=6.5, walk=SHORT), False)]
    seed = 310
    for side in ("left", "right"):
        for m in (6.0, 10.0, 14.0):
            seed += 1
            out.append((ClipSpec(f"pelvic_drop_{side}_{m:g}", "front", (("pelvic_drop", side, m),), "possible",
                                 seed=seed, seconds=6.5, walk=SHORT), False))
        seed += 1
        out.append((ClipSpec(f"hip_hiking_{side}_6", "front", (("hip_hiking", side, 6.0),), "possible", seed=seed,
                             seconds=6.5, walk=SHORT), False))
        seed += 1
        out.append((ClipSpec(f"trunk_lean_{side}_8", "front", (("lateral_trunk_lean", side, 8.0),), "possible",
                             seed=seed, seconds=6.5, walk=SHORT), False))
    for i, (sp, h, sec) in enumerate(((1.0, 1.65, 25.0), (1.2, 1.85, 21.0), (1.4, 1.75, 19.0))):
        out.append((ClipSpec(f"normal_long_{sp:g}ms", "front", (), seed=401 + i, speed_m_s=sp, height_m=h,
                             seconds=sec, walk=LONG), True))
    out.append((ClipSpec("pelvic_drop_right_16_long", "front", (("pelvic_drop", "right", 16.0),), "marked_x1.5",
                         seed=410, seconds=21.0, walk=LONG), True))
    return out


def prepared(spec: ClipSpec, work: Path):
    """(analysis with the default pipeline, walk): rendered and analysed once, then read from ``work``."""
    from gaitlab.analysis import analyze

    path, walk, _ = render_clip(spec, work)
    pk = path.with_suffix(".analysis.pkl")
    if pk.exists() and pk.stat().st_mtime > path.stat().st_mtime:
        return pickle.loads(pk.read_bytes()), walk
    res = analyze(path)
    pk.write_bytes(pickle.dumps(res))
    return res, walk


def truth_strides(walk) -> pd.DataFrame:
    """Per true stride of each side: heel strike, pelvic drop of that stance and the swing (other) side's hip
    hiking in it (CLINICAL §3 via :mod:`gaitlab.synth.measures`, the model's pelvis seen from behind)."""
    from gaitlab.synth import measures as ms

    t = np.asarray(walk.t_s, float)
    ob = ms.ortho_angles(walk.path_m, "frontal")["pelvic_obliquity_deg"][:, 0]
    rows = []
    for side, other in (("left", "right"), ("right", "left")):
        st = [s for s in ms.strides(walk.events, side) if s[0] >= t[0] and s[2] <= t[-1]]
        drop = ms.pelvic_drop_deg(t, ob, walk.events, side)
        hike = ms.hip_hiking_deg(t, ob, walk.events, other)
        rows += [{"side": side, "hs_s": hs, "next_hs_s": nx, "drop": d, "hike": h}
                 for (hs, _, nx), d, h in zip(st, drop, hike)]
    return pd.DataFrame(rows)


def pipeline_strides(res) -> pd.DataFrame:
    """The analysis' strides recomputed with the current code (its own events, passes and image obliquity)."""
    from gaitlab.gait.filtering import passes_on_grid, prepare
    from gaitlab.gait.spatiotemporal import compute_strides

    prep = prepare(res.pose_sides, res.config.filter)
    grid = passes_on_grid(res.passes, res.pose_sides.t_s, prep.t_s)
    st, _, _ = compute_strides(res.events, grid, prep.t_s, prep.landmarks, res.kinematics, res.roll_deg,
                               res.config.strides, frame_index=prep.frame_index)
    return st[st.view.str.startswith("frontal")]


def matched(st: pd.DataFrame, truth: pd.DataFrame, max_dt: float = 0.4) -> pd.DataFrame:
    """Pipeline strides with the true stride of their side whose heel strike is nearest (within ``max_dt``)."""
    out = []
    for r in st.itertuples():
        g = truth[truth.side == r.side]
        if g.empty:
            continue
        j = int(np.argmin(np.abs(g.hs_s.to_numpy() - r.hs_time_s)))
        dt = r.hs_time_s - g.hs_s.iloc[j]
        if abs(dt) <= max_dt:
            out.append({"side": r.side, "hs_err_s": dt, "drop": r.pelvic_drop_deg, "drop_true": g["drop"].iloc[j],
                        "hike": r.swing_hip_hiking_deg, "hike_true": g.hike.iloc[j]})
    return pd.DataFrame(out, columns=["side", "hs_err_s", "drop", "drop_true", "hike", "hike_true"])


def err_text(est, tru) -> str:
    e = np.asarray(est, float) - np.asarray(tru, float)
    e = e[np.isfinite(e)]
    if not len(e):
        return "–"
    return f"{np.mean(np.abs(e)):4.1f} / {np.mean(e):+4.1f} / {np.max(np.abs(e)):4.1f} (n={len(e)})"


def legacy(res, st: pd.DataFrame) -> pd.DataFrame:
    """The definition before 2026-12-02 on the same strides: obliquity at the detected heel strike minus its
    extremes in 0–40 % of the stride."""
    k = res.kinematics[res.kinematics.side == "left"].sort_values("time_s")
    t, ob = k.time_s.to_numpy(), k.pelvic_obliquity_deg.to_numpy()
    out = st.copy()
    for i, r in st.iterrows():
        sel = (t >= r.hs_time_s) & (t <= r.hs_time_s + 0.4 * r.stride_time_s)
        sign = 1.0 if r.side == "right" else -1.0
        y, base = sign * ob[sel], sign * np.interp(r.hs_time_s, t, ob)
        ok = len(y) and np.isfinite(y).any()
        out.loc[i, "pelvic_drop_deg"] = np.nanmax(y) - base if ok else np.nan
        out.loc[i, "swing_hip_hiking_deg"] = base - np.nanmin(y) if ok else np.nan
    return out


def flag_rows(res) -> list[str]:
    f = res.flags[res.flags.flag_id.isin(("pelvic_drop", "circumduction_hip_hiking"))]
    return [f"{r.flag_id} {r.side}: {r.status}{' (' + r.severity + ')' if r.status == 'flagged' else ''}"
            f" {r.metric} {r.value:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}] n={r.n}"
            if r.status != "not_assessable" else f"{r.flag_id} {r.side}: not assessable ({r.reason[:80]})"
            for r in f.itertuples()]


def main(argv=None) -> int:
    import dataclasses

    from gaitlab.analysis import analyze
    from gaitlab.pipeline import load_pipeline

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/h1_work")
    ap.add_argument("--only", default="")
    ap.add_argument("--no-flags", action="store_true")
    ap.add_argument("--prepare-only", action="store_true")
    a = ap.parse_args(argv)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    cfg = load_pipeline()
    todo = [(s, f) for s, f in clips() if not a.only or s.name in a.only.split(",")]
    rows, flags = [], {}
    for spec, is_flag_clip in todo:
        res, walk = prepared(spec, work)
        if a.prepare_only:
            print(f"{spec.name}: ready", flush=True)
            continue
        res.config = cfg  # the current strides settings
        st = pipeline_strides(res)
        tr = truth_strides(walk)
        new, old = matched(st, tr), matched(legacy(res, st), tr)
        rows.append((spec, new, old))
        if is_flag_clip and not a.no_flags:
            pipe = dataclasses.replace(cfg, image_obliquity=dataclasses.replace(cfg.image_obliquity,
                                                                                report_pelvic_metrics=True))
            flags[spec.name] = flag_rows(analyze(render_clip(spec, work)[0], pipeline=pipe))
    if a.prepare_only:
        return 0
    print("\nPer stride through the pipeline's own front-view events (estimate − truth): |error| mean / bias / max, "
          "deg")
    print(f"{'clip':<26} {'HS error s':>12}  {'pelvic drop (new)':<26} {'hip hiking (new)':<26} "
          f"{'pelvic drop (before)':<26} {'hip hiking (before)':<26}")
    for spec, new, old in rows:
        print(f"{spec.name:<26} {new.hs_err_s.mean():+.3f}±{new.hs_err_s.std():.2f}  "
              f"{err_text(new['drop'], new.drop_true):<26} {err_text(new.hike, new.hike_true):<26} "
              f"{err_text(old['drop'], old.drop_true):<26} {err_text(old.hike, old.hike_true):<26}")
    new = pd.concat([r[1] for r in rows])
    old = pd.concat([r[2] for r in rows])
    print(f"{'POOLED':<26} {new.hs_err_s.mean():+.3f}±{new.hs_err_s.std():.2f}  "
          f"{err_text(new['drop'], new.drop_true):<26} {err_text(new.hike, new.hike_true):<26} "
          f"{err_text(old['drop'], old.drop_true):<26} {err_text(old.hike, old.hike_true):<26}")
    print("\nSide attribution: per-side means, estimate (truth); hip hiking is the swing (other) hip's, in the stance "
          "side's strides")
    for spec, new, old in rows:
        parts = []
        for side in ("left", "right"):
            for label, m in (("new", new), ("before", old)):
                g = m[m.side == side]
                if len(g):
                    parts.append(f"{side[0].upper()} {label}: drop {g['drop'].mean():5.1f} ({g.drop_true.mean():4.1f}) "
                                 f"hike {g.hike.mean():5.1f} ({g.hike_true.mean():4.1f})")
        print(f"{spec.name:<26} " + " | ".join(parts))
    for name, fl in flags.items():
        print(f"\nFlags of {name} (analyze, report_pelvic_metrics on):")
        for line in fl:
            print(f"   {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
