"""Frontal pelvic obliquity and shoulder-line tilt measured in the image, seeded by the pose landmarks.

MediaPipe's hip landmarks barely follow a tilting pelvis (issue 5 §6), so the tilt is read from the
pixels of a band around the waist (belt, waistband, clothing texture) placed from the landmarks:

* ``"lk"`` — pyramidal Lucas–Kanade: corners in the band are tracked frame to frame with a
  forward–backward check; a similarity transform (RANSAC) from the seed frame to the current one gives
  the band's in-plane rotation. Points are re-seeded every ``reseed_frames`` frames or when too few
  survive, the rotation accumulating across seeds. Rotation is relative, so its slow part (below
  ``trend_s``) is replaced by the landmarks' (a complementary filter): excursions come from the image,
  the level from the landmarks.
* ``"edge"`` — the dominant near-horizontal edge orientation in the band (structure tensor of the
  image gradient within ``edge_max_deg`` of the current estimate's normal, re-centred a few times):
  absolute, no drift; pulled by fabric texture and by horizontal edges that do not tilt with the pelvis
  (a shirt hem leaning with the trunk).
* ``"combined"`` (default) — the mean of the two: their errors differ (edge: trunk lean; LK: texture-poor
  bands), so the mean has the smallest worst-case error on rendered walkers
  (``benchmarks/probe_image_obliquity.py``).

Measured (``benchmarks/probe_image_obliquity.py``, 2026-12-02, 11 rendered front-view clips): per frame
slope 1.01, r 0.98, RMSE 0.64° against the true hip line (landmarks: 0.30, 0.55, 3.14°); per-stride
pelvic drop |error| 0.6° (max 3.9°) at true events. Not validated on real video: the frontal real clips
show no waist edge (a coat, a dress), where it mostly declines, and is noisy where it does not.

The same is done for a band over the shoulders (shoulder line); there the landmarks are better (use them
for lateral trunk lean). Angles use the sign convention of
:mod:`gaitlab.gait.kinematics`' frontal columns: + = the subject's right side up, the subject's right
found per stretch of ``frames_mask`` from the (subject-sided) hip landmarks.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from ..gait.filtering import fill_gaps, lowpass_zero_lag
from ..model import LM, PoseSequence
from ..pipeline import ImageObliquityConfig

__all__ = ["ImageObliquity", "ImageObliquityConfig", "band_boxes", "estimate_bands", "finish", "gray_frames",
           "image_obliquity", "landmark_line_deg", "substitute_column"]


#: The edge method's gradient cone is re-centred on its own estimate this many times (a cone fixed on the
#: vertical pulls isotropic texture, and so the estimate, toward 0°).
EDGE_ITERATIONS = 3
#: Σ over rows of the squared derivative profile of a unit step after the pre-blur and the Sobel
#: smoothing (Gaussian of ≈ 1.2 px SD): 1 / (2·√π·1.2).
SOBEL_STEP_ENERGY = 0.235


class ImageObliquity(NamedTuple):
    """Per pose row: ``obliquity_deg`` (pelvis), ``shoulder_line_deg`` (NaN where not measured) and each
    one's quality 0–1 (LK: fraction of tracked points that fit the rotation; edge: gradient coherence)."""

    obliquity_deg: np.ndarray
    shoulder_line_deg: np.ndarray
    quality: np.ndarray
    shoulder_quality: np.ndarray


