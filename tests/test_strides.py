"""Stride table from events: OpenCap formulas on hand-made events, order checks, frontal strides."""

import numpy as np
import pandas as pd
import pytest

from gaitlab.gait.kinematics import KINEMATICS_COLUMNS
from gaitlab.gait.spatiotemporal import STRIDE_COLUMNS, compute_strides
from gaitlab.model import LM, Pass
from gaitlab.pipeline import load_pipeline

CFG = load_pipeline().strides
FS = 100.0


def _scene(n=300):
    """Side view walking right; hips at y=0, ankles at y=100 px (leg = 100 px), heels on the floor."""
    t = np.arange(n) / FS
    lm = np.full((n, 33, 4), np.nan)
    lm[..., 3] = 1.0
    for s in ("left", "right"):
        lm[:, LM[f"{s}_hip"], :3] = 0.0
        lm[:, LM[f"{s}_ankle"], :3] = [0.0, 100.0, 0.0]
        lm[:, LM[f"{s}_heel"], :3] = [0.0, 100.0, 0.0]
        lm[:, LM[f"{s}_shoulder"], :3] = [0.0, -60.0, 0.0]
    # the left heel is 70 px ahead of the right heel at left heel strikes, 60 px behind at right ones
    lm[:, LM["left_heel"], 0] = np.where((t % 1.0) < 0.5, 70.0, -60.0)
    p = Pass(pass_id=1, start=0, end=n, start_s=0.0, end_s=t[-1], direction="right", facing="right",
             view="sagittal", near_side="right")
    return t, lm, p


def _events(times):
    rows = [{"pass_id": 1, "view": "sagittal", "side": s, "leg": "", "event": e, "time_s": ts, "frame": 0,
             "confidence": 1.0, "method": "zeni"} for ts, s, e in times]
    return pd.DataFrame(rows)


WALK = [(0.0, "left", "HS"), (0.1, "right", "TO"), (0.5, "right", "HS"), (0.6, "left", "TO"),
        (1.0, "left", "HS"), (1.1, "right", "TO"), (1.5, "right", "HS"), (1.6, "left", "TO"),
        (2.0, "left", "HS"), (2.1, "right", "TO"), (2.5, "right", "HS")]


def _kin():
    return pd.DataFrame({c: pd.Series(dtype=float) for c in KINEMATICS_COLUMNS})


def test_opencap_formulas_on_hand_made_events():
    t, lm, p = _scene()
    st, steps, dropped = compute_strides(_events(WALK), [p], t, lm, _kin(), 0.0, CFG, height_cm=180)
    # every heel strike after the other foot's ends a step, also those that start no complete stride
    assert steps.step_time_s.tolist() == pytest.approx([0.5] * 5) and steps.side.tolist()[-1] == "right"
    assert list(st.columns) == list(STRIDE_COLUMNS)
    left = st[st.side == "left"].iloc[0]
    assert left.stride_time_s == pytest.approx(1.0)
    assert left.stance_time_s == pytest.approx(0.6) and left.swing_time_s == pytest.approx(0.4)
    assert left.stance_pct == pytest.approx(60.0)
    # contralateral swing = right TO 0.1 → right HS 0.5 = 0.4 s: double support (0.6 − 0.4)/1 = 20 %
    assert left.double_support_pct == pytest.approx(20.0) and left.single_support_pct == pytest.approx(40.0)
    assert left.cadence_steps_min == pytest.approx(120.0)
    assert np.isnan(left.step_time_s)  # no right heel strike before the first left one
    assert st[st.side == "left"].iloc[1].step_time_s == pytest.approx(0.5)
    # step of the left ends at the left HS: left heel 70 px ahead of the right heel / leg 100 px
    second = st[st.side == "left"].iloc[1]
    assert np.isnan(left.step_length_ll)  # the first heel strike ends no step
    assert second.step_length_ll == pytest.approx(0.7, abs=0.02)
    assert second.step_length_m == pytest.approx(0.7 * 0.491 * 1.8, abs=0.02)
    assert st.leg.tolist().count("near") == (st.side == "right").sum()
    assert dropped == {1: {"dropped_order": 0, "dropped_range": 0}}
    assert st.steady.tolist() == [False, True, True, False]  # CLINICAL §4: the pass's first and last strides only


