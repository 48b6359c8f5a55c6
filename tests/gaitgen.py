"""Synthetic 2D walking keypoints with ground truth (test helper, not part of the package).

A 3D stick walker with normal sagittal gait curves (hip, knee, ankle; Winter/Perry-like shapes),
a pelvis that is moved so that the stance foot stays put, arms swinging opposite to the legs and a
simple head, projected through a pinhole camera into MediaPipe-like landmarks:

- x, y image pixels (y down); z = depth relative to the hip midpoint, in px, exaggerated like
  MediaPipe's (smaller = nearer the camera); visibility near ≈ 1.0, far side 0.35–0.85 in side views.
- Landmark indices are the **subject's true sides** (index 25 = true left knee), also in mirrored clips.
  :func:`mediapipe_style` turns them into what MediaPipe would label; :func:`inject_swaps` adds
  MediaPipe-like leg swaps.

Geometry (camera coordinates: x right, y down, z into the scene): the subject's right = forward × up,
so a walker going to image-right shows the right side, one walking toward the camera has the right
side at image-left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, sosfiltfilt

from gaitlab.model import LEG_PAIRS, LM, MIRROR_INDEX, N_LANDMARKS, PoseSequence

# Gait curves (% cycle from heel strike, degrees): hip flexion (thigh to vertical), knee flexion,
# ankle dorsiflexion. Shapes after Winter (2009) / Perry & Burnfield (2010), adult normal speed.
_HIP = [(0, 30), (.1, 26), (.3, 6), (.5, -10), (.6, -4), (.75, 20), (.87, 32), (.95, 31)]
_KNEE = [(0, 3), (.15, 18), (.3, 8), (.42, 4), (.5, 9), (.6, 36), (.71, 61), (.76, 60), (.87, 30), (.95, 4)]
_ANKLE = [(0, 0), (.07, -6), (.3, 6), (.45, 10), (.55, 0), (.62, -17), (.7, -10), (.8, 0), (.9, 1)]
STANCE_FRACTION = 0.6


def _curve(points):
    ph = np.array([p for p, _ in points] + [1.0])
    v = np.array([v for _, v in points] + [points[0][1]], dtype=float)
    return CubicSpline(ph, np.deg2rad(v), bc_type="periodic")


HIP_CURVE, KNEE_CURVE, ANKLE_CURVE = _curve(_HIP), _curve(_KNEE), _curve(_ANKLE)

# Segment lengths as fractions of body height (Winter 2009).
_THIGH, _SHANK, _FOOT, _ANKLE_H = 0.245, 0.246, 0.152, 0.039
_HIP_HALF, _SHOULDER_HALF, _TRUNK = 0.055, 0.12, 0.288
_UPPER_ARM, _FOREARM, _HAND = 0.186, 0.146, 0.06


@dataclass
class GaitTruth:
    """Ground truth of a generated walk. Angles in degrees, times in seconds, sides are subject sides."""

    view: str  # "sagittal" | "frontal_toward" | "frontal_away"
    direction: str  # "left"/"right" (image travel, side views), "toward"/"away", "none" (treadmill)
    facing: str
    near_side: str  # side nearer the camera in side views, "" in frontal views
    mirrored: bool
    leg_length_px: np.ndarray  # (T,) true hip–ankle length (straight leg) in image px at the walker's depth
    phase: np.ndarray  # (T, 2) gait phase 0–1 of [left, right] legs; 0 = heel strike
    hip_flexion_deg: np.ndarray  # (T, 2)
    knee_flexion_deg: np.ndarray  # (T, 2)
    ankle_dorsiflexion_deg: np.ndarray  # (T, 2)
    heel_strike_s: dict = field(default_factory=dict)  # side -> times of heel strikes
    toe_off_s: dict = field(default_factory=dict)
    clean_landmarks: np.ndarray | None = None  # (T, 33, 4) before noise


def _leg_points(phase, height_m):
    """Sagittal leg points relative to the hip joint: (n, 4 points, 2) in m, (forward, up)."""
    th = HIP_CURVE(phase % 1.0)
    kf = KNEE_CURVE(phase % 1.0)
    df = ANKLE_CURVE(phase % 1.0)
    ts = th - kf  # shank angle to vertical, + = ankle ahead of knee
    knee = height_m * _THIGH * np.stack([np.sin(th), -np.cos(th)], -1)
    ankle = knee + height_m * _SHANK * np.stack([np.sin(ts), -np.cos(ts)], -1)
    fa = ts + df
    fdir = np.stack([np.cos(fa), np.sin(fa)], -1)
    down = np.stack([np.sin(fa), -np.cos(fa)], -1)
    heel = ankle - 0.22 * height_m * _FOOT * fdir + height_m * _ANKLE_H * down
    toe = ankle + 0.78 * height_m * _FOOT * fdir + 0.6 * height_m * _ANKLE_H * down
    return np.stack([knee, ankle, heel, toe], 1), np.rad2deg(np.stack([th, kf, df], -1))


def _pelvis_path(t, phases, height_m, treadmill):
    """Forward position and hip height (m) that keep the stance foot's lowest point still on the ground."""
    dt = np.gradient(t)
    vx, hy, wsum = 0.0, 0.0, 0.0
    for ph in phases:
        pts, _ = _leg_points(ph, height_m)
        heel, toe = pts[:, 2], pts[:, 3]
        wh = 1.0 / (1.0 + np.exp(-(toe[:, 1] - heel[:, 1]) / 0.005))  # 1 when the heel is the lower point
        v_contact = wh * np.gradient(heel[:, 0]) / dt + (1 - wh) * np.gradient(toe[:, 0]) / dt
        low = np.minimum(heel[:, 1], toe[:, 1])
        p = ph % 1.0
        w = np.sqrt(np.clip(np.sin(np.pi * p / STANCE_FRACTION), 0, None)) * (p < STANCE_FRACTION) + 1e-9
        vx = vx - w * v_contact
        hy = hy - w * low
        wsum = wsum + w
    vx, hy = vx / wsum, hy / wsum
    x = np.concatenate([[0.0], np.cumsum(0.5 * (vx[1:] + vx[:-1]) * np.diff(t))])
    if treadmill:
        x = np.zeros_like(x)
    return x, hy


