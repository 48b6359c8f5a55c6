"""Shared pieces of the flag rules: the output row, the CI decision (CLINICAL §4) and stride evidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Column → (unit, definition) of ``flags.csv`` (the data dictionary reads it).
FLAG_COLUMNS: dict[str, tuple[str, str]] = {
    "flag_id": ("", "Pattern identifier (CLINICAL.md §6), e.g. antalgic_stance, knee_guarding."),
    "name": ("", "Human-readable name of the pattern."),
    "side": ("", "Subject's side the pattern is on: left, right, or both (whole-body or two-sided metrics)."),
    "status": ("", "flagged, not_flagged, or not_assessable (see reason)."),
    "severity": ("", "possible or marked when flagged (the confidence interval lies past that threshold); empty otherwise."),
    "metric": ("", "metrics.csv metric the decision used (same name, same value)."),
    "value": ("unit", "Value of that metric (empty when not assessable)."),
    "ci_low": ("unit", "Lower bound of its confidence interval."),
    "ci_high": ("unit", "Upper bound of its confidence interval."),
    "n": ("strides", "Strides behind the value (two-sided metrics: the smaller side's count)."),
    "unit": ("", "Unit of value, CI, thresholds and normal range."),
    "threshold_possible": ("unit", "Threshold for 'possible' (pipeline [flags]; frame-rate dependent for temporal flags)."),
    "threshold_marked": ("unit", "Threshold for 'marked'."),
    "normal_low": ("unit", "Lower edge of the adult normal range of the metric (CLINICAL.md §5), empty where none."),
    "normal_high": ("unit", "Upper edge of the adult normal range."),
    "mechanisms": ("", "Mechanism chains of CLINICAL.md §1 the pattern is described with, e.g. M1;M2."),
    "explanation": ("", "Plain-language explanation for a physiotherapist (what was measured, against what)."),
    "evidence_strides": ("", "Strides behind the decision, worst first: 'pass P side stride K; ...' (a session prefixes the clip)."),
    "evidence_frames": ("frame", "Decoded frame ranges of those strides, 'first-last;...'."),
    "key_frame": ("frame", "Decoded frame of the worst stride's relevant moment (-1 when none)."),
    "clip": ("", "Video that evidence_frames and key_frame index: side or front in a two-clip session; empty for one clip."),
    "reason": ("", "Why the flag is not assessable; empty otherwise."),
}

#: The mechanism chains of CLINICAL.md §1 (title, explanation), worded as associations described in clinical
#: literature (the report shows them beside each flag).
MECHANISMS = {
    "M1": ("Knee pain → protective compensation → pelvic imbalance → piriformis strain",
           "Clinical literature describes people who protect a painful knee with a shorter or lighter stance on "
           "that side, less knee bend while loading it and weight shifted to the other leg; the uneven load is "
           "described as travelling up to the pelvis, which may tilt or drop, with the deep hip rotators "
           "(piriformis among them) working harder and possibly irritating the sciatic nerve."),
    "M2": ("Compensation → lumbar stress",
           "Patterns of this kind are described as associated with extra rotation and load in the lower back "
           "(sideways or forward trunk lean, hip extension made up by the lumbar spine), which over time may "
           "stress discs and irritate the L4–S3 nerve roots."),
    "M3": ("Lumbar stenosis posture",
           "Walking with the trunk bent forward, slower and with shorter steps, is described in clinical "
           "literature as associated with lumbar spinal stenosis (leaning forward can relieve it)."),
    "M4": ("Nerve involvement → changed gait",
           "Irritation of the sciatic nerve or its peroneal branch is described as associated with weaker "
           "control around the knee and ankle: the foot is lifted less late in swing (foot drop), sometimes "
           "with a high stepping compensation (steppage), and stride timing may become irregular."),
}
SEVERITY_ORDER = {"marked": 0, "possible": 1, "": 2}
STATUS_ORDER = {"flagged": 0, "not_flagged": 1, "not_assessable": 2}
#: Evidence lists at most this many strides (worst first).
MAX_EVIDENCE = 5


@dataclass
class Flag:
    flag_id: str
    name: str
    side: str
    mechanisms: str
    status: str = "not_assessable"
    severity: str = ""
    metric: str = ""
    value: float = np.nan
    ci_low: float = np.nan
    ci_high: float = np.nan
    n: int = 0
    unit: str = ""
    threshold_possible: float = np.nan
    threshold_marked: float = np.nan
    normal_low: float = np.nan
    normal_high: float = np.nan
    explanation: str = ""
    evidence_strides: str = ""
    evidence_frames: str = ""
    key_frame: int = -1
    clip: str = ""
    reason: str = ""

    def row(self) -> dict:
        return {c: getattr(self, c) for c in FLAG_COLUMNS}


def metric_row(metrics: pd.DataFrame, name: str, side: str | None = None) -> pd.Series | None:
    """The metrics.csv row of ``name`` (and ``side`` when given; asymmetry rows name the larger side)."""
    sel = metrics[metrics.metric == name]
    if side is not None:
        sel = sel[sel.side == side]
    return None if sel.empty else sel.iloc[0]


def decide(row: pd.Series | None, thresholds: tuple[float, float], direction: str) -> tuple[str, str, str]:
    """(status, severity, reason) from a metric row: ``direction`` "above" fires when ci_low > threshold,
    "below" when ci_high < threshold (the CI excludes the threshold, CLINICAL §4)."""
    if row is None:
        return "not_assessable", "", "the metric was not computed"
    if not bool(row.measurable):
        return "not_assessable", "", str(row.reason) or "not measurable"
    lo, hi = float(row.ci_low), float(row.ci_high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not_assessable", "", "no confidence interval (too few strides)"
    bound = lo if direction == "above" else hi
    past = (lambda t: bound > t) if direction == "above" else (lambda t: bound < t)
    possible, marked = thresholds
    if past(marked):
        return "flagged", "marked", ""
    if past(possible):
        return "flagged", "possible", ""
    return "not_flagged", "", ""


def fill(flag: Flag, row: pd.Series | None, thresholds, direction: str) -> Flag:
    """Decide ``flag`` on ``row`` and copy the metric's numbers into it."""
    status, severity, reason = decide(row, thresholds, direction)
    flag.status, flag.severity, flag.reason = status, severity, reason
    flag.threshold_possible, flag.threshold_marked = float(thresholds[0]), float(thresholds[1])
    if row is not None:
        flag.metric, flag.unit, flag.n = str(row.metric), str(row.unit), int(row.n)
        flag.normal_low, flag.normal_high = float(row.normal_low), float(row.normal_high)
        if status != "not_assessable":
            flag.value, flag.ci_low, flag.ci_high = float(row.value), float(row.ci_low), float(row.ci_high)
    return flag


