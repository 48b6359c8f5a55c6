"""Strides from gait events: timing, distances and per-stride angle values (CLINICAL.md §2–§3, §5).

Pure: events, passes, filtered landmarks and per-frame kinematics in; one DataFrame row per stride
out (``strides.csv``). Formulas (OpenCap gait_analysis conventions):

* a stride of side S runs from S's heel strike to S's next heel strike in the same pass;
* stride time = HS→next HS; stance = HS→TO (S's toe off inside the stride); swing = TO→next HS;
* the **step of S ends at S's heel strike**: step time = previous contralateral HS → S's HS; step
  length = S's heel ahead of the other heel at S's HS (walking direction);
* double support % = (stance − contralateral swing) / stride × 100, where the contralateral swing is
  the other foot's TO→HS inside the stride; single support % = contralateral swing / stride × 100;
* cadence = 120 / stride time (steps/min).

A sagittal stride is kept only when its events are in walking order — S HS < other TO < other HS <
S TO < S next HS, one of each — with stride time and stance % inside the ``[strides]`` limits;
otherwise it is dropped and counted (no result rather than a bad result). Frontal passes have heel
strikes only: strides carry stride/step time and cadence; stance, swing and support are *not
measurable* (NaN); the frontal quantities use the approximate single-support window of the pipeline
(``support_phase`` = ``approximate``).

Lengths are in leg lengths (the pass's ``leg_length_percentile`` of the hip–ankle image distance:
the leg is near-straight in mid-stance) and, with a body height, in metres (leg = 0.491 × height,
Winter; valid in the walker's plane only, so sagittal passes only).

Angle values come from :func:`gaitlab.gait.kinematics.compute_kinematics` rows of the stride; each
leg's sagittal angles only from strides in which it is the near leg (NaN otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import LM, Pass
from ..pipeline import StridesConfig
from .filtering import leg_length_px
from .kinematics import FRONTAL_VIEWS, SIDES, derotate_xy, pass_rows, walking_frame

_OTHER = {"left": "right", "right": "left"}

#: Column → (unit, definition) of ``strides.csv``.
STRIDE_COLUMNS: dict[str, tuple[str, str]] = {
    "pass_id": ("", "Walking pass of the stride."),
    "view": ("", "View of the pass."),
    "side": ("", "Subject's side whose heel strikes start and end the stride."),
    "leg": ("", "Sagittal: near or far leg in this pass (sagittal angles only from near-leg strides)."),
    "stride": ("", "Index of the stride among this side's strides in the pass, from 0."),
    "steady": ("", "True unless it is the first or last stride of the pass, either side (CV uses steady strides)."),
    "support_phase": ("", "measured (sagittal: from toe offs) or approximate (frontal: fixed % window)."),
    "treadmill": ("", "True on a treadmill (hips do not travel): stride length and speed only from --belt-speed."),
    "hs_time_s": ("s", "Heel strike starting the stride."),
    "to_time_s": ("s", "Toe off of the same foot inside the stride (sagittal only)."),
    "next_hs_time_s": ("s", "Heel strike ending the stride."),
    "stride_time_s": ("s", "HS → next HS of the same foot."),
    "step_time_s": ("s", "Step ending at this stride's HS: previous contralateral HS → this HS (as in steps.csv)."),
    "stance_time_s": ("s", "HS → TO."),
    "swing_time_s": ("s", "TO → next HS."),
    "stance_pct": ("%", "Stance / stride × 100."),
    "swing_pct": ("%", "Swing / stride × 100."),
    "double_support_pct": ("%", "(Stance − contralateral swing) / stride × 100 (both initial and terminal double support)."),
    "single_support_pct": ("%", "Contralateral swing / stride × 100."),
    "cadence_steps_min": ("steps/min", "120 / stride time."),
    "step_length_ll": ("leg lengths", "Sagittal: step ending at this stride's HS, as in steps.csv."),
    "stride_length_ll": ("leg lengths", "Sagittal, overground: heel displacement HS → next HS, / leg length."),
    "speed_ll_s": ("leg lengths/s", "Stride length / stride time (treadmill: belt speed / leg length, needs --height-cm)."),
    "step_length_m": ("m", "step_length_ll × 0.491 × height (only with --height-cm)."),
    "stride_length_m": ("m", "stride_length_ll × 0.491 × height (only with --height-cm)."),
    "speed_m_s": ("m/s", "speed_ll_s × 0.491 × height (only with --height-cm); treadmill: the belt speed given."),
    "knee_flex_swing_peak_deg": ("deg", "Sagittal, near leg: largest knee flexion in swing (TO → next HS)."),
    "knee_flex_loading_deg": ("deg", "Sagittal, near leg: loading-response peak knee flexion: this stride's flexion at the % of stride where the mean curve of the side's other near-leg strides has its first peak in the loading window (default 0–25 %; a peak the curve then falls [strides] loading_peak_drop_deg below); its own largest value when it is the side's only one."),
    "knee_flex_loading_pct": ("%", "Sagittal, near leg: % of the stride at which knee_flex_loading_deg was read (the key frame of a knee-guarding flag)."),
    "peak_thigh_ext_deg": ("deg", "Sagittal, near leg: −(smallest thigh angle in stance); + = thigh behind vertical."),
    "peak_swing_thigh_deg": ("deg", "Sagittal, near leg: largest thigh angle in swing (steppage evidence)."),
    "ankle_late_swing_deg": ("deg", "Sagittal, near leg: mean ankle dorsiflexion over 75–100 % of the stride (foot drop)."),
    "ankle_peak_df_stance_deg": ("deg", "Sagittal, near leg: largest ankle dorsiflexion in stance."),
    "trunk_inclination_deg": ("deg", "Sagittal: mean trunk inclination over the stride (+ = forward)."),
    "pelvic_drop_deg": ("deg", "Frontal: drop of the swing-side hip during this side's stance (CLINICAL §3): its extreme toward the swing side in early stance (default 0–40 % of the stride, first the largest interior extreme in −5…50 %) minus the double-support level (where the obliquity dwells over the stride around the HS); both taken around the detected HS moved 0.08 s earlier (front-view heel strikes come late; [strides] pelvic_*)."),
    "swing_hip_hiking_deg": ("deg", "Frontal: rise of the swing-side (other) hip above the same double-support level in the same window as pelvic_drop_deg."),
    "lateral_trunk_lean_deg": ("deg", "Frontal: largest excursion of lateral trunk lean toward this (stance) side from the stride mean, in the single-support window."),
    "knee_fppa_deg": ("deg", "Frontal: largest knee FPPA of this leg in early stance (default 0–12 % of the stride); + = valgus."),
    "swing_foot_excursion_hw": ("hip widths", "Frontal: this foot's largest image distance from the line joining its footprints at this and the next heel strike, / hip width."),
    "view_angle_deg": ("deg", "Sagittal: largest angle between the camera's optical axis and the walker's hip during the stride, for a camera [strides] assumed_hfov_deg wide (CLINICAL §7: sagittal angles only from the central view); beyond sagittal_max_view_angle_deg the stride's angle columns are empty."),
    "excluded_angles": ("", "Angle columns left empty in this stride as outliers (';'-separated): further than the larger of [strides] outlier_robust_sd robust SDs (1.4826 × MAD) and outlier_min_deg from the median of the side's strides of the same view, with ≥ outlier_min_strides of them (a tracking failure such as a leg mix-up or a mistimed event, not gait)."),
    "first_frame": ("frame", "Decoded frame of the stride's first heel strike."),
    "last_frame": ("frame", "Decoded frame of the stride's last heel strike."),
}


def _times(ev: pd.DataFrame, side: str, kind: str) -> np.ndarray:
    return ev.loc[(ev.side == side) & (ev.event == kind), "time_s"].to_numpy()


def _between(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return x[(x > a) & (x < b)]


def _at(t: np.ndarray, y: np.ndarray, ts: float) -> float:
    """Linear interpolation of y (NaN-aware: NaN if either neighbour is NaN) at time ts."""
    if not len(t) or not t[0] <= ts <= t[-1]:
        return float("nan")
    i = min(int(np.searchsorted(t, ts, side="right")), len(t) - 1)
    if i == 0 or t[i] == ts:
        return float(y[i])
    f = (ts - t[i - 1]) / (t[i] - t[i - 1])
    return float(y[i - 1] * (1 - f) + y[i] * f)


class _Curves:
    """One side's per-frame angles of one pass as arrays, sliced by time (fast per-stride windows)."""

    def __init__(self, k: pd.DataFrame):
        self.t = k.time_s.to_numpy(dtype=float)
        self.cols = {c: k[c].to_numpy(dtype=float) for c in k.columns if c.endswith("_deg")}

    def win(self, col: str, t0: float, t1: float) -> np.ndarray:
        return self.cols[col][np.searchsorted(self.t, t0, "left"):np.searchsorted(self.t, t1, "right")]

    def pct(self, col: str, hs: float, stride: float, lo_hi) -> np.ndarray:
        return self.win(col, hs + stride * lo_hi[0] / 100.0, hs + stride * lo_hi[1] / 100.0)