def generate_walk(view: str = "side", direction: str = "right", *, fps: float = 30.0,
                  duration_s: float | None = None, mirrored: bool = False, noise: bool = False,
                  seed: int = 0, stride_time_s: float = 1.1, height_m: float = 1.7,
                  treadmill: bool = False, camera_distance_m: float = 4.0,
                  white_noise_frac: float = 0.01, band_noise_frac: float = 0.01):
    """Generate one walking pass.

    view: ``"side"`` (direction ``"left"``/``"right"``) or ``"front"`` (``"toward"``/``"away"``).
    Noise (``noise=True``): Gaussian σ = ``white_noise_frac`` × leg length plus 1–4 Hz band-limited
    σ = ``band_noise_frac`` × leg length on x and y of every landmark (far side ×1.5).
    Returns ``(PoseSequence with true subject sides, GaitTruth)``.
    """
    rng = np.random.default_rng(seed)
    side = view == "side"
    if side:
        if direction not in ("left", "right"):
            raise ValueError("side view walks 'left' or 'right'")
        width, height = 1920, 1080
        fwd = np.array([1.0 if direction == "right" else -1.0, 0.0, 0.0])
    else:
        if direction not in ("toward", "away"):
            raise ValueError("front view walks 'toward' or 'away'")
        width, height = 1080, 1920
        fwd = np.array([0.0, 0.0, -1.0 if direction == "toward" else 1.0])
    up = np.array([0.0, -1.0, 0.0])
    right = np.cross(fwd, up)
    f_px = 1200.0
    cam_h = 0.53 * height_m  # tripod at hip height

    if duration_s is None:
        duration_s = 4.0 if side else 4.2
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    phase0 = rng.uniform(0, 1)
    ph_r = phase0 + t / stride_time_s
    ph_l = ph_r + 0.5
    px, py = _pelvis_path(t, [ph_l, ph_r], height_m, treadmill)
    travel = px[-1] - px[0]
    if side:
        start = fwd * (-0.5 * travel) + np.array([0, 0, camera_distance_m])
    else:
        start = np.array([0.0, 0.0, 7.8 if direction == "toward" else 2.6])
    pelvis = start[None, :] + px[:, None] * fwd[None, :]
    pelvis[:, 1] = cam_h - py  # camera y of the hip joints (down positive)

    P = np.zeros((n, N_LANDMARKS, 3))

    def put(name, a, b, c):  # body coords: a forward, b up, c toward the subject's right (m)
        P[:, LM[name]] = pelvis + a[:, None] * fwd + b[:, None] * up + c[:, None] * right

    z = np.zeros(n)
    angles = {}
    for s, sgn, ph in (("left", -1.0, ph_l), ("right", 1.0, ph_r)):
        pts, ang = _leg_points(ph, height_m)
        angles[s] = ang
        c = sgn * _HIP_HALF * height_m + z
        put(f"{s}_hip", z, z, c)
        for k, name in enumerate(("knee", "ankle", "heel", "foot_index")):
            put(f"{s}_{name}", pts[:, k, 0], pts[:, k, 1], c)
    # trunk, arms (opposite to the legs), head
    lean = np.deg2rad(4.0)
    sh_a, sh_b = height_m * _TRUNK * np.sin(lean), height_m * _TRUNK * np.cos(lean)
    for s, sgn in (("left", -1.0), ("right", 1.0)):
        other = "right" if s == "left" else "left"
        swing = 0.7 * np.deg2rad(angles[other][:, 0] - 10.0)  # arm follows the opposite leg
        elbow_flex = np.deg2rad(25.0) + 0.3 * np.clip(swing, 0, None)
        c = sgn * _SHOULDER_HALF * height_m + z
        put(f"{s}_shoulder", z + sh_a, z + sh_b, c)
        ea = sh_a + height_m * _UPPER_ARM * np.sin(swing)
        eb = sh_b - height_m * _UPPER_ARM * np.cos(swing)
        put(f"{s}_elbow", ea, eb, c + sgn * 0.02)
        fa = swing + elbow_flex
        wa = ea + height_m * _FOREARM * np.sin(fa)
        wb = eb - height_m * _FOREARM * np.cos(fa)
        put(f"{s}_wrist", wa, wb, c + sgn * 0.03)
        for name, da, dc in (("pinky", -0.01, 0.02), ("index", 0.02, 0.0), ("thumb", 0.03, -0.02)):
            put(f"{s}_{name}", wa + da + height_m * _HAND * np.sin(fa),
                wb - height_m * _HAND * np.cos(fa), c + sgn * dc)
    head_b = sh_b + height_m * 0.11
    head_a = sh_a + 0.02
    put("nose", z + head_a + 0.1, z + head_b - 0.01, z)
    for s, sgn in (("left", -1.0), ("right", 1.0)):
        for name, da, db, dc in (("eye_inner", 0.09, 0.025, 0.015), ("eye", 0.085, 0.025, 0.032),
                                 ("eye_outer", 0.08, 0.025, 0.048), ("ear", 0.0, 0.01, 0.075),
                                 ("mouth", 0.085, -0.045, 0.022)):
            key = f"{s}_{name}" if name != "mouth" else f"mouth_{s}"
            put(key, z + head_a + da, z + head_b + db, z + sgn * dc)

    # projection
    Z = P[:, :, 2]
    x = width / 2 + f_px * P[:, :, 0] / Z
    y = height / 2 + f_px * P[:, :, 1] / Z
    hip_mid = 0.5 * (P[:, LM["left_hip"]] + P[:, LM["right_hip"]])
    zc = hip_mid[:, 2]
    depth_px = 3.0 * f_px * (Z - zc[:, None]) / zc[:, None]  # MediaPipe-like exaggerated depth
    leg_px = f_px * height_m * (_THIGH + _SHANK) / zc

    # visibility: side views hide the far side, worst where it passes behind the near side
    vis = np.full((n, N_LANDMARKS), 0.97)
    if side:
        near = "right" if direction == "right" else "left"
        far = "right" if near == "left" else "left"
        far_idx = [i for nm, i in LM.items() if nm.startswith(far) or nm == f"mouth_{far}"]
        for i in far_idx:
            j = MIRROR_INDEX[i]
            sep = np.hypot(x[:, i] - x[:, j], y[:, i] - y[:, j]) / leg_px
            vis[:, i] = 0.35 + 0.5 * np.clip(sep / 0.3, 0, 1)
    elif direction == "away":
        for name in ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                     "right_eye_outer", "mouth_left", "mouth_right"):
            vis[:, LM[name]] = 0.5
    clean = np.stack([x, y, depth_px, vis], -1)

    lm = clean.copy()
    if noise:
        sos = butter(2, [1.0, 4.0], btype="band", fs=fps, output="sos")
        for ch in (0, 1):
            w = rng.standard_normal((n, N_LANDMARKS)) * white_noise_frac
            b = sosfiltfilt(sos, rng.standard_normal((n, N_LANDMARKS)), axis=0)
            b = b / b.std() * band_noise_frac
            scale = np.where(vis < 0.9, 1.5, 1.0)
            lm[:, :, ch] += (w + b) * scale * leg_px[:, None]
        lm[:, :, 2] += rng.standard_normal((n, N_LANDMARKS)) * 0.15 * leg_px[:, None]
        lm[:, :, 3] = np.clip(lm[:, :, 3] + rng.normal(0, 0.03, (n, N_LANDMARKS)), 0.0, 1.0)
    if mirrored:
        lm[:, :, 0] = width - lm[:, :, 0]
        clean[:, :, 0] = width - clean[:, :, 0]

    image_dir = direction  # travel and facing as seen in the (possibly mirrored) image
    if mirrored and side:
        image_dir = "left" if direction == "right" else "right"
    near_side = ("right" if direction == "right" else "left") if side else ""
    phase = np.stack([ph_l % 1.0, ph_r % 1.0], 1)
    hs, to = {}, {}
    for k, (s, ph) in enumerate((("left", ph_l), ("right", ph_r))):
        cyc = np.arange(np.ceil(ph[0]), np.floor(ph[-1]) + 1)
        hs[s] = (cyc - ph[0]) * stride_time_s + t[0]
        cyc = np.arange(np.ceil(ph[0] - STANCE_FRACTION), np.floor(ph[-1] - STANCE_FRACTION) + 1)
        to[s] = (cyc + STANCE_FRACTION - ph[0]) * stride_time_s + t[0]
    truth = GaitTruth(
        view="sagittal" if side else f"frontal_{direction}",
        direction="none" if treadmill else image_dir,
        facing=image_dir,
        near_side=near_side, mirrored=mirrored, leg_length_px=leg_px, phase=phase,
        hip_flexion_deg=np.stack([angles["left"][:, 0], angles["right"][:, 0]], 1),
        knee_flexion_deg=np.stack([angles["left"][:, 1], angles["right"][:, 1]], 1),
        ankle_dorsiflexion_deg=np.stack([angles["left"][:, 2], angles["right"][:, 2]], 1),
        heel_strike_s=hs, toe_off_s=to, clean_landmarks=clean,
    )
    pose = PoseSequence(t_s=t, landmarks=lm, width_px=width, height_px=height, fps=float(fps),
                        mirrored=mirrored, backend="gaitgen")
    return pose, truth


