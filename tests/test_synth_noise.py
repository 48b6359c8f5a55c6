"""gaitlab.synth.noise: pose-estimation-like noise with a record of what was done."""

import time

import numpy as np
import pytest
from scipy.signal import welch

from gaitlab.model import LEG_PAIRS, LM
from gaitlab.synth.camera import Camera, frame_times, to_pose_sequence
from gaitlab.synth.noise import NoiseModel, apply_noise

from test_synth_camera import stick_walker

QUIET = dict(white_sd_ll=0.0, band_sd_ll=0.0, far_leg_factor=1.0, drop_fraction=0.0, swap_runs_per_10s=0.0)
LEGS_L = [a for a, _ in LEG_PAIRS]
LEGS_R = [b for _, b in LEG_PAIRS]


def clean_pose(fps=30.0, seconds=60.0, view="side"):
    t = frame_times(fps, seconds, phase_s=0.0)
    # walker paces back and forth around x = 0 (a long clip that stays in front of the camera)
    W = stick_walker(t, speed=0.0)
    cam = Camera.side_view() if view == "side" else Camera.front_view(distance_m=5.0)
    return to_pose_sequence(W, t, cam)


@pytest.fixture(scope="module")
def side():
    return clean_pose()


def diff_ll(noisy, clean, L):
    return (noisy.landmarks[:, :, :2] - clean.landmarks[:, :, :2]) / L[:, None, None]


def test_leg_length_is_straight_hip_ankle(side):
    _, info = apply_noise(side, NoiseModel(**QUIET), seed=0)
    f = Camera.side_view().focal_px
    # the near (right) leg, hip 0.09 m nearer than the walking line at 4 m, looks longest
    np.testing.assert_allclose(info["leg_length_px"], 0.9 * f / 3.91, rtol=1e-6)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_white_and_band_sigma(side, fps):
    pose = side if fps == 30.0 else clean_pose(fps=fps, seconds=30.0)
    for key in ("white_sd_ll", "band_sd_ll"):
        m = NoiseModel(**{**QUIET, key: 0.01})
        noisy, info = apply_noise(pose, m, seed=1)
        d = diff_ll(noisy, pose, info["leg_length_px"])
        assert np.std(d) == pytest.approx(0.01, rel=0.15)
        per_col = d.reshape(len(d), -1).std(0)
        assert per_col.min() > 0.0085 and per_col.max() < 0.0115
        # independent per landmark and axis (band noise has few independent samples: loose bound)
        c = np.abs(np.corrcoef(d.reshape(len(d), -1).T)[np.triu_indices(d.shape[1] * 2, 1)])
        assert c.max() < 0.5 and c.mean() < 0.08
    # both together: variances add
    noisy, info = apply_noise(pose, NoiseModel(**{**QUIET, "white_sd_ll": 0.01, "band_sd_ll": 0.01}), seed=2)
    assert np.std(diff_ll(noisy, pose, info["leg_length_px"])) == pytest.approx(0.01 * np.sqrt(2), rel=0.15)


@pytest.mark.parametrize("fps", [30.0, 60.0, 240.0])
def test_band_noise_spectrum_in_band(fps):
    pose = clean_pose(fps=fps, seconds=60.0)
    noisy, info = apply_noise(pose, NoiseModel(**{**QUIET, "band_sd_ll": 0.01}), seed=3)
    d = diff_ll(noisy, pose, info["leg_length_px"]).reshape(len(pose), -1)
    f, p = welch(d, fs=fps, nperseg=int(8 * fps), axis=0)
    p = p.mean(1)
    inside = p[(f >= 1.0) & (f <= 4.0)].sum() / p.sum()
    assert inside > 0.8
    assert p[f < 0.5].sum() / p.sum() < 0.03 and p[f > 6.0].sum() / p.sum() < 0.03
    # white noise, by contrast, is flat
    noisy, info = apply_noise(pose, NoiseModel(**{**QUIET, "white_sd_ll": 0.01}), seed=3)
    d = diff_ll(noisy, pose, info["leg_length_px"]).reshape(len(pose), -1)
    f, p = welch(d, fs=fps, nperseg=int(8 * fps), axis=0)
    white_inside = p.mean(1)[(f >= 1.0) & (f <= 4.0)].sum() / p.mean(1).sum()
    assert white_inside == pytest.approx(3.0 / (fps / 2), rel=0.2)


def test_dropped_fraction(side):
    noisy, info = apply_noise(side, NoiseModel(**{**QUIET, "drop_fraction": 0.02}), seed=4)
    assert info["dropped"].mean() == pytest.approx(0.02, rel=0.05)
    assert np.isnan(noisy.landmarks[info["dropped"]]).all()
    assert np.isfinite(noisy.landmarks[~info["dropped"]]).all()
    assert not noisy.tracked()[info["dropped"]].any()