def band_boxes(lm: np.ndarray, cfg: ImageObliquityConfig, method: str = "edge") -> np.ndarray:
    """(T, 2, 4) pixel boxes (x0, y0, x1, y1) of the waist and shoulder bands of ``method`` from landmarks
    (T, 33, ≥2); NaN where the hips or shoulders are missing."""
    half = cfg.lk_pelvis_half_width if method == "lk" else cfg.pelvis_half_width
    xy = np.asarray(lm, float)[..., :2]
    hip = 0.5 * (xy[:, LM["left_hip"]] + xy[:, LM["right_hip"]])
    sh = 0.5 * (xy[:, LM["left_shoulder"]] + xy[:, LM["right_shoulder"]])
    trunk = np.linalg.norm(sh - hip, axis=1)
    out = np.full((len(xy), 2, 4), np.nan)
    for k, (c, hw, lo, hi) in enumerate(((hip, half, cfg.pelvis_bottom, cfg.pelvis_top),
                                          (sh, cfg.shoulder_half_width, cfg.shoulder_bottom, cfg.shoulder_top))):
        out[:, k] = np.stack([c[:, 0] - hw * trunk, c[:, 1] - hi * trunk,
                              c[:, 0] + hw * trunk, c[:, 1] - lo * trunk], axis=1)
    return out


class _BandTracker:
    """LK rotation of one band; ``step`` returns (accumulated image rotation deg, quality)."""

    def __init__(self, cfg: ImageObliquityConfig):
        self.cfg = cfg
        self.prev = None  # previous gray frame
        self.seed_pts = self.pts = None
        self.base_deg = 0.0  # rotation accumulated up to the current seed
        self.since_seed = 0
        self.last_deg = 0.0
        self.lk = dict(winSize=(cfg.lk_win_px, cfg.lk_win_px), maxLevel=cfg.lk_levels,
                       criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))

    def reset(self) -> None:
        self.prev, self.seed_pts, self.pts, self.base_deg, self.since_seed, self.last_deg = None, None, None, 0.0, 0, 0.0

    def _seed(self, gray, box) -> None:
        self.base_deg = self.last_deg
        self.since_seed = 0
        pts = None
        if np.isfinite(box).all():
            h, w = gray.shape
            x0, y0 = int(max(np.floor(box[0]), 0)), int(max(np.floor(box[1]), 0))
            x1, y1 = int(min(np.ceil(box[2]), w)), int(min(np.ceil(box[3]), h))
            if x1 - x0 >= 6 and y1 - y0 >= 4 and float(np.std(gray[y0:y1, x0:x1])) >= self.cfg.lk_min_band_sd:
                pts = cv2.goodFeaturesToTrack(gray[y0:y1, x0:x1], self.cfg.max_corners, self.cfg.corner_quality,
                                              self.cfg.min_distance_px, blockSize=5)
                pts = None if pts is None else pts.reshape(-1, 2) + np.array([x0, y0], np.float32)
        self.seed_pts = self.pts = None if pts is None or len(pts) < self.cfg.min_points else pts

    def step(self, gray: np.ndarray, box: np.ndarray) -> tuple[float, float]:
        cfg = self.cfg
        deg, quality = np.nan, 0.0
        if self.prev is not None and self.pts is not None:
            # both images cropped to the same window around the points (pyramids of the crop only)
            h, w = gray.shape
            margin = (cfg.lk_win_px + 2) * 2 ** cfg.lk_levels
            x0, y0 = np.maximum(np.floor(self.pts.min(0)).astype(int) - margin, 0)
            x1, y1 = np.minimum(np.ceil(self.pts.max(0)).astype(int) + margin, (w, h))
            a, b = self.prev[y0:y1, x0:x1], gray[y0:y1, x0:x1]
            off = np.array([x0, y0], np.float32)
            p0 = (self.pts - off).reshape(-1, 1, 2).astype(np.float32)
            p1, st, _ = cv2.calcOpticalFlowPyrLK(a, b, p0, None, **self.lk)
            pb, st_b, _ = cv2.calcOpticalFlowPyrLK(b, a, p1, None, **self.lk)
            fb = np.linalg.norm((pb - p0).reshape(-1, 2), axis=1)
            p1 = p1 + off
            ok = (st.ravel() == 1) & (st_b.ravel() == 1) & (fb < cfg.fb_max_px)
            n0 = len(ok)
            self.seed_pts, self.pts = self.seed_pts[ok], p1.reshape(-1, 2)[ok]
            self.since_seed += 1
            if len(self.pts) >= cfg.min_points:
                m, inl = cv2.estimateAffinePartial2D(self.seed_pts.astype(np.float32), self.pts.astype(np.float32),
                                                     method=cv2.RANSAC, ransacReprojThreshold=cfg.ransac_px)
                if m is not None:
                    self.last_deg = self.base_deg + float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))
                    deg = self.last_deg
                    quality = float(inl.sum()) / n0
            if not np.isfinite(deg):
                self.pts = None  # lost: re-seed below, rotation continues from the last good value
        self.prev = gray
        if self.pts is None or self.since_seed >= cfg.reseed_frames or len(self.pts) < cfg.min_points:
            self._seed(gray, box)
        return deg, quality


