"""Two-clip sessions (side + front of the same walk) as one analysis (issue 7 §2).

A thin layer over :func:`gaitlab.analysis.analyze`: the side clip is analysed first; its measured stance
and single-support timing replace the approximate % window of the front clip's frontal quantities
(``[strides] approx_single_support_pct``, ``fppa_window_pct``); then the front
clip is analysed. Sagittal and step metrics come from the side clip, frontal ones from the front clip,
temporal ones from the side clip (the front clip's where the side clip cannot measure them) with the
agreement of the two reported; one flag list is evaluated on the merged table, its ``clip`` column naming
the clip (side / front) whose frames each flag's evidence and key frame index.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import GaitAnalysis, analyze
from .errors import ConfigError
from .gait.metrics import PELVIC
from .patterns import evaluate_flags
from .pipeline import PipelineConfig, load_pipeline

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Metrics taken from the front clip.
FRONTAL_METRICS = (*PELVIC, "lateral_trunk_lean_deg", "knee_fppa_deg", "swing_foot_excursion_hw")
#: Temporal metrics both clips measure (heel strikes): compared, and taken from the front clip when the
#: side clip cannot measure them.
SHARED_TEMPORAL = ("stride_time_s", "step_time_s", "cadence_steps_min", "step_time_ratio_r_l", "step_time_asymmetry",
                   "step_time_si_pct", "stride_time_cv_pct")
FRONT_PREFIX = "front clip: "


def support_window(side: GaitAnalysis) -> tuple[tuple[float, float], float] | None:
    """Single-support window (% of the stride, from this side's heel strike) and toe off % measured on the
    side clip: initial double support = (stance − single support)/2, then single support. None when the
    side clip measured neither."""
    m = side.metrics
    vals = {}
    for name in ("stance_pct", "single_support_pct"):
        sel = m[(m.metric == name) & m.side.isin(["left", "right"]) & m.measurable.astype(bool)]
        if sel.empty:
            return None
        vals[name] = float(sel.value.mean())
    start = (vals["stance_pct"] - vals["single_support_pct"]) / 2.0
    return (round(start, 2), round(start + vals["single_support_pct"], 2)), round(vals["stance_pct"], 2)


def _agreement(side: pd.DataFrame, front: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for name in SHARED_TEMPORAL:
        for r in side[side.metric == name].itertuples():
            f = front[(front.metric == name) & ((front.side == r.side) | name.endswith("_asymmetry"))]
            if f.empty:
                continue
            f = f.iloc[0]
            both = bool(r.measurable) and bool(f.measurable)
            overlap = both and np.isfinite([r.ci_low, r.ci_high, f.ci_low, f.ci_high]).all() and \
                r.ci_low <= f.ci_high and f.ci_low <= r.ci_high
            rows.append({"metric": name, "side": r.side, "unit": r.unit,
                         "side_clip": r.value if r.measurable else None, "side_ci": [r.ci_low, r.ci_high],
                         "front_clip": f.value if f.measurable else None, "front_ci": [f.ci_low, f.ci_high],
                         "difference": float(f.value - r.value) if both else None,
                         "agree": bool(overlap) if both else None})
    return rows


def merge_metrics(side: pd.DataFrame, front: pd.DataFrame) -> pd.DataFrame:
    """Side clip's rows, with the frontal metrics from the front clip and the shared temporal metrics from
    the front clip where the side clip could not measure them (reason then says so)."""
    out = side.copy()
    for i, r in out.iterrows():
        f = front[(front.metric == r.metric) & (front.side == r.side)]
        if r.metric in FRONTAL_METRICS and len(f):
            out.loc[i] = f.iloc[0]
        elif r.metric in SHARED_TEMPORAL and not r.measurable and len(f) and bool(f.iloc[0].measurable):
            out.loc[i] = f.iloc[0]
            out.loc[i, "reason"] = f"from the front clip (side clip: {r.reason})"
    return out


def analyze_session(side=None, front=None, *, pipeline: str | Path | PipelineConfig | None = None,
                    side_keypoints=None, front_keypoints=None, side_pose=None, front_pose=None,
                    label: str | None = None, **kwargs) -> GaitAnalysis:
    """One analysis of a side clip and a front clip of the same session. ``side``/``front`` are video
    paths (or give ``*_keypoints`` files, or ``*_pose`` PoseSequences); ``kwargs`` go to :func:`analyze`
    for both clips (height, cache, progress...). The result's ``front`` holds the front clip's own analysis."""
    if (side is None and side_keypoints is None and side_pose is None) or \
            (front is None and front_keypoints is None and front_pose is None):
        raise ConfigError("A session needs a side-view clip and a front-view clip: gaitlab analyze side.mp4 front.mp4")
    cfg = pipeline if isinstance(pipeline, PipelineConfig) else load_pipeline(pipeline)
    kwargs.pop("view", None)
    a_side = analyze(side, pipeline=cfg, keypoints=side_keypoints, pose=side_pose, view="sagittal", **kwargs)
    win = support_window(a_side)
    cfg_front, phase, toe_off = cfg, "approximate", None
    if win is not None:
        (lo, hi), toe_off = win
        strides = dataclasses.replace(cfg.strides, approx_single_support_pct=(lo, hi),
                                      fppa_window_pct=(0.0, round(0.2 * toe_off, 2)))
        cfg_front, phase = dataclasses.replace(cfg, strides=strides), "from side clip"
    a_front = analyze(front, pipeline=cfg_front, keypoints=front_keypoints, pose=front_pose, view="frontal", **kwargs)
    if len(a_front.strides):
        a_front.strides["support_phase"] = np.where(a_front.strides.view == "sagittal",
                                                    a_front.strides.support_phase, phase)
    metrics = merge_metrics(a_side.metrics, a_front.metrics)
    flags = evaluate_flags(metrics, a_side.strides, a_side.gates, a_side.pose.fps, cfg, a_side.kinematics,
                           frontal_metrics=a_front.metrics, frontal_strides=a_front.strides,
                           frontal_gates=a_front.gates, frontal_prefix=FRONT_PREFIX)
    warnings = [*a_side.warnings, *(FRONT_PREFIX + w for w in a_front.warnings)]
    if win is None:
        warnings.append("The side clip gave no stance timing: frontal quantities use the approximate single-support "
                        f"window {cfg.strides.approx_single_support_pct} % of the stride.")
    agreement = _agreement(a_side.metrics, a_front.metrics)
    bad = [a for a in agreement if a["agree"] is False]
    if bad:
        warnings.append("Side and front clips disagree (confidence intervals do not overlap) on "
                        + ", ".join(f"{a['metric']} ({a['side']})" for a in bad) + ".")
    source = dict(a_side.source)
    if label:
        source["subject_label"] = label
    session = {
        "clips": {"side": a_side.source, "front": a_front.source},
        "single_support_window_pct": list(cfg_front.strides.approx_single_support_pct),
        "toe_off_pct": toe_off, "single_support_source": phase,
        "front_passes": [p.__dict__ for p in a_front.passes],
        "front_strides": {s: int((a_front.strides.side == s).sum()) for s in ("left", "right")},
        "front_quality_gates": [g.as_dict() for g in a_front.gates],
        "temporal_agreement": agreement,
    }
    return dataclasses.replace(a_side, source=source, metrics=metrics, flags=flags, warnings=list(dict.fromkeys(warnings)),
                               session=session, front=a_front)


def read_session_file(path: str | Path) -> dict[str, Any]:
    """A session TOML: ``side = "side.mp4"``, ``front = "front.mp4"`` (relative to the file), optional
    ``label``, ``height_cm``. Returns keyword arguments of :func:`analyze_session`."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Session file '{p}' does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Session file '{p}' is not valid TOML ({exc}).") from None
    known = {"side", "front", "label", "height_cm"}
    extra = sorted(set(raw) - known)
    if extra:
        raise ConfigError(f"Unknown key '{extra[0]}' in session file {p}; valid keys: {', '.join(sorted(known))}.")
    if "side" not in raw or "front" not in raw:
        raise ConfigError(f"Session file {p} needs side = \"side.mp4\" and front = \"front.mp4\".")
    out = {k: str(p.parent / raw[k]) for k in ("side", "front")}
    out.update({k: raw[k] for k in ("label", "height_cm") if k in raw})
    return out