def _nan(fn, a: np.ndarray) -> float:
    """fn (np.nanmax, np.nanmin, np.nanmean) of ``a``; NaN when it holds no finite value."""
    return float(fn(a)) if np.isfinite(a).any() else float("nan")


def _sagittal_values(k: _Curves, hs, to, nhs, cfg: StridesConfig, near: bool) -> dict:
    stride = nhs - hs
    out = {"trunk_inclination_deg": _nan(np.nanmean, k.win("trunk_inclination_deg", hs, nhs))}
    if not near:
        return out
    out.update({
        "knee_flex_swing_peak_deg": _nan(np.nanmax, k.win("knee_flexion_deg", to, nhs)),
        "knee_flex_loading_deg": _nan(np.nanmax, k.pct("knee_flexion_deg", hs, stride, cfg.loading_window_pct)),
        "peak_thigh_ext_deg": -_nan(np.nanmin, k.win("thigh_angle_deg", hs, to)),
        "peak_swing_thigh_deg": _nan(np.nanmax, k.win("thigh_angle_deg", to, nhs)),
        "ankle_late_swing_deg": _nan(np.nanmean, k.pct("ankle_dorsiflexion_deg", hs, stride, cfg.late_swing_window_pct)),
        "ankle_peak_df_stance_deg": _nan(np.nanmax, k.win("ankle_dorsiflexion_deg", hs, to)),
    })
    return out


