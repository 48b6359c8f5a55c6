"""Time base and noise handling of landmark trajectories: resample → outliers → gap fill → low-pass.

Pure functions, arrays in and arrays out; :func:`prepare` chains them for a :class:`PoseSequence`.
Every tunable comes from :class:`~gaitlab.pipeline.FilterConfig` (``[filter]`` in the pipeline file).

Decisions (see each function for details)

* **Resampling** (:func:`resample_even`): even grid at the median real frame interval, linear
  interpolation between the two real frames that bracket a grid point; a grid point whose nearest
  real frame is more than one median interval away stays NaN (phones drop frames and record
  variable frame rate; a hole in the timestamps is not invented data).
* **Outliers** (:func:`reject_outliers`): Hampel-type test of each coordinate against its centred
  running median, with a robust (MAD) noise scale from a longer window and a floor proportional to
  the leg length in pixels, so that clean trajectories are never touched. In :func:`prepare` a
  landmark whose x *or* y is an outlier is rejected as a whole (x, y, z) and then gap-filled.
* **Gap filling** (:func:`fill_gaps`): **linear** interpolation across gaps of at most
  ``max_gap_s`` (gap length = number of missing samples × sample interval); longer gaps and the
  ends stay NaN. Linear, not cubic: cubic end slopes estimated from pose noise overshoot, and the
  low-pass filter rounds the corners of a ≤ 0.12 s chord.
* **Low-pass** (:func:`lowpass_zero_lag`): Butterworth of order ``butter_order`` run forward and
  backward (``sosfiltfilt``: zero lag, twice the order). With ``double_pass_correction = true``
  (the default) **``cutoff_hz`` is the −3 dB point of the combined two-pass filter**: the design
  cut-off of each pass is raised by Winter's correction ``C = (2^(1/n) − 1)^(1/(2·order))``
  (n = 2 passes; C = 0.802 for order 2) applied to the pre-warped frequency of the bilinear
  transform, ``f_design = fs/π · atan(tan(π·f_c/fs) / C)``, which puts −3 dB exactly at
  ``cutoff_hz`` at any frame rate. With ``false`` each pass is designed at ``cutoff_hz`` and the
  combined −3 dB point falls at ≈ 0.80 × ``cutoff_hz``. The requested cut-off is clamped to
  ``max_cutoff_fs_fraction`` × frame rate (CLINICAL §3), with a warning.
  Each contiguous finite stretch of a coordinate is filtered separately; a stretch too short for
  the filter's edge padding (≤ ``padlen`` samples, 9 for order 2) is **set to NaN** ("no result
  rather than a bad result": an unfiltered island would carry raw pose noise into velocities and
  events), and a warning counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

from ..model import LM, Pass, PoseSequence
from ..pipeline import FilterConfig

#: Scale turning a median absolute deviation into the standard deviation of a normal distribution.
MAD_TO_SIGMA = 1.4826
#: Relative tolerance used when comparing float times (grid vs. frame timestamps).
_TIME_RTOL = 1e-6

__all__ = [
    "PreparedPose", "resample_even", "nearest_index", "reject_outliers", "fill_gaps",
    "design_cutoff_hz", "butter_sos", "filtfilt_padlen", "lowpass_zero_lag", "prepare",
    "passes_on_grid",
]


# --------------------------------------------------------------------------------------------
# Resampling
# --------------------------------------------------------------------------------------------
def _clean_times(t_s: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop non-finite times, sort, keep the first of duplicated timestamps."""
    keep = np.isfinite(t_s)
    t, v = t_s[keep], values[keep]
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    first = np.r_[True, np.diff(t) > 0]
    return t[first], v[first]


def _median_interval_s(t_s: np.ndarray) -> float:
    dt = np.diff(t_s)
    dt = dt[dt > 0]
    return float(np.median(dt)) if dt.size else float("nan")