def _edge_angle(gray: np.ndarray, box: np.ndarray, cfg: ImageObliquityConfig) -> tuple[float, float]:
    """Image angle (deg, atan2(dy, dx), y down) of the dominant near-horizontal edges in ``box`` and its
    coherence 0–1."""
    if not np.isfinite(box).all():
        return np.nan, 0.0
    h, w = gray.shape
    pad = 3
    x0, y0 = max(int(box[0]) - pad, 0), max(int(box[1]) - pad, 0)
    x1, y1 = min(int(np.ceil(box[2])) + pad, w), min(int(np.ceil(box[3])) + pad, h)
    if x1 - x0 < 8 or y1 - y0 < 6:
        return np.nan, 0.0
    roi = gray[y0:y1, x0:x1].astype(np.float32)
    if cfg.edge_blur_px > 0:
        roi = cv2.GaussianBlur(roi, (0, 0), cfg.edge_blur_px)
    gx = cv2.Sobel(roi, cv2.CV_32F, 1, 0, ksize=3)[pad:-pad, pad:-pad]
    gy = cv2.Sobel(roi, cv2.CV_32F, 0, 1, ksize=3)[pad:-pad, pad:-pad]
    gxx, gyy, gxy = gx * gx, gy * gy, gx * gy
    grad = np.pi / 2  # gradient direction (rad): vertical first, then centred on each estimate
    cos_max = np.cos(np.radians(cfg.edge_max_deg))
    for _ in range(EDGE_ITERATIONS):
        along = gx * np.cos(grad) + gy * np.sin(grad)
        keep = along * along >= cos_max ** 2 * (gxx + gyy)  # within edge_max_deg of the current normal
        jxx, jyy, jxy = (float(np.sum(v[keep])) for v in (gxx, gyy, gxy))
        if jxx + jyy <= 0:
            return np.nan, 0.0
        grad = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
        if abs(np.degrees(grad) % 180.0 - 90.0) > cfg.edge_max_deg:
            return np.nan, 0.0  # not a near-horizontal structure
    coherence = float(np.hypot(jxx - jyy, 2 * jxy) / (jxx + jyy))
    # a step of contrast C across the band (width w px) gives Σg² ≈ w·(4C)²·SOBEL_STEP_ENERGY (Sobel gain 4)
    contrast = np.sqrt((jxx + jyy) / (gx.shape[1] * 16.0 * SOBEL_STEP_ENERGY))
    if contrast < cfg.edge_min_contrast:
        return np.nan, 0.0
    line = np.degrees(grad) - 90.0  # the edge runs perpendicular to the gradient
    return float((line + 90.0) % 180.0 - 90.0), coherence


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def landmark_line_deg(lm: np.ndarray, part: str, right_sign: float) -> np.ndarray:
    """(T,) tilt of the left→right ``part`` landmark line (kinematics' frontal convention, no roll), as a
    line in [−90°, 90°): a frame with its left/right labels swapped reads the same."""
    d = lm[:, LM[f"right_{part}"], :2] - lm[:, LM[f"left_{part}"], :2]
    return (np.degrees(np.arctan2(-d[:, 1], right_sign * d[:, 0])) + 90.0) % 180.0 - 90.0


