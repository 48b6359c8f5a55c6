"""Time base and noise handling of landmark trajectories: outliers → resample → gap fill → low-pass.

Pure functions, arrays in and arrays out; :func:`prepare` chains them for a :class:`PoseSequence`.
Every tunable comes from :class:`~gaitlab.pipeline.FilterConfig` (``[filter]`` in the pipeline file).

Decisions (details in each function)

* **Resampling** (:func:`resample_even`): even grid at the median real frame interval, linear
  interpolation between the bracketing real frames; a grid point farther than one median interval
  from any real frame stays NaN (a hole in the timestamps is not data).
* **Outliers** (:func:`reject_outliers`): Hampel-type test against a running median with a robust
  local scale and a floor ∝ leg length; iterated so that a spike on a fast-moving ankle does not
  take its neighbours with it. :func:`prepare` tests the real frames *before* resampling, and a
  landmark whose x *or* y is an outlier is rejected as a whole (x, y, z), then gap-filled.
* **Gap filling** (:func:`fill_gaps`): **linear** across gaps of ≤ ``max_gap_s`` (k missing
  samples last k / fs); longer gaps and the ends stay NaN. Linear, not cubic: cubic end slopes
  estimated from pose noise overshoot, and the low-pass rounds the corners of a ≤ 0.12 s chord.
* **Low-pass** (:func:`lowpass_zero_lag`): Butterworth of order ``butter_order`` run forward and
  backward (``sosfiltfilt``). With ``double_pass_correction = true`` (default), **``cutoff_hz``
  is the −3 dB point of the combined two-pass filter**: each pass is designed at a cut-off raised
  by Winter's correction ``C = (2^(1/n) − 1)^(1/(2·order))`` (n = 2 passes; 0.802 for order 2)
  applied to the pre-warped frequency, ``f_design = fs/π · atan(tan(π·f_c/fs) / C)``, which puts
  −3 dB exactly at ``cutoff_hz`` at any frame rate. With ``false`` each pass has −3 dB at
  ``cutoff_hz``, the pair −6 dB there and −3 dB at ≈ 0.80 × ``cutoff_hz``. The cut-off is clamped
  to ``max_cutoff_fs_fraction`` × frame rate (CLINICAL §3) with a warning. Each contiguous finite
  stretch is filtered separately; a stretch of ≤ ``padlen`` samples (9 for order 2: too short
  for filtfilt's edge padding) is **set to NaN** (no result rather than a bad one: raw pose noise
  would reach velocities and events), with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.signal import butter, sosfiltfilt

from ..model import Pass, PoseSequence, hip_ankle_px
from ..pipeline import FilterConfig

#: Scale turning a median absolute deviation into the standard deviation of a normal distribution.
MAD_TO_SIGMA = 1.4826
#: Relative tolerance used when comparing float times (grid vs. frame timestamps).
_TIME_RTOL = 1e-6

__all__ = [
    "PreparedPose", "resample_even", "nearest_index", "reject_outliers", "fill_gaps",
    "design_cutoff_hz", "butter_sos", "filtfilt_padlen", "lowpass_zero_lag", "prepare",
    "passes_on_grid", "leg_length_px",
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

    ``t_s`` (T,) are real times in seconds (presentation timestamps; unsorted and duplicated
    times are tolerated: the first of duplicates is kept); ``landmarks`` (T, ...) any trailing
    shape, NaN = missing; ``fps`` the grid rate (default: median real frame rate).

    Returns ``(t_grid_s, landmarks_grid)``: grid ``t_s[0] + k / fps`` up to the last real time;
    values linearly interpolated between the two real frames bracketing each grid point (NaN when
    either is NaN, unless the grid point coincides with the finite one). A grid point whose
    nearest real frame is farther than one median real interval stays NaN, so holes in the
    timestamps are left for :func:`fill_gaps` to judge.
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
    n = int(np.floor((t[-1] - t[0]) / dt + _TIME_RTOL)) + 1
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
    if len(t) < 2:
        return np.zeros(q.shape, dtype=int)
    i1 = np.clip(np.searchsorted(t, q, side="left"), 1, len(t) - 1)
    i0 = i1 - 1
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

    A sample is a candidate when its distance from the centred running median over ``window_s``
    (odd, ≥ 3 samples) exceeds ``max(n_sigma · σ̂, floor)``: σ̂ = robust noise SD over blocks of
    ``scale_window_s`` (:func:`_noise_sd`), ``floor`` in the unit of ``x`` (scalar, (T,) or (T, C)).
    A running median is exact on ramps and monotone kinks (heel strike), but a spike on a fast
    ramp shifts its neighbours' medians by one sample's motion; so only the largest candidate
    within a window is rejected per round, bridged linearly, and the test repeated (≤ window / 2
    + 1 rounds, on changed columns only). NaN samples are never outliers.
    """
    x = np.asarray(x, dtype=float)
    work = x.reshape(len(x), -1).copy()
    n, n_cols = work.shape
    mask = np.zeros(work.shape, dtype=bool)
    if n == 0 or n_cols == 0:
        return mask.reshape(x.shape)
    w = _odd_window(window_s, fs_hz)
    cols = np.arange(n_cols)
    threshold = None
    for _ in range(w // 2 + 1):
        held = _bridge(work[:, cols], w)
        med = ndimage.median_filter(held, size=(w, 1), mode="nearest")
        if threshold is None:
            scale = _noise_sd(work, min(_odd_window(scale_window_s, fs_hz), n))
            floor_arr = np.asarray(floor, dtype=float)
            floor_arr = floor_arr[:, None] if floor_arr.ndim == 1 else floor_arr
            with np.errstate(invalid="ignore"):
                threshold = np.broadcast_to(np.fmax(n_sigma * scale, floor_arr), work.shape)
        dev = np.abs(work[:, cols] - med)
        with np.errstate(invalid="ignore"):
            cand = dev > threshold[:, cols]
        if not cand.any():
            break
        dev_c = np.where(cand, dev, 0.0)
        peak = cand & (dev_c >= ndimage.maximum_filter1d(dev_c, w, axis=0))
        r, c = np.nonzero(peak)
        mask[r, cols[c]] = True
        work[r, cols[c]] = np.nan
        cols = cols[peak.any(axis=0)]
    return mask.reshape(x.shape)


def _noise_sd(x2: np.ndarray, block: int) -> np.ndarray:
    """(T, C) robust noise SD: 1.4826 × median |second difference| / √6 over consecutive blocks.

    Second differences cancel smooth motion (a 10 m/s² foot deceleration moves them by < 0.3 cm
    at 60 fps) and their median ignores spikes and kinks; for white noise of SD σ they have SD
    √6·σ. NaN samples are left out; a block without any finite value gives NaN (floor only).
    """
    n, n_cols = x2.shape
    d2 = np.full(x2.shape, np.nan)
    d2[1:-1] = np.abs(x2[2:] - 2 * x2[1:-1] + x2[:-2])
    n_blocks = -(-n // block)
    blocks = np.pad(d2, ((0, n_blocks * block - n), (0, 0)), constant_values=np.nan).reshape(n_blocks, block, n_cols)
    ordered = np.sort(blocks, axis=1)  # NaN last
    count = np.isfinite(blocks).sum(axis=1)
    lo = np.take_along_axis(ordered, np.clip((count - 1) // 2, 0, None)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, np.clip(count // 2, 0, block - 1)[:, None], axis=1)[:, 0]
    med = np.where(count > 0, 0.5 * (lo + hi), np.nan)
    return np.repeat(MAD_TO_SIGMA * med / np.sqrt(6.0), block, axis=0)[:n]


def _gap_neighbours(x2: np.ndarray):
    """For each NaN of (T, C): its row, column, previous and next finite row (−1 / T when none)."""
    n, n_cols = x2.shape
    padded = np.zeros((n_cols, n + 2), dtype=np.int8)
    padded[:, 1:-1] = ~np.isfinite(x2.T)
    d = np.diff(padded, axis=1)
    col, start = np.nonzero(d == 1)  # NaN runs, in (column, row) order
    _, stop = np.nonzero(d == -1)
    length = stop - start
    first = np.cumsum(length) - length
    r = np.arange(length.sum()) - np.repeat(first - start, length)
    return r, np.repeat(col, length), np.repeat(start - 1, length), np.repeat(stop, length)


def _fill_linear(x2: np.ndarray, max_missing: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear fill of interior NaN runs of ≤ ``max_missing`` samples in each column of (T, C)."""
    out = x2.copy()
    was_filled = np.zeros(x2.shape, dtype=bool)
    if x2.size == 0:
        return out, was_filled
    r, c, prev, nxt = _gap_neighbours(x2)
    ok = (prev >= 0) & (nxt < len(x2)) & (nxt - prev - 1 <= max_missing)
    r, c, prev, nxt = r[ok], c[ok], prev[ok], nxt[ok]
    x0, x1 = x2[prev, c], x2[nxt, c]
    out[r, c] = x0 + (r - prev) / (nxt - prev) * (x1 - x0)
    was_filled[r, c] = True
    return out, was_filled


def _bridge(x2: np.ndarray, max_linear: int) -> np.ndarray:
    """NaN-free copy for running statistics: gaps of ≤ ``max_linear`` samples linear (exact on
    ramps), longer gaps and the ends take the nearest finite value (exact for a running median on
    a monotone edge), empty columns 0."""
    out, _ = _fill_linear(x2, max_linear)
    if out.size == 0:
        return out
    n = len(out)
    r, c, prev, nxt = _gap_neighbours(out)
    use_prev = (prev >= 0) & ((nxt >= n) | (r - prev <= nxt - r))
    src = np.where(use_prev, prev, nxt)
    has = src < n
    out[r[has], c[has]] = out[src[has], c[has]]
    out[r[~has], c[~has]] = 0.0
    return out


def fill_gaps(x, fs_hz: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation across interior NaN gaps of ``x`` (T, ...) sampled evenly at ``fs_hz``.

    A gap of k missing samples lasts k / fs_hz s and is filled when that is ≤ ``max_gap_s``; longer
    gaps and leading / trailing NaN stay NaN (no extrapolation). Returns ``(filled, was_filled)``,
    both shaped like ``x``.
    """
    x = np.asarray(x, dtype=float)
    max_missing = int(np.floor(max_gap_s * fs_hz * (1 + _TIME_RTOL)))
    out, was_filled = _fill_linear(x.reshape(len(x), -1), max_missing)
    return out.reshape(x.shape), was_filled.reshape(x.shape)


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
    """Zero-lag Butterworth low-pass of each column of ``x`` (T, ...), NaN-aware; see the module
    docstring for the cut-off convention, clamping and short stretches. Each finite stretch is
    filtered on its own (odd-extension padding of ``filtfilt_padlen`` samples); columns with the
    same NaN pattern are filtered together. Returns ``(filtered, warnings)``.
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
    groups: dict[bytes, list[int]] = {}  # columns sharing one NaN pattern are filtered together
    for col, key in enumerate(np.packbits(valid, axis=0).T):
        groups.setdefault(key.tobytes(), []).append(col)
    n_short = 0
    for cols in groups.values():
        starts, stops = _runs(valid[:, cols[0]])
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

    ``t_s`` (N,) even grid, s; ``landmarks`` (N, 33, 4): x, y px filtered, z px and visibility
    resampled and gap-filled only, all four NaN where x/y could not be produced;
    ``filled`` (N, 33) bool: the landmark comes from gap filling (``filled.any(axis=1)`` per sample).
    ``outliers`` (N, 33) bool: the nearest real frame's landmark was rejected; ``frame_index`` (N,)
    decoded frame nearest to each grid point; ``fps`` grid rate; ``cutoff_hz`` −3 dB point used.
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


def leg_length_px(xy: np.ndarray) -> np.ndarray:
    """(T,) mean of the left and right hip–ankle image distances of (T, 33, 2) landmarks."""
    stacked = hip_ankle_px(xy)
    out = np.full(len(xy), np.nan)
    ok = np.isfinite(stacked).any(axis=1)
    out[ok] = np.nanmean(stacked[ok], axis=1)
    return out


def prepare(pose: PoseSequence, cfg: FilterConfig) -> PreparedPose:
    """Reject outliers (x, y) → resample → fill short gaps → zero-lag low-pass (x, y).

    Outliers are tested on the real frames, before resampling: a pose glitch belongs to one
    frame, and interpolating first would smear it over two grid samples and make the noise level
    vary with the frame jitter (measured: 8× more false rejections on a variable-rate clip).
    z and visibility are resampled and gap-filled only. See the module docstring for each step.
    """
    t_src, rows = _clean_times(np.asarray(pose.t_s, float), np.arange(len(pose.t_s)))
    src = np.asarray(pose.landmarks, dtype=float)[rows]
    fs_src = 1.0 / _median_interval_s(t_src) if len(t_src) > 1 else float("nan")
    outliers_src = np.zeros(src.shape[:2], dtype=bool)
    if np.isfinite(fs_src):
        leg = pd.Series(leg_length_px(src[..., :2]))
        leg = leg.rolling(_odd_window(cfg.outlier_scale_window_s, fs_src), center=True, min_periods=1).median()
        floor = cfg.outlier_min_leg_fraction * leg.fillna(leg.median()).to_numpy()
        outliers_src = reject_outliers(src[..., :2].reshape(len(src), -1), fs_src, window_s=cfg.outlier_window_s,
                                       scale_window_s=cfg.outlier_scale_window_s, n_sigma=cfg.outlier_n_sigma,
                                       floor=floor).reshape(len(src), -1, 2).any(axis=-1)
        src = src.copy()
        src[..., :3][outliers_src] = np.nan

    t_grid, lm = resample_even(t_src, src)
    n = len(t_grid)
    fs = 1.0 / _median_interval_s(t_grid) if n > 1 else float("nan")
    frame_index = np.asarray(pose.frame_index)[rows][nearest_index(t_src, t_grid)] if n else np.zeros(0, int)
    if n <= 1 or not np.isfinite(fs):
        empty = np.zeros(lm.shape[:2], dtype=bool)
        return PreparedPose(t_grid, lm, empty, empty.copy(), frame_index, fs, cfg.cutoff_hz,
                            ["Too few frames to filter."])
    with np.errstate(invalid="ignore"):  # grid samples whose nearest real frame was rejected
        outliers = resample_even(t_src, outliers_src.astype(float))[1] >= 0.5

    missing_before = ~np.isfinite(lm[..., :2]).all(axis=-1)
    lm, _ = fill_gaps(lm, fs, cfg.max_gap_s)
    xy, warnings = lowpass_zero_lag(lm[..., :2], fs, cfg.cutoff_hz, order=cfg.butter_order,
                                    double_pass_correction=cfg.double_pass_correction,
                                    max_cutoff_fs_fraction=cfg.max_cutoff_fs_fraction)
    lm[..., :2] = xy
    lost = ~np.isfinite(xy).all(axis=-1)
    lm[lost] = np.nan
    filled = missing_before & ~lost
    cutoff = min(cfg.cutoff_hz, cfg.max_cutoff_fs_fraction * fs)
    return PreparedPose(t_grid, lm, filled, outliers, frame_index, fs, cutoff, warnings)