def resample_even(t_s, landmarks, fps: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample samples taken at real (possibly uneven) times onto an even time grid.

    Parameters
    ----------
    t_s : (T,) float
        Real sample times in seconds (presentation timestamps). Need not be sorted; non-finite
        times are dropped, and of duplicated times the first sample is kept.
    landmarks : (T, ...) float
        Values at those times, any trailing shape (e.g. (T, 33, 4)); NaN = missing.
    fps : float, optional
        Grid rate in Hz. Default: the median real frame rate (1 / median positive interval).

    Returns
    -------
    t_grid_s : (N,) float
        ``t_s[0] + k / fps``, k = 0 … up to the last real time.
    landmarks_grid : (N, ...) float
        Linear interpolation between the two real frames that bracket each grid point (a value is
        NaN when either bracketing frame is NaN, unless the grid point coincides with the finite
        one). A grid point whose nearest real frame is farther than one median real interval
        stays NaN, so holes in the timestamps are left for :func:`fill_gaps` to judge.
    """
    t_in = np.asarray(t_s, dtype=float)
    x_in = np.asarray(landmarks, dtype=float)
    if x_in.shape[0] != t_in.shape[0]:
        raise ValueError("t_s and landmarks differ in length")
    trailing = x_in.shape[1:]
    t, x = _clean_times(t_in, x_in.reshape(len(t_in), -1))
    if len(t) < 2:
        return t.copy(), x.reshape((len(t),) + trailing).copy()
    dt_med = _median_interval_s(t)
    dt = 1.0 / float(fps) if fps else dt_med
    n = int(np.floor((t[-1] - t[0]) / dt * (1 + _TIME_RTOL))) + 1
    grid = t[0] + dt * np.arange(n)
    i1 = np.clip(np.searchsorted(t, grid, side="left"), 1, len(t) - 1)
    i0 = i1 - 1
    w = ((grid - t[i0]) / (t[i1] - t[i0]))[:, None]
    x0, x1 = x[i0], x[i1]
    out = x0 + w * (x1 - x0)
    out = np.where(np.isnan(out) & (w <= _TIME_RTOL), x0, out)
    out = np.where(np.isnan(out) & (w >= 1 - _TIME_RTOL), x1, out)
    nearest = np.minimum(grid - t[i0], t[i1] - grid)
    out[nearest > dt_med * (1 + _TIME_RTOL)] = np.nan
    return grid, out.reshape((n,) + trailing)


def nearest_index(t_s, t_query) -> np.ndarray:
    """Index into sorted ``t_s`` of the sample nearest to each of ``t_query``."""
    t = np.asarray(t_s, dtype=float)
    q = np.asarray(t_query, dtype=float)
    i1 = np.clip(np.searchsorted(t, q, side="left"), 1, max(len(t) - 1, 1))
    i0 = i1 - 1
    if len(t) < 2:
        return np.zeros(q.shape, dtype=int)
    return np.where(np.abs(q - t[i0]) <= np.abs(t[i1] - q), i0, i1)


def passes_on_grid(passes: list[Pass], t_s, t_grid_s) -> list[Pass]:
    """Copies of ``passes`` whose ``start``/``end`` index the even grid instead of the frames.

    A pass covers the grid points within half a grid interval of its first and last frame times
    (``t_s[start]`` … ``t_s[end - 1]``); ``start_s``/``end_s`` are kept.
    """
    t = np.asarray(t_s, dtype=float)
    g = np.asarray(t_grid_s, dtype=float)
    half = 0.5 * _median_interval_s(g) if len(g) > 1 else 0.0
    out = []
    for p in passes:
        if p.end <= p.start or len(t) == 0:
            out.append(replace(p, start=0, end=0))
            continue
        t0, t1 = t[max(p.start, 0)], t[min(p.end, len(t)) - 1]
        start = int(np.searchsorted(g, t0 - half, side="left"))
        end = int(np.searchsorted(g, t1 + half, side="left"))
        out.append(replace(p, start=start, end=max(end, start)))
    return out


# --------------------------------------------------------------------------------------------
# Outliers and gaps
# --------------------------------------------------------------------------------------------
def _odd_window(seconds: float, fs_hz: float, minimum: int = 3) -> int:
    n = max(int(round(seconds * fs_hz)), minimum)
    return n if n % 2 else n + 1


def reject_outliers(x, fs_hz: float, *, window_s: float, scale_window_s: float, n_sigma: float,
                    floor=0.0) -> np.ndarray:
    """Hampel-type outlier test of each column of ``x`` (T, C). Returns a (T, C) bool mask.

    A sample is an outlier when its distance from the centred running median over ``window_s``
    exceeds ``max(n_sigma · σ̂, floor)``, where σ̂ = 1.4826 × the running median, over
    ``scale_window_s``, of those distances (a robust local noise scale that a spike does not
    inflate). Windows are rounded to an odd number of samples (≥ 3); a burst of up to
    (window − 1) / 2 consecutive bad samples is caught. ``floor`` (same unit as ``x``; scalar,
    (T,) or (T, C)) keeps clean, noise-free trajectories from being flagged. NaN samples are
    never outliers; a NaN median or scale rejects nothing.
    """
    x = np.asarray(x, dtype=float)
    x2 = x.reshape(len(x), -1)
    df = pd.DataFrame(x2)
    w = _odd_window(window_s, fs_hz)
    med = df.rolling(w, center=True, min_periods=w // 2 + 1).median().to_numpy()
    dev = np.abs(x2 - med)
    ws = _odd_window(scale_window_s, fs_hz)
    scale = MAD_TO_SIGMA * pd.DataFrame(dev).rolling(ws, center=True, min_periods=w).median().to_numpy()
    floor_arr = np.asarray(floor, dtype=float)
    if floor_arr.ndim == 1:
        floor_arr = floor_arr[:, None]
    with np.errstate(invalid="ignore"):
        threshold = np.maximum(n_sigma * scale, floor_arr)
        mask = dev > threshold
    return mask.reshape(x.shape)


def fill_gaps(x, fs_hz: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation across interior NaN gaps of at most ``max_gap_s`` (per column).

    Parameters
    ----------
    x : (T, ...) float, sampled evenly at ``fs_hz``.
    max_gap_s : a gap of k missing samples lasts k / fs_hz seconds and is filled when that is
        ≤ ``max_gap_s``. Longer gaps and leading / trailing NaN stay NaN (no extrapolation).

    Returns
    -------
    filled : same shape as ``x``.
    was_filled : bool, same shape: True where a NaN was replaced.
    """
    x = np.asarray(x, dtype=float)
    shape = x.shape
    x2 = x.reshape(len(x), -1)
    n = len(x2)
    if n == 0:
        return x.copy(), np.zeros(shape, dtype=bool)
    valid = np.isfinite(x2)
    rows = np.arange(n)[:, None]
    prev = np.maximum.accumulate(np.where(valid, rows, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(valid, rows, n)[::-1], axis=0)[::-1]
    max_missing = int(np.floor(max_gap_s * fs_hz * (1 + _TIME_RTOL)))
    fill = ~valid & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_missing)
    p = np.clip(prev, 0, n - 1)
    q = np.clip(nxt, 0, n - 1)
    x0 = np.take_along_axis(x2, p, axis=0)
    x1 = np.take_along_axis(x2, q, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = (rows - p) / (q - p)
        interp = x0 + w * (x1 - x0)
    out = np.where(fill, interp, x2)
    return out.reshape(shape), fill.reshape(shape)


# --------------------------------------------------------------------------------------------
# Zero-lag Butterworth
# --------------------------------------------------------------------------------------------
def design_cutoff_hz(cutoff_hz: float, fs_hz: float, order: int = 2, n_passes: int = 2) -> float:
    """Per-pass design cut-off that puts the −3 dB point of ``n_passes`` passes at ``cutoff_hz``.

    Winter's correction ``C = (2^(1/n_passes) − 1)^(1/(2·order))`` applied in the pre-warped
    (bilinear-transform) frequency domain: ``fs/π · atan(tan(π·cutoff/fs) / C)``.
    """
    c = (2.0 ** (1.0 / n_passes) - 1.0) ** (1.0 / (2.0 * order))
    return float(fs_hz / np.pi * np.arctan(np.tan(np.pi * cutoff_hz / fs_hz) / c))


def butter_sos(fs_hz: float, cutoff_hz: float, order: int = 2, double_pass_correction: bool = True) -> np.ndarray:
    """Second-order sections of one pass of the low-pass Butterworth (see module docstring)."""
    fc = design_cutoff_hz(cutoff_hz, fs_hz, order) if double_pass_correction else cutoff_hz
    return butter(order, fc, btype="low", fs=fs_hz, output="sos")


def filtfilt_padlen(sos: np.ndarray) -> int:
    """Edge padding ``sosfiltfilt`` uses by default; a stretch must be longer than this."""
    zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * (2 * len(sos) + 1 - zeros)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) stops of the True runs of a 1-D bool array."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def lowpass_zero_lag(x, fs_hz: float, cutoff_hz: float, *, order: int = 2, double_pass_correction: bool = True,
                     max_cutoff_fs_fraction: float = 0.4) -> tuple[np.ndarray, list[str]]:
    """Zero-lag Butterworth low-pass of each column of ``x`` (T, ...), NaN-aware.

    The cut-off is clamped to ``max_cutoff_fs_fraction × fs_hz`` (warning returned). With
    ``double_pass_correction`` the −3 dB point of the forward–backward filter is ``cutoff_hz``;
    without it, each pass has −3 dB at ``cutoff_hz`` and the pair ≈ −6 dB there. Each contiguous
    finite stretch is filtered on its own (odd-extension padding of ``filtfilt_padlen`` samples);
    stretches of ≤ ``padlen`` samples become NaN. Columns with the same NaN pattern are filtered
    together. Returns ``(filtered, warnings)``.
    """
    warnings: list[str] = []
    x = np.asarray(x, dtype=float)
    shape = x.shape
    x2 = x.reshape(len(x), -1)
    limit = max_cutoff_fs_fraction * fs_hz
    if cutoff_hz > limit:
        warnings.append(
            f"Filter cut-off {cutoff_hz:g} Hz is above {max_cutoff_fs_fraction:g} × the frame rate "
            f"({fs_hz:.3g} fps); it was lowered to {limit:.3g} Hz."
        )
        cutoff_hz = limit
    sos = butter_sos(fs_hz, cutoff_hz, order, double_pass_correction)
    padlen = filtfilt_padlen(sos)
    out = np.full_like(x2, np.nan)
    valid = np.isfinite(x2)
    if x2.size == 0:
        return out.reshape(shape), warnings
    patterns, which = np.unique(valid.T, axis=0, return_inverse=True)
    which = np.asarray(which).ravel()
    n_short = 0
    for k, pattern in enumerate(patterns):
        cols = np.flatnonzero(which == k)
        starts, stops = _runs(pattern)
        for s, e in zip(starts, stops):
            if e - s > padlen:
                out[s:e, cols] = sosfiltfilt(sos, x2[s:e][:, cols], axis=0, padlen=padlen)
            else:
                n_short += 1
    if n_short:
        warnings.append(
            f"{n_short} tracked stretch(es) of a coordinate were too short to filter "
            f"(≤ {padlen} samples) and were set to missing."
        )
    return out.reshape(shape), warnings