def _moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Centred NaN-aware moving mean over ``n`` samples (shrinking at the ends)."""
    ok = np.isfinite(x)
    k = np.ones(max(min(int(n), len(x) - 1 + len(x) % 2) | 1, 1))  # odd, not longer than x
    s = np.convolve(np.where(ok, x, 0.0), k, "same")
    c = np.convolve(ok.astype(float), k, "same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / c, np.nan)


def _methods(cfg: ImageObliquityConfig) -> tuple[str, ...]:
    if cfg.method not in ("combined", "edge", "lk"):
        raise ValueError(f"method must be combined, edge or lk, not {cfg.method!r}")
    return ("edge", "lk") if cfg.method == "combined" else (cfg.method,)


def estimate_bands(frames, pose: PoseSequence, rows: np.ndarray, cfg: ImageObliquityConfig) -> dict:
    """Raw band angles along ``frames`` (iterable of (frame index, gray image, scale = image px per pose
    px)): {method: (angle_deg (T, 2), quality (T, 2))} for the waist and shoulder bands — image angles
    (atan2(dy, dx), y down) for "edge", accumulated image rotations for "lk"; NaN outside ``rows`` and
    where the trunk is under ``min_trunk_px``. A track restarts after every gap."""
    T = len(pose)
    methods = _methods(cfg)
    xy = pose.landmarks[..., :2]
    trunk = np.linalg.norm(xy[:, [LM["left_shoulder"], LM["right_shoulder"]]].mean(1)
                           - xy[:, [LM["left_hip"], LM["right_hip"]]].mean(1), axis=1)
    with np.errstate(invalid="ignore"):
        rows = np.asarray(rows, bool) & (trunk >= cfg.min_trunk_px)
    boxes = {m: band_boxes(pose.landmarks, cfg, m) for m in methods}
    raw = {m: (np.full((T, 2), np.nan), np.zeros((T, 2))) for m in methods}
    row_of = {int(f): i for i, f in enumerate(pose.frame_index) if rows[i]}
    trackers = [_BandTracker(cfg), _BandTracker(cfg)]
    last = -2
    for index, gray, scale in frames:
        i = row_of.get(int(index))
        if i is None:
            continue
        if i != last + 1:
            for tr in trackers:
                tr.reset()
        last = i
        for m in methods:
            angle, quality = raw[m]
            for k in range(2):
                box = boxes[m][i, k] * scale
                angle[i, k], quality[i, k] = (_edge_angle(gray, box, cfg) if m == "edge"
                                              else trackers[k].step(gray, box))
    return raw


def gray_frames(video_path, cfg: ImageObliquityConfig = ImageObliquityConfig(), *, video_cfg=None,
                start_s: float | None = None, end_s: float | None = None):
    """(frame index, gray image, scale) of the decoded frames in ``[start_s, end_s)`` (default: all), as
    :func:`estimate_bands` takes them. ``video_cfg``: the analysis' ``[video]`` section (default: the
    default pipeline's)."""
    from ..pipeline import load_pipeline
    from ..video import iter_frames, probe

    info = probe(Path(video_path), video_cfg or load_pipeline().video)
    for fr in iter_frames(info, max_side_px=cfg.max_side_px, start_s=start_s, end_s=end_s):
        yield fr.index, cv2.cvtColor(fr.image, cv2.COLOR_RGB2GRAY), fr.scale


def finish(raw: dict, pose: PoseSequence, rows: np.ndarray, cfg: ImageObliquityConfig,
           roll_deg: float = 0.0) -> ImageObliquity:
    """Raw band angles (from :func:`estimate_bands`) → kinematics-convention angles per pose row: per
    method, sign per stretch of ``rows``, complementary filter (LK), quality cut, gap filling, low-pass,
    camera roll removed as :func:`gaitlab.gait.kinematics.compute_kinematics` does; then the mean of the
    methods where all measured, else the one that did (quality: the methods' mean)."""
    per = [_finish_one(m, *raw[m], pose, rows, cfg, roll_deg) for m in raw]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        return ImageObliquity(*(np.nanmean([getattr(r, f) for r in per], axis=0) for f in ImageObliquity._fields))