def test_out_of_order_events_drop_the_stride():
    t, lm, p = _scene()
    bad = [e for e in WALK if e != (1.1, "right", "TO")]  # a missed toe off
    st, _, dropped = compute_strides(_events(bad), [p], t, lm, _kin(), 0.0, CFG)
    assert dropped[1]["dropped_order"] == 2  # the left stride 1→2 and the right stride 0.5→1.5
    assert len(st) == 2


def test_implausible_stride_duration_is_dropped():
    t, lm, p = _scene()
    fast = [(ts * 0.25, s, e) for ts, s, e in WALK]  # 0.25 s strides: not walking
    st, _, dropped = compute_strides(_events(fast), [p], t, lm, _kin(), 0.0, CFG)
    assert st.empty and dropped[1]["dropped_range"] > 0


def test_frontal_strides_have_heel_strike_timing_only():
    t, lm, p = _scene()
    p = Pass(pass_id=1, start=0, end=len(t), start_s=0.0, end_s=t[-1], direction="toward", facing="toward",
             view="frontal_toward")
    ev = _events([e for e in WALK if e[2] == "HS"]).assign(view="frontal_toward")
    st, _, _ = compute_strides(ev, [p], t, lm, _kin(), 0.0, CFG)
    assert len(st) == 4 and (st.support_phase == "approximate").all()
    assert st.stride_time_s.tolist() == pytest.approx([1.0] * 4)
    assert st.stance_pct.isna().all() and st.step_length_ll.isna().all()


@pytest.mark.parametrize("direction", ["left", "right"])
def test_perspective_of_near_and_far_heel_is_removed_from_step_lengths(direction):
    """A symmetric walker filmed with a wide lens at 4 m: raw near/far step lengths drift by ±0.2 leg
    lengths across the picture and their side means differ by 5 %; corrected they agree."""
    from dataclasses import replace

    from gaitgen import generate_walk, make_pass
    from gaitlab.gait.events import detect_events
    from gaitlab.gait.filtering import passes_on_grid, prepare
    from gaitlab.gait.kinematics import compute_kinematics

    full = load_pipeline()
    pose, truth = generate_walk("side", direction, fps=30, duration_s=8)
    p = replace(make_pass(pose, truth), near_side=truth.near_side)
    prep = prepare(pose, full.filter)
    gp = passes_on_grid([p], pose.t_s, prep.t_s)
    ev = detect_events(prep.t_s, prep.landmarks, gp, 0.0, full.events)
    kin = compute_kinematics(prep.t_s, prep.landmarks, gp, 0.0, full.kinematics)
    _, raw, _ = compute_strides(ev, gp, prep.t_s, prep.landmarks, kin, 0.0, CFG)
    _, fixed, _ = compute_strides(ev, gp, prep.t_s, prep.landmarks, kin, 0.0, CFG,
                               image_center_px=(pose.width_px / 2, pose.height_px / 2))
    r, f = (x.groupby("side").step_length_ll for x in (raw, fixed))
    assert r.std().min() > 0.1 and abs(np.log(r.mean().right / r.mean().left)) > 0.04
    assert f.std().max() < 0.02 and abs(np.log(f.mean().right / f.mean().left)) < 0.02


def test_treadmill_speed_comes_from_the_belt_only():
    t, lm, p = _scene()
    p = Pass(pass_id=1, start=0, end=len(t), start_s=0.0, end_s=t[-1], direction="none", facing="right",
             view="sagittal", treadmill=True, near_side="right")
    st, _, _ = compute_strides(_events(WALK), [p], t, lm, _kin(), 0.0, CFG)
    assert st.treadmill.all() and st.speed_ll_s.isna().all() and st.stride_length_ll.isna().all()
    st, _, _ = compute_strides(_events(WALK), [p], t, lm, _kin(), 0.0, CFG, belt_speed_m_s=1.2, height_cm=170)
    assert st.speed_m_s.tolist() == pytest.approx([1.2] * 4)
    assert st.stride_length_m.tolist() == pytest.approx([1.2] * 4)  # 1 s strides
