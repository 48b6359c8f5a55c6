"""Summary metrics: minimum stride counts, symmetry, views, quality gates and their reasons."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from gaitlab.gait.metrics import METRIC_COLUMNS, compute_metrics
from gaitlab.gait.quality import Gate, evaluate_gates, failed_reason, gate_warnings
from gaitlab.gait.spatiotemporal import STRIDE_COLUMNS
from gaitlab.model import LM, Pass
from gaitlab.pipeline import load_pipeline

CFG = load_pipeline()


def _strides(n_per_side=12, *, stance_l=0.66, stance_r=0.60, view="sagittal", seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for side, stance in (("left", stance_l), ("right", stance_r)):
        for i in range(n_per_side):
            stride = 1.1 + rng.normal(0, 0.02)
            st = stance + rng.normal(0, 0.01)
            row = {c: np.nan for c in STRIDE_COLUMNS}
            row.update(pass_id=1 + i // 6, view=view, side=side, leg="near" if side == "right" else "far",
                       stride=i % 6, steady=0 < i % 6 < 5, treadmill=False, stride_time_s=stride, step_time_s=stride / 2,
                       cadence_steps_min=120 / stride, trunk_inclination_deg=2.0)
            if view == "sagittal":
                row.update(stance_time_s=st, swing_time_s=stride - st, stance_pct=100 * st / stride,
                           step_length_ll=0.8, speed_ll_s=1.5, knee_flex_swing_peak_deg=60 + rng.normal(0, 2))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(STRIDE_COLUMNS))


def _metric(m, name, side):
    return m[(m.metric == name) & (m.side == side)].iloc[0]


def test_antalgic_left_is_recovered_with_its_interval():
    m = compute_metrics(_strides(), [], CFG.metrics, seed=1, fps=60.0)
    assert list(m.columns) == list(METRIC_COLUMNS)
    r = _metric(m, "stance_time_ratio_r_l", "R/L")
    assert r.measurable and r.ci_low < 0.60 / 0.66 < r.ci_high and r.ci_high < 1.0
    a = m[m.metric == "stance_time_asymmetry"].iloc[0]
    assert a.side == "left" and a.value == pytest.approx(1.1, abs=0.02)
    si = _metric(m, "stance_time_si_pct", "R/L")
    assert si.value == pytest.approx(100 * (0.60 - 0.66) / 0.63, abs=1.0)
    cv = _metric(m, "stride_time_cv_pct", "both")
    assert cv.measurable and 0.5 < cv.value < 4.0 and cv.n == 16  # 4 steady strides per pass and side


def test_same_input_same_intervals_and_seed_matters():
    s = _strides()
    a = compute_metrics(s, [], CFG.metrics, seed=7, fps=30.0)
    b = compute_metrics(s, [], CFG.metrics, seed=7, fps=30.0)
    pd.testing.assert_frame_equal(a, b)


def test_too_few_strides_are_not_measurable_with_the_count():
    m = compute_metrics(_strides(n_per_side=3), [], CFG.metrics, seed=1, fps=30.0)
    r = _metric(m, "stance_time_ratio_r_l", "R/L")
    assert not r.measurable and np.isnan(r.value) and "5" in r.reason
    assert not _metric(m, "stride_time_cv_pct", "both").measurable
    assert _metric(m, "stance_pct", "left").measurable  # a mean needs only 2


def test_far_leg_angles_and_front_views_and_metres_say_why():
    m = compute_metrics(_strides(), [], CFG.metrics, seed=1, fps=30.0)
    assert _metric(m, "knee_flex_swing_peak_deg", "right").measurable
    left = _metric(m, "knee_flex_swing_peak_deg", "left")
    assert not left.measurable and "near leg" in left.reason
    assert "--height-cm" in _metric(m, "step_length_m", "left").reason
    assert "front or back view" in _metric(m, "pelvic_drop_deg", "left").reason
    f = compute_metrics(_strides(view="frontal_toward"), [], CFG.metrics, seed=1, fps=30.0)
    st = _metric(f, "stance_pct", "left")
    assert not st.measurable and "front view" in st.reason
    assert _metric(f, "step_time_ratio_r_l", "R/L").measurable
    assert _metric(m, "event_timing_noise_floor_s", "both").value == pytest.approx(1 / 30)


def test_a_failed_gate_makes_its_metrics_not_measurable():
    gate = Gate("frame_rate", False, 15.0, 24.0, ("temporal",), "the frame rate (15 fps) is below 24 fps")
    m = compute_metrics(_strides(), [gate], CFG.metrics, seed=1, fps=15.0)
    for name, side in (("stance_pct", "left"), ("cadence_steps_min", "both"), ("stance_time_ratio_r_l", "R/L")):
        row = _metric(m, name, side)
        assert not row.measurable and "15 fps" in row.reason
    assert _metric(m, "knee_flex_swing_peak_deg", "right").measurable  # angles are not temporal


def _gate_scene(fps=30.0, visibility_left=1.0, tilt_px=0.0):
    n = 90
    lm = np.zeros((n, 33, 4))
    lm[..., 3] = 1.0
    for s, dx in (("left", 0.0), ("right", 5.0)):
        lm[:, LM[f"{s}_shoulder"], :2] = [dx, 100]
        lm[:, LM[f"{s}_hip"], :2] = [dx, 300]
        lm[:, LM[f"{s}_knee"], :2] = [dx + tilt_px, 470]
        lm[:, LM[f"{s}_ankle"], :2] = [dx, 640]
        lm[:, LM[f"{s}_heel"], :2] = [dx - 10, 660]
        lm[:, LM[f"{s}_foot_index"], :2] = [dx + 40, 660]
    lm[:, [LM[f"left_{p}"] for p in ("hip", "knee", "ankle", "heel", "foot_index")], 3] = visibility_left
    p = Pass(pass_id=1, start=0, end=n, start_s=0, end_s=n / fps, direction="right", facing="right",
             view="sagittal", near_side="left")
    return lm, [p]


def test_gates_pass_on_a_good_recording_and_fail_with_reasons():
    lm, passes = _gate_scene()
    gates = evaluate_gates(lm, passes, 30.0, 1.0, CFG.quality)
    assert all(g.passed for g in gates), [g for g in gates if not g.passed]
    assert {g.name for g in gates} >= {"frame_rate", "tracking_coverage", "walker_height", "camera_roll",
                                       "thigh_trunk_ratio", "event_visibility_left", "angle_visibility_left"}
    assert any("50 fps" in w for w in gate_warnings(gates, 30.0, CFG.quality))
    lm, passes = _gate_scene(visibility_left=0.4)
    gates = evaluate_gates(lm, passes, 20.0, 12.0, CFG.quality)
    failed = {g.name for g in gates if not g.passed}
    assert failed == {"frame_rate", "camera_roll", "angle_visibility_left"}
    assert "left leg" in failed_reason(gates, ("sagittal:left",))
    assert failed_reason(gates, ("sagittal:right",)) == ""
    lm[:, :, 1] *= 0.2  # a walker 130 px tall
    gates = evaluate_gates(lm, passes, 30.0, 0.0, CFG.quality)
    assert "px tall" in failed_reason(gates, ("angles",))


def test_pelvic_drop_is_not_measurable_from_landmarks_unless_asked():
    s = _strides(view="frontal_toward").assign(pelvic_drop_deg=3.0, knee_fppa_deg=4.0)
    m = compute_metrics(s, [], CFG.metrics, seed=1, fps=30.0)
    assert "pelvic obliquity" in _metric(m, "pelvic_drop_deg", "left").reason
    assert _metric(m, "knee_fppa_deg", "left").measurable
    m = compute_metrics(s, [], replace(CFG.metrics, pelvic_from_landmarks=True), seed=1, fps=30.0)
    assert _metric(m, "pelvic_drop_deg", "left").value == pytest.approx(3.0)


def test_pelvic_drop_follows_the_image_estimate_verdict():
    s = _strides(view="frontal_toward").assign(pelvic_drop_deg=3.0, swing_hip_hiking_deg=1.0)
    m = compute_metrics(s, [], CFG.metrics, seed=1, fps=30.0, pelvic_reason="")  # image estimate accepted
    assert _metric(m, "pelvic_drop_deg", "left").measurable
    assert _metric(m, "swing_hip_hiking_deg", "right").value == pytest.approx(1.0)
    m = compute_metrics(s, [], CFG.metrics, seed=1, fps=30.0, pelvic_reason="waist not measured")
    row = _metric(m, "pelvic_drop_deg", "left")
    assert not row.measurable and row.reason == "waist not measured"


def test_a_clip_without_strides_says_so():
    empty = _strides().iloc[:0]
    m = compute_metrics(empty, [], CFG.metrics, seed=1, fps=30.0)
    assert not m[m.metric != "event_timing_noise_floor_s"].measurable.any()
    assert "no usable walking pass" in _metric(m, "stance_pct", "left").reason
    gate = Gate("frame_rate", False, 10.0, 24.0, ("temporal",), "the frame rate (10 fps) is below 24 fps")
    m = compute_metrics(empty, [gate], CFG.metrics, seed=1, fps=10.0)
    assert "10 fps" in _metric(m, "cadence_steps_min", "both").reason
