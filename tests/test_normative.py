"""gait/normative.py: shape, periodicity, cited sources and physiological landmarks of the bands."""

from __future__ import annotations

import numpy as np
import pytest

from gaitlab.gait.normative import (
    NORMAL_BAND_N_SD, NORMATIVE_QUANTITIES, NORMATIVE_SOURCES, normal_band,
)

COLUMNS = ["cycle_pct", "mean_deg", "sd_deg", "low_deg", "high_deg"]


def _peak(band, lo_pct, hi_pct, fn=np.argmax):
    seg = band[(band.cycle_pct >= lo_pct) & (band.cycle_pct <= hi_pct)]
    i = fn(seg.mean_deg.to_numpy())
    return float(seg.mean_deg.iloc[i]), int(seg.cycle_pct.iloc[i])


@pytest.mark.parametrize("q", NORMATIVE_QUANTITIES)
def test_band_shape_and_columns(q):
    b = normal_band(q)
    assert list(b.columns) == COLUMNS
    assert len(b) == 101
    assert b.cycle_pct.tolist() == list(range(101))
    assert np.isfinite(b[COLUMNS].to_numpy()).all()
    assert (b.sd_deg > 1.0).all() and (b.sd_deg < 15.0).all()
    assert np.allclose(b.low_deg, b.mean_deg - NORMAL_BAND_N_SD * b.sd_deg)
    assert np.allclose(b.high_deg, b.mean_deg + NORMAL_BAND_N_SD * b.sd_deg)
    assert b.attrs["quantity"] == q and b.attrs["source"] == NORMATIVE_SOURCES[q]


@pytest.mark.parametrize("q", NORMATIVE_QUANTITIES)
def test_band_is_periodic_and_smooth(q):
    b = normal_band(q)
    m = b.mean_deg.to_numpy()
    assert m[0] == pytest.approx(m[100], abs=1e-9)
    assert b.sd_deg.iloc[0] == pytest.approx(b.sd_deg.iloc[100], abs=1e-9)
    # slope continuous across heel strike: the step 99→100 matches 0→1 within a sampling step
    assert abs((m[1] - m[0]) - (m[100] - m[99])) < 0.5
    assert np.abs(np.diff(m)).max() < 4.0  # no jumps (fastest change: knee in initial swing)


@pytest.mark.parametrize("q", NORMATIVE_QUANTITIES)
def test_every_quantity_has_a_citation(q):
    src = NORMATIVE_SOURCES[q]
    assert "Schwartz" in src and "2008" in src and "J Biomech" in src
    assert set(NORMATIVE_SOURCES) == set(NORMATIVE_QUANTITIES)


def test_knee_landmarks():
    b = normal_band("knee_flexion_deg")
    lr, lr_pct = _peak(b, 0, 30)
    assert 15.0 <= lr <= 22.0 and 10 <= lr_pct <= 16      # loading-response flexion
    sw, sw_pct = _peak(b, 55, 90)
    # CLINICAL §5 quotes 60–70° for adults (3D); this free-speed paediatric band peaks at 59.1°
    assert 55.0 <= sw <= 70.0 and 68 <= sw_pct <= 76
    ext, ext_pct = _peak(b, 25, 50, np.argmin)
    assert 0.0 <= ext <= 10.0 and 30 <= ext_pct <= 48     # near-full extension in terminal stance


def test_ankle_landmarks():
    b = normal_band("ankle_dorsiflexion_deg")
    pf, pf_pct = _peak(b, 50, 80, np.argmin)
    assert -25.0 <= pf <= -15.0 and 60 <= pf_pct <= 67    # plantarflexion just after toe off
    df, df_pct = _peak(b, 20, 55)
    assert 8.0 <= df <= 15.0 and 38 <= df_pct <= 52       # peak stance dorsiflexion
    lr, lr_pct = _peak(b, 0, 15, np.argmin)
    assert -10.0 <= lr <= 0.0 and lr_pct <= 10            # first plantarflexion at loading


def test_thigh_landmarks():
    b = normal_band("thigh_angle_deg")
    ext, ext_pct = _peak(b, 30, 65, np.argmin)
    assert -20.0 <= ext <= -10.0 and 45 <= ext_pct <= 56  # 10–20° behind vertical, ~50 %
    flex, flex_pct = _peak(b, 70, 100)
    assert 15.0 <= flex <= 35.0 and 80 <= flex_pct <= 98  # forward in late swing
    assert 15.0 <= b.mean_deg.iloc[0] <= 30.0              # ahead of the hip at heel strike


def test_n_sd_and_errors():
    b1 = normal_band("knee_flexion_deg", n_sd=1.0)
    assert np.allclose(b1.high_deg - b1.low_deg, 2 * b1.sd_deg)
    assert b1.attrs["n_sd"] == 1.0
    with pytest.raises(ValueError, match="trunk"):
        normal_band("trunk_inclination_deg")
    with pytest.raises(ValueError, match="available"):
        normal_band("knee")
    with pytest.raises(ValueError):
        normal_band("knee_flexion_deg", n_sd=0)


def test_bands_are_independent_copies():
    b = normal_band("knee_flexion_deg")
    b.loc[:, "mean_deg"] = 0.0
    assert normal_band("knee_flexion_deg").mean_deg.max() > 50
