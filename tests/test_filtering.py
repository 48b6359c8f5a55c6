"""gait/filtering.py on exact synthetic signals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.signal import sosfreqz

from gaitlab.gait.filtering import (
    butter_sos, design_cutoff_hz, fill_gaps, filtfilt_padlen, lowpass_zero_lag, nearest_index,
    passes_on_grid, prepare, reject_outliers, resample_even,
)
from gaitlab.model import LM, Pass, PoseSequence
from gaitlab.pipeline import load_pipeline


@pytest.fixture(scope="module")
def fcfg():
    return load_pipeline().filter


def _amplitude_ratio(f_hz, fs=60.0, cutoff=6.0, seconds=20.0, **kw):
    t = np.arange(0, seconds, 1 / fs)
    x = np.sin(2 * np.pi * f_hz * t)
    y, _ = lowpass_zero_lag(x[:, None], fs, cutoff, **kw)
    mid = slice(len(t) // 4, 3 * len(t) // 4)  # away from the edges
    return np.sqrt(2 * np.mean(y[mid, 0] ** 2)) / np.sqrt(2 * np.mean(x[mid] ** 2))


# --- low-pass ---------------------------------------------------------------------------------
def test_passband_and_stopband():
    assert _amplitude_ratio(2.0) == pytest.approx(1.0, abs=0.01)
    assert _amplitude_ratio(15.0) < 0.05


@pytest.mark.parametrize("fs", [24.0, 30.0, 60.0, 240.0])
def test_minus_3db_point_is_cutoff_with_double_pass_correction(fs):
    """Documented decision: cutoff_hz is the −3 dB point of forward + backward passes together."""
    cutoff = 6.0
    sos = butter_sos(fs, cutoff, order=2, double_pass_correction=True)
    _, h = sosfreqz(sos, worN=[cutoff], fs=fs)
    assert abs(h[0]) ** 2 == pytest.approx(1 / np.sqrt(2), abs=1e-9)  # two passes: |H|²
    assert design_cutoff_hz(cutoff, fs) > cutoff
    # without the correction each pass is −3 dB at the cut-off, so the pair is −6 dB there
    _, h_raw = sosfreqz(butter_sos(fs, cutoff, double_pass_correction=False), worN=[cutoff], fs=fs)
    assert abs(h_raw[0]) ** 2 == pytest.approx(0.5, abs=1e-9)


def test_minus_3db_point_on_a_signal():
    assert _amplitude_ratio(6.0) == pytest.approx(1 / np.sqrt(2), abs=0.005)
    # Winter's uncorrected pair: −3 dB near 0.802 × cut-off
    assert _amplitude_ratio(0.802 * 6.0, double_pass_correction=False) == pytest.approx(1 / np.sqrt(2), abs=0.02)


def test_cutoff_above_0_4_fs_is_clamped_with_warning():
    fs = 30.0
    y, warnings = lowpass_zero_lag(np.random.default_rng(0).normal(size=(300, 1)), fs, 20.0)
    assert len(warnings) == 1 and "lowered to 12 Hz" in warnings[0]
    y_ref, w_ref = lowpass_zero_lag(np.random.default_rng(0).normal(size=(300, 1)), fs, 12.0)
    assert w_ref == []
    np.testing.assert_allclose(y, y_ref)


def test_segments_filtered_separately_and_short_ones_become_nan():
    fs = 60.0
    sos = butter_sos(fs, 6.0)
    padlen = filtfilt_padlen(sos)
    x = np.full((200, 2), np.nan)
    x[:100, 0] = 5.0  # a long constant stretch: filtering keeps it exactly
    x[110:110 + padlen, 0] = 7.0  # too short
    x[:, 1] = np.linspace(0, 1, 200)  # other NaN pattern, no gaps
    y, warnings = lowpass_zero_lag(x, fs, 6.0)
    np.testing.assert_allclose(y[:100, 0], 5.0, atol=1e-9)
    assert np.isnan(y[100:, 0]).all()
    # odd padding continues a ramp; only the settling of the initial state (≪ one sample's step) remains
    step = x[1, 1] - x[0, 1]
    np.testing.assert_allclose(y[:, 1], x[:, 1], atol=0.01 * step)
    np.testing.assert_allclose(y[20:-20, 1], x[20:-20, 1], atol=1e-9)
    assert len(warnings) == 1 and "too short" in warnings[0]


# --- resampling -------------------------------------------------------------------------------
def test_vfr_resampling_keeps_linear_ramp_exact():
    rng = np.random.default_rng(1)
    t = 0.37 + np.cumsum(rng.uniform(0.7, 1.3, 500) / 30.0)
    x = np.stack([3.0 + 40.0 * t, -2.0 * t], axis=1)
    grid, xg = resample_even(t, x)
    dt = np.median(np.diff(t))
    np.testing.assert_allclose(np.diff(grid), dt, rtol=1e-9)
    assert grid[0] == t[0] and grid[-1] <= t[-1]
    np.testing.assert_allclose(xg[:, 0], 3.0 + 40.0 * grid, atol=1e-9)
    np.testing.assert_allclose(xg[:, 1], -2.0 * grid, atol=1e-9)


def test_resampling_leaves_timestamp_holes_and_nan_frames_missing():
    t = np.r_[np.arange(0, 1, 0.02), np.arange(1.5, 2.5, 0.02)]  # a 0.5 s hole in the timestamps
    x = t.copy()
    x[10] = np.nan
    grid, xg = resample_even(t, x[:, None])
    hole = (grid > 0.98 + 0.02 * 1.001) & (grid < 1.5 - 0.02 * 1.001)
    assert hole.any() and np.isnan(xg[hole, 0]).all()
    assert np.isnan(xg[np.isclose(grid, 0.2), 0]).all()
    ok = ~hole & ~np.isclose(grid, 0.2)
    np.testing.assert_allclose(xg[ok, 0], grid[ok], atol=1e-9)


def test_duplicate_and_unsorted_timestamps():
    t = np.array([0.0, 0.1, 0.1, 0.3, 0.2, 0.4])
    x = np.array([0.0, 1.0, 99.0, 3.0, 2.0, 4.0])
    grid, xg = resample_even(t, x)
    np.testing.assert_allclose(grid, [0, 0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(xg, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(nearest_index(grid, [0.04, 0.06, 0.4]), [0, 1, 4])


def test_passes_on_grid():
    t = np.arange(100) / 30.0
    grid = np.arange(0, t[-1] + 1e-9, 1 / 60.0)
    p = Pass(0, 30, 60, 1.0, 2.0, "right", "right", "sagittal")
    (q,) = passes_on_grid([p], t, grid)
    assert grid[q.start] == pytest.approx(t[30]) and grid[q.end - 1] == pytest.approx(t[59])


# --- gaps and outliers --------------------------------------------------------------------------
def test_gap_of_0_1_s_filled_and_0_3_s_left_nan(fcfg):
    fs = 60.0
    x = np.linspace(0, 10, 300)[:, None].copy()
    truth = x.copy()
    x[50:56] = np.nan  # 6 samples = 0.1 s
    x[150:168] = np.nan  # 18 samples = 0.3 s
    x[:2] = np.nan  # leading: never extrapolated
    y, filled = fill_gaps(x, fs, fcfg.max_gap_s)
    np.testing.assert_allclose(y[50:56], truth[50:56], atol=1e-12)  # linear fill, exact on a ramp
    assert np.isnan(y[150:168]).all() and np.isnan(y[:2]).all()
    assert filled[50:56].all() and filled.sum() == 6


def test_single_frame_spike_is_flagged(fcfg):
    fs = 60.0
    t = np.arange(0, 4, 1 / fs)
    rng = np.random.default_rng(2)
    x = 300 + 80 * np.sin(2 * np.pi * 1.0 * t) + rng.normal(0, 1.0, len(t))
    x[100] += 60.0
    mask = reject_outliers(x[:, None], fs, window_s=fcfg.outlier_window_s,
                           scale_window_s=fcfg.outlier_scale_window_s, n_sigma=fcfg.outlier_n_sigma, floor=8.0)
    assert np.flatnonzero(mask[:, 0]).tolist() == [100]


def _standing_pose(fs=60.0, seconds=4.0):
    t = np.arange(0, seconds, 1 / fs)
    lm = np.zeros((len(t), 33, 4))
    lm[..., 0] = 500 + 100 * np.sin(2 * np.pi * 1.0 * t)[:, None] + np.arange(33)[None, :]
    lm[..., 1] = 300.0
    lm[:, [LM["left_ankle"], LM["right_ankle"]], 1] = 700.0  # leg length 400 px
    lm[..., 2] = -10.0
    lm[..., 3] = 0.95
    return t, lm


def test_prepare_removes_spike_fills_gap_and_filters(fcfg):
    t, lm = _standing_pose()
    truth = lm.copy()
    lm[120, LM["left_knee"], 0] += 80.0  # one-frame spike (20 % of the leg)
    lm[60:65] = np.nan  # 5 frames lost: filled
    lm[180:200] = np.nan  # 0.33 s lost: stays missing
    pp = prepare(PoseSequence(t, lm, 1280, 720), fcfg)
    assert pp.fps == pytest.approx(60.0)
    assert pp.outliers[120, LM["left_knee"]] and pp.outliers.sum() == 1
    assert pp.filled[60:65].all() and pp.filled[120, LM["left_knee"]]
    assert np.isnan(pp.landmarks[180:200]).all()
    ok = np.isfinite(pp.landmarks[..., 0]).all(axis=1)
    err = np.abs(pp.landmarks[ok, :, :2] - truth[ok, :, :2])
    assert err.max() < 1.0  # 1 Hz motion passes; spike gone
    np.testing.assert_allclose(pp.landmarks[ok, :, 3], 0.95)
    assert pp.warnings == []
    pose2 = pp.to_pose(PoseSequence(t, lm, 1280, 720))
    assert len(pose2) == len(pp.t_s)


def test_prepare_clamps_cutoff_at_low_frame_rate(fcfg):
    t, lm = _standing_pose(fs=12.0)
    pp = prepare(PoseSequence(t, lm, 1280, 720), dataclasses.replace(fcfg, cutoff_hz=6.0))
    assert pp.cutoff_hz == pytest.approx(4.8)
    assert any("lowered" in w for w in pp.warnings)


def test_spike_on_fast_ramp_flags_only_the_spike_and_kinks_are_kept(fcfg):
    fs = 30.0
    kw = dict(window_s=fcfg.outlier_window_s, scale_window_s=fcfg.outlier_scale_window_s,
              n_sigma=fcfg.outlier_n_sigma, floor=8.0)
    x = np.r_[np.arange(60) * 50.0, np.full(60, 59 * 50.0)]  # 50 px/frame swing, then a planted foot
    assert not reject_outliers(x[:, None], fs, **kw).any()  # heel-strike-like kink is not an outlier
    x[30] += 40.0
    x[31] -= 30.0  # a two-sample burst
    assert np.flatnonzero(reject_outliers(x[:, None], fs, **kw)[:, 0]).tolist() == [30, 31]


def test_pose_noise_on_a_variable_frame_rate_clip_is_not_rejected(fcfg):
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.uniform(0.85, 1.15, 1800)) / 60.0
    lm = np.zeros((len(t), 33, 4))
    lm[..., 0] = 500 + 150 * np.sin(2 * np.pi * 0.9 * t)[:, None]
    lm[..., 1] = 300.0
    lm[:, [LM["left_ankle"], LM["right_ankle"]], 1] = 700.0
    lm[..., :2] += rng.normal(0, 4.0, lm[..., :2].shape)  # σ = 1 % of the 400 px leg
    lm[..., 3] = 1.0
    pp = prepare(PoseSequence(t, lm, 1280, 720), fcfg)
    assert pp.outliers.mean() < 0.002  # Gaussian 4σ tails only
