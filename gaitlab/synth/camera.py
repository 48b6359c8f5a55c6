"""Pinhole camera: the one projection used by every synthetic-data producer (gait model, motion-capture
projection, renderer). Pure numpy, no I/O.

World frame (metres, right-handed): **X** along the walkway (the model walks +X), **Y** to the
walker's left when he walks +X, **Z** up; the floor is Z = 0.

Camera frame: x image-right, y image-down, z along the optical axis (depth). Orientation is given by

- ``yaw_deg``: heading of the optical axis in the XY plane, counter-clockwise seen from above
  (rotation about +Z); 0 = looking along +Y, 90 = looking along −X, −90 = along +X, 180 = along −Y.
  Optical axis direction = (−sin yaw, cos yaw, 0) before pitch.
- ``pitch_deg``: + = looking down.
- ``roll_deg``: + = the *image content* is rotated clockwise on screen by that angle (a horizontal
  world line appears at +roll in image coordinates with y down, i.e. its right end lower).
- ``mirrored``: the image is flipped left-right after projection (selfie), x → width − x.

Side views (:meth:`Camera.side_view`): the default camera stands on the −Y side looking +Y, i.e. on
the walker's **right** when he walks +X. A walker moving +X moves **image-right** and shows his
**right side** (the right leg is the near leg, smaller depth). ``from_left=True`` puts the camera on
+Y looking −Y: the walker moving +X moves image-left and shows his left side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitlab.model import LM, N_LANDMARKS, PoseSequence

#: Points closer than this to the camera plane (m, along the optical axis) are treated as behind it.
MIN_DEPTH_M = 1e-6


def _focal_from_hfov(width_px: int, hfov_deg: float) -> float:
    if not 1.0 < hfov_deg < 179.0:
        raise ValueError(f"hfov_deg must be in (1, 179), got {hfov_deg}")
    return 0.5 * width_px / np.tan(np.deg2rad(hfov_deg) / 2.0)


def _axes(yaw_deg, pitch_deg):
    """Right, down, forward unit vectors (..., 3) of a camera with that yaw and pitch (roll excluded)."""
    yaw = np.deg2rad(np.asarray(yaw_deg, dtype=float))
    pitch = np.deg2rad(np.asarray(pitch_deg, dtype=float))
    yaw, pitch = np.broadcast_arrays(yaw, pitch)
    sy, cy, sp, cp = np.sin(yaw), np.cos(yaw), np.sin(pitch), np.cos(pitch)
    zero = np.zeros_like(sy)
    f0 = np.stack([-sy, cy, zero], -1)  # horizontal heading
    right = np.stack([cy, sy, zero], -1)  # f0 × up
    up = np.stack([zero, zero, np.ones_like(sy)], -1)
    fwd = cp[..., None] * f0 - sp[..., None] * up
    down = -cp[..., None] * up - sp[..., None] * f0  # fwd × right
    return right, down, fwd


def _project(points, position, yaw, pitch, roll, focal, width, height, mirrored):
    """Core projection; yaw/pitch/roll broadcast against ``points[..., 0]``."""
    p = np.asarray(points, dtype=float)
    if p.shape[-1] != 3:
        raise ValueError(f"points must have shape (..., 3), got {p.shape}")
    right, down, fwd = _axes(yaw, pitch)
    d = p - np.asarray(position, dtype=float)
    xc = np.sum(d * right, -1)
    yc = np.sum(d * down, -1)
    zc = np.sum(d * fwd, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        behind = ~(zc > MIN_DEPTH_M)
        u = focal * xc / zc
        v = focal * yc / zc
    r = np.deg2rad(np.asarray(roll, dtype=float))
    cr, sr = np.cos(r), np.sin(r)
    x = width / 2.0 + cr * u - sr * v
    y = height / 2.0 + sr * u + cr * v
    if mirrored:
        x = width - x
    out = np.stack([x, y, zc], -1)
    out[behind] = np.nan
    return out


@dataclass(frozen=True)
class Camera:
    """Pinhole camera without lens distortion; principal point at the image centre.

    ``focal_px`` is the focal length in pixels (square pixels). Angles in degrees (see module doc).
    """

    width_px: int
    height_px: int
    focal_px: float
    position_m: tuple[float, float, float]
    yaw_deg: float
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    mirrored: bool = False

    # ------------------------------------------------------------------ projection
    def project(self, points_m: np.ndarray) -> np.ndarray:
        """World points (..., 3) m → (..., 3): x px, y px (y down), depth m along the optical axis.

        Points behind the camera (depth ≤ 1 µm) give NaN in all three. Points outside the image are
        still projected (pose estimators extrapolate off-frame landmarks too).
        """
        return _project(points_m, self.position_m, self.yaw_deg, self.pitch_deg, self.roll_deg,
                        self.focal_px, self.width_px, self.height_px, self.mirrored)

    @property
    def optical_axis(self) -> np.ndarray:
        """Unit vector of the viewing direction in world coordinates."""
        return _axes(self.yaw_deg, self.pitch_deg)[2]

    @property
    def hfov_deg(self) -> float:
        return float(np.rad2deg(2.0 * np.arctan(0.5 * self.width_px / self.focal_px)))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def look_at(cls, position_m, target_m, *, width_px: int = 1280, height_px: int = 720,
                hfov_deg: float = 60.0, roll_deg: float = 0.0, mirrored: bool = False,
                focal_px: float | None = None) -> "Camera":
        """A camera at ``position_m`` whose optical axis passes through ``target_m``."""
        d = np.asarray(target_m, float) - np.asarray(position_m, float)
        horiz = float(np.hypot(d[0], d[1]))
        if horiz < 1e-9:
            raise ValueError("look_at: target straight above/below the camera; yaw undefined")
        yaw = float(np.rad2deg(np.arctan2(-d[0], d[1])))
        pitch = float(np.rad2deg(np.arctan2(-d[2], horiz)))
        f = _focal_from_hfov(width_px, hfov_deg) if focal_px is None else float(focal_px)
        return cls(width_px, height_px, f, tuple(float(v) for v in position_m), yaw, pitch,
                   float(roll_deg), bool(mirrored))

    @classmethod
    def side_view(cls, *, distance_m: float = 4.0, height_m: float = 1.0, walk_center_x_m: float = 0.0,
                  walk_y_m: float = 0.0, from_left: bool = False, width_px: int = 1280,
                  height_px: int = 720, hfov_deg: float = 60.0, **kw) -> "Camera":
        """Camera ``distance_m`` from the walking line (Y = ``walk_y_m``), opposite ``walk_center_x_m``.

        Default: on the −Y side looking +Y (level), i.e. on the walker's right when he walks +X;
        he moves image-right and his right leg is the near one. ``from_left``: on +Y looking −Y;
        a +X walker moves image-left and shows his left side. ``kw``: pitch_deg, roll_deg, mirrored.
        """
        sgn = 1.0 if from_left else -1.0
        pos = (float(walk_center_x_m), float(walk_y_m) + sgn * distance_m, float(height_m))
        yaw = 180.0 if from_left else 0.0
        return cls(width_px, height_px, _focal_from_hfov(width_px, hfov_deg), pos, yaw, **kw)

    @classmethod
    def front_view(cls, *, distance_m: float = 8.0, height_m: float = 1.0, walk_center_x_m: float = 0.0,
                   walk_y_m: float = 0.0, toward: bool = True, width_px: int = 1280,
                   height_px: int = 720, hfov_deg: float = 60.0, **kw) -> "Camera":
        """Camera on the walking line (Y = ``walk_y_m``), ``distance_m`` from ``walk_center_x_m``.

        ``toward=True``: at X = centre + distance looking −X (yaw 90): a +X walker comes toward it
        (grows), his right side is on image-left. ``toward=False``: at X = centre − distance looking
        +X (yaw −90): back view of a +X walker (shrinks), his right side on image-right.
        """
        if toward:
            pos, yaw = (float(walk_center_x_m) + distance_m, float(walk_y_m), float(height_m)), 90.0
        else:
            pos, yaw = (float(walk_center_x_m) - distance_m, float(walk_y_m), float(height_m)), -90.0
        return cls(width_px, height_px, _focal_from_hfov(width_px, hfov_deg), pos, yaw, **kw)

    @classmethod
    def oblique(cls, *, angle_deg: float = 45.0, distance_m: float = 5.0, height_m: float = 1.0,
                walk_center_x_m: float = 0.0, walk_y_m: float = 0.0, from_left: bool = False,
                width_px: int = 1280, height_px: int = 720, hfov_deg: float = 60.0, **kw) -> "Camera":
        """Level camera ``distance_m`` from the point (``walk_center_x_m``, ``walk_y_m``), looking at it.

        ``angle_deg`` turns the view from the side view (0, same side as :meth:`side_view`) toward
        the front view (90 = :meth:`front_view` ``toward=True``): the camera stands ahead of the
        centre and to the walker's right (left with ``from_left``), so a +X walker approaches at
        ``angle_deg`` from the image plane. Negative angles put it behind (rear-oblique).
        """
        a = np.deg2rad(angle_deg)
        sgn = 1.0 if from_left else -1.0
        pos = (float(walk_center_x_m + distance_m * np.sin(a)),
               float(walk_y_m + sgn * distance_m * np.cos(a)), float(height_m))
        yaw = (180.0 - angle_deg) if from_left else float(angle_deg)
        return cls(width_px, height_px, _focal_from_hfov(width_px, hfov_deg), pos, yaw, **kw)


# ---------------------------------------------------------------------- time and shake
def frame_times(fps: float, seconds: float, *, vfr_jitter: float = 0.0, phase_s: float = 0.0,
                seed: int | None = None) -> np.ndarray:
    """Presentation times (s) of ``round(seconds × fps)`` frames starting at ``phase_s``.

    ``vfr_jitter`` is the relative SD of the frame intervals (phones record variable frame rate;
    0.05–0.15 is typical). Intervals are Gaussian, clipped to ≥ 25 % of nominal (so times are strictly
    increasing) and rescaled so the mean interval is exactly 1/fps. Works for any fps > 0 (tested
    10–240).
    """
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if not 0.0 <= vfr_jitter <= 0.5:
        raise ValueError(f"vfr_jitter must be in [0, 0.5], got {vfr_jitter}")
    n = int(round(seconds * fps))
    if n <= 0:
        return np.zeros(0)
    dt0 = 1.0 / fps
    if vfr_jitter == 0.0 or n < 2:
        return phase_s + np.arange(n) * dt0
    rng = np.random.default_rng(seed)
    dt = dt0 * np.clip(1.0 + vfr_jitter * rng.standard_normal(n - 1), 0.25, None)
    dt *= dt0 * (n - 1) / dt.sum()
    return phase_s + np.concatenate([[0.0], np.cumsum(dt)])


def handheld_shake(t_s, *, amplitude_deg: float = 0.5, seed: int | None = None,
                   band_hz: tuple[float, float] = (0.5, 3.0), n_components: int = 12):
    """Smooth random camera rotation of a hand-held phone: ``(yaw, pitch, roll)`` arrays in degrees.

    Each axis is a sum of ``n_components`` sinusoids with frequencies uniform in ``band_hz`` and random
    phases, scaled so its RMS over ``t_s`` equals ``amplitude_deg``. Defined in continuous time, so
    it is correct for variable frame rates.
    """
    t = np.asarray(t_s, dtype=float)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        f = rng.uniform(band_hz[0], band_hz[1], n_components)
        ph = rng.uniform(0, 2 * np.pi, n_components)
        a = rng.uniform(0.5, 1.0, n_components)
        s = (a[None, :] * np.sin(2 * np.pi * f[None, :] * t[:, None] + ph[None, :])).sum(1)
        rms = np.sqrt(np.mean(s ** 2)) if s.size else 1.0
        out.append(s * (amplitude_deg / rms) if rms > 0 else s)
    return tuple(out)


def project_sequence(camera: Camera, points_m: np.ndarray, t_s, *, shake=None) -> np.ndarray:
    """Per-frame projection of ``points_m`` (T, K, 3) → (T, K, 3) (x px, y px, depth m).

    ``shake``: ``None`` or ``(yaw, pitch, roll)`` arrays (T,) in degrees added to the camera's
    angles frame by frame (e.g. from :func:`handheld_shake`).
    """
    p = np.asarray(points_m, dtype=float)
    T = len(np.asarray(t_s))
    if p.ndim != 3 or p.shape[0] != T or p.shape[2] != 3:
        raise ValueError(f"points_m must be (T, K, 3) with T = len(t_s) = {T}, got {p.shape}")
    if shake is None:
        return camera.project(p)
    dy, dp, dr = (np.asarray(s, dtype=float).reshape(T, 1) for s in shake)
    return _project(p, camera.position_m, camera.yaw_deg + dy, camera.pitch_deg + dp,
                    camera.roll_deg + dr, camera.focal_px, camera.width_px, camera.height_px,
                    camera.mirrored)


def to_pose_sequence(world_m: np.ndarray, t_s, camera: Camera, *, visible=None, shake=None,
                     depth_exaggeration: float = 1.0, backend: str = "synth") -> PoseSequence:
    """World landmarks (T, 33, 3) m in MediaPipe layout → :class:`PoseSequence` as a pose estimator
    would report them (before noise: see :mod:`gaitlab.synth.noise`).

    - Landmark indices stay the **subject's true sides** (also for mirrored cameras; relabelling the
      way MediaPipe would is a separate step). NaN rows/points = unknown → NaN in all 4 channels.
    - x, y: projected pixels (y down; mirrored cameras flip x and set ``mirrored=True``).
    - z: (depth − depth of the hip midpoint) × focal_px / depth of the hip midpoint ×
      ``depth_exaggeration`` — the same px scale as x at the walker's distance, as MediaPipe's z is
      "roughly the scale of x"; smaller = nearer the camera. NaN when the hips are unknown.
    - visibility: 1.0 where the point is finite, or ``visible`` (T, 33) (bool or 0–1) if given.
    - fps: median rate from ``t_s``.
    """
    w = np.asarray(world_m, dtype=float)
    t = np.asarray(t_s, dtype=float)
    if w.shape != (len(t), N_LANDMARKS, 3):
        raise ValueError(f"world_m must be (T, {N_LANDMARKS}, 3) with T = len(t_s), got {w.shape}")
    proj = project_sequence(camera, w, t, shake=shake)
    hip_mid = 0.5 * (w[:, LM["left_hip"]] + w[:, LM["right_hip"]])
    hip_depth = project_sequence(camera, hip_mid[:, None, :], t, shake=shake)[:, 0, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (proj[:, :, 2] - hip_depth[:, None]) * camera.focal_px / hip_depth[:, None] * depth_exaggeration
    ok = np.isfinite(proj).all(-1)
    if visible is None:
        vis = np.ones(ok.shape)
    else:
        vis = np.asarray(visible, dtype=float)
        if vis.shape != ok.shape:
            raise ValueError(f"visible must be (T, 33), got {vis.shape}")
        vis = np.clip(vis, 0.0, 1.0)
    lm = np.stack([proj[:, :, 0], proj[:, :, 1], z, vis], -1)
    lm[~ok] = np.nan
    return PoseSequence(t_s=t, landmarks=lm, width_px=camera.width_px, height_px=camera.height_px,
                        mirrored=camera.mirrored, backend=backend)