def _loading_at_peak_phase(df: pd.DataFrame, kinematics: pd.DataFrame, cfg: StridesConfig) -> None:
    """Loading-response knee flexion of near-leg strides, in place: each stride's knee flexion at the
    phase (1 % steps of the loading window) where the mean curve of the *same side's other* near-leg
    strides has its first peak (:func:`first_peak`). The largest value of one stride's own noisy curve
    reads pose noise as flexion (+1.5–4° on gait-model walks with pose noise); a phase located without
    the stride does not (NaN where the stride's curve is missing at that phase). A side with a single
    near-leg stride keeps its maximum."""
    col = "knee_flex_loading_deg"
    if df.empty or kinematics.empty or not df[col].notna().any():
        return
    lo, hi = cfg.loading_window_pct
    grid = np.arange(lo, hi + 1e-9, 1.0) / 100.0
    curves = {key: (g.time_s.to_numpy(dtype=float), g.knee_flexion_deg.to_numpy(dtype=float))
              for key, g in kinematics.sort_values("time_s").groupby(["pass_id", "side"])}
    for side in SIDES:
        rows = df.index[(df.side == side) & df[col].notna()]
        if not len(rows):
            continue
        c = np.full((len(rows), len(grid)), np.nan)
        for i, (pid, hs, stride) in enumerate(df.loc[rows, ["pass_id", "hs_time_s", "stride_time_s"]].to_numpy()):
            t, y = curves.get((int(pid), side), (np.empty(0), np.empty(0)))
            if len(t) < 2:
                continue
            ts = hs + grid * stride
            j = np.clip(np.searchsorted(t, ts), 1, len(t) - 1)
            f = (ts - t[j - 1]) / (t[j] - t[j - 1])
            c[i] = np.where((f >= 0) & (f <= 1), y[j - 1] * (1 - f) + y[j] * f, np.nan)  # NaN-aware
        ok = np.isfinite(c)
        if len(rows) == 1:  # its own largest value, kept; where it lies
            if ok[0].any():
                df.at[rows[0], "knee_flex_loading_pct"] = 100.0 * grid[int(np.nanargmax(c[0]))]
            continue
        total, count = np.where(ok, c, 0.0).sum(0), ok.sum(0)
        for i, r in enumerate(rows):
            n_o = count - ok[i]
            mean_o = np.where(n_o > 0, (total - np.where(ok[i], c[i], 0.0)) / np.maximum(n_o, 1), -np.inf)
            if np.isfinite(mean_o).any():
                k = first_peak(mean_o, cfg.loading_peak_drop_deg)
                df.at[r, col], df.at[r, "knee_flex_loading_pct"] = c[i, k], 100.0 * grid[k]


