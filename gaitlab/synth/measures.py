"""CLINICAL.md §3 measures on the gait model's own 3D landmarks: the targets the pattern calibration
matches (:mod:`gaitlab.synth.calibration`) and the per-stride truth and summary of a walk
(:class:`~gaitlab.synth.gaitmodel.ModelWalk`)."""

from __future__ import annotations

import numpy as np

from ..model import LM
from .templates import OTHER, SIDES


def ortho_angles(lm3d, plane: str) -> dict:
    """CLINICAL §3 angles (via gait.kinematics) of path-frame landmarks seen orthographically from the
    walker's right side ('sagittal': forward, up) or from behind ('frontal': right, up)."""
    from ..gait.kinematics import _frontal, _sagittal

    w = lm3d[..., [0, 2]] if plane == "sagittal" else np.stack([-lm3d[..., 1], lm3d[..., 2]], -1)
    return (_sagittal if plane == "sagittal" else _frontal)(w)


def _stride_rows(t_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return np.flatnonzero((t_s >= start_s - 1e-9) & (t_s < end_s - 1e-9))


def strides(events, side: str):
    """[(hs, to, next_hs)] of one side from (time_s, side, kind) events (complete strides only)."""
    hs = sorted(t for t, s, k in events if s == side and k == "HS")
    to = sorted(t for t, s, k in events if s == side and k == "TO")
    out = []
    for a, b in zip(hs, hs[1:]):
        t_off = [t for t in to if a < t < b]
        if t_off:
            out.append((a, t_off[0], b))
    return out


def per_stride(t_s, events, side: str, measure) -> np.ndarray:
    """``measure(hs, to, next_hs)`` for every complete stride of ``side`` covered by ``t_s``."""
    t = np.asarray(t_s, dtype=float)
    out = []
    for hs, to, nxt in strides(events, side):
        if hs < t[0] or nxt > t[-1]:
            continue
        out.append(measure(hs, to, nxt))
    return np.array(out, dtype=float)


def pelvic_drop_deg(t_s, obliquity_deg, events, side: str) -> np.ndarray:
    """Per stride of ``side`` (stance side): obliquity at its heel strike minus its extreme toward the
    swing side in 0–40 % of the stride (CLINICAL §3), positive = the swing side dropped. Obliquity
    + = the subject's right hip up."""
    t, ob = np.asarray(t_s), np.asarray(obliquity_deg)
    toward_swing_up = 1.0 if side == "right" else -1.0  # swing side down = stance side relatively up

    def m(hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.4 * (nxt - hs))
        base = np.interp(hs, t, ob)
        return float(np.max(toward_swing_up * (ob[rows] - base)))
    return per_stride(t, events, side, m)


def hip_hiking_deg(t_s, obliquity_deg, events, side: str) -> np.ndarray:
    """Per stride of the *other* side: rise of ``side``'s (swing-side) hip above the obliquity at the
    other side's heel strike, in 0–40 % of that stride (CLINICAL §3)."""
    t, ob = np.asarray(t_s), np.asarray(obliquity_deg)
    up = 1.0 if side == "right" else -1.0

    def m(hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.4 * (nxt - hs))
        return float(np.max(up * (ob[rows] - np.interp(hs, t, ob))))
    return per_stride(t, events, OTHER[side], m)


def lateral_trunk_lean_deg(t_s, lean_right_deg, events, side: str) -> np.ndarray:
    """Per stride of ``side``: largest lean toward ``side`` during its stance, minus the stride mean
    (lean + = toward the subject's right)."""
    t, lean = np.asarray(t_s), np.asarray(lean_right_deg)
    toward = 1.0 if side == "right" else -1.0

    def m(hs, to, nxt):
        stride = _stride_rows(t, hs, nxt)
        stance = _stride_rows(t, hs, to)
        return float(np.max(toward * lean[stance]) - np.mean(toward * lean[stride]))
    return per_stride(t, events, side, m)


def fppa_deg(t_s, fppa, knee_flexion_deg, events, side: str) -> np.ndarray:
    """Per stride: FPPA at the frame of peak knee flexion in the first 20 % of stance (CLINICAL §3)."""
    t, f, k = np.asarray(t_s), np.asarray(fppa), np.asarray(knee_flexion_deg)

    def m(hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.2 * (to - hs))
        return float(f[rows[np.argmax(k[rows])]])
    return per_stride(t, events, side, m)


def lateral_swing_excursion_hw(t_s, ankle_xy_m, hip_width_m, events, side: str) -> np.ndarray:
    """Per swing (toe-off → next heel strike) of ``side``: the ankle's largest distance (floor plane)
    from the line joining its toe-off and heel-strike positions, divided by the hip width."""
    t, a = np.asarray(t_s), np.asarray(ankle_xy_m)
    out = []
    for hs, to, nxt in strides(events, side):
        if to < t[0] or nxt > t[-1]:
            continue
        rows = _stride_rows(t, to, nxt)
        p0 = np.array([np.interp(to, t, a[:, 0]), np.interp(to, t, a[:, 1])])
        p1 = np.array([np.interp(nxt, t, a[:, 0]), np.interp(nxt, t, a[:, 1])])
        u = (p1 - p0) / np.linalg.norm(p1 - p0)
        d = np.abs((a[rows, 0] - p0[0]) * u[1] - (a[rows, 1] - p0[1]) * u[0])
        out.append(float(d.max() / hip_width_m))
    return np.array(out)


def sagittal_stride_metrics(t_s, angles: dict, events, side: str) -> dict[str, np.ndarray]:
    """Per-stride sagittal §5/§6 quantities of ``side`` from per-frame angle arrays (deg):
    ``knee_flexion``, ``thigh``, ``ankle_dorsiflexion``, ``trunk_inclination``."""
    t = np.asarray(t_s)
    k, th, df, tr = (np.asarray(angles[c]) for c in ("knee_flexion", "thigh", "ankle_dorsiflexion",
                                                      "trunk_inclination"))

    def rows(a, b):
        return _stride_rows(t, a, b)

    meas = {
        # loading response: peak knee flexion in the first 25 % of the stride (normal peak ≈ 13 %)
        "loading_knee_flexion_deg": lambda hs, to, nx: np.max(k[rows(hs, hs + 0.25 * (nx - hs))]),
        "peak_swing_knee_flexion_deg": lambda hs, to, nx: np.max(k[rows(to, nx)]),
        "peak_thigh_extension_deg": lambda hs, to, nx: -np.min(th[rows(hs, to)]),
        "peak_swing_thigh_deg": lambda hs, to, nx: np.max(th[rows(to, nx)]),
        "late_swing_dorsiflexion_deg": lambda hs, to, nx: np.mean(df[rows(hs + 0.75 * (nx - hs), nx)]),
        "peak_stance_dorsiflexion_deg": lambda hs, to, nx: np.max(df[rows(hs, to)]),
        "mean_trunk_inclination_deg": lambda hs, to, nx: np.mean(tr[rows(hs, nx)]),
    }
    return {name: per_stride(t, events, side, lambda hs, to, nx, f=f: float(f(hs, to, nx)))
            for name, f in meas.items()}


# ------------------------------------------------------------------------------- truth of a walk
def stride_table(walk, heels_at_hs: np.ndarray):
    """Per-stride truth of a :class:`~gaitlab.synth.gaitmodel.ModelWalk` (OpenCap formulas, CLINICAL §3).

    Columns: side, hs_s, to_s, next_hs_s, stride_time_s, step_time_s (previous contralateral HS → this
    HS), stance_s, swing_s, stance_pct, double_support_pct ((stance − contralateral swing) / stride),
    step_length_m (this heel ahead of the other at this HS, along the path), stride_length_m,
    cadence_steps_min (120 / stride time), segment ("straight" when the whole stride is walked forward
    on a straight, else "turn"/"backward"). ``heels_at_hs``: path-frame landmarks at each HS event.
    """
    import pandas as pd

    hs_all = [(t, s) for t, s, k in walk.events if k == "HS"]
    hs_row = {round(t, 9): i for i, (t, _) in enumerate(hs_all)}
    rows = []
    for side in SIDES:
        other = OTHER[side]
        o_hs = np.array([t for t, s in hs_all if s == other])
        o_to = np.array([t for t, s, k in walk.events if s == other and k == "TO"])
        for hs, to, nxt in strides(walk.events, side):
            before = o_hs[o_hs < hs]
            swing_o = [(a, b) for a in o_to for b in o_hs  # the other side's swing inside this stride
                       if hs <= a < b <= nxt and not o_hs[(o_hs > a) & (o_hs < b)].size]
            h = heels_at_hs[hs_row[round(hs, 9)]]
            seg = walk.segment[(walk.t_s >= hs) & (walk.t_s <= nxt)]
            nxt_h = heels_at_hs[hs_row[round(nxt, 9)]] if round(nxt, 9) in hs_row else None
            stride = nxt - hs
            kind = "straight" if np.all(seg == "straight") else "backward" if np.any(seg == "backward") else "turn"
            rows.append(dict(
                side=side, hs_s=hs, to_s=to, next_hs_s=nxt, stride_time_s=stride,
                step_time_s=hs - before[-1] if before.size else np.nan, stance_s=to - hs, swing_s=nxt - to,
                stance_pct=100 * (to - hs) / stride,
                double_support_pct=100 * ((to - hs) - (swing_o[0][1] - swing_o[0][0])) / stride if swing_o else np.nan,
                step_length_m=h[LM[f"{side}_heel"], 0] - h[LM[f"{other}_heel"], 0],
                stride_length_m=(nxt_h[LM[f"{side}_heel"], 0] - h[LM[f"{side}_heel"], 0]
                                 if nxt_h is not None else np.nan),
                cadence_steps_min=120.0 / stride, segment=kind,
            ))
    return pd.DataFrame(rows)


def walk_summary(walk) -> dict:
    """Per-side means over the straight forward strides of a walk, with §3 definitions applied to the
    model's own landmarks seen orthographically (sagittal: from the walker's side in the path frame;
    frontal: from behind): temporal/spatial values, sagittal angle metrics, pelvic drop, hip hiking,
    lateral trunk lean, knee FPPA, lateral swing-foot excursion; plus left/right ratios."""
    st = walk.strides[walk.strides.segment == "straight"] if len(walk.strides) else walk.strides
    sag = ortho_angles(walk.path_m, "sagittal")
    fr = ortho_angles(walk.path_m, "frontal")
    t = walk.t_s
    hips = walk.path_m[:, LM["left_hip"]] - walk.path_m[:, LM["right_hip"]]
    hip_w = float(np.nanmedian(np.linalg.norm(hips, axis=1)))
    out: dict = {"n_strides": {}, "hip_width_m": hip_w}
    ranges = walk.straight_ranges()

    def pooled(fn):
        vals = [fn([e for e in walk.events if a <= e[0] <= b]) for a, b in ranges]
        vals = [v for v in vals if len(v)]
        return float(np.mean(np.concatenate(vals))) if vals else float("nan")

    for i, side in enumerate(SIDES):
        g = st[st.side == side] if len(st) else st
        out["n_strides"][side] = int(len(g))
        d = {c: float(g[c].mean()) if len(g) else float("nan") for c in (
            "stride_time_s", "step_time_s", "stance_s", "swing_s", "stance_pct", "double_support_pct",
            "step_length_m", "stride_length_m", "cadence_steps_min")}
        d["stride_time_cv_pct"] = (float(100 * g.stride_time_s.std(ddof=1) / g.stride_time_s.mean())
                                   if len(g) > 1 else float("nan"))
        angles = {"knee_flexion": sag["knee_flexion_deg"][:, i], "thigh": sag["thigh_angle_deg"][:, i],
                  "ankle_dorsiflexion": sag["ankle_dorsiflexion_deg"][:, i],
                  "trunk_inclination": sag["trunk_inclination_deg"][:, i]}
        for name in ("loading_knee_flexion_deg", "peak_swing_knee_flexion_deg", "peak_thigh_extension_deg",
                     "peak_swing_thigh_deg", "late_swing_dorsiflexion_deg", "peak_stance_dorsiflexion_deg",
                     "mean_trunk_inclination_deg"):
            d[name] = pooled(lambda ev, n=name: sagittal_stride_metrics(t, angles, ev, side)[n])
        ob, lean = fr["pelvic_obliquity_deg"][:, 0], fr["lateral_trunk_lean_deg"][:, 0]
        d["pelvic_drop_deg"] = pooled(lambda ev: pelvic_drop_deg(t, ob, ev, side))
        d["hip_hiking_deg"] = pooled(lambda ev: hip_hiking_deg(t, ob, ev, side))
        d["lateral_trunk_lean_deg"] = pooled(lambda ev: lateral_trunk_lean_deg(t, lean, ev, side))
        d["knee_fppa_deg"] = pooled(lambda ev: fppa_deg(t, fr["knee_fppa_deg"][:, i], sag["knee_flexion_deg"][:, i],
                                                        ev, side))
        d["lateral_swing_excursion_hw"] = pooled(lambda ev: lateral_swing_excursion_hw(
            t, walk.path_m[:, LM[f"{side}_ankle"], :2], hip_w, ev, side))
        out[side] = d
    L, R = out["left"], out["right"]
    out["ratios_left_over_right"] = {"stance_time": L["stance_s"] / R["stance_s"],
                                     "step_time": L["step_time_s"] / R["step_time_s"],
                                     "step_length": L["step_length_m"] / R["step_length_m"]}
    if len(st):
        out["cadence_steps_min"] = float(120.0 / st.stride_time_s.mean())
        out["speed_m_s"] = float(st.stride_length_m.sum() / st.stride_time_s.sum())
    return out
