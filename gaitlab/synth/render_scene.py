"""Room behind the rendered walker: textured floor, back wall and ceiling, perspective-correct for any
:class:`~gaitlab.synth.camera.Camera` (roll, pitch, mirroring included).

Each plane is mapped to the image by the homography that :meth:`Camera.project` induces on it (found from
four projected plane points, so no second projection model exists); every pixel then gets its plane
coordinates, the nearest plane in front of the camera wins, and the procedural textures are evaluated at
those coordinates. The image is rendered supersampled (anti-aliasing) with a margin around the frame so
that a hand-held shake can be applied per frame by warping (:func:`shake_homography`: a pure camera
rotation moves every scene point by the same homography).

Public API: :class:`Room`, :func:`render_background`, :func:`shake_homography`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .camera import Camera

#: Texture noise tiles (texels per side); sampled by world coordinates, so they repeat every few metres.
NOISE_TILE = 256
#: Room: ceiling height, distance from the walker's farthest point to the back wall (both m).
CEILING_M = 2.7
WALL_BEHIND_WALKER_M = 1.8
MIN_WALL_DISTANCE_M = 3.0
SKIRTING_M = 0.09  # skirting board height
#: Floor boards (m): width across, length along; tiles: side; the dark joint between them.
PLANK_WIDTH_M, PLANK_LENGTH_M, TILE_M, JOINT_M = 0.14, 1.2, 0.45, 0.005
#: Background anti-aliasing: rendered at this many samples per pixel side, then area-averaged.
SUPERSAMPLE = 2
#: Optical blur of the background (px at 720 lines; scaled with the image height).
BACKGROUND_BLUR_PX_720 = 0.8

WALL_COLOURS = ((212, 204, 188), (196, 204, 206), (214, 208, 196), (190, 198, 182), (222, 214, 204))
WOOD_COLOURS = ((158, 116, 78), (176, 138, 96), (128, 92, 64), (186, 160, 124))
TILE_COLOURS = ((170, 170, 164), (150, 146, 140), (196, 190, 178))


@dataclass(frozen=True)
class Room:
    """The scene: floor style ("planks" or "tiles"), colours and wall decoration from ``seed``."""

    seed: int = 0
    floor: str = "planks"

    def __post_init__(self):
        if self.floor not in ("planks", "tiles"):
            raise ValueError(f"floor must be 'planks' or 'tiles', not {self.floor!r}")

    @classmethod
    def from_seed(cls, seed: int) -> "Room":
        return cls(seed=seed, floor=("planks", "tiles")[np.random.default_rng(seed).integers(2)])


def _noise_tile(rng, sigma_texels: float) -> np.ndarray:
    """Zero-mean, unit-SD, smooth periodic noise (NOISE_TILE²) — blurred white noise, wrapped."""
    n = rng.standard_normal((NOISE_TILE, NOISE_TILE)).astype(np.float32)
    N = NOISE_TILE
    n = cv2.GaussianBlur(np.tile(n, (3, 3)), (0, 0), sigma_texels)[N:2 * N, N:2 * N]  # periodic blur
    return (n - n.mean()) / max(float(n.std()), 1e-6)


def _sample(tile: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Tile value at texel coordinates (u, v) (wrapped, nearest texel)."""
    return tile[np.mod(v.astype(np.int64), NOISE_TILE), np.mod(u.astype(np.int64), NOISE_TILE)]


