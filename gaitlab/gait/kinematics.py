"""Camera roll and per-frame 2D angles (CLINICAL.md §2–§3). Pure: arrays in, a DataFrame out.

Frames and signs
----------------
Image coordinates are pixels with y **down**. ``roll_deg`` is the angle of the floor's horizontal
in the image, ``atan2(dy, dx)`` in image coordinates: positive when a floor line descends toward
the image's right (the picture looks turned clockwise). :func:`compute_kinematics` first rotates
every landmark by −roll, then works per pass in a walking frame with y up:

* sagittal passes: X = forward (image +x when walking right — or facing right on a treadmill —,
  −x when walking left), Y = up. Walking direction therefore never changes a sign.
* frontal passes: X = toward the **subject's right** (found per pass from the hip landmarks,
  whose labels are already the subject's sides), Y = up. Toward and away views give the same sign.

Angle definitions (degrees; NaN where any input landmark is NaN)
----------------------------------------------------------------
See :data:`KINEMATICS_COLUMNS` — the single source of these definitions for the data dictionary.
Sagittal columns are NaN outside sagittal passes, frontal columns NaN outside frontal passes, and
all angles are NaN in oblique passes (temporal parameters only, CLINICAL §2).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..model import LM, Pass
from .filtering import leg_length_px
from ..pipeline import KinematicsConfig

SIDES = ("left", "right")
SAGITTAL_VIEWS = ("sagittal",)
FRONTAL_VIEWS = ("frontal_toward", "frontal_away")

#: Column → (unit, definition). The exporter builds the data dictionary from this dict.
KINEMATICS_COLUMNS: dict[str, tuple[str, str]] = {
    "time_s": ("s", "Time of the sample (even grid after resampling), presentation-timestamp clock."),
    "frame": ("frame", "Decoded video frame index of the sample (nearest real frame when resampled)."),
    "pass_id": ("", "Walking pass the sample belongs to."),
    "view": ("", "View of the pass: sagittal, frontal_toward, frontal_away or oblique."),
    "side": ("", "Subject's side of the leg this row describes: left or right."),
    "leg": ("", "Sagittal passes: near (leg nearer the camera) or far; empty in other views."),
    "trunk_inclination_deg": (
        "deg", "Sagittal. Mid-hip→mid-shoulder line to the vertical; + = forward lean. Same value on both side rows."),
    "thigh_angle_deg": ("deg", "Sagittal. Hip→knee segment to the vertical; + = knee ahead of the hip."),
    "shank_angle_deg": ("deg", "Sagittal. Knee→ankle segment to the vertical; + = ankle ahead of the knee."),
    "knee_flexion_deg": (
        "deg", "Sagittal. Thigh angle − shank angle; 0 = straight, + = flexion, − = hyperextension."),
    "thigh_trunk_angle_deg": (
        "deg", "Sagittal. Thigh relative to the trunk line: thigh angle − trunk segment angle "
               "(shoulder→hip, + = hip ahead) = thigh angle + trunk inclination; 0 when thigh and trunk "
               "are aligned, + = thigh flexed toward the trunk (hip-flexion-like), − = extension. Not "
               "hip flexion: the pelvis is not seen."),
    "ankle_dorsiflexion_deg": (
        "deg", "Sagittal. Angle between shank (knee→ankle) and foot (heel→foot index) − 90°; + = "
               "dorsiflexion (toe up relative to the perpendicular to the shank), − = plantarflexion. "
               "Minus the subject's standing offset when the clip has ≥ 1 s of quiet side-view standing "
               "(analysis.json: ankle_standing_offset_deg; otherwise not subtracted and says why)."),
    "pelvic_obliquity_deg": (
        "deg", "Frontal. Left-hip→right-hip line to the horizontal; + = subject's right hip up. Same value "
               "on both side rows. Proxy from hip-joint landmarks (no ASIS/PSIS)."),
    "lateral_trunk_lean_deg": (
        "deg", "Frontal. Mid-hip→mid-shoulder line to the vertical, per frame; + = toward the subject's "
               "right. The stride-level sign 'toward the stance side' and the excursion from the stride "
               "mean are applied later by the stride analytics."),
    "knee_fppa_deg": (
        "deg", "Frontal. Knee frontal-plane projection angle: signed angle between thigh (hip→knee) and "
               "shank (knee→ankle) in the image; + = knee medial of the hip–ankle line (toward the other "
               "hip) = valgus, − = varus."),
}
SAGITTAL_COLUMNS = ("trunk_inclination_deg", "thigh_angle_deg", "shank_angle_deg", "knee_flexion_deg",
                    "thigh_trunk_angle_deg", "ankle_dorsiflexion_deg")
FRONTAL_COLUMNS = ("pelvic_obliquity_deg", "lateral_trunk_lean_deg", "knee_fppa_deg")
ANGLE_COLUMNS = SAGITTAL_COLUMNS + FRONTAL_COLUMNS


def _idx(part: str) -> list[int]:
    """Landmark indices of ``part`` as [left, right]."""
    return [LM[f"{s}_{part}"] for s in SIDES]


def _wrap_deg(a: np.ndarray) -> np.ndarray:
    return (a + 180.0) % 360.0 - 180.0


def derotate_xy(xy, roll_deg: float) -> np.ndarray:
    """Rotate image points (…, 2) by −``roll_deg`` so that the floor's horizontal becomes image-horizontal.
    A roll that is not measurable (None or NaN) is not corrected."""
    xy = np.asarray(xy, dtype=float)
    a = np.deg2rad(roll_deg) if roll_deg is not None and np.isfinite(roll_deg) else 0.0
    c, s = np.cos(a), np.sin(a)
    x, y = xy[..., 0], xy[..., 1]
    return np.stack([c * x + s * y, -s * x + c * y], axis=-1)


# --------------------------------------------------------------------------------------------
# Camera roll
# --------------------------------------------------------------------------------------------
def _contacts(t_s: np.ndarray, p: np.ndarray, leg: np.ndarray, cfg: KinematicsConfig,
              other: np.ndarray | None = None) -> np.ndarray:
    """(K, 2) floor-contact points of one landmark track ``p`` (T, 2) in image pixels.

    Side view (``other`` is None): a contact is a run where |x velocity| is below
    ``roll_contact_speed_leg_per_s`` × leg length, lasting at least ``roll_contact_min_s``; its
    point is the mean of the run's samples within ``roll_contact_height_tol_leg`` of its lowest
    (largest image y) — heel rise and swing lift the heel.
    Front view (``other`` = the other foot's track): motion along the optical axis is
    foreshortened more the farther the walker is, so no fixed speed works; a contact is a run
    where this foot's image speed is below ``roll_frontal_speed_ratio`` × the other foot's (single
    support: the planted foot does not move while the other swings), and its point is the mean of
    the run's slower half (a foot approaching or leaving the camera moves down or up the image in
    swing, so "lowest" would pick swing frames).
    """
    if len(t_s) < 3:
        return np.zeros((0, 2))
    v = np.gradient(p, t_s, axis=0)
    with np.errstate(invalid="ignore"):
        if other is None:
            speed = np.abs(v[:, 0])
            slow = speed < cfg.roll_contact_speed_leg_per_s * leg
        else:
            speed = np.linalg.norm(v, axis=1)
            slow = speed < cfg.roll_frontal_speed_ratio * np.linalg.norm(np.gradient(other, t_s, axis=0), axis=1)
    slow &= np.isfinite(p).all(axis=1)
    dt = float(np.median(np.diff(t_s)))
    d = np.diff(np.r_[0, slow.astype(np.int8), 0])
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    pts = []
    for s, e in zip(starts, stops):  # one iteration per footstep, not per frame
        if (e - s) * dt < cfg.roll_contact_min_s - 1e-9:
            continue
        seg = p[s:e]
        if other is None:
            keep = seg[:, 1] >= np.max(seg[:, 1]) - cfg.roll_contact_height_tol_leg * np.nanmedian(leg[s:e])
        else:
            keep = speed[s:e] <= np.median(speed[s:e])
        pts.append(seg[keep].mean(axis=0))
    return np.array(pts).reshape(-1, 2)


def _pooled_slope(groups: list[np.ndarray]) -> tuple[float, int]:
    """Common slope dv/du of point groups (K_i, 2) = (u, v), each group with its own intercept."""
    sxy = sxx = 0.0
    n = 0
    for g in groups:
        du = g[:, 0] - g[:, 0].mean()
        dv = g[:, 1] - g[:, 1].mean()
        sxy += float(du @ dv)
        sxx += float(du @ du)
        n += len(g)
    return (sxy / sxx if sxx > 0 else float("nan")), n


def pass_rows(p: Pass, n: int) -> slice:
    """Rows of a pass in a sequence of ``n`` samples."""
    return slice(max(p.start, 0), min(p.end, n))


def estimate_roll_deg(t_s, landmarks, passes: list[Pass], cfg: KinematicsConfig) -> tuple[float, str, list[str]]:
    """Camera roll of a clip from floor contacts. Returns ``(roll_deg or NaN, method, warnings)``.

    * ``"sagittal_heel_contacts"`` (preferred): in usable sagittal passes, each heel's floor
      contacts (nearly stationary in x, locally lowest; see :func:`_contacts`) lie on the image of
      a floor line parallel to the walking direction. One slope is fitted to all of them with a
      separate intercept per (pass, side) — near and far heels, and passes at different depths,
      lie on different parallel lines. roll = atan(slope).
    * ``"frontal_walking_path"`` (when no sagittal estimate exists and ``roll_from_frontal_path`` is on —
      off by default, see the pipeline file): in usable frontal passes, the
      line x = a + b·y through each ankle's floor contacts is fitted per side; the walking-path
      direction is the mean of the two sides' directions (the bisector of the perspective-
      converging foot lines), and roll = −(its angle to the image vertical). This assumes the
      walker walked straight toward/away from the camera along its optical axis: a path at an
      angle or off to the side reads as roll, so a warning always says so.
    * ``"none"``: roll is NaN, and a warning gives the reason (callers then leave angles uncorrected).

    A group contributes only with ≥ 2 contacts spanning ≥ ``roll_min_span_leg`` leg lengths along
    the path; at least ``roll_min_contacts`` contacts must contribute in total.
    """
    t = np.asarray(t_s, dtype=float)
    xy = np.asarray(landmarks, dtype=float)[..., :2]
    warnings: list[str] = []
    usable = [p for p in passes if p.usable and p.end - p.start >= 3]
    n_views = sum(p.view in SAGITTAL_VIEWS + FRONTAL_VIEWS for p in usable)

    sag_groups: list[np.ndarray] = []
    for p in (p for p in usable if p.view in SAGITTAL_VIEWS):
        r = pass_rows(p, len(t))
        leg = leg_length_px(xy[r])
        leg_med = np.nanmedian(leg) if np.isfinite(leg).any() else np.nan
        for heel in _idx("heel"):
            c = _contacts(t[r], xy[r, heel], leg, cfg)
            if len(c) >= 2 and np.ptp(c[:, 0]) >= cfg.roll_min_span_leg * leg_med:
                sag_groups.append(c)
    slope, n = _pooled_slope(sag_groups)
    if np.isfinite(slope) and n >= cfg.roll_min_contacts:
        roll = float(np.degrees(np.arctan(slope)))
        method = "sagittal_heel_contacts"
    elif cfg.roll_from_frontal_path:
        roll, method = _frontal_roll(t, xy, [p for p in usable if p.view in FRONTAL_VIEWS], cfg)
        if np.isfinite(roll):
            warnings.append(
                f"Camera roll ({roll:.1f}°) was estimated from the walking path in a front view, which "
                "assumes the walker walked straight toward/away from the camera; a path at an angle "
                "reads as roll."
            )
    else:
        roll, method = float("nan"), "none"
    if not np.isfinite(roll):
        why = ("too few floor contacts were found in the usable side or front passes" if n_views
               else "there is no usable side or front pass")
        if n_views and not cfg.roll_from_frontal_path and not any(p.view in SAGITTAL_VIEWS for p in usable):
            why = "a front view alone gives no reliable cue (level the phone on the tripod)"
        warnings.append(
            f"Camera roll is not measurable ({why}); vertical-referenced angles are not roll-corrected."
        )
        return float("nan"), "none", warnings
    if abs(roll) > cfg.roll_warn_deg:
        warnings.append(
            f"The camera is rolled by {roll:.1f}° (more than {cfg.roll_warn_deg:g}°); angles were corrected "
            "for it, but level the phone on the tripod next time."
        )
    return roll, method, warnings


def _frontal_roll(t: np.ndarray, xy: np.ndarray, passes: list[Pass], cfg: KinematicsConfig) -> tuple[float, str]:
    angles, weights = [], []
    for p in passes:
        r = pass_rows(p, len(t))
        leg = leg_length_px(xy[r])
        leg_med = np.nanmedian(leg) if np.isfinite(leg).any() else np.nan
        side_angles, n = [], 0
        ankles = _idx("ankle")
        for ankle, other in zip(ankles, ankles[::-1]):
            c = _contacts(t[r], xy[r, ankle], leg, cfg, other=xy[r, other])
            if len(c) < 2 or not np.ptp(c[:, 1]) >= cfg.roll_min_span_leg * leg_med:
                break
            b, _ = _pooled_slope([c[:, ::-1]])  # x as a function of y
            side_angles.append(np.arctan(b))
            n += len(c)
        if len(side_angles) == 2:
            angles.append(np.mean(side_angles))
            weights.append(n)
    if not angles or sum(weights) < cfg.roll_min_contacts:
        return float("nan"), "none"
    return float(-np.degrees(np.average(angles, weights=weights))), "frontal_walking_path"


# --------------------------------------------------------------------------------------------
# Per-frame angles
# --------------------------------------------------------------------------------------------
def _forward_sign(p: Pass) -> float:
    """+1 when forward is image +x, −1 when −x, NaN when unknown."""
    way = p.direction if p.direction in ("left", "right") else p.facing
    return {"right": 1.0, "left": -1.0}.get(way, float("nan"))


def walking_frame(xy: np.ndarray, p: Pass) -> np.ndarray | None:
    """Roll-corrected image points (n, …, 2) of pass ``p`` in its walking frame with Y **up**: X forward
    in sagittal passes, X toward the subject's right in frontal ones (one sign per pass, never per
    frame). None when the pass has no such frame (oblique view, unknown direction)."""
    if p.view in SAGITTAL_VIEWS:
        fwd = _forward_sign(p)
        return xy * np.array([fwd, -1.0]) if np.isfinite(fwd) else None
    if p.view in FRONTAL_VIEWS:
        hips_dx = xy[:, LM["right_hip"], 0] - xy[:, LM["left_hip"], 0]
        right = np.sign(np.nanmedian(hips_dx)) if np.isfinite(hips_dx).any() else 0.0
        return xy * np.array([right, -1.0]) if right != 0 else None
    return None


def _atan2_deg(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """arctan2 in degrees on contiguous copies: numpy's vectorised arctan2 can differ in the last bit for
    strided views depending on memory alignment, and results must be identical run to run."""
    return np.degrees(np.arctan2(np.ascontiguousarray(y), np.ascontiguousarray(x)))


def _angle_to_down(v: np.ndarray) -> np.ndarray:
    """Angle (deg) of vectors (…, 2) in an (X forward, Y up) frame to the downward vertical; + = X>0."""
    return _atan2_deg(v[..., 0], -v[..., 1])


def _sagittal(w: np.ndarray) -> dict[str, np.ndarray]:
    """Sagittal angles from landmarks ``w`` (n, 33, 2) already in the (forward, up) frame."""
    hip, knee, ankle = w[:, _idx("hip")], w[:, _idx("knee")], w[:, _idx("ankle")]
    heel, toe = w[:, _idx("heel")], w[:, _idx("foot_index")]
    trunk = w[:, _idx("shoulder")].mean(axis=1) - hip.mean(axis=1)  # mid-hip → mid-shoulder
    trunk_incl = _atan2_deg(trunk[:, 0], trunk[:, 1])[:, None].repeat(2, axis=1)
    thigh = _angle_to_down(knee - hip)
    shank = _angle_to_down(ankle - knee)
    foot = toe - heel
    foot_to_forward = _atan2_deg(foot[..., 1], foot[..., 0])  # + = toe up
    return {
        "trunk_inclination_deg": trunk_incl,
        "thigh_angle_deg": thigh,
        "shank_angle_deg": shank,
        "knee_flexion_deg": _wrap_deg(thigh - shank),
        # thigh angle − trunk segment angle (shoulder→hip, = −inclination)
        "thigh_trunk_angle_deg": _wrap_deg(thigh + trunk_incl),
        # the perpendicular to the shank, pointing forward, makes `shank` degrees with the horizontal
        "ankle_dorsiflexion_deg": _wrap_deg(foot_to_forward - shank),
    }


def _frontal(w: np.ndarray) -> dict[str, np.ndarray]:
    """Frontal angles from landmarks ``w`` (n, 33, 2) already in the (subject's right, up) frame."""
    hip, knee, ankle = w[:, _idx("hip")], w[:, _idx("knee")], w[:, _idx("ankle")]
    hip_line = hip[:, 1] - hip[:, 0]  # left hip → right hip
    obliquity = _atan2_deg(hip_line[:, 1], hip_line[:, 0])[:, None].repeat(2, axis=1)
    trunk = w[:, _idx("shoulder")].mean(axis=1) - hip.mean(axis=1)
    lean = _atan2_deg(trunk[:, 0], trunk[:, 1])[:, None].repeat(2, axis=1)
    medial = np.array([1.0, -1.0])[None, :]  # toward the other hip: +X for the left leg, −X for the right
    th, sh = knee - hip, ankle - knee
    tm, sm = th[..., 0] * medial, sh[..., 0] * medial
    cross = tm * sh[..., 1] - th[..., 1] * sm
    dot = tm * sm + th[..., 1] * sh[..., 1]
    fppa = _atan2_deg(-cross, dot)  # + when the knee bows medially
    return {"pelvic_obliquity_deg": obliquity, "lateral_trunk_lean_deg": lean, "knee_fppa_deg": fppa}


def compute_kinematics(t_s, landmarks, passes: list[Pass], roll_deg: float, cfg: KinematicsConfig,
                       frame_index=None) -> pd.DataFrame:
    """Per-frame angles of every usable pass, long form: one row per (frame, side).

    Parameters
    ----------
    t_s : (T,) float seconds. landmarks : (T, 33, ≥2) filtered image landmarks (x, y px used).
    passes : passes whose ``start``/``end`` index rows of ``landmarks``; only ``usable`` ones give rows.
    roll_deg : from :func:`estimate_roll_deg`; NaN → no roll correction (its warning says so).
    cfg : the ``[kinematics]`` section (reserved for per-frame options; roll uses it).
    frame_index : (T,) int, optional — value of the ``frame`` column per row (default 0…T−1).

    Returns
    -------
    DataFrame with the columns of :data:`KINEMATICS_COLUMNS`, in that order, rows ordered by pass,
    frame, then side (left, right). ``df.attrs["roll_deg_applied"]`` holds the roll removed.
    """
    t = np.asarray(t_s, dtype=float)
    lm = np.asarray(landmarks, dtype=float)
    fi = np.arange(len(t)) if frame_index is None else np.asarray(frame_index)
    roll = float(roll_deg) if roll_deg is not None and np.isfinite(roll_deg) else 0.0
    xy = derotate_xy(lm[..., :2], roll)
    blocks = []
    for p in passes:
        r = pass_rows(p, len(t))
        n = r.stop - r.start
        if not p.usable or n <= 0:
            continue
        cols = {c: np.full((n, 2), np.nan) for c in ANGLE_COLUMNS}
        w = walking_frame(xy[r], p)
        if w is not None:
            cols.update(_sagittal(w) if p.view in SAGITTAL_VIEWS else _frontal(w))
        leg = np.array([p.leg(s) if p.view in SAGITTAL_VIEWS else "" for s in SIDES])
        block = {
            "time_s": np.repeat(t[r], 2),
            "frame": np.repeat(fi[r], 2).astype(int),
            "pass_id": np.full(2 * n, p.pass_id, dtype=int),
            "view": np.full(2 * n, p.view, dtype=object),
            "side": np.tile(np.array(SIDES, dtype=object), n),
            "leg": np.tile(leg.astype(object), n),
        }
        block.update({c: cols[c].ravel() for c in ANGLE_COLUMNS})
        blocks.append(pd.DataFrame(block, columns=list(KINEMATICS_COLUMNS)))
    if blocks:
        df = pd.concat(blocks, ignore_index=True)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=float if c.endswith(("_deg", "_s")) else object)
                           for c in KINEMATICS_COLUMNS})
        df = df.astype({"frame": int, "pass_id": int})
    df.attrs["roll_deg_applied"] = roll
    return df


def standing_ankle_offset(t_s, landmarks, passes: list[Pass], roll_deg: float, cfg: KinematicsConfig,
                          frame_index=None) -> tuple[dict[str, float], str]:
    """The ankle angle of quiet standing per side (deg), to subtract from ``ankle_dorsiflexion_deg``.

    CLINICAL.md §3: the offset comes from ≥ ``cfg.standing_min_s`` of quiet standing seen from the side
    (a pass excluded as "standing", sagittal view, facing left or right). Returns ({side: offset},
    "") or ({}, reason it is not measurable).
    """
    still = [replace(p, usable=True) for p in passes
             if p.reason == "standing" and p.view in SAGITTAL_VIEWS and p.facing in SIDES
             and p.end_s - p.start_s >= cfg.standing_min_s]
    if not still:
        return {}, f"no quiet standing of at least {cfg.standing_min_s:g} s in a side view"
    k = compute_kinematics(t_s, landmarks, still, roll_deg, cfg, frame_index=frame_index)
    offsets = {side: float(np.nanmedian(g.ankle_dorsiflexion_deg)) for side, g in k.groupby("side")
               if g.ankle_dorsiflexion_deg.notna().any()}
    return offsets, "" if offsets else "the feet were not tracked while standing"