def make_pass(pose: PoseSequence, truth: GaitTruth, pass_id: int = 0, start: int = 0, end: int | None = None):
    """A :class:`~gaitlab.model.Pass` describing a generated walk (what gait/passes.py would find)."""
    from gaitlab.model import Pass

    end = len(pose) if end is None else end
    return Pass(pass_id=pass_id, start=start, end=end, start_s=float(pose.t_s[start]),
                end_s=float(pose.t_s[end - 1]), direction=truth.direction, facing=truth.facing,
                view=truth.view, treadmill=truth.direction == "none")


def mediapipe_style(pose: PoseSequence, truth: GaitTruth, *, flip_legs: bool = False,
                    flip_upper: bool = False) -> PoseSequence:
    """Relabel true-side landmarks the way MediaPipe would.

    MediaPipe judges sides from the image as if it were unmirrored and the person faced the camera
    in frontal views: back views and mirrored clips come out whole-body mirrored (a mirrored back
    view twice, i.e. right). In side views its labels are often wrong for a whole pass:
    ``flip_legs`` / ``flip_upper`` swap the leg (hip..foot) or upper-body pairs on top of that
    (x, y, z and visibility travel with the label).
    """
    lm = pose.landmarks.copy()
    if truth.mirrored ^ (truth.view == "frontal_away"):
        lm = lm[:, MIRROR_INDEX]
    legs = np.array([i for pair in LEG_PAIRS for i in pair])
    upper = np.array([i for i in range(N_LANDMARKS) if i not in set(legs.tolist()) and i != LM["nose"]])
    if flip_legs:
        lm[:, legs] = lm[:, MIRROR_INDEX[legs]]
    if flip_upper:
        lm[:, upper] = lm[:, MIRROR_INDEX[upper]]
    return pose.with_landmarks(lm)


