"""Per-stride reading rules added after the protocol sweep: the loading-response knee flexion is the knee's
*first* flexion peak (not a later pose-model artefact), outlying per-stride angle values are emptied and named
(tracking failures, not gait), and sagittal angles come only from strides near the camera's optical axis
(CLINICAL §7). Pure functions on small tables, plus one gait-model walk seen by a wide camera."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from gaitlab.analysis import analyze
from gaitlab.gait.spatiotemporal import _consistent_steps, exclude_angle_outliers, first_peak
from gaitlab.pipeline import load_pipeline
from gaitlab.validate.sweep import ClipSpec, simulate_clip

CFG = load_pipeline()

# Mean knee-flexion curves (deg, 4 % steps of the stride) measured through MediaPipe on rendered walkers
# (knee_guarding_left_marked_x1.5_side, 2026-12-02): a guarded knee (2.2° true) and the normal other knee.
GUARDED = np.array([2.1, 2.5, 1.4, -1.3, -3.4, -1.0, 6.5, 12.5])
NORMAL = np.array([4.4, 8.3, 13.5, 16.3, 13.6, 10.7, 14.0, 17.3])


def test_first_peak_is_the_knee_own_not_the_later_artefact():
    assert GUARDED[first_peak(GUARDED, 2.0)] == 2.5  # the largest value (12.5) is the artefact
    assert NORMAL[first_peak(NORMAL, 2.0)] == 16.3


def test_first_peak_needs_the_drop_and_falls_back_to_the_largest_value():
    rising = np.array([1.0, 3.0, 6.0, 9.0, 12.0])
    assert first_peak(rising, 2.0) == 4
    small_bump = np.array([5.0, 6.0, 5.5, 9.0, 15.0, 12.0])  # 0.5° dip: noise, not the peak
    assert first_peak(small_bump, 2.0) == 4
    assert first_peak(small_bump, 0.4) == 1
    with_gap = np.array([np.nan, 4.0, 10.0, 7.0, -np.inf])
    assert first_peak(with_gap, 2.0) == 2


def _strides(values, view="sagittal", leg="near", col="knee_flex_loading_deg"):
    return pd.DataFrame({"view": view, "side": "right", "leg": leg, col: values,
                         "knee_flex_swing_peak_deg": 60.0 + np.arange(len(values)) * 0.5})


def test_an_outlying_stride_value_is_emptied_and_named():
    df = _strides([12.2, 7.1, 9.5, 15.1, 11.7, 57.9, 10.4])  # rendered clip: one mistimed stride
    exclude_angle_outliers(df, CFG.strides)
    assert np.isnan(df.knee_flex_loading_deg[5]) and df.excluded_angles[5] == "knee_flex_loading_deg"
    assert df.knee_flex_loading_deg.drop(5).notna().all() and (df.excluded_angles.drop(5) == "").all()
    assert df.knee_flex_swing_peak_deg.notna().all()  # other columns keep their values


def test_spread_values_few_strides_and_far_legs_are_left_alone():
    spread = _strides([2.0, 9.0, 16.0, 23.0, 30.0, 37.0])  # wide but no single outlier
    exclude_angle_outliers(spread, CFG.strides)
    assert spread.knee_flex_loading_deg.notna().all()
    few = _strides([12.0, 11.0, 13.0, 60.0])  # < outlier_min_strides values: no robust median
    exclude_angle_outliers(few, CFG.strides)
    assert few.knee_flex_loading_deg.notna().all()
    frontal = _strides([6.0, 5.5, 7.0, 6.5, 5.0, 40.0], view="frontal_toward", leg="", col="pelvic_drop_deg")
    exclude_angle_outliers(frontal, CFG.strides)
    assert np.isnan(frontal.pelvic_drop_deg[5]) and frontal.excluded_angles[5] == "pelvic_drop_deg"


def test_a_changed_limit_changes_the_outcome():
    strict = dataclasses.replace(CFG.strides, outlier_min_deg=3.0)
    df = _strides([12.0, 11.0, 13.0, 12.5, 11.5, 17.0])
    exclude_angle_outliers(df, CFG.strides)
    assert df.knee_flex_loading_deg.notna().all()
    exclude_angle_outliers(df, strict)
    assert np.isnan(df.knee_flex_loading_deg[5])


def _protocol_walk(limit_deg: float):
    """A gait-model walk of the recording protocol (8 m walkway, camera 5 m away, 70° lens: ±35° in view)."""
    spec = ClipSpec("t", "side", seed=3, seconds=36.0, distance_m=5.0,
                    walk={"walkway_m": 8.0, "turns": 3, "hfov_deg": 70.0})
    walk, cam = simulate_clip(spec)
    cfg = dataclasses.replace(CFG, strides=dataclasses.replace(CFG.strides, sagittal_max_view_angle_deg=limit_deg))
    return analyze(pose=walk.project(cam), pipeline=cfg)


def test_sagittal_angles_only_from_strides_near_the_optical_axis():
    wide, narrow = _protocol_walk(90.0), _protocol_walk(15.0)
    for a in (wide, narrow):
        assert a.strides.view_angle_deg.between(0.0, 36.0).any()
    near = lambda a: a.strides[(a.strides.view == "sagittal") & (a.strides.leg == "near")]  # noqa: E731
    w, n = near(wide), near(narrow)
    assert w.knee_flex_swing_peak_deg.notna().all() and (w.view_angle_deg > 15.0).any()
    outside, inside = n[n.view_angle_deg > 15.0], n[n.view_angle_deg <= 15.0]
    assert len(outside) and len(inside)
    assert outside.knee_flex_loading_deg.isna().all() and outside.peak_thigh_ext_deg.isna().all()
    assert inside.knee_flex_swing_peak_deg.notna().all()
    assert outside.stride_time_s.notna().all() and len(n) == len(w)  # the strides and their timing are kept
    m = lambda a: a.metrics.set_index(["metric", "side"]).loc[("knee_flex_swing_peak_deg", "left"), "n"]  # noqa: E731
    assert m(narrow) < m(wide)


def test_long_steps_of_an_asymmetric_walker_are_kept_and_mixed_up_ones_dropped():
    steps = [{"side": s, "step_time_s": t} for s, t in
             [("left", 0.47), ("right", 0.68), ("left", 0.48), ("right", 0.70), ("left", 0.46), ("right", 0.66),
              ("left", 0.47), ("right", 0.14)]]  # a 1.45 × asymmetry and one mixed-up 0.14 s "step"
    kept = _consistent_steps(steps, CFG.strides.max_stride_deviation)
    assert [x["step_time_s"] for x in kept if x["side"] == "right"] == [0.68, 0.70, 0.66]
    assert len([x for x in kept if x["side"] == "left"]) == 4
    few = [{"side": "left", "step_time_s": 0.5}, {"side": "right", "step_time_s": 0.52},
           {"side": "left", "step_time_s": 0.51}, {"side": "right", "step_time_s": 0.2}]
    assert [x["step_time_s"] for x in _consistent_steps(few, 0.35)] == [0.5, 0.52, 0.51]  # pooled median
