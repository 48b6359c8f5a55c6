"""Drawing on video frames: skeleton (subject sides in colour-blind-safe colours), measured angles
with their arcs, and text panels (DejaVu Sans from matplotlib, so "°" and "–" render)."""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..model import LM

#: Okabe–Ito colours (RGB): left = sky blue, right = orange (both read on dark clothing, each with a
#: dark outline for light backgrounds); the highlight of a measured angle = bluish green.
LEFT_RGB = (86, 180, 233)
RIGHT_RGB = (230, 159, 0)
ANGLE_RGB = (0, 158, 115)
SIDE_RGB = {"left": LEFT_RGB, "right": RIGHT_RGB}

_TRUNK = ((11, 12), (11, 23), (12, 24), (23, 24))
_LIMBS = {side: ((f"{side}_shoulder", f"{side}_elbow"), (f"{side}_elbow", f"{side}_wrist"),
                 (f"{side}_hip", f"{side}_knee"), (f"{side}_knee", f"{side}_ankle"),
                 (f"{side}_ankle", f"{side}_heel"), (f"{side}_heel", f"{side}_foot_index"),
                 (f"{side}_ankle", f"{side}_foot_index")) for side in ("left", "right")}
_JOINTS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")


@lru_cache(maxsize=8)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/{name}", size)


def _pt(lm: np.ndarray, name: str) -> tuple[int, int] | None:
    p = lm[LM[name], :2]
    return (int(round(p[0])), int(round(p[1]))) if np.isfinite(p).all() else None


def body_height_px(lm: np.ndarray) -> float:
    """Vertical extent of the landmarks (px), NaN when untracked."""
    y = lm[:, 1]
    return float(np.nanmax(y) - np.nanmin(y)) if np.isfinite(y).any() else float("nan")


def line_width(lm: np.ndarray) -> int:
    h = body_height_px(lm)
    return max(2, int(round(h / 140))) if np.isfinite(h) else 2


def draw_skeleton(img: np.ndarray, lm: np.ndarray, *, width: int | None = None, emphasis: str = "") -> None:
    """Draw the body (``lm`` (33, ≥2) in image px, subject sides) on ``img`` in place.

    Each segment has a dark outline so it reads on light and dark backgrounds; ``emphasis`` (a side)
    draws that leg thicker.
    """
    w = width or line_width(lm)
    segs = [((a, b), (235, 235, 235), "") for a, b in _TRUNK]
    for side, pairs in _LIMBS.items():
        segs += [((LM[a], LM[b]), SIDE_RGB[side], side) for a, b in pairs]
    for (a, b), colour, side in segs:
        pa, pb = lm[a, :2], lm[b, :2]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        ww = w * 2 if emphasis and side == emphasis and a >= LM["left_hip"] else w
        p1, p2 = tuple(int(round(v)) for v in pa), tuple(int(round(v)) for v in pb)
        cv2.line(img, p1, p2, (20, 20, 20), ww + 2, cv2.LINE_AA)
        cv2.line(img, p1, p2, colour, ww, cv2.LINE_AA)
    for side in ("left", "right"):
        for j in _JOINTS:
            p = _pt(lm, f"{side}_{j}")
            if p is not None:
                cv2.circle(img, p, w + 1, (20, 20, 20), -1, cv2.LINE_AA)
                cv2.circle(img, p, w, SIDE_RGB[side], -1, cv2.LINE_AA)


def _draw_arc(img, centre, a_deg, b_deg, radius, colour, width) -> None:
    """Arc from direction a to direction b (image angles, degrees, y down), the short way round."""
    d = (b_deg - a_deg + 180) % 360 - 180
    pts = [(centre[0] + radius * math.cos(math.radians(a_deg + d * k / 24)),
            centre[1] + radius * math.sin(math.radians(a_deg + d * k / 24))) for k in range(25)]
    cv2.polylines(img, [np.round(np.array(pts)).astype(np.int32)], False, colour, width, cv2.LINE_AA)


def _dir_deg(p, q) -> float:
    return math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))


