"""Synthetic side-view sample video of a walking person, with exact ground truth.

``make_sample_video(path)`` draws a shaded, clothed human figure with OpenCV, frame by frame, walking
across a textured room in two passes (left→right, then right→left, leaving the frame in between) and
encodes it as H.264 (libx264, yuv420p, ``+faststart``) with PyAV. Beside the video it writes
``<stem>.truth.json``: the true 2D pixel positions of the joints of each *subject* side, the true
segment and joint angles (definitions of CLINICAL.md §3) and the true heel-strike / toe-off times.

Model: a 2D sagittal walker (1.75 m tall, cadence 105 steps/min, stance 60 %). Thigh, knee and ankle
angles are periodic cubic splines through normal-gait control points (Perry; Winter) that were adjusted
once, offline, by least squares so that both feet stay on the floor in double support; the body is
moved forward by the speed of the supporting foot's contact point (heel, ball or toe), so the stance
foot does not slide (< 0.4 cm) and the pelvis bobs by itself. Each side lies in a plane parallel to the
image (z = ±9 cm hips, ±18 cm shoulders) seen by a pinhole camera at hip height, 4 m away, so image
angles equal model angles exactly. Nothing random affects the truth; ``seed`` only textures the scene.

Regenerate the committed sample with ``python -m gaitlab.synth.sample sample_videos/walk_side.mp4``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from scipy.interpolate import CubicSpline

TRUTH_SCHEMA = "gaitlab.synth.truth/1"
HEIGHT_M = 1.75
CADENCE_STEPS_PER_MIN = 105.0
STANCE_FRACTION = 0.60
STRIDE_TIME_S = 120.0 / CADENCE_STEPS_PER_MIN
GAP_S = 0.6  # empty frames between the two passes
CAMERA_DIST_M, CAMERA_HEIGHT_M, WALL_DIST_M = 4.0, 0.92, 6.3
HIP_Z_M, SHOULDER_Z_M = 0.09, 0.18
FAR_SHADE = 0.70  # the far limbs are drawn darker (in the near limbs' shadow)
OUTLINE_K = 3  # outline kernel: a 1-px dark line around every part
JOINTS = ("shoulder", "hip", "knee", "ankle", "heel", "toe")

# Control points (% of gait cycle from heel strike, degrees). Segment angle to vertical, + = distal end
# ahead; knee flexion = thigh - shank; "ankle" = foot pitch relative to the shank, + = dorsiflexion.
_THIGH = ((0, 20.6), (10, 16.7), (20, 13.3), (30, 4.7), (40, -3.8), (50, -17.0), (55, -15.9),
          (60, -9.2), (65, -0.9), (70, 9.0), (75, 16.9), (80, 23.3), (85, 26.2), (90, 26.8), (95, 26.7))
_KNEE = ((0, 6.3), (5, 11.8), (12, 18.1), (16, 18.7), (22, 15.8), (30, 10.8), (40, 5.9), (45, 7.7),
         (50, 13.3), (55, 24.9), (60, 38.5), (65, 52.1), (70, 59.5), (73, 63.2), (77, 61.0),
         (82, 52.2), (87, 35.9), (92, 18.2), (96, 7.2))
_ANKLE = ((0, 0.6), (5, -5.5), (10, -0.3), (20, 3.7), (30, 6.1), (40, 8.6), (47, 13.2), (52, 7.9),
          (57, -3.2), (62, -12.4), (67, -12.0), (75, -3.8), (85, 1.3), (93, 1.3))

_H = HEIGHT_M
L_THIGH, L_SHANK, L_TRUNK, L_UARM, L_FARM = 0.245 * _H, 0.246 * _H, 0.29 * _H, 0.186 * _H, 0.146 * _H
# Foot frame: metres from the ankle, u forward, w up, at zero pitch (sole flat on the floor).
_CONTACTS = np.array([[-0.06, -0.075], [0.13, -0.075], [0.20, -0.065]])  # heel, ball, toe pivots
_HEEL_PT, _TOE_PT = np.array([-0.082, -0.05]), np.array([0.212, -0.056])  # truth heel / foot index
_SHOE = np.array([[-0.06, -0.075], [0.13, -0.075], [0.20, -0.066], [0.214, -0.052], [0.205, -0.035],
                  [0.16, -0.018], [0.08, 0.005], [0.03, 0.03], [-0.05, 0.035], [-0.075, 0.01],
                  [-0.085, -0.03], [-0.078, -0.064]])
_SOLE = np.array([[-0.06, -0.075], [0.13, -0.075], [0.20, -0.066], [0.212, -0.055], [0.19, -0.057],
                  [0.13, -0.058], [-0.082, -0.05], [-0.078, -0.064]])
_HEEL_TAB = np.array([[-0.05, 0.035], [-0.075, 0.01], [-0.085, -0.03], [-0.06, -0.035], [-0.035, 0.03]])
RGB = dict(skin=(222, 170, 138), hair=(58, 40, 30), shirt=(178, 52, 48), shorts=(48, 60, 92),
           shoe=(232, 232, 226), sole=(70, 70, 74), tab=(40, 90, 160), outline=(25, 22, 22))


def _periodic(points):
    x = np.r_[[p for p, _ in points], 100.0] / 100.0
    y = np.r_[[v for _, v in points], points[0][1]]
    return CubicSpline(x, y, bc_type="periodic")


def _rot(a):
    c, s = np.cos(a), np.sin(a)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


class _Gait:
    """Leg kinematics of one gait cycle and the hip trajectory that keeps the stance foot planted."""

    def __init__(self, n=2000):
        self.thigh, self.knee, self.ankle = _periodic(_THIGH), _periodic(_KNEE), _periodic(_ANKLE)
        ph, dt = np.arange(n) / n, STRIDE_TIME_S / n
        smooth = lambda x: np.clip(x, 0, 1) ** 2 * (3 - 2 * np.clip(x, 0, 1))  # noqa: E731
        vel, hgt = np.zeros(n), np.zeros(n)
        for off in (0.0, 0.5):  # right leg, left leg
            q = (ph + off) % 1
            leg = self.leg(q)
            pts = leg["ankle"][:, None, :] + np.einsum("nij,kj->nki", _rot(leg["pitch"]), _CONTACTS)
            low = np.argmin(pts[:, :, 1], 1)  # the lowest point is the pivot
            y = pts[np.arange(n), low, 1]
            v = np.gradient(pts[:, :, 0], dt, axis=0)[np.arange(n), low]
            w = np.where(q < 0.1, smooth(q / 0.1), np.where(q < 0.5, 1.0, 1 - smooth((q - 0.5) / 0.1)))
            w = np.where(q < STANCE_FRACTION, w, 0.0)  # support weight: blended in double support
            vel -= w * v
            hgt -= w * y
        x = np.r_[0.0, np.cumsum(vel) * dt]
        self.stride_m, self.speed_m_s = float(x[-1]), float(x[-1] / STRIDE_TIME_S)
        self._ph, self._x, self._y = np.r_[ph, 1.0], x, np.r_[hgt, hgt[0]]

    def leg(self, q):
        """Hip-relative leg geometry (metres, x forward, y up) at right-leg-style phase ``q``."""
        th, kf = np.radians(self.thigh(q)), np.radians(self.knee(q))
        sh = th - kf
        knee = np.stack([L_THIGH * np.sin(th), -L_THIGH * np.cos(th)], -1)
        ankle = knee + np.stack([L_SHANK * np.sin(sh), -L_SHANK * np.cos(sh)], -1)
        return dict(thigh=th, shank=sh, pitch=sh + np.radians(self.ankle(q)), knee=knee, ankle=ankle)

    def hip(self, phase):
        """Hip x travelled since phase 0 and hip height, for a cumulative right-leg phase."""
        k, f = np.floor(phase), phase - np.floor(phase)
        return k * self.stride_m + np.interp(f, self._ph, self._x), np.interp(f, self._ph, self._y)


def _pose(g, phase):
    """Subject-frame points (x forward, y up, metres; x=0 at the hip at phase 0) per side + shapes."""
    hx, hy = g.hip(phase)
    hip = np.array([hx, hy])
    lean = np.radians(4.0 + 1.0 * np.cos(4 * np.pi * (phase - 0.1)))
    axis = np.array([np.sin(lean), np.cos(lean)])
    sh = hip + L_TRUNK * axis
    out = {"trunk": float(np.degrees(lean)), "hip_mid": hip, "shoulder_mid": sh, "axis": axis}
    for side, off in (("right", 0.0), ("left", 0.5)):
        q = (phase + off) % 1
        leg = g.leg(q)
        rot = _rot(leg["pitch"])
        ank = hip + leg["ankle"]
        ua = np.radians(0.8 * (float(g.thigh((q + 0.46) % 1)) - 6.0))  # arm swings with the other leg
        fa = ua + np.radians(16 + 14 * (np.degrees(ua) + 20) / 36)
        elbow = sh + L_UARM * np.array([np.sin(ua), -np.cos(ua)])
        wrist = elbow + L_FARM * np.array([np.sin(fa), -np.cos(fa)])
        out[side] = dict(
            hip=hip, knee=hip + leg["knee"], ankle=ank, heel=ank + rot @ _HEEL_PT, toe=ank + rot @ _TOE_PT,
            shoulder=sh, elbow=elbow, wrist=wrist, hand_dir=fa + np.radians(6),
            thigh=float(np.degrees(leg["thigh"])), shank=float(np.degrees(leg["shank"])),
            shoe=ank + _SHOE @ rot.T, sole=ank + _SOLE @ rot.T, tab=ank + _HEEL_TAB @ rot.T)
    return out


def _limb(pts, widths):
    """Polygons (one per segment) and joint circles of a tapered limb; widths = (front, back) per
    station, 3 stations per segment (start, middle, end)."""
    polys, circles = [], []
    for i in range(len(pts) - 1):
        a, b = pts[i], pts[i + 1]
        u = (b - a) / (np.linalg.norm(b - a) + 1e-9)
        n = np.array([-u[1], u[0]])  # forward normal of a downward segment
        st = [a, (a + b) / 2, b]
        wf = widths[3 * i:3 * i + 3]
        polys.append(np.array([p + w[0] * n for p, w in zip(st, wf)]
                              + [p - w[1] * n for p, w in zip(st[::-1], wf[::-1])]))
        circles.append((b, 0.5 * sum(wf[2])) if i < len(pts) - 2 else (b, 0.0))
    circles.insert(0, (pts[0], 0.5 * sum(widths[0])))
    return polys, [c for c in circles if c[1] > 0]


_ARM_W = [(0.05, 0.05), (0.045, 0.043), (0.04, 0.036), (0.04, 0.036), (0.036, 0.032), (0.028, 0.024)]
_LEG_W = [(0.085, 0.095), (0.072, 0.072), (0.058, 0.058), (0.058, 0.058), (0.05, 0.06), (0.042, 0.045)]


def _arm(s, z, col):
    hand = s["wrist"] + 0.09 * np.array([np.sin(s["hand_dir"]), -np.cos(s["hand_dir"])])
    ap, ac = _limb([s["shoulder"], s["elbow"], s["wrist"]], _ARM_W)
    hp, hc = _limb([s["wrist"], hand], [(0.03, 0.024), (0.042, 0.03), (0.03, 0.022)])
    sleeve, _ = _limb([s["shoulder"], s["shoulder"] + 0.45 * (s["elbow"] - s["shoulder"])],
                      [(0.062, 0.062), (0.058, 0.057), (0.055, 0.054)])
    return [("arm", z, col("skin"), ap + hp, ac + hc, 0.04),
            ("sleeve", z, col("shirt"), sleeve, [(s["shoulder"], 0.06)], 0.05)]


def _layers(p, near):
    """Body parts in drawing order: (name, z, rgb, polygons, circles, shade radius m), head centre."""
    far = "left" if near == "right" else "right"
    hm, sm, ax = p["hip_mid"], p["shoulder_mid"], p["axis"]
    n = np.array([ax[1], -ax[0]])  # forward normal of the trunk
    out = []
    for side in (far, near):
        s, sg, dim = p[side], (1 if side == far else -1), (FAR_SHADE if side == far else 1.0)
        col = lambda k, dim=dim: tuple(dim * c for c in RGB[k])  # noqa: E731
        legp, legc = _limb([s["hip"], s["knee"], s["ankle"]], _LEG_W)
        if side == near:  # seat of the shorts shares the near leg's outline
            legc.append((hm - 0.05 * ax - 0.035 * n, 0.072))
        z = sg * HIP_Z_M
        sp, sc = _limb([s["hip"], s["hip"] + 0.7 * (s["knee"] - s["hip"])], [(0.09, 0.1), (0.085, 0.09), (0.08, 0.085)])
        out += (_arm(s, sg * SHOULDER_Z_M, col) if side == far else []) + [
            ("leg", z, col("skin"), legp, legc[:2], 0.05), ("shorts", z, col("shorts"), sp, sc + legc[2:], 0.07),
            ("shoe", z, col("shoe"), [s["shoe"]], [], 0.03), ("sole", z, col("sole"), [s["sole"]], [], 0.0),
            ("tab", z, col("tab"), [s["tab"]], [], 0.0)]
    prof = [(-0.08, 0.08, 0.11), (0.0, 0.10, 0.11), (0.4, 0.095, 0.085), (0.75, 0.12, 0.10), (1.0, 0.07, 0.09),
            (1.07, 0.04, 0.06)]
    torso = np.array([hm + f * L_TRUNK * ax + a * n for f, a, _ in prof]
                     + [hm + f * L_TRUNK * ax - b * n for f, _, b in prof[::-1]])
    top, hc = sm + [0.02, 0.13], sm + [0.03, 0.215]
    neck = np.array([sm + [-0.03, 0], sm + [0.055, 0.02], top + [0.05, 0], top + [-0.05, 0]])
    jaw = hc + np.array([[0.07, -0.05], [0.105, -0.03], [0.10, -0.08], [0.06, -0.118], [0.0, -0.12]])
    nose = hc + np.array([[0.09, 0.02], [0.125, -0.025], [0.1, -0.035]])
    ang = np.radians(np.linspace(25, 250, 24))
    hair = hc + np.r_[np.c_[0.11 * np.cos(ang) - 0.006, 0.11 * np.sin(ang) + 0.006],
                      [[-0.055, -0.06], [-0.035, -0.005], [0.04, 0.055], [0.09, 0.06]]]
    return out + [("neck", 0.0, RGB["skin"], [neck], [], 0.04), ("torso", 0.0, RGB["shirt"], [torso], [], 0.11),
                  ("head", 0.0, RGB["skin"], [jaw, nose], [(hc, 0.10)], 0.08),
                  ("hair", 0.0, RGB["hair"], [hair], [], 0.04)] + _arm(p[near], -SHOULDER_Z_M, lambda k: RGB[k]), hc


class _Camera:
    """Pinhole camera at hip height looking perpendicular to the walkway (z = distance offset)."""

    def __init__(self, width, height):
        self.w, self.h = width, height
        self.f, self.cx, self.cy = 1070.0 * height / 720.0, width / 2.0, height / 2.0

    def project(self, X, Y, z):
        d = CAMERA_DIST_M + z
        return np.stack([self.cx + self.f * X / d, self.cy - self.f * (Y - CAMERA_HEIGHT_M) / d], -1)

    def scale(self, z):
        return self.f / (CAMERA_DIST_M + z)


def _background(cam, rng):
    """Plaster wall with skirting board and two framed pictures, plank floor; blurred and noisy."""
    w, h = cam.w, cam.h
    low = lambda sy, sx, amp: cv2.resize(rng.normal(0, amp, (sy, sx)).astype(np.float32), (w, h),  # noqa: E731
                                         interpolation=cv2.INTER_CUBIC)[..., None]
    img = np.empty((h, w, 3), np.float32)
    img[:] = (206, 198, 182)
    img += low(h // 60 + 2, w // 60 + 2, 7.0) + low(h // 6 + 2, w // 6 + 2, 2.5)
    wall_s = cam.scale(WALL_DIST_M - CAMERA_DIST_M)
    v_floor = int(round(cam.project(0.0, 0.0, WALL_DIST_M - CAMERA_DIST_M)[1]))
    for k in range(2):  # pictures
        x0 = (-1.6 + 2.6 * k + rng.uniform(-0.3, 0.3)) * wall_s + cam.cx
        top = cam.cy - (1.75 - CAMERA_HEIGHT_M) * wall_s
        pw, ph = rng.uniform(0.5, 0.8) * wall_s, rng.uniform(0.4, 0.55) * wall_s
        p0, p1 = (int(x0), int(top)), (int(x0 + pw), int(top + ph))
        cv2.rectangle(img, p0, p1, (60, 52, 45), -1)
        m = int(0.04 * wall_s)
        inner = [p0[0] + m, p0[1] + m, p1[0] - m, p1[1] - m]
        cv2.rectangle(img, tuple(inner[:2]), tuple(inner[2:]), tuple(float(c) for c in rng.uniform(90, 200, 3)), -1)
        cv2.line(img, (inner[0], (inner[1] + 2 * inner[3]) // 3), (inner[2], (2 * inner[1] + inner[3]) // 3),
                 tuple(float(c) for c in rng.uniform(60, 230, 3)), max(1, int(0.05 * wall_s)))
    board = int(0.10 * wall_s)
    img[v_floor - board:v_floor] = (236, 233, 226)
    img[v_floor - board:v_floor - board + max(1, h // 360)] = (190, 186, 178)
    depth = WALL_DIST_M
    while True:  # floor planks, 14 cm wide, receding to the wall
        z1 = depth - 0.14
        v0 = cam.cy + cam.f * CAMERA_HEIGHT_M / depth
        v1 = cam.cy + cam.f * CAMERA_HEIGHT_M / z1 if z1 > 0.5 else h
        a, b = int(round(v0)), min(h, int(round(v1)))
        if a >= h:
            break
        img[a:b] = np.array((158, 116, 78), np.float32) * rng.uniform(0.88, 1.1)
        img[a:b] += cv2.resize(rng.normal(0, 6, ((b - a) // 2 + 2, w // 40 + 2)).astype(np.float32),
                               (w, max(1, b - a)))[..., None]  # wood grain
        img[a:max(a + 1, a + (b - a) // 14)] *= 0.7
        for X in np.arange(-8.0, 8.0, 1.2) + rng.uniform(0, 1.2):
            u = int(cam.cx + cam.f * X / (depth - 0.07))
            cv2.line(img, (u, a), (u, b), (95, 70, 50), 1)
        depth = z1
    img = cv2.GaussianBlur(img, (0, 0), 1.0 * h / 720) + rng.normal(0, 2.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def _render(img, cam, layers, origin_x, d, tex):
    """Draw projected layers onto ``img`` (float32 RGB). Returns the figure's bbox (x0, y0, x1, y1)."""
    proj = []
    for name, z, rgb, polys, circles, shade in layers:
        P = lambda q: cam.project(origin_x + d * q[..., 0], q[..., 1], z)  # noqa: E731
        proj.append((name, rgb, [P(np.asarray(q)) for q in polys],
                     [(P(np.asarray(c)), r * cam.scale(z)) for c, r in circles], shade * cam.scale(z)))
    allp = np.concatenate([q for _, _, ps, _, _ in proj for q in ps]
                          + [c + np.array([[-r, -r], [r, r]]) for _, _, _, cs, _ in proj for c, r in cs])
    (bx0, by0), (bx1, by1) = allp.min(0), allp.max(0)
    x0, y0 = max(0, int(bx0) - 30), max(0, int(by0) - 4)
    x1, y1 = min(cam.w, int(bx1) + 31), min(cam.h, int(by1) + 12)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return (bx0, by0, bx1, by1)
    roi, off = img[y0:y1, x0:x1], np.array([x0, y0], np.float64)
    k = np.ones((OUTLINE_K, OUTLINE_K), np.uint8)
    shadow, s0 = np.zeros(roi.shape[:2], np.float32), cam.scale(0.0)  # soft floor shadow under the feet
    floor_v = int(cam.project(0.0, 0.0, HIP_Z_M)[1] - y0)
    for c in [ps[0].mean(0) - off for name, _, ps, _, _ in proj if name == "sole"]:
        cv2.ellipse(shadow, (int(c[0]), floor_v), (int(0.12 * s0), int(0.015 * s0) + 1), 0, 0, 360, 0.5, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 0.02 * s0)
    roi *= (1 - 0.5 * shadow)[..., None]
    fx = lambda q: np.round((q - off) * 16).astype(np.int32)  # noqa: E731
    for name, rgb, ps, cs, shade in proj:
        mask = np.zeros(roi.shape[:2], np.uint8)
        cv2.fillPoly(mask, [fx(q) for q in ps], 255, cv2.LINE_AA, 4)
        for c, r in cs:
            cc = fx(c)
            cv2.circle(mask, (int(cc[0]), int(cc[1])), int(round(r * 16)), 255, -1, cv2.LINE_AA, 4)
        a = mask.astype(np.float32) / 255.0
        col = np.empty(roi.shape, np.float32)
        col[:] = rgb
        if shade > 1:  # cylinder-like shading from the distance to the part's outline
            dist = cv2.distanceTransform((mask > 127).astype(np.uint8), cv2.DIST_L2, 3)
            x = np.clip(dist / shade, 0, 1)
            col *= (0.5 + 0.6 * np.sqrt(1 - (1 - x) ** 2))[..., None]
        col *= 1 + tex[y0:y1, x0:x1]
        line = np.clip(a - cv2.erode(a, k), 0, 1)[..., None] * 0.85
        a = a[..., None]
        roi[:] = roi * (1 - a) + col * a
        roi[:] = roi * (1 - line) + np.array(RGB["outline"], np.float32) * line
    return (bx0, by0, bx1, by1)