def first_peak(y: np.ndarray, drop: float) -> int:
    """Index of the first peak of ``y`` (the start counts) that the curve falls at least ``drop`` below
    before rising above it again; the largest value when no peak does (non-finite values never peak).

    The loading-response knee flexion is the *first* flexion peak after heel strike. MediaPipe reads a
    straight stance knee up to 9° flexed later in stance (20–35 % of the stride, as the other leg swings
    past): on rendered walkers with a guarded knee (2.2° true) the largest value in 0–25 % is that
    artefact (8–12°), while the first peak is the knee's own (2.5°)."""
    z = np.where(np.isfinite(y), y, -np.inf)
    for i in range(len(z) - 1):
        if not np.isfinite(z[i]) or z[i] < z[i + 1] or (i > 0 and z[i] < z[i - 1]):
            continue
        after = z[i + 1:]
        higher = np.flatnonzero(after > z[i])
        seg = after[:higher[0]] if len(higher) else after
        seg = seg[np.isfinite(seg)]
        if len(seg) and z[i] - seg.min() >= drop:
            return i
    return int(np.argmax(z))


def _view_angle_deg(tp, xy, hs, nhs, centre_x: float, focal_px: float) -> float:
    """Largest angle (deg) between the camera's optical axis and the line to the walker's hip midpoint
    during the stride hs → nhs (``xy`` roll-corrected image points of the pass, ``tp`` their times); NaN
    when the focal length is unknown or the hips are never seen."""
    sel = (tp >= hs) & (tp <= nhs)
    off = 0.5 * (xy[sel, LM["left_hip"], 0] + xy[sel, LM["right_hip"], 0]) - centre_x
    off = off[np.isfinite(off)]
    return float(np.degrees(np.arctan(np.abs(off).max() / focal_px))) if len(off) else float("nan")


#: Per-stride angle values checked for outliers: near-leg sagittal strides, frontal strides.
OUTLIER_COLUMNS = {"sagittal": ("knee_flex_swing_peak_deg", "knee_flex_loading_deg", "peak_thigh_ext_deg",
                                "peak_swing_thigh_deg", "ankle_late_swing_deg", "ankle_peak_df_stance_deg"),
                   "frontal": ("pelvic_drop_deg", "swing_hip_hiking_deg", "lateral_trunk_lean_deg", "knee_fppa_deg")}


def exclude_angle_outliers(df: pd.DataFrame, cfg: StridesConfig) -> None:
    """Empty, in place, per-stride angle values far from the rest of the side's strides of the same view
    family, and name them in ``excluded_angles``. A value more than max(``outlier_robust_sd`` × 1.4826 ×
    MAD, ``outlier_min_deg``) from the median is a tracking failure, not gait: on rendered side clips a
    mistimed stride read 57.9° loading-response knee flexion among 7–15° ones, widening the CI to ±16°."""
    df["excluded_angles"] = ""
    if df.empty:
        return
    family = np.where(df.view == "sagittal", "sagittal", "frontal")
    for (fam, side), idx in df.groupby([family, df.side]).groups.items():
        rows = df.loc[idx]
        if fam == "sagittal":
            rows = rows[rows.leg == "near"]
        for col in (c for c in OUTLIER_COLUMNS[fam] if c in df):
            x = rows[col].dropna()
            if len(x) < cfg.outlier_min_strides:
                continue
            med = float(x.median())
            limit = max(cfg.outlier_robust_sd * 1.4826 * float((x - med).abs().median()), cfg.outlier_min_deg)
            out = x.index[(x - med).abs() > limit]
            df.loc[out, col] = np.nan
            for i in out:
                df.at[i, "excluded_angles"] = ";".join(filter(None, (df.at[i, "excluded_angles"], col)))


def _interior_max(a: np.ndarray) -> float:
    """Largest local maximum of ``a`` away from its ends (NaN if none): an extreme at a window's edge is the
    flank of the neighbouring half-cycle's excursion, not one of this half-cycle."""
    if len(a) < 3:
        return float("nan")
    z = np.where(np.isfinite(a), a, -np.inf)  # a gap does not hide a peak beside it
    mid = z[1:-1]
    peak = (mid >= z[:-2]) & (mid >= z[2:]) & np.isfinite(mid)
    return float(mid[peak].max()) if peak.any() else float("nan")


def _dwell_level(a: np.ndarray, band: float) -> float:
    """The value ``a`` dwells at: its median, re-taken a few times over the values within ``band`` of it
    (a one-sided excursion, such as hip hiking, pulls a plain median away from the level)."""
    a = a[np.isfinite(a)]
    if not len(a):
        return float("nan")
    m = float(np.median(a))
    for _ in range(5):
        near = a[np.abs(a - m) <= band]
        if not len(near):
            break
        m = float(np.median(near))
    return m