def draw_angle(img: np.ndarray, lm: np.ndarray, kind: str, side: str) -> tuple[int, int] | None:
    """Draw the reference line, the measured segment and the arc of angle ``kind`` for ``side``.

    ``kind``: knee (thigh extended vs shank), thigh (vertical vs thigh), trunk (vertical vs
    mid-hip→mid-shoulder), ankle (perpendicular to the shank vs foot), pelvis (horizontal vs hip
    line), fppa (thigh extended vs shank, front view). Returns a point (px) beside the arc for the
    value's label, or None when the landmarks do not allow the drawing.
    """
    w = line_width(lm)
    s = side if side in ("left", "right") else "left"
    hip, knee, ankle = _pt(lm, f"{s}_hip"), _pt(lm, f"{s}_knee"), _pt(lm, f"{s}_ankle")
    heel, toe = _pt(lm, f"{s}_heel"), _pt(lm, f"{s}_foot_index")
    lh, rh = _pt(lm, "left_hip"), _pt(lm, "right_hip")
    mid = lambda a, b: None if a is None or b is None else ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)  # noqa: E731
    mhip, msho = mid(lh, rh), mid(_pt(lm, "left_shoulder"), _pt(lm, "right_shoulder"))
    bh = body_height_px(lm)
    r = int(max(24, 0.15 * (bh if np.isfinite(bh) else 200)))
    if kind in ("knee", "fppa") and hip and knee and ankle:
        v, a, end = knee, _dir_deg(hip, knee), ankle
    elif kind == "thigh" and hip and knee:
        v, a, end = hip, 90.0, knee
    elif kind == "trunk" and mhip and msho:
        v, a, end = mhip, -90.0, msho
    elif kind == "ankle" and knee and ankle and heel and toe:
        v, a, end = ankle, _dir_deg(knee, ankle) + (90 if toe[0] < heel[0] else -90), toe
    elif kind == "pelvis" and lh and rh:
        v, a, end = mhip, 0.0 if rh[0] > lh[0] else 180.0, rh
    else:
        return None
    b = _dir_deg(v, end)
    seg = math.hypot(end[0] - v[0], end[1] - v[1])
    ref_len = max(1.4 * r, seg)
    q = (v[0] + ref_len * math.cos(math.radians(a)), v[1] + ref_len * math.sin(math.radians(a)))
    for k in range(0, 10, 2):  # dashed reference line
        p1 = (int(v[0] + (q[0] - v[0]) * k / 10), int(v[1] + (q[1] - v[1]) * k / 10))
        p2 = (int(v[0] + (q[0] - v[0]) * (k + 1) / 10), int(v[1] + (q[1] - v[1]) * (k + 1) / 10))
        cv2.line(img, p1, p2, (20, 20, 20), w + 4, cv2.LINE_AA)
        cv2.line(img, p1, p2, (255, 255, 255), w + 1, cv2.LINE_AA)
    cv2.line(img, v, end, (20, 20, 20), w + 4, cv2.LINE_AA)
    cv2.line(img, v, end, ANGLE_RGB, w + 2, cv2.LINE_AA)
    _draw_arc(img, v, a, b, r, (20, 20, 20), w + 4)
    _draw_arc(img, v, a, b, r, ANGLE_RGB, w + 2)
    mid_deg = a + ((b - a + 180) % 360 - 180) / 2
    return (int(v[0] + (r + 8) * math.cos(math.radians(mid_deg))), int(v[1] + (r + 8) * math.sin(math.radians(mid_deg))))


def text_boxes(img: np.ndarray, items: list[tuple[tuple[int, int], list[tuple[str, tuple[int, int, int]]], int]]) -> np.ndarray:
    """Write boxes of text lines on ``img`` in place: items of ((x, y) top-left, [(text, rgb)], font px).

    Light text on a near-black box (≥ 7:1 contrast for every colour used); boxes are kept inside
    the image. Only the boxes' pixels go through PIL. Returns ``img``.
    """
    h, w = img.shape[:2]
    for (x, y), lines, size in items:
        f = font(size)
        pad = max(4, size // 3)
        lh = int(size * 1.3)
        bw = max(int(f.getlength(t)) for t, _ in lines) + 2 * pad
        bh = lh * len(lines) + 2 * pad - (lh - size) // 2
        x = int(min(max(0, x), max(0, w - bw)))
        y = int(min(max(0, y), max(0, h - bh)))
        patch = img[y:y + bh, x:x + bw]
        dark = (patch.astype(np.uint16) * 40 // 255 + 12).astype(np.uint8)  # ≈ 85 % black, see-through
        pil = Image.fromarray(dark)
        d = ImageDraw.Draw(pil)
        for k, (t, colour) in enumerate(lines):
            d.text((pad, pad + k * lh), t, font=f, fill=colour)
        patch[...] = np.asarray(pil)
    return img