def _face(img, cam, hc, origin_x, d):
    """Eye, eyebrow, mouth and ear on the profile head."""
    s = cam.scale(0.0)
    P = lambda x, y: tuple(int(v) for v in np.round(cam.project(origin_x + d * (hc[0] + x), hc[1] + y, 0.0)))  # noqa
    lw, ear = max(1, int(round(0.006 * s))), (max(1, int(0.02 * s)), max(1, int(0.032 * s)))
    for rgb, th in (((200, 140, 112), -1), (RGB["outline"], 1)):
        cv2.ellipse(img, P(-0.015, -0.01), ear, 0, 0, 360, rgb, th, cv2.LINE_AA)
    cv2.circle(img, P(0.075, 0.012), max(1, int(0.009 * s)), (35, 30, 30), -1, cv2.LINE_AA)
    cv2.line(img, P(0.058, 0.035), P(0.092, 0.033), RGB["hair"], lw, cv2.LINE_AA)
    cv2.line(img, P(0.082, -0.068), P(0.1, -0.066), (150, 80, 80), lw, cv2.LINE_AA)


def _encode(path, frames, width, height, fps, crf):
    """Write RGB uint8 frames as H.264 (yuv420p, +faststart) through gaitlab's own writer."""
    from ..video import open_writer

    with open_writer(path, fps, width, height, crf=crf,
                     metadata={"comment": "gaitlab synthetic walker (gaitlab.synth.sample)"}) as wr:
        for rgb in frames:
            wr.write(rgb)