def stride_frame(s: pd.Series, t: float) -> int:
    """Decoded frame at time ``t`` inside stride ``s`` (linear between its first and last heel-strike frames)."""
    f0, f1, t0, t1 = (float(s.get(k, np.nan)) for k in ("first_frame", "last_frame", "hs_time_s", "next_hs_time_s"))
    if not np.isfinite(f0):
        return -1
    if not (np.isfinite(t) and np.isfinite(f1) and np.isfinite(t1) and t1 > t0):
        return int(f0)
    return int(round(f0 + (f1 - f0) * min(max((t - t0) / (t1 - t0), 0.0), 1.0)))


def evidence(flag: Flag, strides: pd.DataFrame, column: str | None, worst: str, moment_pct: float | str = 0.0,
             prefix: str = "") -> Flag:
    """Fill the evidence of ``flag`` from ``strides`` (already selected): worst first by ``column``
    ("max"/"min"), the key frame at ``moment_pct`` of the worst stride's cycle (a number, or the name of
    a stride column holding it, e.g. ``stance_pct`` for toe off)."""
    if strides.empty:
        return flag
    s = strides
    if column is not None and column in s and s[column].notna().any():
        s = s[s[column].notna()].sort_values(column, ascending=(worst == "min"))
    s = s.head(MAX_EVIDENCE)
    flag.evidence_strides = "; ".join(
        f"{prefix}pass {int(r.pass_id)} {r.side} stride {int(r.stride)}" for r in s.itertuples())
    flag.evidence_frames = ";".join(
        f"{int(r.first_frame)}-{int(r.last_frame)}" for r in s.itertuples()
        if np.isfinite(r.first_frame) and np.isfinite(r.last_frame))
    w = s.iloc[0]
    pct = float(w[moment_pct]) if isinstance(moment_pct, str) else moment_pct
    flag.key_frame = stride_frame(w, float(w.hs_time_s) + (pct if np.isfinite(pct) else 0.0) / 100.0
                                  * float(w.stride_time_s))
    return flag


def fmt(x: float, unit: str) -> str:
    if not np.isfinite(x):
        return "—"
    u = "°" if unit == "deg" else "" if unit == "ratio" else f" {unit}"
    return f"{x:.2f}{u}" if unit in ("ratio", "hip widths") else f"{x:.1f}{u}"


def ci_text(flag: Flag) -> str:
    return (f"{fmt(flag.value, flag.unit)} (95 % CI {fmt(flag.ci_low, flag.unit)} to {fmt(flag.ci_high, flag.unit)}, "
            f"n = {flag.n} strides)")


def describe(flag: Flag, what: str, association: str, direction: str) -> Flag:
    """Plain-language explanation: what was measured, the decision against the thresholds, the association."""
    if flag.status == "not_assessable":
        flag.explanation = f"{what}: not assessable — {flag.reason}."
        return flag
    word = "above" if direction == "above" else "below"
    thr = f"{fmt(flag.threshold_possible, flag.unit)} (possible) / {fmt(flag.threshold_marked, flag.unit)} (marked)"
    if flag.status == "flagged":
        verdict = (f"the whole confidence interval lies {word} the {flag.severity} threshold ({thr}); "
                   f"patterns described in clinical literature as associated with {association}")
    else:
        verdict = f"the confidence interval does not lie entirely {word} the screening threshold ({thr})"
    flag.explanation = f"{what}: {ci_text(flag)}; {verdict}."
    return flag