class _Plane:
    """A plane (origin + a·e1 + b·e2, metres) and the homography from image pixels to its (a, b), fixed by
    four plane points ``anchors`` (a, b) that lie in front of the camera (not collinear)."""

    def __init__(self, camera: Camera, origin, e1, e2, anchors):
        self.origin, self.e1, self.e2 = (np.asarray(v, float) for v in (origin, e1, e2))
        world = np.array([self.origin + a * self.e1 + b * self.e2 for a, b in anchors])
        px = camera.project(world)
        self.H = None
        if np.isfinite(px).all() and (px[:, 2] > 0).all():
            H = cv2.getPerspectiveTransform(px[:, :2].astype(np.float32), np.asarray(anchors, np.float32))
            self.H = H.astype(np.float64)
            self.w_sign = np.sign(self.H[2] @ np.array([px[0, 0], px[0, 1], 1.0]))  # in front of the camera

    def coords(self, xs, ys):
        """(a, b, valid) of pixels (xs, ys); valid = the pixel's ray meets the plane in front of the camera."""
        if self.H is None:
            return None, None, np.zeros(xs.shape, bool)
        H = self.H
        w = H[2, 0] * xs + H[2, 1] * ys + H[2, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            a = (H[0, 0] * xs + H[0, 1] * ys + H[0, 2]) / w
            b = (H[1, 0] * xs + H[1, 1] * ys + H[1, 2]) / w
        return a, b, (np.sign(w) == self.w_sign) & np.isfinite(a) & np.isfinite(b)


class _FloorTexture:
    """Planks or tiles; ``rgb(X, Y, m_per_px)`` at world (X, Y), joints fading where thinner than a pixel."""

    def __init__(self, room: Room, rng):
        self.kind = room.floor
        self.grain, self.blotch = _noise_tile(rng, 1.5), _noise_tile(rng, 12.0)
        colours, spread = (WOOD_COLOURS, (0.86, 1.12)) if self.kind == "planks" else (TILE_COLOURS, (0.93, 1.07))
        self.base = np.array(colours[rng.integers(len(colours))], np.float32)
        self.tone = rng.uniform(*spread, (64, 64)).astype(np.float32)  # per board / tile brightness

    def rgb(self, X, Y, m_per_px) -> np.ndarray:
        joint_vis = np.clip(JOINT_M / np.maximum(m_per_px, 1e-6), 0.0, 1.0)  # sub-pixel joints → faint
        if self.kind == "planks":
            row = np.floor(Y / PLANK_WIDTH_M)
            offset = np.mod(row * 0.37, 1.0) * PLANK_LENGTH_M  # staggered board ends
            col = np.floor((X + offset) / PLANK_LENGTH_M)
            k = self.tone[np.mod(row, 64).astype(np.int64), np.mod(col, 64).astype(np.int64)]
            # wood grain: stretched along the boards (X), fine across them (Y)
            g = 0.06 * _sample(self.grain, X / 0.03, Y / 0.004) + 0.04 * _sample(self.blotch, X / 0.05, Y / 0.01)
            shade = k * (1.0 + g)
            joint = (np.mod(Y, PLANK_WIDTH_M) < JOINT_M) | (np.mod(X + offset, PLANK_LENGTH_M) < JOINT_M)
        else:
            k = self.tone[np.mod(np.floor(Y / TILE_M), 64).astype(np.int64),
                          np.mod(np.floor(X / TILE_M), 64).astype(np.int64)]
            shade = k * (1.0 + 0.05 * _sample(self.blotch, X / 0.01, Y / 0.01)
                         + 0.03 * _sample(self.grain, X / 0.004, Y / 0.004))
            joint = (np.mod(X, TILE_M) < JOINT_M) | (np.mod(Y, TILE_M) < JOINT_M)
        shade = np.where(joint, 1.0 - 0.45 * joint_vis, shade)
        return shade[..., None] * self.base


class _WallTexture:
    """Plaster, skirting board, framed pictures and doors at random places; ``rgb(h, Z)`` at horizontal
    position ``h`` along the wall and height ``Z`` (m)."""

    def __init__(self, rng):
        self.base = np.array(WALL_COLOURS[rng.integers(len(WALL_COLOURS))], np.float32)
        self.blotch, self.fine = _noise_tile(rng, 20.0), _noise_tile(rng, 1.0)
        self.items = []
        x = rng.uniform(-9.0, -6.0)
        while x < 9.0:  # decorations every 1.6–3.2 m along the wall
            if rng.random() < 0.2:  # a door 0.9 × 2.05 m with a frame and a handle
                self.items.append(("door", x, np.float32(WOOD_COLOURS[rng.integers(len(WOOD_COLOURS))]) * 0.9))
                x += 0.9
            else:  # a framed picture with a two-colour print split by a slanted line
                w, ht, z0 = rng.uniform(0.4, 0.9), rng.uniform(0.35, 0.65), rng.uniform(1.25, 1.45)
                frame_rgb, c1, c2 = (np.float32(rng.uniform(lo, hi, 3)) for lo, hi in ((30, 90), (70, 220), (50, 230)))
                self.items.append(("picture", x, (w, ht, z0, frame_rgb, c1, c2, rng.uniform(0.3, 0.7),
                                                  rng.uniform(-0.6, 0.6))))
                x += w
            x += rng.uniform(1.6, 3.2)

    def rgb(self, h, Z) -> np.ndarray:
        # plaster: 2 cm blotches, 3 mm grain (texel sizes)
        tone = (1.0 + 0.035 * _sample(self.blotch, h / 0.02, Z / 0.02)
                + 0.02 * _sample(self.fine, h / 0.003, Z / 0.003))
        rgb = self.base * tone[..., None]
        rgb = np.where((Z < SKIRTING_M)[..., None], np.float32((236, 233, 226)), rgb)
        rgb = np.where((np.abs(Z - SKIRTING_M) < 0.006)[..., None], np.float32((170, 166, 158)), rgb)
        for kind, x, p in self.items:
            if kind == "door":
                frame = (h > x - 0.05) & (h < x + 0.95) & (Z < 2.1)
                rgb = np.where(frame[..., None], np.float32((235, 232, 224)), rgb)
                door = (h > x) & (h < x + 0.9) & (Z < 2.05)
                wood = p * (1 + 0.04 * _sample(self.fine, h / 0.01, Z / 0.002))[..., None]
                rgb = np.where(door[..., None], wood, rgb)
                handle = (np.abs(h - (x + 0.8)) < 0.05) & (np.abs(Z - 1.0) < 0.015)
                rgb = np.where(handle[..., None], np.float32((60, 60, 64)), rgb)
            else:
                w, ht, z0, frame_rgb, c1, c2, split_at, slant = p
                m = 0.035  # frame width
                outer = (h > x) & (h < x + w) & (Z > z0) & (Z < z0 + ht)
                inner = (h > x + m) & (h < x + w - m) & (Z > z0 + m) & (Z < z0 + ht - m)
                split = (Z - z0) < (ht * split_at + (h - x) * slant)
                rgb = np.where(outer[..., None], frame_rgb, rgb)
                rgb = np.where((inner & split)[..., None], c1, np.where(inner[..., None], c2, rgb))
        return rgb


#: Supersampled rows rendered at a time (bounds the memory of the per-pixel plane maps).
BAND_ROWS = 128


def render_background(camera: Camera, world_m: np.ndarray, room: Room = Room(), *, margin_px: int = 0) -> np.ndarray:
    """The empty room seen by ``camera``: float32 RGB (H + 2·margin, W + 2·margin, 3), 0–255, slightly
    blurred (no sensor noise). ``world_m`` (T, K, 3): the walker's points, so that the back wall stands
    behind all of them. Pixel (i, j) of the result is image pixel (i − margin, j − margin)."""
    rng = np.random.default_rng(room.seed)
    floor_tex, wall_tex = _FloorTexture(room, rng), _WallTexture(rng)
    W, H = camera.width_px + 2 * margin_px, camera.height_px + 2 * margin_px
    S = SUPERSAMPLE
    C = np.asarray(camera.position_m, float)
    f = camera.optical_axis.copy()
    f[2] = 0.0
    f /= np.linalg.norm(f)  # horizontal viewing direction
    r = np.array([f[1], -f[0], 0.0])  # horizontal, to the right of it
    pts = np.asarray(world_m, float).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(1)]
    reach = float(np.max((pts - C) @ f)) if len(pts) else 0.0
    d_wall = max(reach + WALL_BEHIND_WALKER_M, MIN_WALL_DISTANCE_M)
    anchors = [(1.0, -1.0), (1.0, 1.0), (3.0, 1.0), (3.0, -1.0)]  # 1–3 m ahead, ±1 m aside
    floor = _Plane(camera, (*C[:2], 0.0), f, r, anchors)
    ceiling = _Plane(camera, (*C[:2], CEILING_M), f, r, anchors)
    wall = _Plane(camera, np.r_[C[:2] + d_wall * f[:2], 0.0], r, [0.0, 0.0, 1.0],
                  [(-1, 0.5), (1, 0.5), (1, 1.5), (-1, 1.5)])
    xs_all = (np.arange(W * S, dtype=np.float64) + 0.5) / S - margin_px
    out = np.empty((H, W, 3), np.float32)
    for r0 in range(0, H, BAND_ROWS // S):
        r1 = min(H, r0 + BAND_ROWS // S)
        ys = (np.arange(r0 * S, r1 * S, dtype=np.float64) + 0.5) / S - margin_px
        xs, ys = np.meshgrid(xs_all, ys)
        fa, fb, fok = floor.coords(xs, ys)
        ca, _, cok = ceiling.coords(xs, ys)
        wh, wz, wok = wall.coords(xs, ys)
        best = np.full(xs.shape, np.inf)
        which = np.full(xs.shape, -1, np.int8)
        # the nearest plane along each ray wins; plane coordinate a (floor/ceiling) is the distance ahead
        for k, (ok, dist) in enumerate(((fok & (fa < d_wall), fa), (cok & (ca < d_wall), ca),
                                        (wok & (wz >= 0) & (wz <= CEILING_M), np.full(xs.shape, d_wall)))):
            d = np.where(ok, dist, np.inf)
            take = d < best
            best[take], which[take] = d[take], k
        img = np.full(xs.shape + (3,), 128.0, np.float32)
        sel = which == 0
        if sel.any():
            X, Y = C[0] + fa[sel] * f[0] + fb[sel] * r[0], C[1] + fa[sel] * f[1] + fb[sel] * r[1]
            fade = np.clip(1.0 - 0.02 * fa[sel], 0.75, 1.0)[:, None]  # far floor a little darker
            # a final pixel's footprint on the floor (m), stretched by the grazing angle
            m_per_px = best[sel] / camera.focal_px * np.maximum(fa[sel] / max(C[2], 0.1), 1.0)
            img[sel] = floor_tex.rgb(X, Y, m_per_px) * fade
        sel = which == 1
        if sel.any():
            img[sel] = np.float32((228, 226, 220)) * (0.92 + 0.03 * np.tanh(ca[sel] - 2.0))[:, None]
        sel = which == 2
        if sel.any():
            img[sel] = wall_tex.rgb(wh[sel], wz[sel])
        out[r0:r1] = img.reshape(r1 - r0, S, W, S, 3).mean(axis=(1, 3))  # area average of S×S samples
    sigma = BACKGROUND_BLUR_PX_720 * camera.height_px / 720.0
    return cv2.GaussianBlur(out, (0, 0), sigma)


def shake_homography(camera: Camera, shaken: Camera) -> np.ndarray:
    """3×3 homography taking pixels of ``camera`` to pixels of ``shaken`` (same position, other angles):
    exact for every scene point, since the two differ by a rotation about the projection centre."""
    C = np.asarray(camera.position_m, float)
    f = camera.optical_axis
    r = np.cross(f, [0.0, 0.0, 1.0])
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    pts = np.array([C + 10.0 * f + 3.0 * (a * r + b * u) for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    src, dst = camera.project(pts)[:, :2], shaken.project(pts)[:, :2]
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64)


def shaken_camera(camera: Camera, yaw_deg: float, pitch_deg: float, roll_deg: float) -> Camera:
    """``camera`` turned by a shake offset (degrees added to its angles, as :func:`project_sequence` does)."""
    return replace(camera, yaw_deg=camera.yaw_deg + float(yaw_deg), pitch_deg=camera.pitch_deg + float(pitch_deg),
                   roll_deg=camera.roll_deg + float(roll_deg))
