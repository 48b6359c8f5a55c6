"""The rendered walker's body: 3D segments around the gait model's landmarks, projected through a camera
into :mod:`.render_paint` parts and drawn far to near (painter's algorithm).

Body (radii as fractions of body height, scaled by :attr:`Appearance.girth`; adult anthropometry,
rounded): tapered thighs, two-piece shanks with a calf, upper arms, forearms, hands; a pelvis and a torso
with elliptical cross-sections (wider than deep) joined at a textured belt whose loops and buckle sit on
the 3D surface, so pelvic rotation and obliquity show in the image as they do on clothing; shoulders,
neck, a head with hair, nose, eyes, eyebrows, mouth and ears where they face the camera; shoes with a
dark sole, a toe cap and a coloured heel tab, following the model's heel, ball and toe. Parts are
grouped per limb and the groups drawn in order of depth, far first; far limbs are drawn darker.

Public API: :class:`Appearance`, :func:`draw_walker`, :func:`draw_contact_shadows`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..model import LM
from .camera import Camera
from .render_paint import CAP_FLAT, CAP_OPEN, Capsule, Painter, Polygon

SIDES = ("left", "right")
#: Limb radii (fractions of height): (proximal, distal).
THIGH_R, KNEE_R, CALF_R, ANKLE_R = 0.050, 0.031, 0.034, 0.019
UPPER_ARM_R, ELBOW_R, WRIST_R, HAND_R = (0.030, 0.022, 0.017, 0.018)
NECK_R = 0.036
#: Thigh drawn from this fraction of hip→knee (above it the pelvis is the body); calf bulge: its centre
#: at this fraction of knee→ankle, set back by CALF_BACK (fraction of height).
THIGH_START, CALF_AT, CALF_BACK = 0.10, 0.35, 0.008
#: The upper arm's top is a flattened half-ellipse (this fraction of its radius), so the deltoid does not
#: stand above the shoulder line.
DELTOID_CAP = 0.5
#: Pelvis: from PELVIS_BELOW below the hip joints to PELVIS_ABOVE above them; the belt is its top
#: BELT_WIDTH; semi-axes (lateral, forward) at its bottom and top.
PELVIS_BELOW, PELVIS_ABOVE, BELT_WIDTH = 0.045, 0.075, 0.022
PELVIS_AXES = ((0.098, 0.062), (0.090, 0.058))
#: Belt decoration: loops at these surface angles (rad; π/2 = front, 0 = the body's left) and half-widths
#: (fractions of height, as arc length) of a loop and of the buckle.
BELT_LOOPS_RAD = (np.pi / 2 + 0.8, np.pi / 2 - 0.8, np.pi / 2 + 1.9, np.pi / 2 - 1.9, -np.pi / 2)
BELT_LOOP_HALF, BELT_BUCKLE_HALF, BUCKLE_RGB = 0.012, 0.018, (205, 195, 160)
#: Torso: from TORSO_FROM above the hip joints (under the belt) to TORSO_ABOVE_SHOULDER above the
#: shoulder joints, closed by a half-ellipse (trapezius) TORSO_TOP_CAP high, so the deltoids merge into the
#: shoulder line; semi-axes (lateral, forward) at the waist and at the shoulders.
TORSO_FROM, TORSO_ABOVE_SHOULDER, TORSO_TOP_CAP = 0.060, 0.022, 0.035
TORSO_AXES = ((0.085, 0.058), (0.120, 0.065))
#: Head (metres at 1.75 m, scaled with height): cranium sphere and jaw centres relative to the ear
#: midpoint (forward, up) and their radii; the hair line is drawn from the 3D surface normal.
HEAD_REF_M = 1.75
CRANIUM, CRANIUM_R, JAW, JAW_R = (0.011, 0.035), 0.088, (0.049, -0.044), 0.060
NOSE_R, EYE_R, EAR_R = 0.010, 0.0065, (0.014, 0.024)
#: Shoe profile (metres for a 0.266 m foot, scaled with foot length): (u forward, w up, half width),
#: u from the heel landmark (rear foot) or from the ball (toe box, u in fractions of the toe length).
SHOE_REF_FOOT_M = 0.266
SOLE_M, HEEL_SOLE_M = 0.015, 0.022
REAR_UPPER = ((-0.012, 0.018, 0.031), (-0.017, 0.060, 0.030), (-0.009, 0.092, 0.028), (0.050, 0.086, 0.032),
              (0.105, 0.082, 0.035), (0.150, 0.062, 0.042), (None, 0.048, 0.046), (None, 0.012, 0.046),
              (0.0, 0.012, 0.031))
TOE_BOX = ((0.0, 0.012, 0.046), (0.0, 0.048, 0.046), (0.5, 0.040, 0.042), (0.9, 0.030, 0.034),
           (1.08, 0.016, 0.030), (1.06, 0.004, 0.028), (0.5, 0.004, 0.040), (0.0, 0.004, 0.046))
SOLE_HALF_WIDTH = (0.040, 0.028)  # rear foot, toe tip
#: Toe cap: the front of the toe box from this fraction of the toe length; its back edge (w, half width).
TOE_CAP_FROM, TOE_CAP_BACK = 0.55, ((0.004, 0.040), (0.044, 0.044))
#: Heel tab (u, w) on the back of the heel, and its half width.
HEEL_TAB = ((-0.018, 0.030), (-0.018, 0.088), (0.028, 0.090), (0.028, 0.032))
HEEL_TAB_HALF_WIDTH = 0.026
#: Far parts are darkened by up to FAR_DIM, reached this far (m) behind the mid-hip.
FAR_DIM, FAR_DIM_RANGE_M = 0.22, 0.19
#: A face detail is drawn when its direction from the head centre is at least this far toward the camera
#: (cosine); ears and the heel tab are seen from further round.
FACING_COS, EAR_COS, TAB_COS = 0.25, -0.15, -0.35
#: Contact shadow: darkest at the floor, gone when the foot is this high (m); its half-axes (m).
SHADOW_FADE_M, SHADOW_DARK, SHADOW_AXES_M = 0.20, 0.45, (0.17, 0.07)

SKIN = ((241, 206, 180), (226, 184, 152), (205, 158, 122), (176, 126, 92), (141, 97, 68), (104, 70, 50))
HAIR = ((35, 28, 24), (72, 50, 34), (120, 84, 50), (176, 140, 90), (150, 150, 150), (22, 22, 24))
SHIRT = ((178, 52, 48), (46, 94, 170), (50, 140, 90), (224, 140, 40), (40, 150, 160), (120, 70, 150),
         (220, 200, 70), (230, 230, 226), (110, 110, 118))
BOTTOM = ((48, 60, 92), (34, 34, 38), (90, 90, 96), (150, 130, 96), (70, 90, 130), (110, 50, 50))
SHOE = ((232, 232, 226), (60, 62, 70), (40, 90, 160), (190, 60, 50), (150, 150, 156))
ACCENT = ((40, 90, 160), (220, 120, 40), (200, 40, 40), (40, 160, 90), (240, 240, 240))
BELT = ((60, 40, 28), (25, 25, 28), (120, 80, 45), (200, 190, 170))
MIN_CONTRAST = 90.0  # least RGB distance between neighbouring garments drawn by from_seed


@dataclass(frozen=True)
class Appearance:
    """Colours (RGB 0–255), build and clothing of the rendered walker."""

    skin: tuple = (222, 170, 138)
    hair: tuple = (58, 40, 30)
    shirt: tuple = (178, 52, 48)
    bottom: tuple = (48, 60, 92)  # shorts or trousers
    belt: tuple = (60, 40, 28)
    shoe: tuple = (232, 232, 226)
    toe_cap: tuple = (200, 200, 196)
    heel_tab: tuple = (40, 90, 160)
    sole: tuple = (70, 70, 74)
    #: Scales all limb and trunk radii (slim 0.9 … broad 1.15).
    girth: float = 1.0
    #: Shorts to mid-thigh (knees bare) or long trousers.
    shorts: bool = True
    #: Short sleeves cover this fraction of the upper arm.
    sleeve: float = 0.45

    @classmethod
    def from_seed(cls, seed: int) -> "Appearance":
        """Random skin tone, hair, garment and shoe colours (neighbours contrasting), build and clothing."""
        rng = np.random.default_rng(seed)

        def pick(pal, *others):
            """A random palette colour at least MIN_CONTRAST from ``others`` (else the most distant one)."""
            dist = [min((np.linalg.norm(np.subtract(c, o)) for o in others), default=np.inf) for c in pal]
            ok = [c for c, d in zip(pal, dist) if d >= MIN_CONTRAST] or [pal[int(np.argmax(dist))]]
            return tuple(int(v) for v in ok[rng.integers(len(ok))])

        skin = pick(SKIN)
        shirt = pick(SHIRT, skin)
        bottom = pick(BOTTOM, shirt, skin)
        shoe = pick(SHOE, bottom)
        tab = pick(ACCENT, shoe)
        belt = pick(BELT, shirt, bottom)
        toe = tuple(int(np.clip(0.82 * v + (40 if sum(shoe) < 300 else 0), 0, 255)) for v in shoe)
        return cls(skin=skin, hair=pick(HAIR), shirt=shirt, bottom=bottom, belt=belt, shoe=shoe, toe_cap=toe,
                   heel_tab=tab, girth=float(rng.uniform(0.92, 1.12)), shorts=bool(rng.random() < 0.6),
                   sleeve=float(rng.uniform(0.3, 0.55)))


def _unit(v):
    v = np.asarray(v, float)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def view_frame(camera: Camera, p) -> np.ndarray:
    """3×3 M: rows are the world directions of image-right, image-down and depth at point ``p`` (so a
    world vector v has image components M·v, in metres); from finite differences of :meth:`Camera.project`,
    so roll and mirroring are included."""
    p = np.asarray(p, float)
    eps = 1e-3
    pts = np.vstack([p, p + eps * np.eye(3)])
    q = camera.project(pts)
    J = (q[1:] - q[0]).T / eps  # rows: dx/dX, dy/dX, ddepth/dX
    J[:2] *= q[0, 2] / camera.focal_px
    return J


class _Frame:
    """Projection helpers for one frame's camera."""

    def __init__(self, camera: Camera, height_m: float, girth: float, depth_ref: float):
        self.cam, self.H, self.g, self.d0 = camera, height_m, girth, depth_ref
        self.C = np.asarray(camera.position_m, float)

    def xy(self, p):
        q = self.cam.project(np.asarray(p, float))
        return q[..., :2], q[..., 2]

    def r_px(self, r_m, depth):
        return self.cam.focal_px * r_m / depth

    def dim(self, depth):
        return 1.0 - FAR_DIM * float(np.clip((depth - self.d0) / FAR_DIM_RANGE_M, 0.0, 1.0))

    def tube(self, p0, p1, r0_m, r1_m, bands, **kw) -> Capsule | None:
        """A round tube p0→p1 (world m) with radii r0_m, r1_m (m); None if an end is behind the camera."""
        (a, b), (da, db) = self.xy(np.stack([p0, p1]))
        if not (da > 0 and db > 0):
            return None
        dim = kw.pop("dim", self.dim(0.5 * (da + db)))
        return Capsule(a, b, self.r_px(r0_m, da), self.r_px(r1_m, db), bands, dim=dim, **kw)

    def ellipse_tube(self, p0, p1, lateral, axes0, axes1, bands, **kw) -> tuple[Capsule | None, tuple]:
        """A tube with elliptical cross-sections (semi-axes (lateral, forward) m at p0 and p1): its silhouette
        half-width is the ellipse's extent across the image axis. Returns the part and (e1, e2, w): the
        cross-section's lateral and forward axes and the world direction that the painter's across-axis
        direction maps to (for surface angles)."""
        axis = _unit(np.subtract(p1, p0))
        e1 = _unit(lateral - axis * np.dot(lateral, axis))
        e2 = np.cross(e1, axis)  # forward, when lateral points to the body's left and the axis up
        mid = 0.5 * (np.asarray(p0) + np.asarray(p1))
        w = _unit(np.cross(axis, mid - self.C))  # across the axis, in the image plane
        (a, b), _ = self.xy(np.stack([p0, p1]))
        (m0, m1), _ = self.xy(np.stack([mid, mid + 0.01 * w]))
        img_axis = _unit(b - a)
        if np.dot(m1 - m0, [-img_axis[1], img_axis[0]]) < 0:
            w = -w  # w now maps to the painter's +perp direction
        ext = [np.hypot(ax[0] * np.dot(e1, w), ax[1] * np.dot(e2, w)) for ax in (axes0, axes1)]
        part = self.tube(p0, p1, ext[0], ext[1], bands, **kw)
        return part, (e1, e2, w)