def _r(x, nd=2):
    return None if x is None else round(float(x), nd)


def _truth_row(pose, cam, x0, d, near):
    """True pixel positions and angles of one frame (keys as in the truth's landmarks_px / angles_deg)."""
    row = {"trunk_inclination_deg": _r(pose["trunk"])}
    for s in ("right", "left"):
        z = -1 if s == near else 1
        for j in JOINTS:
            q = pose[s][j]
            uv = cam.project(x0 + d * q[0], q[1], z * (SHOULDER_Z_M if j == "shoulder" else HIP_Z_M))
            row[f"{s}_{j}"] = [_r(uv[0]), _r(uv[1])]
        shank, foot = pose[s]["ankle"] - pose[s]["knee"], pose[s]["toe"] - pose[s]["heel"]
        df = np.degrees(np.arccos(shank @ foot / np.linalg.norm(shank) / np.linalg.norm(foot))) - 90
        th, sh = pose[s]["thigh"], pose[s]["shank"]
        row.update({f"{s}_thigh_deg": _r(th), f"{s}_shank_deg": _r(sh), f"{s}_knee_flexion_deg": _r(th - sh),
                    f"{s}_ankle_dorsiflexion_deg": _r(df)})
    return row


def make_sample_video(path, *, seconds=11.0, fps=30, width=1280, height=720, seed=0, crf=28):
    """Render the two-pass side-view walker to ``path`` (MP4, H.264) and write ``<stem>.truth.json``.

    Parameters: ``seconds`` clip length (two equal passes with a 0.6 s empty gap between them; a pass
    shorter than the ≈5 s crossing shows only its middle), ``fps`` frame rate (constant), ``width`` and
    ``height`` in pixels (even; the walker is ≈65 % of ``height`` tall), ``seed`` for the scene
    texture only (the truth does not depend on it), ``crf`` the x264 quality. Returns the truth dict.
    """
    if width % 2 or height % 2 or width < 32 or height < 32:
        raise ValueError("width and height must be even and at least 32 pixels (yuv420p)")
    n = int(round(seconds * fps))
    pass_s = (seconds - GAP_S) / 2
    if pass_s * fps < 2:
        raise ValueError(f"seconds must exceed {GAP_S + 4 / fps:.2f} (two passes and the gap)")
    path = Path(path)
    rng = np.random.default_rng(seed)
    g, cam = _Gait(), _Camera(width, height)
    bg = _background(cam, rng)
    tex = cv2.GaussianBlur(rng.normal(0, 0.05, (height, width)).astype(np.float32), (0, 0), 0.7)[..., None]
    passes = []
    for k, (d, ph0) in enumerate(((1, 0.0), (-1, 0.3))):
        t0 = k * (pass_s + GAP_S)
        mid = ph0 + 0.5 * pass_s / STRIDE_TIME_S
        passes.append(dict(index=k, start_s=round(t0, 4), end_s=round(t0 + pass_s, 4),
                           direction="right" if d > 0 else "left", near_side="right" if d > 0 else "left",
                           _d=d, _ph0=ph0, _x0=-d * float(g.hip(mid)[0])))
    lm = {f"{s}_{j}": [] for s in ("right", "left") for j in JOINTS}
    ang = {f"{s}_{a}_deg": [] for s in ("right", "left")
           for a in ("thigh", "shank", "knee_flexion", "ankle_dorsiflexion")}
    ang["trunk_inclination_deg"] = []
    frames = dict(time_s=[], pass_index=[], right_phase=[], visible=[], fully_visible=[], bbox_px=[])

    def render_frames():
        for i in range(n):
            t, img, row = i / fps, bg.copy(), dict(visible=False, fully_visible=False)
            ps = next((p for p in passes if p["start_s"] <= t < p["end_s"]), None)
            if ps is not None:
                d, phase = ps["_d"], ps["_ph0"] + (t - ps["start_s"]) / STRIDE_TIME_S
                pose = _pose(g, phase)
                layers, hc = _layers(pose, ps["near_side"])
                bx0, by0, bx1, by1 = _render(img, cam, layers, ps["_x0"], d, tex)
                _face(img, cam, hc, ps["_x0"], d)
                row = _truth_row(pose, cam, ps["_x0"], d, ps["near_side"])
                row.update(pass_index=ps["index"], right_phase=_r(phase % 1, 4),
                           visible=bool(bx1 > 0 and by1 > 0 and bx0 < width - 1 and by0 < height - 1),
                           fully_visible=bool(bx0 >= 0 and by0 >= 0 and bx1 <= width - 1 and by1 <= height - 1),
                           bbox_px=[_r(v, 1) for v in (bx0, by0, bx1, by1)])
            row["time_s"] = round(t, 4)
            for col in (lm, ang, frames):
                for k, v in col.items():
                    v.append(row.get(k))
            yield np.clip(img, 0, 255).astype(np.uint8)

    _encode(path, render_frames(), width, height, fps, crf)
    events = {s: {"heel_strike_s": [], "toe_off_s": []} for s in ("right", "left")}
    for p in passes:
        a, b = p["_ph0"], p["_ph0"] + pass_s / STRIDE_TIME_S
        for s, off in (("right", 0.0), ("left", 0.5)):
            for key, ev in (("heel_strike_s", 0.0), ("toe_off_s", STANCE_FRACTION)):
                for q in np.arange(np.ceil(a + off - ev), b + off - ev, 1.0) - off + ev:
                    events[s][key].append(round(p["start_s"] + (q - a) * STRIDE_TIME_S, 4))
        for k in ("_d", "_ph0", "_x0"):
            p.pop(k)
        idx = [i for i, v in enumerate(frames["fully_visible"]) if v and frames["pass_index"][i] == p["index"]]
        p["fully_visible_s"] = [frames["time_s"][idx[0]], frames["time_s"][idx[-1]]] if idx else None
    truth = dict(
        schema=TRUTH_SCHEMA, generator="gaitlab.synth.sample", seed=seed, video=path.name,
        fps=fps, width=width, height=height, n_frames=n, duration_s=round(n / fps, 4),
        conventions="pixels (x right, y down) in frame i, shown at time_s[i] = i/fps; left/right = the subject's "
                    "sides; segment angle to vertical, + = distal end ahead in the walking direction; knee flexion = "
                    "thigh - shank; ankle dorsiflexion = angle(shank knee->ankle, foot heel->toe) - 90; toe = foot "
                    "index (toe tip); null = no walker in the frame",
        subject=dict(height_m=HEIGHT_M, hip_to_ankle_m=round(L_THIGH + L_SHANK, 4),
                     px_per_m_near_hip=_r(cam.scale(-HIP_Z_M), 3)),
        gait=dict(cadence_steps_per_min=CADENCE_STEPS_PER_MIN, stride_time_s=round(STRIDE_TIME_S, 4),
                  stance_fraction=STANCE_FRACTION, stride_length_m=round(g.stride_m, 4),
                  speed_m_s=round(g.speed_m_s, 4)),
        passes=passes, events=events, frames=frames, landmarks_px=lm, angles_deg=ang)
    tp = path.with_name(path.stem + ".truth.json")
    tp.write_text("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in truth.items()) + "\n}\n")
    return truth


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gaitlab.synth.sample", description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output .mp4 (the truth is written beside it as <stem>.truth.json)")
    opts = (("seconds", float, 11.0), ("fps", int, 30), ("width", int, 1280), ("height", int, 720),
            ("seed", int, 0), ("crf", int, 28))
    for name, typ, default in opts:
        ap.add_argument(f"--{name}", type=typ, default=default, help=f"default {default}")
    a = ap.parse_args(argv)
    t = make_sample_video(a.out, **{name: getattr(a, name) for name, _, _ in opts})
    full = sum(t["frames"]["fully_visible"])
    print(f"{a.out}: {t['n_frames']} frames, {full} with the walker fully visible, "
          f"{Path(a.out).stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
