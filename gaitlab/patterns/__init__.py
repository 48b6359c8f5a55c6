"""Compensatory-pattern flags (CLINICAL.md §6): small pure rules reading the metrics table.

:func:`evaluate_flags` returns one row per (flag, side) assessed (columns :data:`FLAG_COLUMNS`): *flagged*
(severity possible / marked) when the metric's whole confidence interval lies past the threshold of the
pipeline's ``[flags]`` section (CLINICAL §4), *not flagged* otherwise, *not assessable* with the reason
when the metric is not measurable (view absent, too few strides, failed quality gate). Flagged rows first,
marked before possible. Wording: "patterns described in clinical literature as associated with …".
"""

from __future__ import annotations

import pandas as pd

from ..gait.quality import Gate, failed_reason
from ..gait.spatiotemporal import STRIDE_COLUMNS
from .common import FLAG_COLUMNS, MECHANISMS, SEVERITY_ORDER, STATUS_ORDER, Flag, describe
from .frontal import frontal_flags
from .sagittal import sagittal_flags
from .temporal import temporal_flags

__all__ = ["FLAG_COLUMNS", "MECHANISMS", "evaluate_flags"]

_TEMPORAL = {"antalgic_stance", "step_time_asymmetry", "step_length_asymmetry", "irregular_stride_timing"}


def _gate_groups(f: Flag) -> tuple[str, ...]:
    if f.flag_id in _TEMPORAL:
        return ("temporal",)
    if f.flag_id in ("knee_guarding", "reduced_hip_extension", "foot_drop"):
        return ("angles", f"sagittal:{f.side}")
    return ("angles",)


def evaluate_flags(metrics: pd.DataFrame, strides: pd.DataFrame, gates: list[Gate], fps: float, cfg,
                   kinematics: pd.DataFrame | None = None, *, frontal_metrics: pd.DataFrame | None = None,
                   frontal_strides: pd.DataFrame | None = None, frontal_gates: list[Gate] | None = None,
                   frontal_prefix: str = "") -> pd.DataFrame:
    """The flags table. ``cfg``: a :class:`~gaitlab.pipeline.FlagsConfig` or a whole pipeline config.
    ``kinematics`` (optional) gives the foot contact that corroborates foot drop. A two-clip session passes
    the front clip's metrics, strides and gates as ``frontal_*`` (its evidence is prefixed ``frontal_prefix``; the
    rows' ``clip`` says "side" or "front")."""
    cfg = getattr(cfg, "flags", cfg)
    strides = strides.reindex(columns=list(STRIDE_COLUMNS)) if strides.empty else strides
    if frontal_strides is not None and frontal_strides.empty:
        frontal_strides = frontal_strides.reindex(columns=list(STRIDE_COLUMNS))
    two = frontal_metrics is not None
    main = [*temporal_flags(metrics, strides, fps, cfg), *sagittal_flags(metrics, strides, cfg, kinematics)]
    front = frontal_flags(frontal_metrics if two else metrics, frontal_strides if two else strides, cfg,
                          prefix=frontal_prefix)
    for group, g in ((main, gates), (front, frontal_gates if two else gates)):
        for f in group:
            why = failed_reason(list(g or ()), _gate_groups(f)) if f.status != "not_assessable" else ""
            if why:
                f.status, f.severity, f.reason, f.key_frame = "not_assessable", "", why, -1
                f.value = f.ci_low = f.ci_high = float("nan")
                f.evidence_strides = f.evidence_frames = ""
                describe(f, f.name, "", "above")
    if two:  # which video the evidence frames and key frame index
        for group, clip in ((main, "side"), (front, "front")):
            for f in group:
                f.clip = clip
    flags = sorted(main + front, key=lambda f: (STATUS_ORDER[f.status], SEVERITY_ORDER[f.severity]))
    return pd.DataFrame([f.row() for f in flags], columns=list(FLAG_COLUMNS))