def _shoe(fr: _Frame, heel, ankle, toe, foot_m: dict, app: Appearance, dim: float) -> list:
    """Sole, rear upper, toe box, toe cap and heel tab polygons (convex hulls of projected 3D points)."""
    Lf = foot_m["length"]
    k = Lf / SHOE_REF_FOOT_M
    lat = _unit(np.cross(toe - heel, ankle - heel))
    A = ankle - heel
    u1 = _unit(A)
    u2 = _unit(np.cross(lat, u1))
    alpha = np.arctan2(foot_m["ankle_height"], foot_m["heel_to_ankle"])  # ankle above the sole line
    cands = [np.cos(alpha) * u1 + sg * np.sin(alpha) * u2 for sg in (1.0, -1.0)]
    fwd = max(cands, key=lambda c: np.dot(c, toe - heel))
    up = _unit(A - np.dot(A, fwd) * fwd)
    ball = heel + foot_m["heel_to_ball"] * fwd
    t_dir = _unit(toe - ball)
    t_up = _unit(up - np.dot(up, t_dir) * t_dir)
    Lt = float(np.linalg.norm(toe - ball)) / k

    def hull(points):
        q, d = fr.xy(np.array(points))
        if not (d > 0).all():
            return None
        return cv2.convexHull(q.astype(np.float32)).reshape(-1, 2)

    def rear(u, w, hw, sides=(1.0, -1.0)):
        return [heel + k * (u * fwd + w * up + sg * hw * lat) for sg in sides]

    def front(u, w, hw, sides=(1.0, -1.0)):
        return [ball + k * (u * Lt * t_dir + w * t_up + sg * hw * lat) for sg in sides]

    lh = foot_m["heel_to_ball"] / k
    sole = [p for u, w in ((REAR_UPPER[0][0], 0.0), (REAR_UPPER[0][0], HEEL_SOLE_M), (lh, 0.0), (lh, SOLE_M))
            for p in rear(u, w, SOLE_HALF_WIDTH[0])]
    sole += [p for u, w in ((TOE_BOX[5][0], 0.0), (TOE_BOX[5][0], SOLE_M)) for p in front(u, w, SOLE_HALF_WIDTH[1])]
    parts = [(sole, app.sole, 0.0)]  # (3D points, colour, inward shading width in cm)
    upper = [p for u, w, hw in REAR_UPPER for p in rear(lh if u is None else u, w, hw)]
    parts.append((upper, app.shoe, 3.0))
    parts.append(([p for u, w, hw in TOE_BOX for p in front(u, w, hw)], app.shoe, 3.0))
    to_cam = _unit(fr.C - ball)
    if np.dot(t_dir, to_cam) > TAB_COS:
        cap = [p for u, w, hw in TOE_BOX if u >= TOE_CAP_FROM for p in front(u, w, hw)]
        cap += [p for w, hw in TOE_CAP_BACK for p in front(TOE_CAP_FROM, w, hw)]
        parts.append((cap, app.toe_cap, 2.0))
    if np.dot(-fwd, to_cam) > TAB_COS:
        parts.append(([p for u, w in HEEL_TAB for p in rear(u, w, HEEL_TAB_HALF_WIDTH)], app.heel_tab, 0.0))
    px_per_cm = fr.r_px(0.01, float(fr.xy(ball)[1]))
    out = []
    for pts, rgb, shade_cm in parts:
        q = hull(pts)
        if q is not None:
            out.append(Polygon(q, rgb, dim=dim, shade_px=shade_cm * px_per_cm))
    return out


