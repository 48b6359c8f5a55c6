"""Side-view angle flags: knee guarding, reduced hip extension, forward trunk lean, foot drop (± steppage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import SEVERITY_ORDER, Flag, ci_text, describe, evidence, fill, fmt, metric_row

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}


def _near(strides: pd.DataFrame, side: str) -> pd.DataFrame:
    if strides.empty:
        return strides
    return strides[(strides.view == "sagittal") & (strides.leg == "near") & (strides.side == side)]


def contact_pitch(strides: pd.DataFrame, kinematics: pd.DataFrame | None) -> pd.Series:
    """Foot pitch at each stride's heel strike (deg, toe up +): shank angle + ankle dorsiflexion (the
    heel→toe line is perpendicular to the shank at 0° dorsiflexion), from the kinematics row nearest the
    heel strike. NaN without kinematics or outside near-leg side-view strides."""
    out = pd.Series(np.nan, index=strides.index, dtype=float)
    if kinematics is None or kinematics.empty or strides.empty:
        return out
    need = {"shank_angle_deg", "ankle_dorsiflexion_deg", "time_s", "pass_id", "side"}
    if not need <= set(kinematics.columns):
        return out
    for (pid, side), rows in kinematics.groupby(["pass_id", "side"]):
        sel = strides[(strides.pass_id == pid) & (strides.side == side) & (strides.view == "sagittal")]
        if sel.empty:
            continue
        t = rows.time_s.to_numpy(dtype=float)
        pitch = (rows.shank_angle_deg + rows.ankle_dorsiflexion_deg).to_numpy(dtype=float)
        idx = np.clip(np.searchsorted(t, sel.hs_time_s.to_numpy(dtype=float)), 0, len(t) - 1)
        out.loc[sel.index] = pitch[idx]
    return out


def _knee_guarding(metrics, strides, cfg, side, prefix) -> Flag:
    cands = []
    for metric, thr, col, moment, what in (
            ("knee_flex_loading_deg", cfg.knee_loading_flexion_deg, "knee_flex_loading_deg", "knee_flex_loading_pct",
             "Loading-response knee flexion"),
            ("knee_flex_swing_peak_deg", cfg.knee_swing_flexion_deg, "knee_flex_swing_peak_deg", 72.0,
             "Peak knee flexion in swing")):
        f = fill(Flag("knee_guarding", "Knee guarding (stiff knee)", side, "M1;M4"),
                 metric_row(metrics, metric, side), thr, "below")
        cands.append((f, col, moment, what))
    order = {"flagged": 0, "not_flagged": 1, "not_assessable": 2}
    f, col, moment, what = min(cands, key=lambda c: (order[c[0].status], SEVERITY_ORDER[c[0].severity]))
    if f.status == "flagged":
        evidence(f, _near(strides, side), col, "min", moment, prefix)
    return describe(f, f"{what}, {side} leg (near-leg strides)",
                    "protecting a painful knee by keeping it straighter while it takes load or swings "
                    "(M1), and with weakness around the knee from nerve involvement (M4)", "below")


def _hip_extension(metrics, strides, cfg, side, prefix) -> Flag:
    f = fill(Flag("reduced_hip_extension", "Reduced hip extension", side, "M2"),
             metric_row(metrics, "peak_thigh_ext_deg", side), cfg.thigh_extension_deg, "below")
    if f.status == "flagged":
        evidence(f, _near(strides, side), "peak_thigh_ext_deg", "min", 50.0, prefix)
    return describe(f, f"Peak thigh extension behind vertical in late stance, {side} leg",
                    "reduced hip extension made up by extra lumbar motion, a source of lumbar stress (M2)", "below")


def _trunk_lean(metrics, strides, cfg, prefix) -> Flag:
    f = fill(Flag("forward_trunk_lean", "Forward trunk lean", "both", "M3;M2"),
             metric_row(metrics, "trunk_inclination_deg", "both"), cfg.trunk_inclination_deg, "above")
    if f.status == "flagged" and len(strides):
        evidence(f, strides[strides.view == "sagittal"], "trunk_inclination_deg", "max", 25.0, prefix)
    return describe(f, "Mean forward trunk inclination over the stride",
                    "a flexed posture that relieves lumbar spinal stenosis (M3) and with lumbar load (M2)", "above")


def _foot_drop(metrics, strides, cfg, side, pitch: pd.Series, prefix) -> Flag:
    f = fill(Flag("foot_drop", "Foot drop", side, "M4"), metric_row(metrics, "ankle_late_swing_deg", side),
             cfg.late_swing_dorsiflexion_deg, "below")
    near = _near(strides, side)
    uncorroborated = ""
    p = pitch.reindex(near.index).dropna() if len(near) else pd.Series(dtype=float)
    notes = []
    if len(p):
        flat = float((p < cfg.contact_max_foot_pitch_deg).mean())
        notes.append(f"foot pitched {fmt(float(p.median()), 'deg')} toe-up at heel strike (median), flat or toe-first "
                     f"in {100 * flat:.0f} % of {len(p)} strides (flat = below {fmt(cfg.contact_max_foot_pitch_deg, 'deg')})")
        if f.status == "flagged" and flat < cfg.contact_min_fraction:
            f.status, uncorroborated = "not_flagged", f.severity
            f.severity = ""
            notes.append(f"the interval lies below the {uncorroborated} threshold, but the foot lands heel first, "
                         "so the flag is not raised without that corroboration")
        elif f.status == "flagged":
            notes.append("corroborated by the contact")
    elif f.status == "flagged":
        notes.append("foot contact not available: decided on the late-swing ankle angle alone")
    swing = metric_row(metrics, "peak_swing_thigh_deg", side)
    other = metric_row(metrics, "peak_swing_thigh_deg", OTHER[side])
    if f.status == "flagged" and swing is not None and bool(swing.measurable):
        v = float(swing.value)
        o = float(other.value) if other is not None and bool(other.measurable) else np.nan
        step = v > cfg.steppage_thigh_deg or (np.isfinite(o) and v > o + cfg.steppage_side_excess_deg)
        notes.append(f"peak swing thigh angle {fmt(v, 'deg')} (other side {fmt(o, 'deg')}): "
                     + ("steppage (a high step that clears the dropped foot)" if step else "no steppage"))
        if step:
            f.name = "Foot drop with steppage"
    if f.status == "flagged":
        evidence(f, near, "ankle_late_swing_deg", "min", 95.0, prefix)
    what = f"Mean ankle dorsiflexion over 75–100 % of the cycle, {side} leg"
    describe(f, what, "weakness of the foot lifters from common peroneal (fibular) nerve involvement, a branch of "
             "the sciatic nerve (M4)", "below")
    if uncorroborated:
        f.explanation = f"{what}: {ci_text(f)}."
    if notes and f.status != "not_assessable":
        f.explanation += " Contact and swing: " + "; ".join(notes) + "."
    return f


def sagittal_flags(metrics: pd.DataFrame, strides: pd.DataFrame, cfg, kinematics: pd.DataFrame | None = None,
                   prefix: str = "") -> list[Flag]:
    pitch = contact_pitch(strides, kinematics)
    out = []
    for side in SIDES:
        out.append(_knee_guarding(metrics, strides, cfg, side, prefix))
    for side in SIDES:
        out.append(_hip_extension(metrics, strides, cfg, side, prefix))
    out.append(_trunk_lean(metrics, strides, cfg, prefix))
    for side in SIDES:
        out.append(_foot_drop(metrics, strides, cfg, side, pitch, prefix))
    return out
