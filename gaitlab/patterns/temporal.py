"""Temporal and step flags: antalgic stance, step-time and step-length asymmetry, irregular stride timing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..gait.kinematics import FRONTAL_VIEWS
from .common import Flag, describe, evidence, fill, metric_row

OTHER = {"left": "right", "right": "left"}


def _by_fps(pair: tuple[float, float], high: tuple[float, float], fps: float, cfg) -> tuple[float, float]:
    return high if np.isfinite(fps) and fps >= cfg.high_fps else pair


def _asymmetry(metrics, strides, *, flag_id, name, mech, metric, thresholds, flagged_side, what,
               association, column, worst, moment, sagittal_only, prefix, cfg=None) -> Flag:
    row = metric_row(metrics, metric)
    f = fill(Flag(flag_id, name, "both", mech), row, thresholds, "above")
    if cfg is not None:  # a flag any view with heel strikes can give
        _frontal_timing(f, strides, cfg, name.lower())
    if f.status == "flagged":
        larger = str(row.side)
        f.side = OTHER[larger] if flagged_side == "smaller" else larger
        s = strides[strides.side == f.side]
        if sagittal_only:
            s = s[s.view == "sagittal"]
        evidence(f, s, column, worst, moment, prefix)
        what = what.format(side=f.side)
    else:
        what = what.split(" (")[0].format(side="one side")
    return describe(f, what, association, "above")


def _frontal_timing(f: Flag, strides: pd.DataFrame, cfg, what: str) -> None:
    """Not assessable when front-view heel strikes feed the flag and ``timing_from_frontal`` is off."""
    if f.status != "not_assessable" and not cfg.timing_from_frontal and len(strides) and \
            strides.view.isin(FRONTAL_VIEWS).any():
        f.status, f.severity, f.value, f.ci_low, f.ci_high = "not_assessable", "", np.nan, np.nan, np.nan
        f.reason = (f"{what} from front-view heel strikes is not validated (their timing noise alone reads as "
                    "asymmetric or irregular steps): use a side-view clip")


def temporal_flags(metrics: pd.DataFrame, strides: pd.DataFrame, fps: float, cfg, prefix: str = "") -> list[Flag]:
    out = [
        _asymmetry(metrics, strides, flag_id="antalgic_stance", name="Antalgic stance (short stance)",
                   mech="M1;M2", metric="stance_time_asymmetry",
                   thresholds=_by_fps(cfg.antalgic_stance_ratio, cfg.antalgic_stance_ratio_high_fps, fps, cfg),
                   flagged_side="smaller", column="stance_time_s", worst="min", moment="stance_pct",
                   what="Stance-time ratio, longer over shorter side (the {side} stance is the shorter)",
                   association="protecting a painful limb by loading it for a shorter time (antalgic gait), a "
                               "compensation linked to knee pain and to uneven load up the kinetic chain (M1, M2)",
                   sagittal_only=True, prefix=prefix),
        _asymmetry(metrics, strides, flag_id="step_time_asymmetry", name="Step-time asymmetry",
                   mech="M1", metric="step_time_asymmetry",
                   thresholds=_by_fps(cfg.step_time_ratio, cfg.step_time_ratio_high_fps, fps, cfg),
                   flagged_side="larger", column="step_time_s", worst="max", moment=0.0,
                   what="Step-time ratio, longer over shorter step (the step ending on the {side} foot is longer)",
                   association="an adjusted stride timing to protect one leg (M1)", sagittal_only=False, prefix=prefix,
                   cfg=cfg),
        _asymmetry(metrics, strides, flag_id="step_length_asymmetry", name="Step-length asymmetry",
                   mech="M1", metric="step_length_asymmetry", thresholds=cfg.step_length_ratio,
                   flagged_side="larger", column="step_length_ll", worst="max", moment=0.0,
                   what="Step-length ratio, longer over shorter step (the {side} step is the longer)",
                   association="an adjusted stride that shortens the step onto or off a protected leg (M1)",
                   sagittal_only=True, prefix=prefix),
    ]
    thr = _by_fps(cfg.stride_time_cv_pct, cfg.stride_time_cv_pct_high_fps, fps, cfg)
    f = fill(Flag("irregular_stride_timing", "Irregular stride timing", "both", "M4"),
             metric_row(metrics, "stride_time_cv_pct", "both"), thr, "above")
    _frontal_timing(f, strides[strides.steady.astype(bool)] if len(strides) else strides, cfg,
                    "stride-time variability")
    if f.status == "flagged" and len(strides):
        s = strides[strides.steady.astype(bool)].copy()
        s["_dev"] = (s.stride_time_s - s.stride_time_s.median()).abs()
        evidence(f, s, "_dev", "max", 0.0, prefix)
    out.append(describe(f, "Stride-time variability (coefficient of variation of steady strides)",
                        "altered neuromuscular control of walking, as with nerve involvement (M4)", "above"))
    return out