def _leg(fr: _Frame, lm, side: str, app: Appearance, foot_m: dict) -> tuple[float, list]:
    H, g = fr.H, fr.g * fr.H
    hip, knee, ankle = (lm[LM[f"{side}_{j}"]] for j in ("hip", "knee", "ankle"))
    heel, toe = lm[LM[f"{side}_heel"]], lm[LM[f"{side}_foot_index"]]
    depth = float(np.mean(fr.xy(np.stack([hip, knee, ankle]))[1]))
    dim = fr.dim(depth)
    skin, bottom = tuple(app.skin), tuple(app.bottom)
    thigh_bands = ((0.0, bottom), (0.55, skin)) if app.shorts else ((0.0, bottom),)
    shank_bands = ((0.0, skin),) if app.shorts else ((0.0, bottom),)
    s = _unit(ankle - knee)
    f = toe - heel
    back = -_unit(f - np.dot(f, s) * s)
    calf = knee + CALF_AT * (ankle - knee) + CALF_BACK * H * back
    parts = [
        fr.tube(hip + THIGH_START * (knee - hip), knee, THIGH_R * g, KNEE_R * g, thigh_bands, dim=dim),
        fr.tube(knee, calf, KNEE_R * g, CALF_R * g, shank_bands, dim=dim),
        fr.tube(calf, ankle, CALF_R * g, ANKLE_R * g, shank_bands, dim=dim, cap_a=CAP_OPEN),
    ]
    parts += _shoe(fr, heel, ankle, toe, foot_m, app, dim)
    return depth, [p for p in parts if p is not None]