# --------------------------------------------------------------------------------------------
# The whole stage
# --------------------------------------------------------------------------------------------
@dataclass
class PreparedPose:
    """Landmarks on an even time grid, cleaned and low-pass filtered.

    Attributes
    ----------
    t_s : (N,) float — even grid, seconds (same clock as the source's presentation times).
    landmarks : (N, 33, 4) float — x px, y px filtered; z px and visibility resampled and
        gap-filled only. All four are NaN where x/y could not be produced.
    filled : (N, 33) bool — the landmark at this sample comes from gap filling (no real frame
        supported it, or it was rejected as an outlier). ``filled.any(axis=1)`` per sample.
    outliers : (N, 33) bool — rejected by the outlier test (before gap filling).
    frame_index : (N,) int — decoded frame index of the real frame nearest to each grid point.
    fps : float — grid rate, Hz.
    cutoff_hz : float — −3 dB point actually used (after clamping).
    warnings : list[str]
    """

    t_s: np.ndarray
    landmarks: np.ndarray
    filled: np.ndarray
    outliers: np.ndarray
    frame_index: np.ndarray
    fps: float
    cutoff_hz: float
    warnings: list[str] = field(default_factory=list)

    def to_pose(self, source: PoseSequence) -> PoseSequence:
        """A :class:`PoseSequence` on the grid carrying ``source``'s metadata."""
        return replace(source, t_s=self.t_s, landmarks=self.landmarks, frame_index=self.frame_index,
                       fps=self.fps, warnings=list(source.warnings) + list(self.warnings))