def _finish_one(method: str, angle: np.ndarray, quality: np.ndarray, pose: PoseSequence, rows: np.ndarray,
                cfg: ImageObliquityConfig, roll_deg: float) -> ImageObliquity:
    roll = float(roll_deg) if roll_deg is not None and np.isfinite(roll_deg) else 0.0
    lm = pose.landmarks
    out = np.full((len(pose), 2), np.nan)
    fs = float(pose.fps) if np.isfinite(pose.fps) else 30.0
    for a, b in _runs(rows):
        dx = lm[a:b, LM["right_hip"], 0] - lm[a:b, LM["left_hip"], 0]
        s = np.sign(np.nanmedian(dx)) if np.isfinite(dx).any() else 0.0
        if s == 0:
            continue
        for k, part in enumerate(("hip", "shoulder")):
            # image angle β of a left-to-right line → +s·(−β) is "subject's right up"
            v = -s * angle[a:b, k]
            v[quality[a:b, k] < cfg.min_quality] = np.nan
            ref = landmark_line_deg(lm[a:b], part, s)
            if method == "lk" and cfg.trend_s > 0:
                n = int(round(cfg.trend_s * fs))
                v = v - _moving_mean(v, n) + _moving_mean(ref, n)
            with np.errstate(invalid="ignore"):
                v[~(np.abs(v - ref) <= cfg.max_landmark_dev_deg)] = np.nan
            v, _ = fill_gaps(v, fs, cfg.max_gap_s)
            if cfg.cutoff_hz > 0 and np.isfinite(v).sum() > 12:
                v, _ = lowpass_zero_lag(v, fs, cfg.cutoff_hz)
            out[a:b, k] = v + s * roll  # derotating by −roll turns image angles by −roll
    return ImageObliquity(out[:, 0], out[:, 1], quality[:, 0], quality[:, 1])


def image_obliquity(video_path, pose: PoseSequence, frames_mask=None,
                    cfg: ImageObliquityConfig = ImageObliquityConfig(), roll_deg: float = 0.0,
                    video_cfg=None) -> ImageObliquity:
    """Pelvic obliquity and shoulder-line tilt per row of ``pose`` measured in the video's pixels.

    ``pose``: the walker's landmarks with the **subject's** sides (``GaitAnalysis.pose_sides``), rows
    tied to decoded frames by ``pose.frame_index``. ``frames_mask`` (T,) bool: rows to measure (e.g. one
    frontal pass; default all tracked rows); each contiguous stretch gets its own left/right sign and
    tracks. ``roll_deg``: the clip's camera roll (``GaitAnalysis.roll_deg``), removed like kinematics does.
    ``video_cfg``: the analysis' ``[video]`` section. Only the stretch from the first to the last measured
    row is decoded. Returns :class:`ImageObliquity` (degrees, + = subject's right up; NaN where not measured).
    """
    rows = pose.tracked() if frames_mask is None else np.asarray(frames_mask, bool) & pose.tracked()
    t = np.asarray(pose.t_s, float)[rows]
    span = {"start_s": float(t.min()) - 0.5, "end_s": float(t.max()) + 0.5} if len(t) else {}
    frames = gray_frames(video_path, cfg, video_cfg=video_cfg, **span)
    return finish(estimate_bands(frames, pose, rows, cfg), pose, rows, cfg, roll_deg)


def substitute_column(kinematics, pose: PoseSequence, values: np.ndarray, column: str = "pelvic_obliquity_deg"):
    """A copy of a kinematics table with ``column`` of its frontal rows replaced by per-pose-row ``values``,
    matched on the decoded frame index (NaN where the frame has no value)."""
    import pandas as pd

    from ..gait.kinematics import FRONTAL_VIEWS

    k = kinematics.copy()
    sel = k.view.isin(FRONTAL_VIEWS).to_numpy()
    by_frame = pd.Series(np.asarray(values, float), index=pose.frame_index)
    by_frame = by_frame[~by_frame.index.duplicated()]
    k.loc[sel, column] = by_frame.reindex(k.loc[sel, "frame"].to_numpy()).to_numpy()
    return k
