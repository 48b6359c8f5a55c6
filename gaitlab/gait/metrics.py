"""Summary metrics (``metrics.csv``, long form) from the stride table: means, variability and
left/right symmetry with confidence intervals (CLINICAL.md §4), normal ranges (§5), and *not
measurable* with the reason wherever the data cannot support a number. Pure.

Rows: ``metric, side, value, ci_low, ci_high, n, unit, normal_low, normal_high, measurable, reason``
(+ ``method``). ``side`` is ``left``/``right`` for one side, ``both`` for pooled strides, ``R/L``
for ratios and Robinson SI, ``L-R`` for angle differences; for ``*_asymmetry`` rows it names the
larger side. Minimum stride counts come from ``[metrics]``; a quality gate
(:mod:`gaitlab.gait.quality`) that fails makes the metrics of its groups not measurable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..pipeline import MetricsConfig
from .kinematics import FRONTAL_VIEWS, SIDES
from .quality import Gate, failed_reason
from .stats import cv_ci, diff_ci, mean_ci, ratio_ci

METRIC_COLUMNS: dict[str, tuple[str, str]] = {
    "metric": ("", "Name; the unit is in the name and in 'unit'. Definitions: strides.csv columns of the same stem."),
    "side": ("", "left, right, both (pooled), R/L (ratio, SI), L-R (angle difference); for *_asymmetry the larger side."),
    "value": ("unit", "Estimate (mean of strides unless the metric says otherwise); empty when not measurable."),
    "ci_low": ("unit", "Lower bound of the confidence interval (level in analysis.json: metrics.ci_level)."),
    "ci_high": ("unit", "Upper bound of the confidence interval."),
    "n": ("strides", "Strides used (two-sided metrics: the smaller side's count)."),
    "unit": ("", "Unit of value, ci_low, ci_high, normal_low, normal_high."),
    "method": ("", "Interval: t (Student/Welch; delta method for ratios), bootstrap (seeded by the input's content hash) or empty."),
    "normal_low": ("unit", "Lower edge of the adult normal range (CLINICAL.md §5), empty where none is published."),
    "normal_high": ("unit", "Upper edge of the adult normal range."),
    "measurable": ("", "False when the data cannot support the value; see reason."),
    "reason": ("", "Why the metric is not measurable (or a caveat)."),
}


@dataclass(frozen=True)
class _Spec:
    column: str  # strides.csv column
    unit: str
    normal: tuple[float, float]  # adult normal range, NaN = none (CLINICAL.md §5)
    kind: str  # temporal | length | sagittal | frontal
    vertical: bool = False  # measured against the vertical (camera roll matters)


_NAN2 = (float("nan"), float("nan"))
#: Per-side mean metrics. Normal ranges: CLINICAL.md §5 (Perry & Burnfield; Kadaba 1989; Winter).
SPECS: tuple[_Spec, ...] = (
    _Spec("stride_time_s", "s", _NAN2, "temporal"),
    _Spec("step_time_s", "s", _NAN2, "temporal"),
    _Spec("cadence_steps_min", "steps/min", (100.0, 120.0), "temporal"),
    _Spec("stance_time_s", "s", _NAN2, "stance"),
    _Spec("swing_time_s", "s", _NAN2, "stance"),
    _Spec("stance_pct", "%", (57.0, 65.0), "stance"),
    _Spec("swing_pct", "%", (35.0, 43.0), "stance"),
    _Spec("double_support_pct", "%", (20.0, 25.0), "stance"),
    _Spec("single_support_pct", "%", (35.0, 43.0), "stance"),
    _Spec("step_length_ll", "leg lengths", _NAN2, "length"),
    _Spec("stride_length_ll", "leg lengths", _NAN2, "length"),
    _Spec("speed_ll_s", "leg lengths/s", _NAN2, "length"),
    _Spec("step_length_m", "m", _NAN2, "metres"),
    _Spec("stride_length_m", "m", _NAN2, "metres"),
    _Spec("speed_m_s", "m/s", _NAN2, "metres"),
    # 2D side view reads ≈ 5° below the 3D 60–70° (CLINICAL §5)
    _Spec("knee_flex_swing_peak_deg", "deg", (55.0, 65.0), "sagittal"),
    _Spec("knee_flex_loading_deg", "deg", (15.0, 20.0), "sagittal"),
    _Spec("peak_thigh_ext_deg", "deg", (10.0, 20.0), "sagittal", vertical=True),
    _Spec("peak_swing_thigh_deg", "deg", _NAN2, "sagittal", vertical=True),
    _Spec("ankle_late_swing_deg", "deg", _NAN2, "sagittal"),
    _Spec("ankle_peak_df_stance_deg", "deg", (10.0, 13.0), "sagittal"),
    _Spec("pelvic_drop_deg", "deg", (0.0, 6.0), "frontal"),
    _Spec("swing_hip_hiking_deg", "deg", _NAN2, "frontal"),
    _Spec("lateral_trunk_lean_deg", "deg", (0.0, 5.0), "frontal", vertical=True),
    _Spec("knee_fppa_deg", "deg", _NAN2, "frontal"),
    _Spec("swing_foot_excursion_hw", "hip widths", _NAN2, "frontal"),
)
#: Pelvic obliquity excursions: MediaPipe's hip landmarks were measured not to follow true pelvic
#: obliquity on rendered front views (true ±10° → slope ≤ 0.06, issue 5 §6), so these are *not
#: measurable* unless the pipeline says otherwise (``[metrics] pelvic_from_landmarks``).
PELVIC = ("pelvic_drop_deg", "swing_hip_hiking_deg")
PELVIC_REASON = ("pose landmarks do not follow pelvic obliquity (hips moved ≤ 6 % of a true ±10° tilt on rendered "
                 "front views); an image-based measure is not validated yet")
#: Pooled (side = both) metrics.
BOTH = ("cadence_steps_min", "speed_ll_s", "speed_m_s", "trunk_inclination_deg")
_BOTH_NORMAL = {"cadence_steps_min": (100.0, 120.0), "trunk_inclination_deg": (-5.0, 5.0)}
_BOTH_UNIT = {"cadence_steps_min": "steps/min", "speed_ll_s": "leg lengths/s", "speed_m_s": "m/s",
              "trunk_inclination_deg": "deg"}
#: Left/right symmetry of ratio-scale quantities (Patterson et al. 2008: 0.90–1.10).
RATIOS = ("stance_time_s", "swing_time_s", "step_time_s", "step_length_ll")
#: Left − right differences of angles (near-leg strides of each side).
DIFFS = ("knee_flex_swing_peak_deg", "knee_flex_loading_deg", "peak_thigh_ext_deg", "ankle_late_swing_deg")


def _stem(col: str) -> str:
    for suffix in ("_s", "_ll", "_deg", "_pct", "_hw", "_m"):
        if col.endswith(suffix):
            return col[: -len(suffix)]
    return col


class _Table:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, metric, side, est, unit, normal=_NAN2, reason=""):
        """``est``: a stats Estimate, or None for not measurable with ``reason``."""
        ok = est is not None and est.measurable and not reason
        why = reason or ("" if est is None else est.reason)
        self.rows.append({
            "metric": metric, "side": side,
            "value": est.value if ok else np.nan,
            "ci_low": est.ci_low if ok else np.nan, "ci_high": est.ci_high if ok else np.nan,
            "n": int(est.n) if est is not None else 0, "unit": unit, "method": est.method if ok else "",
            "normal_low": normal[0], "normal_high": normal[1], "measurable": bool(ok), "reason": why,
        })


def _reason(view_reason: str, gate_reason: str, strides: pd.DataFrame) -> str:
    """Why a metric is not measurable: a failed gate explains an empty clip best; otherwise the view does."""
    return (gate_reason or view_reason) if strides.empty else (view_reason or gate_reason)


def _view_reason(spec_kind: str, strides: pd.DataFrame, side: str, height_cm) -> str:
    if strides.empty:
        return "no strides: the clip has no usable walking pass with complete steps (see passes.csv and the warnings)"
    sag = strides[strides.view == "sagittal"]
    if spec_kind in ("stance", "length", "metres", "sagittal") and sag.empty:
        if strides.view.isin(FRONTAL_VIEWS).any():
            return "not measurable from a front view (heel strikes only): add a side-view clip"
        return "no side-view strides"
    if spec_kind == "metres" and not height_cm:
        return "give the walker's height (--height-cm) for metres"
    if spec_kind in ("length", "metres") and sag.treadmill.eq(True).all() and not sag[
            ["speed_m_s", "speed_ll_s"]].notna().any().any():
        return "on a treadmill the hips do not travel: give --belt-speed (and --height-cm for leg lengths)"
    if spec_kind == "frontal" and not strides.view.isin(FRONTAL_VIEWS).any():
        return "needs a front or back view"
    if spec_kind == "sagittal" and not (sag.leg == "near")[sag.side == side].any():
        return (f"the {side} leg was never the near leg of a side-view pass: film passes in both directions")
    return ""


def _groups(kind: str, side: str, vertical: bool) -> tuple[str, ...]:
    if kind in ("sagittal", "frontal"):
        g = ("angles", f"sagittal:{side}") if kind == "sagittal" else ("angles",)
        return g + (("vertical",) if vertical else ())
    return ("temporal", f"temporal:{side}") if side in SIDES else ("temporal", "temporal:left", "temporal:right")


#: Metrics computed from steps.csv (every heel strike with a preceding contralateral one), not strides.
STEP_METRICS = ("step_time_s", "step_length_ll", "step_length_m")


def _values(strides: pd.DataFrame, side: str, spec: _Spec) -> np.ndarray:
    s = strides[strides.side == side] if side in SIDES else strides
    if spec.kind == "sagittal":
        s = s[(s.view == "sagittal") & (s.leg == "near")]
    return s[spec.column].to_numpy(dtype=float)


def compute_metrics(strides: pd.DataFrame, gates: list[Gate], cfg: MetricsConfig, *, seed: int, fps: float,
                    height_cm: float | None = None, steps: pd.DataFrame | None = None,
                    pelvic_reason: str | None = None) -> pd.DataFrame:
    """The metrics table (columns of :data:`METRIC_COLUMNS`). Step time and step length come from
    ``steps`` (:func:`gaitlab.gait.spatiotemporal.compute_steps`) when given, else from the stride rows.
    ``pelvic_reason``: None = obliquity from the hip landmarks (see :data:`PELVIC`); "" = measured in the
    image and accepted; else why the image estimate was rejected."""
    def source(col: str) -> pd.DataFrame:
        return steps if steps is not None and col in STEP_METRICS else strides

    t = _Table()
    boot = {"level": cfg.ci_level, "n_boot": cfg.n_bootstrap, "seed": seed, "bootstrap_min_n": cfg.bootstrap_min_n}
    if strides.empty:
        strides = strides.assign(view=pd.Series(dtype=object))
    for spec in SPECS:
        min_n = cfg.min_strides_angles if spec.kind in ("sagittal", "frontal") else cfg.min_strides_mean
        for side in SIDES:
            reason = _reason(_view_reason(spec.kind, strides, side, height_cm),
                             failed_reason(gates, _groups(spec.kind, side, spec.vertical)), strides)
            if spec.column in PELVIC and not reason:
                if pelvic_reason is None:  # no image estimate: landmarks only
                    reason = "" if cfg.pelvic_from_landmarks else PELVIC_REASON
                else:
                    reason = pelvic_reason
            est = mean_ci(_values(source(spec.column), side, spec), level=cfg.ci_level, min_n=min_n)
            t.add(spec.column, side, est, spec.unit, spec.normal, reason)
    for col in BOTH:
        spec = _Spec(col, _BOTH_UNIT[col], _BOTH_NORMAL.get(col, _NAN2),
                     "metres" if col.endswith("_m_s") else "length" if col.endswith("_ll_s") else
                     "trunk" if col.startswith("trunk") else "temporal", vertical=col.startswith("trunk"))
        sel = strides[strides.view == "sagittal"] if spec.kind in ("trunk", "length", "metres") else strides
        reason = _view_reason(spec.kind, strides, "both", height_cm) if spec.kind != "trunk" else (
            "" if len(sel) else "no side-view strides")
        groups = ("angles", "vertical") if spec.kind == "trunk" else _groups(spec.kind, "both", False)
        reason = _reason(reason, failed_reason(gates, groups), strides)
        t.add(col, "both", mean_ci(sel[col].to_numpy(dtype=float), level=cfg.ci_level, min_n=cfg.min_strides_mean),
              spec.unit, spec.normal, reason)
    steady = strides[strides.steady.astype(bool)] if len(strides) else strides
    t.add("stride_time_cv_pct", "both",
          cv_ci(steady.stride_time_s.to_numpy(dtype=float), level=cfg.ci_level, n_boot=cfg.n_bootstrap, seed=seed,
                min_n=cfg.min_strides_cv),
          "%", (0.0, 3.0), _reason(_view_reason("temporal", strides, "both", height_cm),
                                   failed_reason(gates, _groups("temporal", "both", False)), strides))
    for col in RATIOS:
        kind = "length" if col.endswith("_ll") else "stance" if col.startswith(("stance", "swing")) else "temporal"
        reason = _reason(_view_reason(kind, strides, "both", height_cm),
                         failed_reason(gates, _groups(kind, "both", False)), strides)
        src = source(col)
        r = src.loc[src.side == "right", col].to_numpy(dtype=float)
        left = src.loc[src.side == "left", col].to_numpy(dtype=float)
        sym = ratio_ci(r, left, min_n=cfg.min_strides_symmetry, **boot)
        stem = _stem(col)
        t.add(f"{stem}_ratio_r_l", "R/L", sym.ratio, "ratio", (0.90, 1.10), reason)
        t.add(f"{stem}_asymmetry", sym.larger_side or "both", sym.asymmetry, "ratio", (1.0, 1.10), reason)
        t.add(f"{stem}_si_pct", "R/L", sym.robinson_si_pct, "%", _NAN2, reason)
    for col in DIFFS:
        spec = next(s for s in SPECS if s.column == col)
        near = strides[(strides.view == "sagittal") & (strides.leg == "near")]
        reason = _reason(next((r for r in (_view_reason("sagittal", strides, s, height_cm) for s in SIDES) if r), ""),
                         failed_reason(gates, _groups("sagittal", "left", spec.vertical)
                                       + _groups("sagittal", "right", spec.vertical)), strides)
        d = diff_ci(near.loc[near.side == "left", col], near.loc[near.side == "right", col],
                    min_n=cfg.min_strides_angles, **boot)
        t.add(f"{_stem(col)}_diff_l_r_deg", "L-R", d.diff, "deg", _NAN2, reason)
    noise = 1.0 / fps if fps and np.isfinite(fps) else np.nan
    t.rows.append({"metric": "event_timing_noise_floor_s", "side": "both", "value": noise, "ci_low": np.nan,
                   "ci_high": np.nan, "n": 0, "unit": "s", "method": "", "normal_low": np.nan, "normal_high": np.nan,
                   "measurable": bool(np.isfinite(noise)),
                   "reason": "one frame interval: the timing resolution of every event"})
    return pd.DataFrame(t.rows, columns=list(METRIC_COLUMNS))