def _leg_length_px(xy: np.ndarray) -> np.ndarray:
    """(T,) mean of the left and right hip–ankle image distances (NaN when both are missing)."""
    legs = [np.linalg.norm(xy[:, LM[f"{s}_hip"]] - xy[:, LM[f"{s}_ankle"]], axis=-1) for s in ("left", "right")]
    stacked = np.stack(legs, axis=1)
    out = np.full(len(xy), np.nan)
    ok = np.isfinite(stacked).any(axis=1)
    out[ok] = np.nanmean(stacked[ok], axis=1)
    return out


def prepare(pose: PoseSequence, cfg: FilterConfig) -> PreparedPose:
    """Resample → reject outliers (x, y) → fill short gaps → zero-lag low-pass (x, y).

    z and visibility are resampled and gap-filled only. See the module docstring for each step.
    """
    warnings: list[str] = []
    t_grid, lm = resample_even(pose.t_s, pose.landmarks)
    n = len(t_grid)
    fs = 1.0 / _median_interval_s(t_grid) if n > 1 else float("nan")
    t_src, src_rows = _clean_times(np.asarray(pose.t_s, float), np.arange(len(pose.t_s)))
    frame_index = np.asarray(pose.frame_index)[src_rows][nearest_index(t_src, t_grid)] if n else np.zeros(0, int)
    if n <= 1 or not np.isfinite(fs):
        empty = np.zeros(lm.shape[:2], dtype=bool)
        return PreparedPose(t_grid, lm, empty, empty.copy(), frame_index, fs, cfg.cutoff_hz,
                            ["Too few frames to filter."])

    lm = lm.copy()
    leg = pd.Series(_leg_length_px(lm[..., :2]))
    leg = leg.rolling(_odd_window(cfg.outlier_scale_window_s, fs), center=True, min_periods=1).median()
    floor = cfg.outlier_min_leg_fraction * leg.fillna(leg.median()).to_numpy()
    bad_xy = reject_outliers(lm[..., :2].reshape(n, -1), fs, window_s=cfg.outlier_window_s,
                             scale_window_s=cfg.outlier_scale_window_s, n_sigma=cfg.outlier_n_sigma,
                             floor=floor).reshape(n, -1, 2)
    outliers = bad_xy.any(axis=-1)
    lm[..., :3][outliers] = np.nan

    missing_before = ~np.isfinite(lm[..., :2]).all(axis=-1)
    lm, _ = fill_gaps(lm, fs, cfg.max_gap_s)
    xy, fwarn = lowpass_zero_lag(lm[..., :2], fs, cfg.cutoff_hz, order=cfg.butter_order,
                                 double_pass_correction=cfg.double_pass_correction,
                                 max_cutoff_fs_fraction=cfg.max_cutoff_fs_fraction)
    warnings += fwarn
    lm[..., :2] = xy
    lost = ~np.isfinite(xy).all(axis=-1)
    lm[lost] = np.nan
    filled = missing_before & ~lost
    cutoff = min(cfg.cutoff_hz, cfg.max_cutoff_fs_fraction * fs)
    return PreparedPose(t_grid, lm, filled, outliers, frame_index, fs, cutoff, warnings)