def test_swap_runs(side):
    m = NoiseModel(**{**QUIET, "swap_runs_per_10s": 2.0})
    noisy, info = apply_noise(side, m, seed=5)
    runs, sw = info["swap_runs"], info["swapped"]
    assert 12 * 0.5 < len(runs) < 12 * 1.6  # 60 s at 2 per 10 s (Poisson)
    assert sw.sum() == sum(b - a for a, b in runs)
    L = info["leg_length_px"]
    lm, cl = noisy.landmarks, side.landmarks
    for a, b in runs:
        assert 3 <= b - a <= 30
        legs_x = [cl[a, LEGS_L[1:], 0].mean(), cl[a, LEGS_R[1:], 0].mean()]
        assert abs(legs_x[0] - legs_x[1]) < 0.1 * L[a]
    # only x, y of the leg landmarks move; z and visibility stay with the label
    np.testing.assert_allclose(lm[sw][:, LEGS_L, :2], cl[sw][:, LEGS_R, :2])
    np.testing.assert_allclose(lm[sw][:, LEGS_R, :2], cl[sw][:, LEGS_L, :2])
    np.testing.assert_allclose(lm[:, LEGS_L, 2], cl[:, LEGS_L, 2])
    np.testing.assert_allclose(lm[~sw][:, :, :3], cl[~sw][:, :, :3])
    upper = [LM["left_shoulder"], LM["right_wrist"], LM["nose"]]
    np.testing.assert_allclose(lm[:, upper, :2], cl[:, upper, :2])
    far_v = lm[:, LM["left_knee"], 3]  # camera on the walker's right: left = far
    assert far_v.max() <= 0.85 and far_v.min() >= 0.35


def test_far_leg_noisier_and_less_visible(side):
    noisy, info = apply_noise(side, NoiseModel(drop_fraction=0.0, swap_runs_per_10s=0.0), seed=6)
    assert np.all(info["far_side"] == -1)  # left side is far in this side view
    d = diff_ll(noisy, side, info["leg_length_px"])
    near = d[:, LEGS_R].std()
    far = d[:, LEGS_L].std()
    assert near == pytest.approx(0.01 * np.sqrt(2), rel=0.15)
    assert far / near == pytest.approx(1.5, rel=0.1)
    v = noisy.landmarks[:, :, 3]
    assert v[:, LEGS_R].min() >= 0.95 and v[:, LEGS_R].max() <= 1.0
    assert 0.35 <= v[:, LEGS_L].min() and v[:, LEGS_L].max() <= 0.85
    assert v[:, LEGS_L].mean() < 0.85
    # front view: no far side, every landmark near-level visibility and equal noise
    front = clean_pose(view="front", seconds=30.0)
    noisy, info = apply_noise(front, NoiseModel(drop_fraction=0.0, swap_runs_per_10s=0.0), seed=6)
    assert np.all(info["far_side"] == 0)
    assert noisy.landmarks[:, :, 3].min() >= 0.95


def test_deterministic_by_seed(side):
    m = NoiseModel()
    a, ia = apply_noise(side, m, seed=7)
    b, ib = apply_noise(side, m, seed=7)
    c, _ = apply_noise(side, m, seed=8)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    np.testing.assert_array_equal(ia["swapped"], ib["swapped"])
    assert not np.array_equal(np.nan_to_num(a.landmarks), np.nan_to_num(c.landmarks))
    assert side.landmarks is not a.landmarks and np.isfinite(side.landmarks).all()  # input untouched


def test_short_and_vfr_inputs():
    t = frame_times(30, 0.5, vfr_jitter=0.1, seed=0)
    pose = to_pose_sequence(stick_walker(t), t, Camera.side_view())
    noisy, info = apply_noise(pose, NoiseModel(), seed=0)
    assert noisy.landmarks.shape == pose.landmarks.shape
    # unknown input points stay NaN in every channel
    pose.landmarks[3] = np.nan
    pose.landmarks[4, LM["left_wrist"]] = np.nan
    noisy, _ = apply_noise(pose, NoiseModel(drop_fraction=0.0), seed=0)
    assert np.isnan(noisy.landmarks[3]).all() and np.isnan(noisy.landmarks[4, LM["left_wrist"]]).all()
    assert np.isfinite(noisy.landmarks[5]).all()


def test_speed_36000_frames():
    pose = clean_pose(fps=60.0, seconds=600.0)
    assert len(pose) == 36000
    apply_noise(pose, NoiseModel(), seed=0)  # warm-up (imports, filter design)
    t0 = time.perf_counter()
    apply_noise(pose, NoiseModel(), seed=1)
    assert time.perf_counter() - t0 < 1.0
