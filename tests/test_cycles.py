"""Time-normalised cycles and their summary with the normal band."""

import numpy as np
import pandas as pd
import pytest

from gaitlab.gait.cycles import CYCLE_COLUMNS, compute_cycles, summarise_cycles
from gaitlab.gait.kinematics import KINEMATICS_COLUMNS


def _kin(fs=100.0, n=400):
    t = np.arange(n) / fs
    rows = []
    for side, phase in (("left", 0.0), ("right", 0.5)):
        df = pd.DataFrame({c: np.nan for c in KINEMATICS_COLUMNS}, index=range(n))
        df["time_s"], df["pass_id"], df["side"], df["view"] = t, 1, side, "sagittal"
        df["knee_flexion_deg"] = 30 + 30 * np.sin(2 * np.pi * (t - phase))  # 1 s strides
        df["trunk_inclination_deg"] = 3.0
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def _strides():
    return pd.DataFrame([
        {"pass_id": 1, "side": "left", "leg": "near", "stride": i, "view": "sagittal",
         "hs_time_s": 0.5 + i, "next_hs_time_s": 1.5 + i} for i in range(2)] + [
        {"pass_id": 1, "side": "right", "leg": "far", "stride": 0, "view": "sagittal",
         "hs_time_s": 1.0, "next_hs_time_s": 2.0}])


def test_strides_are_resampled_to_101_points():
    c = compute_cycles(_strides(), _kin())
    assert list(c.columns) == list(CYCLE_COLUMNS)
    knee = c[(c.quantity == "knee_flexion_deg") & (c.side == "left") & (c.stride == 0)]
    assert len(knee) == 101 and knee.cycle_pct.iloc[[0, -1]].tolist() == [0.0, 100.0]
    # stride 0.5 → 1.5 s: value at 25 % is at t = 0.75 s
    assert knee.value_deg.iloc[25] == pytest.approx(30 + 30 * np.sin(2 * np.pi * 0.75), abs=0.1)
    # the far leg contributes its trunk only
    assert set(c[c.side == "right"].quantity) == {"trunk_inclination_deg"}


def test_summary_has_mean_sd_and_the_published_band():
    s = summarise_cycles(compute_cycles(_strides(), _kin()))
    knee = s[(s.quantity == "knee_flexion_deg") & (s.side == "left")]
    assert len(knee) == 101 and (knee.n == 2).all()
    assert knee.sd_deg.max() < 1e-6  # identical strides
    assert knee.normal_low_deg.notna().all() and (knee.normal_high_deg > knee.normal_low_deg).all()
    # the band's swing peak lies in the swing phase (60–80 % of the cycle)
    assert 60 <= knee.cycle_pct.iloc[int(np.argmax(knee.normal_high_deg.to_numpy()))] <= 80
    trunk = s[s.quantity == "trunk_inclination_deg"]
    assert trunk.normal_low_deg.isna().all()  # no published curve


def test_empty_input_gives_empty_tables():
    empty = pd.DataFrame(columns=["pass_id", "side", "leg", "stride", "view", "hs_time_s", "next_hs_time_s"])
    assert compute_cycles(empty, _kin()).empty and summarise_cycles(compute_cycles(empty, _kin())).empty