def leg_separation(landmarks: np.ndarray, leg_length_px: np.ndarray) -> np.ndarray:
    """(T,) mean distance between left and right knee, ankle, heel and foot index, in leg lengths."""
    pairs = LEG_PAIRS[1:]
    d = [np.hypot(*(landmarks[:, a, :2] - landmarks[:, b, :2]).T) for a, b in pairs]
    return np.mean(d, axis=0) / leg_length_px


def inject_swaps(pose: PoseSequence, truth: GaitTruth, *, seed: int = 0, min_run: int = 3,
                 max_run: int = 30, fraction: float = 0.2, min_gap: int = 8, start_jitter: int = 3,
                 channels: str = "xy", with_hips: str = "random", end_at_crossing: bool = False):
    """Swap left/right leg landmarks in runs of ``min_run``–``max_run`` frames starting near leg crossings.

    ``channels``: ``"xy"`` swaps positions only (what real MediaPipe output shows: depth and
    visibility stay with the label), ``"xyzv"`` swaps whole landmarks. ``with_hips``: ``"yes"``,
    ``"no"`` or ``"random"`` per run. ``end_at_crossing`` ends runs near the next crossing too (the
    hardest case: no position jump at either end). Runs are at least ``min_gap`` frames apart and cover about
    ``fraction`` of the frames. Returns ``(pose, swapped (T,) bool)``.
    """
    rng = np.random.default_rng(seed)
    T = len(pose)
    sep = leg_separation(truth.clean_landmarks, truth.leg_length_px)
    crossings = np.flatnonzero((sep[1:-1] < sep[:-2]) & (sep[1:-1] <= sep[2:])) + 1
    swapped = np.zeros(T, bool)
    hips = np.zeros(T, bool)
    for c in rng.permutation(crossings):
        if swapped.sum() >= fraction * T:
            break
        a = int(np.clip(c + rng.integers(-start_jitter, start_jitter + 1), 0, T - 1))
        b = min(T, a + int(rng.integers(min_run, max_run + 1)))
        if end_at_crossing:  # end near the next crossing that still gives a run of min_run..max_run
            nxt = crossings[(crossings >= a + min_run) & (crossings <= a + max_run)]
            if nxt.size:
                b = int(np.clip(nxt[0] + rng.integers(-start_jitter, start_jitter + 1), a + min_run, T))
        lo, hi = max(0, a - min_gap), min(T, b + min_gap)
        if swapped[lo:hi].any():
            continue
        swapped[a:b] = True
        hips[a:b] = with_hips == "yes" or (with_hips == "random" and rng.random() < 0.5)
    lm = pose.landmarks.copy()
    ch = slice(0, 2) if channels == "xy" else slice(0, 4)
    for k, (li, ri) in enumerate(LEG_PAIRS):
        rows = hips if k == 0 else swapped
        a, b = lm[rows, li, ch].copy(), lm[rows, ri, ch].copy()
        lm[rows, li, ch], lm[rows, ri, ch] = b, a
    return pose.with_landmarks(lm), swapped