def _pelvic_values(k: _Curves, side: str, hs, stride, cfg: StridesConfig) -> tuple[float, float]:
    """(pelvic drop, swing-side hip hiking) of a frontal stride, robust to late or scattered heel strikes.

    Front-view heel strikes come late (≈ 0.13 s on rendered walkers through MediaPipe, ≈ 0 on projected
    motion capture) and scatter by ≈ 0.1 s, while the pelvis tilts within 0.1 s of contact, so the obliquity
    *at* the detected heel strike is no baseline. Both windows start at the heel strike moved
    ``pelvic_hs_lag_s`` earlier (a compromise between the two). The double-support level is where the
    obliquity dwells over ``pelvic_level_window_pct`` of the stride (:func:`_dwell_level`: the pelvis passes
    both double supports near level, and the two half-cycles' excursions go opposite ways); the extremes
    toward and away from the swing side are the largest interior ones in ``pelvic_search_window_pct`` (else
    the extremes in ``pelvic_window_pct``).
    """
    h = hs - cfg.pelvic_hs_lag_s
    sign = 1.0 if side == "right" else -1.0  # obliquity + = right hip up → sign·obliquity + = swing side down
    level = _dwell_level(sign * k.pct("pelvic_obliquity_deg", h, stride, cfg.pelvic_level_window_pct),
                         cfg.pelvic_level_band_deg)
    y = sign * k.pct("pelvic_obliquity_deg", h, stride, cfg.pelvic_search_window_pct)
    core = sign * k.pct("pelvic_obliquity_deg", h, stride, cfg.pelvic_window_pct)
    hi, lo = _interior_max(y), -_interior_max(-y)
    hi = hi if np.isfinite(hi) else _nan(np.nanmax, core)
    lo = lo if np.isfinite(lo) else _nan(np.nanmin, core)
    return hi - level, level - lo


def _frontal_values(k: _Curves, side: str, hs, nhs, cfg: StridesConfig) -> dict:
    stride = nhs - hs
    if not len(k.win("pelvic_obliquity_deg", hs, nhs)):
        return {}
    down, up = _pelvic_values(k, side, hs, stride, cfg)
    sign = 1.0 if side == "right" else -1.0  # lean + = toward the subject's right → toward the stance side
    lean_mean = _nan(np.nanmean, sign * k.win("lateral_trunk_lean_deg", hs, nhs))
    exc = sign * k.pct("lateral_trunk_lean_deg", hs, stride, cfg.approx_single_support_pct) - lean_mean
    return {
        "pelvic_drop_deg": down, "swing_hip_hiking_deg": up,
        "lateral_trunk_lean_deg": _nan(np.nanmax, exc),
        "knee_fppa_deg": _nan(np.nanmax, k.pct("knee_fppa_deg", hs, stride, cfg.fppa_window_pct)),
    }


def _swing_excursion(t: np.ndarray, xy: np.ndarray, side: str, t_hs: float, t_next_hs: float) -> float:
    """Largest image distance of the ankle from the line joining its footprints at this heel strike and the
    next, / hip width (frontal). Footprints, not toe off: the foot is planted at both (even when front-view
    heel strikes come late), and the line a projection of the floor line the truth uses."""
    sel = (t >= t_hs) & (t <= t_next_hs)
    if sel.sum() < 3:
        return float("nan")
    a = xy[sel, LM[f"{side}_ankle"]]
    hw = np.nanmedian(np.linalg.norm(xy[sel, LM["left_hip"]] - xy[sel, LM["right_hip"]], axis=-1))
    chord = a[-1] - a[0]
    norm = np.linalg.norm(chord)
    if not (np.isfinite(norm) and norm > 0 and hw > 0):
        return float("nan")
    d = np.abs(chord[0] * (a[:, 1] - a[0, 1]) - chord[1] * (a[:, 0] - a[0, 0])) / norm
    return float(np.nanmax(d) / hw) if np.isfinite(d).any() else float("nan")


def _order_ok(hs, nhs, to_s, hs_o, to_o) -> bool:
    """S HS < other TO < other HS < S TO < S next HS, one of each."""
    if len(to_s) != 1 or len(hs_o) != 1 or len(to_o) != 1:
        return False
    return hs < to_o[0] < hs_o[0] < to_s[0] < nhs


