"""The walking path: straights walked out and back on one line, joined by keyhole turns.

The walk is simulated in a straight path frame (x = distance walked along the path) and laid onto the
path by :meth:`WalkPath.to_world`.
"""

from __future__ import annotations

import numpy as np

from .params import GaitParams

#: Keyhole turn: veer this much, loop 180° + twice as much the other way, veer back (returns onto the line).
KEYHOLE_VEER_DEG = 60.0
KEYHOLE_REACH = 1.0 + float(np.sqrt(3.0))  # how far the loop reaches beyond the walkway, in radii
KEYHOLE_LOOP_M_PER_RADIUS = float(np.radians(4 * KEYHOLE_VEER_DEG + 180.0))  # path length of a turn, in radii


class WalkPath:
    """Walking path: straights of ``walkway_m`` walked out and back on the same line, joined by keyhole
    turns (veer 60° one way, loop 300° the other way, veer 60° back onto the line; radius
    ``turn_radius_m``), starting at the world origin heading +X; the first straight extends backwards
    and the last forwards. :meth:`to_world` moves the body rigidly with the pelvis: exact on the
    straights; in turns the whole body turns about the pelvis (planted feet may twist and slide there)."""

    def __init__(self, p: GaitParams):
        self.pieces = []  # (s0, s1, kind, start xy, start heading rad, curvature 1/m)
        s, xy, hd = 0.0, np.zeros(2), 0.0
        loop = 1.0 if p.turn_side == "left" else -1.0
        veer = np.radians(KEYHOLE_VEER_DEG)
        for i in range(p.turns):
            self.pieces.append((-np.inf if i == 0 else s, s + p.walkway_m, "straight", xy, hd, 0.0))
            s, xy = s + p.walkway_m, xy + p.walkway_m * np.array([np.cos(hd), np.sin(hd)])
            for ang, k in ((veer, -loop), (np.pi + 2 * veer, loop), (veer, -loop)):
                length = ang * p.turn_radius_m
                self.pieces.append((s, s + length, "turn", xy, hd, k / p.turn_radius_m))
                xy, hd = self._at(xy, hd, k / p.turn_radius_m, length)
                s += length
        self.pieces.append((-np.inf if not p.turns else s, np.inf, "straight", xy, hd, 0.0))

    @staticmethod
    def _at(xy, hd, k, u):
        """Position (…, 2) and heading after arc length u from (xy, hd) with curvature k."""
        u = np.asarray(u, dtype=float)
        if k == 0:
            return xy + u[..., None] * np.array([np.cos(hd), np.sin(hd)]), hd + 0.0 * u
        th = hd + k * u
        return xy + np.stack([np.sin(th) - np.sin(hd), np.cos(hd) - np.cos(th)], -1) / k, th

    def piece(self, s) -> np.ndarray:
        starts = np.array([a for a, *_ in self.pieces])
        return np.searchsorted(starts, np.asarray(s, dtype=float), side="right") - 1

    def frame(self, s):
        """Path point (n, 2) and heading (n,) (rad, counter-clockwise from +X) at path positions s."""
        s = np.asarray(s, dtype=float)
        pos, hd = np.zeros(s.shape + (2,)), np.zeros(s.shape)
        for a, b, kind, xy, h0, k in self.pieces:
            m = (s >= a) & (s < b)
            pos[m], hd[m] = self._at(xy, h0, k, s[m] - (a if np.isfinite(a) else 0.0))
        return pos, hd

    def heading(self, s) -> np.ndarray:
        return self.frame(s)[1]

    def to_world(self, pts, s_ref) -> np.ndarray:
        """Path-frame points (n, K, 3) → world, each frame turned rigidly about its pelvis at s_ref (n,)."""
        pos, hd = self.frame(s_ref)
        c, sn = np.cos(hd)[:, None], np.sin(hd)[:, None]
        dx, dy = pts[..., 0] - np.asarray(s_ref)[:, None], pts[..., 1]
        return np.stack([pos[:, None, 0] + c * dx - sn * dy, pos[:, None, 1] + sn * dx + c * dy, pts[..., 2]], -1)