#: Joint groups that MediaPipe swaps on their own near leg crossings: (left, right) landmark pairs.
PARTIAL_GROUPS = {"knee": LEG_PAIRS[1:2], "foot": LEG_PAIRS[2:]}


def group_separation(landmarks: np.ndarray, leg_length_px: np.ndarray, group: str) -> np.ndarray:
    """(T,) mean distance between the left and right points of a :data:`PARTIAL_GROUPS` group, leg lengths."""
    d = [np.hypot(*(landmarks[:, a, :2] - landmarks[:, b, :2]).T) for a, b in PARTIAL_GROUPS[group]]
    return np.mean(d, axis=0) / leg_length_px


def inject_partial_swaps(pose: PoseSequence, truth: GaitTruth, *, seed: int = 0, groups=("knee", "foot"),
                         min_run: int = 2, max_run: int = 10, fraction: float = 0.1, min_gap: int = 8,
                         start_jitter: int = 3, channels: str = "xy", avoid: np.ndarray | None = None,
                         edge_margin: int = 8):
    """Swap only one joint group's left/right labels (knees, or ankle + heel + foot index) in runs of
    ``min_run``–``max_run`` frames starting near that group's crossings — the partial swaps seen in
    real MediaPipe output. Runs are ``min_gap`` frames from each other and from ``avoid`` frames
    (e.g. whole-leg swaps already injected), at least ``edge_margin`` frames from the clip's ends (a
    run that starts at a crossing and lasts to the end of the clip shows no jump at all), and cover
    about ``fraction`` of the frames. Returns ``(pose, injected (T, 2) bool)``, columns ``[knee, foot]``.
    """
    rng = np.random.default_rng(seed)
    T = len(pose)
    busy = np.zeros(T, bool) if avoid is None else avoid.copy()
    busy[:edge_margin] = True
    busy[T - edge_margin:] = True
    injected = np.zeros((T, 2), bool)
    cands = []
    for g, name in enumerate(("knee", "foot")):
        if name in groups:
            sep = group_separation(truth.clean_landmarks, truth.leg_length_px, name)
            cands += [(g, int(c)) for c in np.flatnonzero((sep[1:-1] < sep[:-2]) & (sep[1:-1] <= sep[2:])) + 1]
    for k in rng.permutation(len(cands)):
        if injected.any(axis=1).sum() >= fraction * T:
            break
        g, c = cands[k]
        a = int(np.clip(c + rng.integers(-start_jitter, start_jitter + 1), 0, T - 1))
        b = min(T, a + int(rng.integers(min_run, max_run + 1)))
        if busy[max(0, a - min_gap):min(T, b + min_gap)].any():
            continue
        injected[a:b, g] = True
        busy[a:b] = True
    lm = pose.landmarks.copy()
    ch = slice(0, 2) if channels == "xy" else slice(0, 4)
    for g, name in enumerate(("knee", "foot")):
        rows = injected[:, g]
        for li, ri in PARTIAL_GROUPS[name]:
            a, b = lm[rows, li, ch].copy(), lm[rows, ri, ch].copy()
            lm[rows, li, ch], lm[rows, ri, ch] = b, a
    return pose.with_landmarks(lm), injected


