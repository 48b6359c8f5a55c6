"""Front-view flags: contralateral pelvic drop, lateral trunk lean, dynamic knee valgus, circumduction /
hip hiking. Their single-support windows come from the strides (approximate % window, or the side clip's
timing in a two-clip session)."""

from __future__ import annotations

import pandas as pd

from ..gait.kinematics import FRONTAL_VIEWS
from .common import SEVERITY_ORDER, Flag, describe, evidence, fill, metric_row

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}


def _front(strides: pd.DataFrame, side: str) -> pd.DataFrame:
    if strides.empty:
        return strides
    return strides[strides.view.isin(FRONTAL_VIEWS) & (strides.side == side)]


def _simple(metrics, strides, side, *, flag_id, name, mech, metric, thr, moment, what, association, prefix) -> Flag:
    f = fill(Flag(flag_id, name, side, mech), metric_row(metrics, metric, side), thr, "above")
    if f.status == "flagged":
        evidence(f, _front(strides, side), metric, "max", moment, prefix)
    return describe(f, what, association, "above")


def _circumduction(metrics, strides, cfg, side, prefix) -> Flag:
    # hip hiking of leg S is measured during the other leg's stance: the metric row of the other side
    hike = fill(Flag("circumduction_hip_hiking", "Hip hiking", side, "M1"),
                metric_row(metrics, "swing_hip_hiking_deg", OTHER[side]), cfg.hip_hiking_deg, "above")
    circ = fill(Flag("circumduction_hip_hiking", "Circumduction", side, "M1"),
                metric_row(metrics, "swing_foot_excursion_hw", side), cfg.swing_foot_excursion_hw, "above")
    order = {"flagged": 0, "not_flagged": 1, "not_assessable": 2}
    f = min((hike, circ), key=lambda c: (order[c.status], SEVERITY_ORDER[c.severity]))
    if f is hike:
        if f.status == "flagged":
            evidence(f, _front(strides, OTHER[side]), "swing_hip_hiking_deg", "max", 20.0, prefix)
        what = f"Rise of the {side} hip while the {side} leg swings (measured over the {OTHER[side]} leg's stance)"
    else:
        if f.status == "flagged":
            evidence(f, _front(strides, side), "swing_foot_excursion_hw", "max", 80.0, prefix)
        what = f"Largest sideways swing of the {side} foot from its straight path, in hip widths"
    if f.status != "flagged":
        f.name = "Circumduction / hip hiking"
    describe(f, what, "clearing a swing leg that does not shorten enough, one of the compensations that load the "
             "pelvis unevenly (M1)", "above")
    other = circ if f is hike else hike
    if other.status == "not_assessable" and f.status != "not_assessable":
        f.explanation += f" The {'foot excursion' if f is hike else 'hip hiking'} part: not assessable — {other.reason}."
    return f


def frontal_flags(metrics: pd.DataFrame, strides: pd.DataFrame, cfg, prefix: str = "") -> list[Flag]:
    out = []
    for side in SIDES:
        out.append(_simple(
            metrics, strides, side, flag_id="pelvic_drop", name="Contralateral pelvic drop (Trendelenburg)",
            mech="M1", metric="pelvic_drop_deg", thr=cfg.pelvic_drop_deg, moment=20.0,
            what=f"Drop of the opposite hip while standing on the {side} leg",
            association=f"weak hip abductors on the {side} (stance) side and pelvic imbalance, which loads the deep "
                        "hip rotators such as the piriformis (M1)", prefix=prefix))
    for side in SIDES:
        out.append(_simple(
            metrics, strides, side, flag_id="lateral_trunk_lean", name="Lateral trunk lean toward stance",
            mech="M2;M1", metric="lateral_trunk_lean_deg", thr=cfg.lateral_trunk_lean_deg, moment=30.0,
            what=f"Sideways trunk lean toward the {side} leg while standing on it (excursion from the stride mean)",
            association="shifting the body's weight over a painful or weak limb, with extra lumbar load (M2) and "
                        "uneven pelvic load (M1)", prefix=prefix))
    for side in SIDES:
        out.append(_simple(
            metrics, strides, side, flag_id="knee_valgus", name="Dynamic knee valgus", mech="M1",
            metric="knee_fppa_deg", thr=cfg.knee_fppa_deg, moment=6.0,
            what=f"Knee frontal-plane projection angle of the {side} leg in early stance (+ = knee inward)",
            association="poor hip control of the loaded leg and knee stress (M1)", prefix=prefix))
    for side in SIDES:
        out.append(_circumduction(metrics, strides, cfg, side, prefix))
    return out