def correct_step_perspective(rows: list[dict], min_steps: int, min_spread_ll: float) -> bool:
    """Remove the perspective bias of sagittal step lengths of one pass, in place.

    The near foot is closer to the camera than the far foot by about the step width, so its image
    offset from the principal point is magnified relative to the far foot's: a step of the near leg
    measured at image position u (walking direction, leg lengths from the image centre) reads
    ``+k·u`` too long and one of the far leg ``−k·u`` too short (k ≈ focal · 2 · half step width /
    depth², unknown). Least squares on ``step = a + s·d + s·k·u`` (s = +1 near, −1 far; d absorbs
    a true left/right difference) gives k; ``s·k·u`` is subtracted. Needs ``min_steps`` steps with
    both legs and positions spread by ``min_spread_ll`` (otherwise nothing changes; False).
    """
    ok = [r for r in rows if np.isfinite(r["step_length_ll"]) and np.isfinite(r.get("_u", np.nan))]
    s = np.array([1.0 if r["leg"] == "near" else -1.0 for r in ok])
    if len(ok) < min_steps or len(set(s)) < 2:
        return False
    u = np.array([r["_u"] for r in ok])
    if np.std(u) < min_spread_ll:
        return False
    y = np.array([r["step_length_ll"] for r in ok])
    (_, _, k), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(s), s, s * u]), y, rcond=None)
    for r, si, ui in zip(ok, s, u):
        r["step_length_ll"] -= si * k * ui
    return True

#: Column → (unit, definition) of ``steps.csv``.
STEP_COLUMNS: dict[str, tuple[str, str]] = {
    "pass_id": ("", "Walking pass of the step."),
    "view": ("", "View of the pass."),
    "side": ("", "Subject's side whose heel strike ends the step (CLINICAL §3: the step of S ends at S's HS)."),
    "leg": ("", "Sagittal: near or far leg in this pass."),
    "prev_hs_time_s": ("s", "The other foot's heel strike starting the step."),
    "hs_time_s": ("s", "This foot's heel strike ending the step."),
    "step_time_s": ("s", "hs_time_s − prev_hs_time_s."),
    "step_length_ll": ("leg lengths", "Sagittal: this heel ahead of the other heel at this HS, / leg length; "
                                      "corrected for perspective (near and far heel at different depths) when the pass allows."),
    "step_length_m": ("m", "step_length_ll × 0.491 × height (only with --height-cm)."),
    "frame": ("frame", "Decoded frame of the heel strike ending the step."),
}


def _pass_frame(p: Pass, t: np.ndarray, xy: np.ndarray, lm: np.ndarray, cfg: StridesConfig):
    """Rows of a pass, their times, its walking frame (None in oblique views) and its leg length (px)."""
    r = pass_rows(p, len(t))
    legl = float(np.nanpercentile(leg_length_px(lm[r, :, :2]), cfg.leg_length_percentile))
    return r, t[r], walking_frame(xy[r], p), legl


def compute_steps(events: pd.DataFrame, passes: list[Pass], t_s, landmarks, roll_deg: float, cfg: StridesConfig, *,
                  frame_index=None, height_cm: float | None = None, image_center_px=None) -> pd.DataFrame:
    """Steps of every pass: each heel strike preceded, in the same pass, by the other foot's heel strike
    within half the stride-time limits. Steps whose time is further than ``max_stride_deviation`` from the
    pass's median step are dropped (a missed or extra heel strike). Sagittal step lengths are corrected for
    perspective (:func:`correct_step_perspective`) when ``image_center_px`` is given."""
    t = np.asarray(t_s, dtype=float)
    lm = np.asarray(landmarks, dtype=float)
    fi = np.arange(len(t)) if frame_index is None else np.asarray(frame_index)
    xy_all = derotate_xy(lm[..., :2], roll_deg)
    centre = None if image_center_px is None else derotate_xy(np.asarray(image_center_px, float), roll_deg)
    leg_m = cfg.leg_length_height_ratio * height_cm / 100.0 if height_cm else float("nan")
    rows = []
    for p in passes:
        hs = events[(events.pass_id == p.pass_id) & (events.event == "HS")].sort_values("time_s")
        if not p.usable or len(hs) < 2:
            continue
        r, tp, w, legl = _pass_frame(p, t, xy_all, lm, cfg)
        w = w if p.view == "sagittal" else None
        cx = None  # principal point along the walking direction
        if centre is not None and w is not None:
            cx = float(walking_frame(np.broadcast_to(centre, (1, 33, 2)), p)[0, 0, 0])
        steps = []
        for a, b in zip(hs.itertuples(), hs.iloc[1:].itertuples()):
            dt = b.time_s - a.time_s
            if b.side == a.side or not cfg.min_stride_s / 2 <= dt <= cfg.max_stride_s / 2:
                continue
            row = {"pass_id": p.pass_id, "view": p.view, "side": b.side, "leg": b.leg, "prev_hs_time_s": a.time_s,
                   "hs_time_s": b.time_s, "step_time_s": dt, "step_length_ll": np.nan,
                   "frame": int(fi[r.start + np.argmin(np.abs(tp - b.time_s))])}
            if w is not None:
                h_s, h_o = (_at(tp, w[:, LM[f"{s}_heel"], 0], b.time_s) for s in (b.side, a.side))
                row["step_length_ll"] = (h_s - h_o) / legl
                if cx is not None:
                    row["_u"] = (0.5 * (h_s + h_o) - cx) / legl
            steps.append(row)
        steps = _consistent_steps(steps, cfg.max_stride_deviation)
        if w is not None:
            correct_step_perspective(steps, cfg.perspective_min_steps, cfg.perspective_min_spread_ll)
        rows += steps
    df = pd.DataFrame(rows, columns=list(STEP_COLUMNS))  # drops the helper key "_u"
    df["step_length_m"] = df["step_length_ll"] * leg_m
    return df