def _arm(fr: _Frame, lm, side: str, app: Appearance) -> tuple[float, list]:
    g = fr.g * fr.H
    sh, el, wr = (lm[LM[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist"))
    hand = 0.5 * (lm[LM[f"{side}_index"]] + lm[LM[f"{side}_pinky"]])
    depth = float(np.mean(fr.xy(np.stack([sh, el, wr]))[1]))
    dim = fr.dim(depth)
    skin = tuple(app.skin)
    upper_cap = fr.r_px(DELTOID_CAP * UPPER_ARM_R * g, fr.xy(sh)[1])
    parts = [fr.tube(sh, el, UPPER_ARM_R * g, ELBOW_R * g, ((0.0, tuple(app.shirt)), (app.sleeve, skin)), dim=dim,
                     cap_a=upper_cap),
             fr.tube(el, wr, ELBOW_R * g, WRIST_R * g, ((0.0, skin),), dim=dim),
             fr.tube(wr, hand, HAND_R * g, 0.75 * HAND_R * g, ((0.0, skin),), dim=dim)]
    return depth, [p for p in parts if p is not None]


def _trunk_and_head(fr: _Frame, lm, app: Appearance) -> tuple[float, list]:
    H, g = fr.H, fr.g * fr.H
    lhip, rhip = lm[LM["left_hip"]], lm[LM["right_hip"]]
    lsh, rsh = lm[LM["left_shoulder"]], lm[LM["right_shoulder"]]
    mid_hip, mid_sh = 0.5 * (lhip + rhip), 0.5 * (lsh + rsh)
    lat = _unit(lhip - rhip)
    up_t = _unit(mid_sh - mid_hip)
    up_p = _unit(up_t - np.dot(up_t, lat) * lat)  # pelvis up: tilts with the hip line (obliquity)
    depth = float(np.mean(fr.xy(np.stack([mid_hip, mid_sh]))[1]))
    parts = []
    p_lo, p_hi = mid_hip - PELVIS_BELOW * H * up_p, mid_hip + PELVIS_ABOVE * H * up_p
    belt_from = (PELVIS_BELOW + PELVIS_ABOVE - BELT_WIDTH) / (PELVIS_BELOW + PELVIS_ABOVE)
    ax0, ax1 = (tuple(g * v for v in ax) for ax in PELVIS_AXES)
    torso_lo = mid_hip + TORSO_FROM * H * up_p
    t0, t1 = (tuple(g * v for v in ax) for ax in TORSO_AXES)
    torso_hi = mid_sh + TORSO_ABOVE_SHOULDER * H * up_t
    torso, _ = fr.ellipse_tube(torso_lo, torso_hi, _unit(lsh - rsh), t0, t1, ((0.0, tuple(app.shirt)),),
                               cap_a=CAP_OPEN, cap_b=fr.r_px(TORSO_TOP_CAP * H, fr.xy(torso_hi)[1]), dim=1.0)
    pelvis_bands = ((0.0, tuple(app.bottom)), (belt_from, tuple(app.belt)))
    pelvis, (e1, e2, w) = fr.ellipse_tube(p_lo, p_hi, lat, ax0, ax1, pelvis_bands, cap_a=CAP_FLAT, cap_b=CAP_FLAT,
                                          dim=1.0)
    if pelvis is not None:
        # surface angle φ of a pixel: the ellipse point a·cosφ·e1 + b·sinφ·e2 projects across the axis as
        # r·cos(φ − φ0); of the two solutions the one whose normal faces the camera is visible
        a_m, b_m = ax1
        phi0 = float(np.arctan2(b_m * np.dot(e2, w), a_m * np.dot(e1, w)))
        to_cam = fr.C - 0.5 * (p_lo + p_hi)
        sign = 1.0
        for sg in (1.0, -1.0):
            ph = phi0 + sg * np.pi / 2
            if np.dot(np.cos(ph) / a_m * e1 + np.sin(ph) / b_m * e2, to_cam) > 0:
                sign = sg
                break
        r_mean = 0.5 * (a_m + b_m)
        belt = np.asarray(app.belt, float)
        pelvis.belt = dict(s=(belt_from, 1.0), phi0=phi0, sign=sign, loops=BELT_LOOPS_RAD,
                           loop_half=BELT_LOOP_HALF * H / r_mean, buckle_half=BELT_BUCKLE_HALF * H / r_mean,
                           loop_rgb=tuple(0.7 * belt), stitch_rgb=tuple(np.clip(1.5 * belt + 30, 0, 255)),
                           buckle_rgb=BUCKLE_RGB)
    parts += [torso, pelvis]
    # head frame from the ears and the nose
    sc = H / HEAD_REF_M
    ear_l, ear_r, nose = lm[LM["left_ear"]], lm[LM["right_ear"]], lm[LM["nose"]]
    ear_mid = 0.5 * (ear_l + ear_r)
    up_h = _unit(ear_mid - mid_sh)
    fwd_h = _unit((nose - ear_mid) - np.dot(nose - ear_mid, up_h) * up_h)
    at = lambda fu: ear_mid + sc * (fu[0] * fwd_h + fu[1] * up_h)  # noqa: E731
    neck_top = at((0.0, -0.03))
    parts.append(fr.tube(mid_sh + 0.01 * H * up_t, neck_top, NECK_R * g, 0.9 * NECK_R * g, ((0.0, tuple(app.skin)),),
                         dim=1.0))
    centre = at(CRANIUM)
    M = view_frame(fr.cam, centre)
    head = fr.tube(centre, at(JAW), CRANIUM_R * sc, JAW_R * sc, ((0.0, tuple(app.skin)),), dim=1.0,
                   hair=(np.linalg.inv(M), up_h, fwd_h, tuple(app.hair)))
    parts.append(head)
    to_cam = _unit(fr.C - centre)
    facing = lambda p: np.dot(_unit(p - centre), to_cam)  # noqa: E731
    if facing(nose) > -0.05:  # the nose shows in profile and from the front
        parts.append(fr.tube(nose + sc * (0.022 * up_h - 0.014 * fwd_h), nose + sc * 0.006 * fwd_h, 0.7 * NOSE_R * sc,
                             NOSE_R * sc, ((0.0, tuple(app.skin)),), dim=1.0, outline=False))
    parts += _face(fr, lm, app, centre, facing, up_h, sc)
    return depth, [p for p in parts if p is not None]


def _disc(fr: _Frame, p, r_m, rgb, *, aspect=1.0, outline=False):
    q, d = fr.xy(p)
    if not d > 0:
        return None
    r = fr.r_px(r_m, d)
    ang = np.linspace(0.0, 2 * np.pi, 14, endpoint=False)
    return Polygon(np.c_[q[0] + r * np.cos(ang), q[1] + aspect * r * np.sin(ang)], rgb, outline=outline)


def _face(fr: _Frame, lm, app: Appearance, centre, facing, up_h, sc) -> list:
    out = []
    for s in SIDES:
        ear = lm[LM[f"{s}_ear"]]
        if facing(ear) > EAR_COS:
            out.append(_disc(fr, ear, EAR_R[0] * sc, tuple(0.88 * np.asarray(app.skin)), aspect=EAR_R[1] / EAR_R[0],
                             outline=True))
        eye = lm[LM[f"{s}_eye"]]
        if facing(eye) > FACING_COS:
            out.append(_disc(fr, eye, EYE_R * sc, (40, 32, 30)))
            brow0, brow1 = lm[LM[f"{s}_eye_inner"]], lm[LM[f"{s}_eye_outer"]]
            out.append(fr.tube(brow0 + 0.02 * sc * up_h, brow1 + 0.018 * sc * up_h, 0.003 * sc, 0.0025 * sc,
                               ((0.0, tuple(app.hair)),), dim=1.0, outline=False, shaded=False))
    ml, mr = lm[LM["mouth_left"]], lm[LM["mouth_right"]]
    if facing(0.5 * (ml + mr)) > FACING_COS:
        out.append(fr.tube(ml, mr, 0.003 * sc, 0.003 * sc, ((0.0, (150, 70, 70)),), dim=1.0, outline=False,
                           shaded=False))
    return out


def draw_walker(painter: Painter, lm: np.ndarray, camera: Camera, app: Appearance, height_m: float,
                foot_m: dict) -> None:
    """Draw one frame's walker (world landmarks ``lm`` (33, 3) m) seen by ``camera`` with ``painter``.
    ``foot_m``: foot ``length``, ``ankle_height``, ``heel_to_ankle`` and ``heel_to_ball`` in metres."""
    if not np.isfinite(lm).all():
        return
    mid_hip = 0.5 * (lm[LM["left_hip"]] + lm[LM["right_hip"]])
    d0 = float(camera.project(mid_hip)[2])
    if not d0 > 0:
        return
    fr = _Frame(camera, height_m, app.girth, d0)
    groups = [_trunk_and_head(fr, lm, app)]
    for s in SIDES:
        groups += [_leg(fr, lm, s, app, foot_m), _arm(fr, lm, s, app)]
    for _, parts in sorted(groups, key=lambda g: -g[0]):
        for p in parts:
            painter.draw(p)


def draw_contact_shadows(image: np.ndarray, lm: np.ndarray, camera: Camera) -> None:
    """Darken the floor under each foot (soft ellipse, fading as the foot lifts); in place."""
    if not np.isfinite(lm).all():
        return
    h, w = image.shape[:2]
    for s in SIDES:
        heel, toe = lm[LM[f"{s}_heel"]], lm[LM[f"{s}_foot_index"]]
        lift = min(heel[2], toe[2])
        k = SHADOW_DARK * float(np.clip(1.0 - lift / SHADOW_FADE_M, 0.0, 1.0))
        if k <= 0:
            continue
        c = np.r_[0.5 * (heel[:2] + toe[:2]), 0.0]
        f = np.r_[_unit(toe[:2] - heel[:2]), 0.0]
        l = np.array([-f[1], f[0], 0.0])
        ang = np.linspace(0.0, 2 * np.pi, 20, endpoint=False)
        ring = c + SHADOW_AXES_M[0] * np.cos(ang)[:, None] * f + SHADOW_AXES_M[1] * np.sin(ang)[:, None] * l
        q = camera.project(ring)
        if not (np.isfinite(q).all() and (q[:, 2] > 0).all()):
            continue
        lo, hi = np.floor(q[:, :2].min(0)).astype(int) - 8, np.ceil(q[:, :2].max(0)).astype(int) + 8
        x0, y0, x1, y1 = max(lo[0], 0), max(lo[1], 0), min(hi[0], w), min(hi[1], h)
        if x1 <= x0 or y1 <= y0:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(m, [np.round((q[:, :2] - [x0, y0]) * 16).astype(np.int32)], k, cv2.LINE_AA, 4)
        sigma = max(1.0, 0.25 * float(np.ptp(q[:, 1])))
        m = cv2.GaussianBlur(m, (0, 0), sigma)
        image[y0:y1, x0:x1] *= (1.0 - m)[..., None]
