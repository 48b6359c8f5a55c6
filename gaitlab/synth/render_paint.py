"""2D rasteriser of the rendered walker's parts (float32 RGB images, 0–255, pixel centres at +0.5).

Two primitives, both anti-aliased, shaded and outlined:

* :class:`Capsule` — the projection of a tapered limb segment: a 2D capsule between two image points
  with linearly varying radius and round, elliptical, flat or open end caps. It is shaded as a 3D
  tube (each pixel gets a surface normal from its distance to the axis, lit from the upper left of the
  camera), coloured by bands along its axis (shorts, sleeves, belt), textured by a fabric noise that
  moves with it, and can carry hair (a head) or belt loops and a buckle (the pelvis) from the 3D
  surface direction of each pixel.
* :class:`Polygon` — a flat-coloured convex polygon (shoe parts, face details), shaded from its
  outline inwards.

Public API: :class:`Capsule`, :class:`Polygon`, :class:`Painter`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Light direction in image coordinates (x right, y down, z toward the viewer): from the upper left front.
LIGHT = np.array([-0.4, -0.55, 0.73]) / np.linalg.norm([-0.4, -0.55, 0.73])
AMBIENT, DIFFUSE = 0.45, 0.65  # shade = AMBIENT + DIFFUSE·max(n·LIGHT, 0): 0.45 (dark rim) … 1.0
OUTLINE_RGB = np.float32((25, 22, 22))
OUTLINE_ALPHA = 0.85  # thin dark outlines: fewest left/right swaps in the feasibility probe (issue 6)
FABRIC_TEXTURE = 0.035  # relative amplitude of the fabric/skin noise
TEX_TILE = 64  # texels per side of the fabric noise tile
TEX_PX = 2.0  # image pixels per texel
CAP_ROUND, CAP_FLAT, CAP_OPEN = None, 0.0, -1.0  # flat = outlined straight end; open = not outlined


@dataclass
class Capsule:
    """One shaded tube segment from image point ``a`` to ``b`` (px) with radii ``ra``, ``rb`` (px).

    ``cap_a``/``cap_b``: ``CAP_ROUND`` (half disc), a positive height in px (half ellipse),
    ``CAP_FLAT`` or ``CAP_OPEN``. ``bands``: ((s_start, rgb), ...) colour from axial position s (0 at a,
    1 at b) on, in increasing s; the first band's start is ignored. ``dim``: colour factor (far limbs
    darker). ``hair``: (M⁻¹, up, forward, rgb) — pixels whose 3D normal (world: M⁻¹ · image normal)
    points up/back get the hair colour. ``belt``: dict for belt loops and buckle (see :meth:`Painter._belt`).
    """

    a: np.ndarray
    b: np.ndarray
    ra: float
    rb: float
    bands: tuple
    cap_a: float | None = CAP_ROUND
    cap_b: float | None = CAP_ROUND
    dim: float = 1.0
    outline: bool = True
    shaded: bool = True
    hair: tuple | None = None
    belt: dict | None = None


@dataclass
class Polygon:
    """A filled polygon ``points`` (N, 2) px in colour ``rgb``, shaded inwards over ``shade_px``."""

    points: np.ndarray
    rgb: tuple
    dim: float = 1.0
    shade_px: float = 0.0
    outline: bool = True


def smoothstep(e0: float, e1: float, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Painter:
    """Draws parts onto ``image`` (float32 H×W×3, modified in place); ``outline_px``: outline width."""

    def __init__(self, image: np.ndarray, outline_px: float, seed: int = 0):
        self.img = image
        self.h, self.w = image.shape[:2]
        self.outline_px = float(outline_px)
        rng = np.random.default_rng(seed)
        n = rng.standard_normal((TEX_TILE, TEX_TILE)).astype(np.float32)
        n = cv2.GaussianBlur(np.tile(n, (3, 3)), (0, 0), 0.7)[TEX_TILE:2 * TEX_TILE, TEX_TILE:2 * TEX_TILE]
        self.tex = (n - n.mean()) / max(float(n.std()), 1e-6)
        self.bbox = [np.inf, np.inf, -np.inf, -np.inf]  # union of drawn parts (x0, y0, x1, y1)

    def draw(self, part) -> None:
        if isinstance(part, Capsule):
            self._capsule(part)
        else:
            self._polygon(part)

    # ----------------------------------------------------------------------------- helpers
    def _window(self, lo_x, lo_y, hi_x, hi_y):
        x0, y0 = max(int(np.floor(lo_x)) - 1, 0), max(int(np.floor(lo_y)) - 1, 0)
        x1, y1 = min(int(np.ceil(hi_x)) + 2, self.w), min(int(np.ceil(hi_y)) + 2, self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        b = self.bbox
        self.bbox = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
        return x0, y0, x1, y1

    def _composite(self, win, col, alpha, ring):
        x0, y0, x1, y1 = win
        roi = self.img[y0:y1, x0:x1]
        a = alpha[..., None]
        roi *= 1.0 - a
        roi += col * a
        if ring is not None:
            o = (OUTLINE_ALPHA * ring)[..., None]
            roi *= 1.0 - o
            roi += OUTLINE_RGB * o

    # ----------------------------------------------------------------------------- capsule
    def _capsule(self, c: Capsule) -> None:
        a, b = np.asarray(c.a, np.float64), np.asarray(c.b, np.float64)
        if not (np.isfinite(a).all() and np.isfinite(b).all() and c.ra > 0.3 and c.rb > 0.3):
            return
        ext = max(c.ra, c.rb, c.cap_a or 0.0, c.cap_b or 0.0) + 1.0
        win = self._window(min(a[0], b[0]) - ext, min(a[1], b[1]) - ext, max(a[0], b[0]) + ext, max(a[1], b[1]) + ext)
        if win is None:
            return
        x0, y0, x1, y1 = win
        X = (np.arange(x0, x1, dtype=np.float32) + 0.5 - np.float32(a[0]))[None, :]
        Y = (np.arange(y0, y1, dtype=np.float32) + 0.5 - np.float32(a[1]))[:, None]
        d = b - a
        L = float(np.hypot(*d))
        ux, uy = (d / L) if L > 1e-3 else (0.0, 1.0)
        along = X * np.float32(ux) + Y * np.float32(uy)  # px along the axis from a
        perp = Y * np.float32(ux) - X * np.float32(uy)  # px across it (image normal (−uy, ux))
        s = np.clip(along / L, 0.0, 1.0) if L > 1e-3 else np.zeros_like(along)
        r = c.ra + (c.rb - c.ra) * s
        edge = r - np.abs(perp)  # px inside the outline
        n_al, n_pe = np.zeros_like(along), perp / r  # image-plane normal: along-axis, across-axis parts
        edge_line = edge.copy()
        for cap, rad, excess, sgn in ((c.cap_a, c.ra, -along, -1.0), (c.cap_b, c.rb, along - L, 1.0)):
            beyond = excess > 0
            if not beyond.any():
                continue
            if cap is None or cap > 0:  # round or elliptical cap
                hgt = rad if cap is None else cap
                qa, qp = excess / hgt, perp / rad
                q = np.sqrt(qa * qa + qp * qp)
                e_cap = (1.0 - q) * min(hgt, rad)
                edge = np.where(beyond, e_cap, edge)
                edge_line = np.where(beyond, e_cap, edge_line)
                n_al = np.where(beyond, sgn * qa, n_al)
                n_pe = np.where(beyond, qp, n_pe)
            else:  # flat end: the shape stops there (outlined unless open)
                edge = np.minimum(edge, -excess)
                if cap == CAP_FLAT:
                    edge_line = np.minimum(edge_line, -excess)
        alpha = np.clip(edge + 0.5, 0.0, 1.0)
        if not alpha.any():
            return
        s_raw = along / L if L > 1e-3 else np.zeros_like(along)
        starts = np.array([st for st, _ in c.bands[1:]], np.float32)
        palette = np.array([rgb for _, rgb in c.bands], np.float32)
        col = palette[np.searchsorted(starts, s_raw, side="right")] if len(starts) else np.broadcast_to(
            palette[0], along.shape + (3,)).copy()
        nx = n_al * np.float32(ux) - n_pe * np.float32(uy)
        ny = n_al * np.float32(uy) + n_pe * np.float32(ux)
        nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
        if c.hair is not None:
            M_inv, up, fwd, hair_rgb = c.hair
            n_w = np.einsum("ij,jhw->ihw", M_inv.astype(np.float32), np.stack([nx, ny, -nz]))
            nu = np.einsum("i,ihw->hw", np.asarray(up, np.float32), n_w)
            nf = np.einsum("i,ihw->hw", np.asarray(fwd, np.float32), n_w)
            # hairline: high on the forehead, down to the nape at the back of the head
            is_hair = nu > -0.75 + 1.25 * smoothstep(-0.3, 0.3, nf)
            col = np.where(is_hair[..., None], np.float32(hair_rgb), col)
        if c.belt is not None:
            col = self._belt(c.belt, col, s_raw, n_pe)
        if c.shaded:
            lam = nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2]
            shade = AMBIENT + DIFFUSE * np.maximum(lam, 0.0)
            ti = (np.abs(along) / TEX_PX).astype(np.int32) % TEX_TILE
            tj = ((perp + 1000.0) / TEX_PX).astype(np.int32) % TEX_TILE
            shade = shade * (1.0 + FABRIC_TEXTURE * self.tex[ti, tj])
            col = col * (shade * c.dim)[..., None]
        elif c.dim != 1.0:
            col = col * np.float32(c.dim)
        ring = None
        if c.outline and self.outline_px > 0:
            ring = np.clip(alpha - np.clip(edge_line - self.outline_px + 0.5, 0.0, 1.0), 0.0, 1.0)
        self._composite(win, col, alpha, ring)

    @staticmethod
    def _belt(belt: dict, col, s_raw, u):
        """Belt band (s in [s0, s1]): loops and a buckle at surface angles φ (0 = the body's left, π/2 =
        front): φ = φ0 + sign·arccos(u), u the pixel's normalised distance across the axis."""
        s0, s1 = belt["s"]
        band = (s_raw >= s0) & (s_raw <= s1)
        if not band.any():
            return col
        phi = belt["phi0"] + belt["sign"] * np.arccos(np.clip(u, -1.0, 1.0))
        def near(centre, half):  # noqa: E306 — angular distance on the circle
            return np.abs(np.angle(np.exp(1j * (phi - centre)))) < half
        loops = np.zeros_like(band)
        for c in belt["loops"]:
            loops |= near(c, belt["loop_half"])
        buckle = near(np.pi / 2, belt["buckle_half"])
        rim = buckle & ~near(np.pi / 2, 0.6 * belt["buckle_half"])  # buckle frame; the strap shows inside
        frac = (s_raw - s0) / max(s1 - s0, 1e-6)
        stitch = (np.abs(frac - 0.18) < 0.06) | (np.abs(frac - 0.82) < 0.06)
        out = np.where((band & stitch)[..., None], np.float32(belt["stitch_rgb"]), col)
        out = np.where((band & loops)[..., None], np.float32(belt["loop_rgb"]), out)
        return np.where((band & rim)[..., None], np.float32(belt["buckle_rgb"]), out)

    # ----------------------------------------------------------------------------- polygon
    def _polygon(self, p: Polygon) -> None:
        pts = np.asarray(p.points, np.float64)
        if len(pts) < 3 or not np.isfinite(pts).all():
            return
        win = self._window(*pts.min(0), *pts.max(0))
        if win is None:
            return
        x0, y0, x1, y1 = win
        SUB = 16  # cv2 sub-pixel precision: 4 fractional bits
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        q = np.round((pts - [x0, y0]) * SUB).astype(np.int32)
        cv2.fillPoly(mask, [q], 255, cv2.LINE_AA, 4)
        alpha = mask.astype(np.float32) / 255.0
        if not alpha.any():
            return
        col = np.empty(alpha.shape + (3,), np.float32)
        col[:] = np.float32(p.rgb) * p.dim
        if p.shade_px > 1.0:  # rounded look: darker toward the outline
            dist = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
            x = np.clip(dist / p.shade_px, 0.0, 1.0)
            col *= (0.6 + 0.45 * np.sqrt(1.0 - (1.0 - x) ** 2))[..., None]
        ring = None
        if p.outline and self.outline_px > 0:
            k = max(1, int(round(self.outline_px))) * 2 + 1
            ring = np.clip(alpha - cv2.erode(alpha, np.ones((k, k), np.uint8)), 0.0, 1.0)
        self._composite(win, col, alpha, ring)