def inject_glitches(pose: PoseSequence, truth: GaitTruth, *, seed: int = 0, rate: float = 0.03,
                    size_ll: tuple[float, float] = (0.2, 0.5)):
    """MediaPipe-like tracking glitches that are *not* swaps: returns ``(pose, glitched (T,) bool)``.

    With probability ``rate`` per frame, either one leg's foot (ankle, heel, foot index) or knee is
    displaced by ``size_ll`` leg lengths in a random direction for one frame, or, near leg
    crossings, both legs are drawn on top of each other (their mean) for 1–3 frames.
    """
    rng = np.random.default_rng(seed)
    lm = pose.landmarks.copy()
    T = len(pose)
    sep = leg_separation(truth.clean_landmarks, truth.leg_length_px)
    glitched = np.zeros(T, bool)
    foot = [(LM["left_ankle"], LM["left_heel"], LM["left_foot_index"]),
            (LM["right_ankle"], LM["right_heel"], LM["right_foot_index"])]
    knee = [(LM["left_knee"],), (LM["right_knee"],)]
    for t in np.flatnonzero(rng.random(T) < rate):
        if sep[t] < 0.35 and rng.random() < 0.5:
            n = int(rng.integers(1, 4))
            rows = np.arange(t, min(T, t + n))
            for li, ri in LEG_PAIRS[1:]:
                m = 0.5 * (lm[rows, li, :2] + lm[rows, ri, :2])
                lm[rows, li, :2] = m
                lm[rows, ri, :2] = m
            glitched[rows] = True
        else:
            side = int(rng.integers(0, 2))
            pts = foot[side] if rng.random() < 0.6 else knee[side]
            ang = rng.uniform(0, 2 * np.pi)
            d = rng.uniform(*size_ll) * truth.leg_length_px[t] * np.array([np.cos(ang), np.sin(ang)])
            for i in pts:
                lm[t, i, :2] += d
            glitched[t] = True
    return pose.with_landmarks(lm), glitched