def _consistent_steps(steps: list[dict], max_deviation: float) -> list[dict]:
    """The steps of one pass without those further than ``max_deviation`` (a fraction) from the median of
    the *same side's* steps (both sides' when a side has fewer than 3): a 0.14 s "step" is a mixed-up or
    missed event. A pooled median would also drop the long side's genuine steps of a step-time
    asymmetry (rendered 1.3 × asymmetry: right steps 0.66–0.70 s among 0.47 s left ones, 4 of 13 kept)."""
    if len(steps) < 3:
        return steps
    pooled = float(np.median([x["step_time_s"] for x in steps]))
    med = {}
    for side in {x["side"] for x in steps}:
        own = [x["step_time_s"] for x in steps if x["side"] == side]
        med[side] = float(np.median(own)) if len(own) >= 3 else pooled
    return [x for x in steps if abs(x["step_time_s"] / med[x["side"]] - 1.0) <= max_deviation]


def compute_strides(events: pd.DataFrame, passes: list[Pass], t_s, landmarks, kinematics: pd.DataFrame,
                    roll_deg: float, cfg: StridesConfig, *, frame_index=None,
                    height_cm: float | None = None, image_center_px=None,
                    belt_speed_m_s: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, dict[str, int]]]:
    """Strides of every pass with events.

    ``belt_speed_m_s``: treadmill passes take speed (and stride length = belt speed × stride time) from it.
    ``image_center_px`` (x, y): the principal point, for the perspective correction of step lengths
    (:func:`correct_step_perspective`; skipped when None).

    Returns the stride table (columns of :data:`STRIDE_COLUMNS`), the step table
    (:func:`compute_steps`; each stride row also carries the step ending at its first heel strike) and,
    per pass id, counts of candidate strides dropped for inconsistent events:
    ``{"dropped_order": n, "dropped_range": n}``.
    """
    t = np.asarray(t_s, dtype=float)
    lm = np.asarray(landmarks, dtype=float)
    fi = np.arange(len(t)) if frame_index is None else np.asarray(frame_index)
    xy_all = derotate_xy(lm[..., :2], roll_deg)
    leg_m = cfg.leg_length_height_ratio * height_cm / 100.0 if height_cm else float("nan")
    # the camera's focal length for an assumed field of view along the frame's long side (the video does not say)
    centre_x, focal_px = float("nan"), float("nan")
    if image_center_px is not None:
        centre_x = float(derotate_xy(np.asarray(image_center_px, float), roll_deg)[0])
        focal_px = max(image_center_px) / np.tan(np.radians(cfg.assumed_hfov_deg / 2))
    rows, dropped = [], {}
    for p in passes:
        ev = events[events.pass_id == p.pass_id]
        if not p.usable or ev.empty:
            continue
        r, tp, w, legl = _pass_frame(p, t, xy_all, lm, cfg)
        kp = kinematics[kinematics.pass_id == p.pass_id]
        frontal = p.view in FRONTAL_VIEWS
        counts = {"dropped_order": 0, "dropped_range": 0}
        pass_strides: list[dict] = []
        for side in SIDES:
            hs_s, other = _times(ev, side, "HS"), _OTHER[side]
            hs_o = _times(ev, other, "HS")
            k = _Curves(kp[kp.side == side].sort_values("time_s"))
            to_all, to_other = _times(ev, side, "TO"), _times(ev, other, "TO")
            for hs, nhs in zip(hs_s[:-1], hs_s[1:]):
                stride = nhs - hs
                row = {c: np.nan for c in STRIDE_COLUMNS}
                row.update({
                    "pass_id": p.pass_id, "view": p.view, "side": side,
                    "leg": p.leg(side),
                    "support_phase": "approximate" if frontal else "measured", "treadmill": bool(p.treadmill),
                    "hs_time_s": hs, "next_hs_time_s": nhs, "stride_time_s": stride,
                    "cadence_steps_min": 120.0 / stride,
                    "first_frame": int(fi[r.start + np.argmin(np.abs(tp - hs))]),
                    "last_frame": int(fi[r.start + np.argmin(np.abs(tp - nhs))]),
                })
                if not cfg.min_stride_s <= stride <= cfg.max_stride_s:
                    counts["dropped_range"] += 1
                    continue
                if frontal:
                    row.update(_frontal_values(k, side, hs, nhs, cfg))
                    row["swing_foot_excursion_hw"] = _swing_excursion(tp, xy_all[r], side, hs, nhs)
                else:
                    to_s = _between(to_all, hs, nhs)
                    hs_o_in = _between(hs_o, hs, nhs)
                    to_o = _between(to_other, hs, nhs)
                    if not _order_ok(hs, nhs, to_s, hs_o_in, to_o):
                        counts["dropped_order"] += 1
                        continue
                    to = float(to_s[0])
                    stance, swing_o = to - hs, hs_o_in[0] - to_o[0]
                    stance_pct = 100.0 * stance / stride
                    if not cfg.min_stance_pct <= stance_pct <= cfg.max_stance_pct:
                        counts["dropped_range"] += 1
                        continue
                    row.update({
                        "to_time_s": to, "stance_time_s": stance, "swing_time_s": nhs - to,
                        "stance_pct": stance_pct, "swing_pct": 100.0 - stance_pct,
                        "double_support_pct": 100.0 * (stance - swing_o) / stride,
                        "single_support_pct": 100.0 * swing_o / stride,
                    })
                    if w is not None:
                        heel = w[:, LM[f"{side}_heel"], 0]
                        if not p.treadmill:
                            row["stride_length_ll"] = (_at(tp, heel, nhs) - _at(tp, heel, hs)) / legl
                            row["speed_ll_s"] = row["stride_length_ll"] / stride
                    row["view_angle_deg"] = _view_angle_deg(tp, xy_all[r], hs, nhs, centre_x, focal_px)
                    if not row["view_angle_deg"] > cfg.sagittal_max_view_angle_deg:  # NaN (unknown) passes
                        row.update(_sagittal_values(k, hs, to, nhs, cfg, near=row["leg"] == "near"))
                pass_strides.append(row)
        if len(pass_strides) >= 3:  # a stride far off the pass's median comes from mixed-up or missed events
            med = float(np.median([x["stride_time_s"] for x in pass_strides]))
            keep = [x for x in pass_strides if abs(x["stride_time_s"] / med - 1.0) <= cfg.max_stride_deviation]
            counts["dropped_range"] += len(pass_strides) - len(keep)
            pass_strides = keep
        for side in SIDES:  # numbered after the drops
            mine = [x for x in pass_strides if x["side"] == side]
            for i, row in enumerate(mine):
                row["stride"] = i
        hs_pass = [x["hs_time_s"] for x in pass_strides]
        for row in pass_strides:  # CLINICAL §4: the pass's first and last strides are not steady
            row["steady"] = min(hs_pass) < row["hs_time_s"] < max(hs_pass)
        rows += pass_strides
        dropped[p.pass_id] = counts
    df = pd.DataFrame(rows, columns=list(STRIDE_COLUMNS))
    _loading_at_peak_phase(df, kinematics, cfg)
    exclude_angle_outliers(df, cfg)
    steps = compute_steps(events, passes, t, lm, roll_deg, cfg, frame_index=fi, height_cm=height_cm,
                          image_center_px=image_center_px)
    if len(df) and len(steps):  # the step ending at each stride's first heel strike
        key = steps.set_index(["pass_id", "side", "hs_time_s"])
        idx = pd.MultiIndex.from_frame(df[["pass_id", "side", "hs_time_s"]])
        for c in ("step_time_s", "step_length_ll"):
            df[c] = key[c].reindex(idx).to_numpy()
    for c in ("step_length", "stride_length"):
        df[f"{c}_m"] = df[f"{c}_ll"] * leg_m
    df["speed_m_s"] = df["speed_ll_s"] * leg_m
    belt = df.treadmill.eq(True) & (df.view == "sagittal")
    if belt_speed_m_s and belt.any():
        df.loc[belt, "speed_m_s"] = belt_speed_m_s
        df.loc[belt, "stride_length_m"] = belt_speed_m_s * df.loc[belt, "stride_time_s"]
        df.loc[belt, "speed_ll_s"] = belt_speed_m_s / leg_m
        df.loc[belt, "stride_length_ll"] = df.loc[belt, "stride_length_m"] / leg_m
    return df.sort_values(["hs_time_s", "side"], kind="stable").reset_index(drop=True), steps, dropped
