"""Pose-estimation-like noise for synthetic landmarks (pure numpy/scipy, deterministic by seed).

White noise alone is removed by the low-pass filter and flatters results, so the model combines
(see ``../shared/data/README.md``, scoring notes):

- Gaussian white noise, σ = ``white_sd_ll`` × leg length, on x and y of every landmark;
- 1–4 Hz band-limited noise, σ = ``band_sd_ll`` × leg length (white noise through a zero-phase
  Butterworth band-pass, rescaled to exactly that σ per landmark and axis);
- the **far side** (the side whose hip has the larger z, when the hips differ in z by more than
  ``far_z_ll`` leg lengths — side views) gets ``far_leg_factor`` × both noises and a visibility in
  ``far_visibility`` (lowest where it passes behind the near side); near-side and centre landmarks get
  0.95–1.0;
- left/right **leg swaps** (hip, knee, ankle, heel, foot index): runs of ``swap_run_frames`` frames
  starting where the legs are within ``crossing_ll`` leg lengths of each other in x; only x, y move,
  z and visibility stay with the label (what real MediaPipe output shows);
- whole frames dropped (NaN rows).

"Leg length" is the hip→ankle image distance of the straighter leg, its running maximum over ~1 s of
the clean input (so it follows a walker approaching the camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import butter, sosfiltfilt

from ..model import LANDMARK_NAMES, LEG_PAIRS, LM, MIRROR_INDEX, PoseSequence, hip_ankle_px

_LEFT = np.array([i for i, n in enumerate(LANDMARK_NAMES) if "left" in n])
_RIGHT = MIRROR_INDEX[_LEFT]
_LEG_L = np.array([a for a, _ in LEG_PAIRS])
_LEG_R = np.array([b for _, b in LEG_PAIRS])


@dataclass(frozen=True)
class NoiseModel:
    """Parameters of :func:`apply_noise`. Fractions ``*_ll`` are of the leg length in px."""

    white_sd_ll: float = 0.01
    band_sd_ll: float = 0.01
    band_hz: tuple[float, float] = (1.0, 4.0)
    far_leg_factor: float = 1.5
    drop_fraction: float = 0.02
    swap_runs_per_10s: float = 1.0
    swap_run_frames: tuple[int, int] = (3, 30)
    far_visibility: tuple[float, float] = (0.35, 0.85)
    near_visibility: tuple[float, float] = (0.95, 1.0)
    #: Hip z difference (leg lengths) above which one side counts as "far" (side views).
    far_z_ll: float = 0.05
    #: Swap runs start where the legs' mean x (knee..foot) differ by less than this (leg lengths).
    crossing_ll: float = 0.1
    #: Minimum number of frames between two swap runs.
    swap_min_gap: int = 8
    band_order: int = 2


def leg_length_px(pose: PoseSequence, window_s: float = 1.0) -> np.ndarray:
    """(T,) hip→ankle distance of the straighter leg, running max over ``window_s``; NaNs interpolated."""
    lm = pose.landmarks
    d = hip_ankle_px(lm)
    with np.errstate(invalid="ignore"):
        L = np.fmax(d[:, 0], d[:, 1])
    ok = np.isfinite(L)
    if not ok.any():
        raise ValueError("apply_noise: no frame has both a hip and an ankle")
    idx = np.arange(len(L))
    L = np.interp(idx, idx[ok], L[ok])
    fps = pose.fps if np.isfinite(pose.fps) and pose.fps > 0 else 30.0
    return maximum_filter1d(L, size=max(1, int(round(window_s * fps))), mode="nearest")


def _band_noise(rng, shape, fs, band_hz, order):
    """Unit-SD band-limited noise along axis 0 (zero-phase Butterworth band-pass)."""
    T = shape[0]
    w = rng.standard_normal(shape)
    lo, hi = band_hz
    hi = min(hi, 0.45 * fs)
    if T < 4 or not 0 < lo < hi:
        return np.zeros(shape)
    sos = butter(order, [lo, hi], btype="band", fs=fs, output="sos")
    b = sosfiltfilt(sos, w, axis=0, padlen=min(T - 1, 3 * (2 * len(sos) + 1)))
    sd = b.std(axis=0, keepdims=True)
    return np.divide(b, sd, out=np.zeros_like(b), where=sd > 0)


def _far_side(lm, L, far_z_ll):
    """(T,) +1 = right side far, −1 = left side far, 0 = neither (frontal), from hip z."""
    dz = (lm[:, LM["right_hip"], 2] - lm[:, LM["left_hip"], 2]) / L
    dz = np.nan_to_num(dz)
    return np.where(dz > far_z_ll, 1, np.where(dz < -far_z_ll, -1, 0))


def _leg_x_sep(lm, L):
    """(T,) |mean x of left knee..foot − mean x of right knee..foot| / leg length."""
    xl = lm[:, _LEG_L[1:], 0].mean(1)
    xr = lm[:, _LEG_R[1:], 0].mean(1)
    return np.abs(xl - xr) / L


def apply_noise(pose: PoseSequence, model: NoiseModel, *, seed: int) -> tuple[PoseSequence, dict]:
    """A noisy copy of ``pose`` and the truth of what was done.

    ``pose`` should be clean landmarks with true sides (e.g. from
    :func:`gaitlab.synth.camera.to_pose_sequence`). Returns ``(noisy, info)`` with ``info`` keys:
    ``dropped`` (T,) bool, ``swapped`` (T,) bool, ``swap_runs`` list of (start, end) frame indices
    (end exclusive), ``far_side`` (T,) int (+1 right far, −1 left far, 0 none), ``leg_length_px``
    (T,), ``white`` and ``band`` (T, 33, 2) px noise added to x, y (before swaps and drops),
    ``seed``.
    """
    rng = np.random.default_rng(seed)
    clean = pose.landmarks
    T = clean.shape[0]
    L = leg_length_px(pose)
    fs = pose.fps if np.isfinite(pose.fps) and pose.fps > 0 else 30.0

    far = _far_side(clean, L, model.far_z_ll)
    factor = np.ones((T, clean.shape[1]))
    far_mask = np.zeros((T, clean.shape[1]), bool)
    far_mask[np.ix_(far == 1, _RIGHT)] = True
    far_mask[np.ix_(far == -1, _LEFT)] = True
    factor[far_mask] = model.far_leg_factor

    scale = (L[:, None] * factor)[:, :, None]  # (T, 33, 1)
    white = rng.standard_normal((T, clean.shape[1], 2)) * model.white_sd_ll * scale
    band = (_band_noise(rng, (T, clean.shape[1] * 2), fs, model.band_hz, model.band_order)
            .reshape(T, clean.shape[1], 2) * model.band_sd_ll * scale)
    lm = clean.copy()
    lm[:, :, :2] += white + band

    # visibility: near 0.95-1.0; far side lower, lowest where it overlaps its near partner
    vlo, vhi = model.near_visibility
    vis = rng.uniform(vlo, vhi, (T, clean.shape[1]))
    sep = np.hypot(*(clean[:, :, :2] - clean[:, MIRROR_INDEX, :2]).transpose(2, 0, 1)) / L[:, None]
    flo, fhi = model.far_visibility
    far_vis = flo + (fhi - flo) * np.clip(np.nan_to_num(sep) / 0.3, 0.0, 1.0)
    far_vis = np.clip(far_vis + rng.normal(0.0, 0.03, far_vis.shape), flo, fhi)
    vis[far_mask] = far_vis[far_mask]
    lm[:, :, 3] = np.fmin(np.nan_to_num(clean[:, :, 3], nan=1.0), vis)
    lm[~np.isfinite(clean[:, :, 0]), 3] = np.nan  # unknown points stay unknown

    # swaps: runs starting where the legs cross in x
    swapped = np.zeros(T, bool)
    runs: list[tuple[int, int]] = []
    lo_run, hi_run = model.swap_run_frames
    cand = np.flatnonzero(_leg_x_sep(clean, L) < model.crossing_ll)
    duration_s = (T / fs) if T else 0.0
    n_runs = int(rng.poisson(model.swap_runs_per_10s * duration_s / 10.0)) if model.swap_runs_per_10s > 0 else 0
    busy = np.zeros(T, bool)
    for c in rng.permutation(cand):
        if len(runs) >= n_runs:
            break
        a = int(c)
        b = min(T, a + int(rng.integers(lo_run, hi_run + 1)))
        if b - a < lo_run or busy[max(0, a - model.swap_min_gap):min(T, b + model.swap_min_gap)].any():
            continue
        runs.append((a, b))
        swapped[a:b] = True
        busy[a:b] = True
    runs.sort()
    if swapped.any():
        left_xy = lm[swapped][:, _LEG_L, :2].copy()
        rows = np.flatnonzero(swapped)
        lm[np.ix_(rows, _LEG_L, [0, 1])] = lm[np.ix_(rows, _LEG_R, [0, 1])]
        lm[np.ix_(rows, _LEG_R, [0, 1])] = left_xy

    # dropped frames
    dropped = np.zeros(T, bool)
    k = int(round(model.drop_fraction * T))
    if k > 0:
        dropped[rng.choice(T, size=min(k, T), replace=False)] = True
    lm[dropped] = np.nan

    info = {"dropped": dropped, "swapped": swapped, "swap_runs": runs, "far_side": far,
            "leg_length_px": L, "white": white, "band": band, "seed": seed}
    return pose.with_landmarks(lm), info
