"""gait/kinematics.py on exact stick figures and synthetic walking geometry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gaitlab.gait.filtering import prepare
from gaitlab.gait.kinematics import (
    ANGLE_COLUMNS, FRONTAL_COLUMNS, KINEMATICS_COLUMNS, SAGITTAL_COLUMNS, compute_kinematics, estimate_roll_deg,
)
from gaitlab.model import LM, Pass, PoseSequence
from gaitlab.pipeline import load_pipeline

TOL = 1e-6
CENTRE = np.array([640.0, 360.0])


@pytest.fixture(scope="module")
def cfg():
    return load_pipeline()


def _rot_image(xy, roll_deg, centre=CENTRE):
    """Rotate image points so that the floor's horizontal ends up at ``roll_deg`` (atan2(dy, dx))."""
    a = np.deg2rad(roll_deg)
    c, s = np.cos(a), np.sin(a)
    d = xy - centre
    return centre + np.stack([c * d[..., 0] - s * d[..., 1], s * d[..., 0] + c * d[..., 1]], axis=-1)


def _down(angle_deg, length):
    """Vector in (forward, up) at ``angle_deg`` from the downward vertical, + = forward."""
    a = np.deg2rad(angle_deg)
    return length * np.array([np.sin(a), -np.cos(a)])


# --------------------------------------------------------------------------------------------
# Sagittal stick figure
# --------------------------------------------------------------------------------------------
SAG = {  # per side: thigh, shank, dorsiflexion (deg)
    "left": dict(thigh=20.0, shank=-5.0, df=7.0),
    "right": dict(thigh=-10.0, shank=-15.0, df=-12.0),
}
TRUNK = 8.0


def _sagittal_figure(fwd=1.0, legs=SAG, trunk=TRUNK, roll=0.0, n=3):
    """(n, 33, 4) landmarks: walking frame (forward, up) → image (x = fwd·forward, y down)."""
    pts = {}
    for side, hip_x in (("left", -1.0), ("right", 1.0)):
        a = legs[side]
        hip = np.array([hip_x, 0.0])
        knee = hip + _down(a["thigh"], 40.0)
        ankle = knee + _down(a["shank"], 38.0)
        heel = ankle + np.array([-3.0, -4.0])
        foot = np.deg2rad(a["df"] + a["shank"])  # toe-up angle of heel→toe to the forward horizontal
        toe = heel + 20.0 * np.array([np.cos(foot), np.sin(foot)])
        pts.update({f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
                    f"{side}_heel": heel, f"{side}_foot_index": toe})
    t = np.deg2rad(trunk)
    for side, dx in (("left", -1.0), ("right", 1.0)):
        pts[f"{side}_shoulder"] = np.array([dx, 0.0]) + 50.0 * np.array([np.sin(t), np.cos(t)])
    lm = np.full((n, 33, 4), np.nan)
    for name, (fx, up) in pts.items():
        lm[:, LM[name], 0] = 600.0 + 3.0 * fwd * fx
        lm[:, LM[name], 1] = 300.0 - 3.0 * up
        lm[:, LM[name], 2] = 0.0
        lm[:, LM[name], 3] = 1.0
    lm[..., :2] = _rot_image(lm[..., :2], roll)
    lm[:, :, :2] += np.arange(n)[:, None, None] * np.array([5.0, 0.0])  # translation changes nothing
    return lm


def _pass(view, direction="right", facing=None, start=0, end=3, near="left", usable=True, pid=0):
    return Pass(pid, start, end, 0.0, 1.0, direction, facing or direction, view, usable=usable,
                near_side=near if view == "sagittal" else "")


def _expected_sagittal(side, legs=SAG, trunk=TRUNK):
    a = legs[side]
    return {
        "trunk_inclination_deg": trunk, "thigh_angle_deg": a["thigh"], "shank_angle_deg": a["shank"],
        "knee_flexion_deg": a["thigh"] - a["shank"], "thigh_trunk_angle_deg": a["thigh"] + trunk,
        "ankle_dorsiflexion_deg": a["df"],
    }


@pytest.mark.parametrize("direction,fwd", [("right", 1.0), ("left", -1.0)])
@pytest.mark.parametrize("roll", [0.0, 6.0, -4.0])
def test_sagittal_angles_exact_both_directions(cfg, direction, fwd, roll):
    lm = _sagittal_figure(fwd=fwd, roll=roll)
    df = compute_kinematics(np.arange(3) / 60, lm, [_pass("sagittal", direction)], roll, cfg.kinematics)
    assert list(df.columns) == list(KINEMATICS_COLUMNS)
    assert len(df) == 6 and df["side"].tolist() == ["left", "right"] * 3
    assert df["leg"].tolist() == ["near", "far"] * 3
    for side in ("left", "right"):
        rows = df[df["side"] == side]
        for col, want in _expected_sagittal(side).items():
            np.testing.assert_allclose(rows[col].to_numpy(), want, atol=TOL, err_msg=f"{side} {col}")
        assert rows[list(FRONTAL_COLUMNS)].isna().all().all()
    assert df.attrs["roll_deg_applied"] == roll


def test_treadmill_forward_from_facing(cfg):
    lm = _sagittal_figure(fwd=-1.0)
    p = dataclasses.replace(_pass("sagittal", "none", facing="left"), treadmill=True)
    df = compute_kinematics(np.arange(3) / 60, lm, [p], 0.0, cfg.kinematics)
    np.testing.assert_allclose(df[df.side == "left"]["thigh_angle_deg"], 20.0, atol=TOL)


def test_knee_hyperextension_is_negative_and_plantarflexion_negative(cfg):
    legs = {"left": dict(thigh=10.0, shank=15.0, df=-20.0), "right": SAG["right"]}
    df = compute_kinematics(np.arange(3) / 60, _sagittal_figure(legs=legs), [_pass("sagittal")], 0.0, cfg.kinematics)
    left = df[df.side == "left"]
    np.testing.assert_allclose(left["knee_flexion_deg"], -5.0, atol=TOL)
    np.testing.assert_allclose(left["ankle_dorsiflexion_deg"], -20.0, atol=TOL)


def test_thigh_trunk_zero_when_aligned(cfg):
    legs = {"left": dict(thigh=-8.0, shank=-8.0, df=0.0), "right": SAG["right"]}
    df = compute_kinematics(np.arange(3) / 60, _sagittal_figure(legs=legs, trunk=8.0), [_pass("sagittal")], 0.0,
                            cfg.kinematics)
    np.testing.assert_allclose(df[df.side == "left"]["thigh_trunk_angle_deg"], 0.0, atol=TOL)


def test_nan_inputs_give_nan_and_unusable_or_oblique_passes(cfg):
    lm = _sagittal_figure(n=6)
    lm[1, LM["left_knee"]] = np.nan
    passes = [_pass("sagittal", end=3, pid=0), _pass("oblique", start=3, end=5, pid=1),
              _pass("sagittal", start=5, end=6, usable=False, pid=2)]
    df = compute_kinematics(np.arange(6) / 60, lm, passes, float("nan"), cfg.kinematics)
    assert sorted(set(df.pass_id)) == [0, 1] and len(df) == 10
    row = df[(df.frame == 1) & (df.side == "left")].iloc[0]
    for col in ("thigh_angle_deg", "shank_angle_deg", "knee_flexion_deg", "thigh_trunk_angle_deg"):
        assert np.isnan(row[col])
    assert np.isnan(row["ankle_dorsiflexion_deg"])  # uses the shank
    assert np.isfinite(df[(df.frame == 1) & (df.side == "right")]["knee_flexion_deg"]).all()
    assert df[df.view == "oblique"][list(ANGLE_COLUMNS)].isna().all().all()
    assert df.attrs["roll_deg_applied"] == 0.0


def test_frame_index_and_empty(cfg):
    lm = _sagittal_figure()
    df = compute_kinematics(np.arange(3) / 60, lm, [_pass("sagittal")], 0.0, cfg.kinematics, frame_index=[10, 12, 14])
    assert df.frame.tolist() == [10, 10, 12, 12, 14, 14]
    empty = compute_kinematics(np.arange(3) / 60, lm, [], 0.0, cfg.kinematics)
    assert list(empty.columns) == list(KINEMATICS_COLUMNS) and len(empty) == 0


# --------------------------------------------------------------------------------------------
# Frontal stick figure
# --------------------------------------------------------------------------------------------
def _frontal_figure(view, obliquity=5.0, lean=3.0, fppa=None, roll=0.0, n=3):
    """Subject frame (X toward subject's right, Y up) → image. Toward: subject's right on image left."""
    fppa = fppa or {"left": 12.0, "right": 9.0}
    o = np.deg2rad(obliquity)
    hips = {"right": 10.0 * np.array([np.cos(o), np.sin(o)]), "left": -10.0 * np.array([np.cos(o), np.sin(o)])}
    pts = {}
    for side, medial in (("left", 1.0), ("right", -1.0)):
        half = np.deg2rad(fppa[side] / 2)  # thigh and shank each deviate by half the angle
        knee = hips[side] + 40.0 * np.array([medial * np.sin(half), -np.cos(half)])
        ankle = knee + 38.0 * np.array([-medial * np.sin(half), -np.cos(half)])
        pts.update({f"{side}_hip": hips[side], f"{side}_knee": knee, f"{side}_ankle": ankle})
    lam = np.deg2rad(lean)
    mid_sh = 50.0 * np.array([np.sin(lam), np.cos(lam)])
    pts["left_shoulder"], pts["right_shoulder"] = mid_sh - [12.0, 0.0], mid_sh + [12.0, 0.0]
    sign = -1.0 if view == "frontal_toward" else 1.0
    lm = np.full((n, 33, 4), np.nan)
    for name, (xr, up) in pts.items():
        lm[:, LM[name], 0] = 400.0 + 4.0 * sign * xr
        lm[:, LM[name], 1] = 500.0 - 4.0 * up
    lm[..., :2] = _rot_image(lm[..., :2], roll)
    return lm


@pytest.mark.parametrize("view", ["frontal_toward", "frontal_away"])
@pytest.mark.parametrize("roll", [0.0, 4.0])
def test_frontal_angles_exact_both_views(cfg, view, roll):
    lm = _frontal_figure(view, roll=roll)
    direction = "toward" if view == "frontal_toward" else "away"
    df = compute_kinematics(np.arange(3) / 30, lm, [_pass(view, direction)], roll, cfg.kinematics)
    np.testing.assert_allclose(df["pelvic_obliquity_deg"], 5.0, atol=TOL)
    np.testing.assert_allclose(df["lateral_trunk_lean_deg"], 3.0, atol=TOL)
    np.testing.assert_allclose(df[df.side == "left"]["knee_fppa_deg"], 12.0, atol=TOL)
    np.testing.assert_allclose(df[df.side == "right"]["knee_fppa_deg"], 9.0, atol=TOL)
    assert df[list(SAGITTAL_COLUMNS)].isna().all().all()
    assert (df["leg"] == "").all()


@pytest.mark.parametrize("view", ["frontal_toward", "frontal_away"])
def test_varus_negative_and_left_hip_up_negative(cfg, view):
    lm = _frontal_figure(view, obliquity=-4.0, lean=-2.0, fppa={"left": -7.0, "right": -11.0})
    df = compute_kinematics(np.arange(3) / 30, lm, [_pass(view, "toward")], 0.0, cfg.kinematics)
    np.testing.assert_allclose(df["pelvic_obliquity_deg"], -4.0, atol=TOL)
    np.testing.assert_allclose(df["lateral_trunk_lean_deg"], -2.0, atol=TOL)
    np.testing.assert_allclose(df[df.side == "left"]["knee_fppa_deg"], -7.0, atol=TOL)
    np.testing.assert_allclose(df[df.side == "right"]["knee_fppa_deg"], -11.0, atol=TOL)


def test_data_dictionary_covers_every_column():
    for col, (unit, definition) in KINEMATICS_COLUMNS.items():
        assert definition
        assert unit == "deg" if col.endswith("_deg") else True
    assert set(ANGLE_COLUMNS) <= set(KINEMATICS_COLUMNS)


# --------------------------------------------------------------------------------------------
# Camera roll from synthetic walking
# --------------------------------------------------------------------------------------------
LEG_PX = 400.0


def _side_walk(fwd, t, floor_y, x_start, roll, far_side="right", far_dy=-15.0):
    """Side-view walk: stance heel fixed, heel rise, cosine swing with lift; image px, y down."""
    T, duty, S = 1.08, 0.6, 1.4 * LEG_PX
    v = S / T
    lm = np.full((len(t), 33, 4), np.nan)
    pelvis = v * t
    for j, side in enumerate(("left", "right")):
        cyc = t / T + 0.5 * j
        k, phi = np.floor(cyc), cyc - np.floor(cyc)
        contact_x = v * (k - 0.5 * j) * T + 0.25 * S
        rise = np.clip((phi - 0.45) / (duty - 0.45), 0, 1)
        hx = contact_x + 0.02 * LEG_PX * rise ** 2
        hy = 0.05 * LEG_PX * rise ** 2
        u = np.clip((phi - duty) / (1 - duty), 0, 1)
        swing = phi >= duty
        hx = np.where(swing, contact_x + 0.02 * LEG_PX + (S - 0.02 * LEG_PX) * (1 - np.cos(np.pi * u)) / 2, hx)
        hy = np.where(swing, 0.05 * LEG_PX * (1 - u) + 0.1 * LEG_PX * np.sin(np.pi * u), hy)
        dy = far_dy if side == far_side else 0.0
        fwd_up = {
            "heel": (hx, hy), "foot_index": (hx + 0.25 * LEG_PX, hy),
            "ankle": (hx + 0.05 * LEG_PX, hy + 0.08 * LEG_PX), "hip": (pelvis, np.full_like(t, 1.0 * LEG_PX)),
            "knee": ((pelvis + hx) / 2 + 0.05 * LEG_PX, 0.55 * LEG_PX + hy / 2),
            "shoulder": (pelvis, np.full_like(t, 1.9 * LEG_PX)),
        }
        for part, (f, up) in fwd_up.items():
            lm[:, LM[f"{side}_{part}"], 0] = x_start + fwd * f
            lm[:, LM[f"{side}_{part}"], 1] = floor_y + dy - up
    lm[..., 2], lm[..., 3] = 0.0, 1.0
    lm[..., :2] = _rot_image(lm[..., :2], roll)
    return lm


def _two_side_passes(roll, fps=60.0, seconds=3.3):
    t = np.arange(0, seconds, 1 / fps)
    a = _side_walk(1.0, t, floor_y=600.0, x_start=-300.0, roll=roll)
    b = _side_walk(-1.0, t, floor_y=560.0, x_start=1600.0, roll=roll, far_side="left")
    n = len(t)
    gap = np.full((int(fps), 33, 4), np.nan)
    lm = np.concatenate([a, gap, b])
    tt = np.arange(len(lm)) / fps
    passes = [Pass(0, 0, n, tt[0], tt[n - 1], "right", "right", "sagittal", near_side="left"),
              Pass(1, n + len(gap), len(lm), tt[n + len(gap)], tt[-1], "left", "left", "sagittal", near_side="right")]
    return tt, lm, passes


@pytest.mark.parametrize("roll", [3.0, -7.0, 0.0])
def test_roll_from_sagittal_heel_contacts(cfg, roll):
    t, lm, passes = _two_side_passes(roll)
    est, method, warnings = estimate_roll_deg(t, lm, passes, cfg.kinematics)
    assert method == "sagittal_heel_contacts"
    assert est == pytest.approx(roll, abs=0.5)
    assert any("rolled" in w for w in warnings) == (abs(roll) > cfg.kinematics.roll_warn_deg)
    # angles after roll correction equal those of the level camera
    level = compute_kinematics(t, _two_side_passes(0.0)[1], passes, 0.0, cfg.kinematics)
    rolled = compute_kinematics(t, lm, passes, est, cfg.kinematics)
    np.testing.assert_allclose(rolled["knee_flexion_deg"], level["knee_flexion_deg"], atol=1e-6)
    np.testing.assert_allclose(rolled["thigh_angle_deg"], level["thigh_angle_deg"], atol=0.5)


def test_roll_survives_pose_noise_and_filtering(cfg):
    t, lm, passes = _two_side_passes(-7.0)
    rng = np.random.default_rng(3)
    noisy = lm.copy()
    noisy[..., :2] += rng.normal(0, 0.005 * LEG_PX, noisy[..., :2].shape)
    pp = prepare(PoseSequence(t, noisy, 1280, 720), cfg.filter)
    est, method, _ = estimate_roll_deg(pp.t_s, pp.landmarks, passes, cfg.kinematics)
    assert method == "sagittal_heel_contacts" and est == pytest.approx(-7.0, abs=0.5)


def _front_walk(roll, direction="toward", fps=30.0):
    """Perspective front view: camera 1 m high, level, f = 1000 px; walker on the optical axis."""
    f, cx, cy, cam_h = 1000.0, 360.0, 640.0, 1.0
    T, duty, S, V = 1.08, 0.6, 1.3, 1.3 / 1.08
    t = np.arange(0, 3.8, 1 / fps)
    z0, sgn = (7.0, -1.0) if direction == "toward" else (2.5, 1.0)
    lm = np.full((len(t), 33, 4), np.nan)
    pelvis_z = z0 + sgn * V * t
    for j, (side, x) in enumerate((("left", -0.1), ("right", 0.1))):
        cyc = t / T + 0.5 * j
        k, phi = np.floor(cyc), cyc - np.floor(cyc)
        contact = z0 + sgn * (V * (k - 0.5 * j) * T + 0.25 * S)
        u = np.clip((phi - duty) / (1 - duty), 0, 1)
        az = contact + sgn * S * (1 - np.cos(np.pi * u)) / 2
        lift = 0.1 * np.sin(np.pi * u)
        world = {"ankle": (x, cam_h - 0.08 - lift, az), "hip": (x, cam_h - 0.9, pelvis_z),
                 "knee": (x, cam_h - 0.5, (pelvis_z + az) / 2), "shoulder": (1.8 * x, cam_h - 1.45, pelvis_z)}
        for part, (X, Y, Z) in world.items():
            lm[:, LM[f"{side}_{part}"], 0] = cx + f * X / Z
            lm[:, LM[f"{side}_{part}"], 1] = cy + f * Y / Z
    lm[..., :2] = _rot_image(lm[..., :2], roll, centre=np.array([cx, cy]))
    view = "frontal_toward" if direction == "toward" else "frontal_away"
    return t, lm, [Pass(0, 0, len(t), t[0], t[-1], direction, direction, view)]


@pytest.mark.parametrize("direction", ["toward", "away"])
@pytest.mark.parametrize("roll", [3.0, -7.0])
def test_roll_from_frontal_walking_path(cfg, roll, direction):
    t, lm, passes = _front_walk(roll, direction)
    kcfg = dataclasses.replace(cfg.kinematics, roll_from_frontal_path=True)
    est, method, warnings = estimate_roll_deg(t, lm, passes, kcfg)
    assert method == "frontal_walking_path"
    assert est == pytest.approx(roll, abs=0.5)
    assert any("front view" in w for w in warnings)


def test_roll_from_a_front_view_is_off_by_default(cfg):
    """The walking-path estimate errs by up to 6.5–15.7° on level rendered cameras (pipeline file): off."""
    t, lm, passes = _front_walk(3.0, "toward")
    est, method, warnings = estimate_roll_deg(t, lm, passes, cfg.kinematics)
    assert np.isnan(est) and method == "none"
    assert any("front view alone" in w and "not measurable" in w for w in warnings)


def test_roll_not_measurable(cfg):
    lm = _sagittal_figure(n=60)  # standing still: no progression of contacts
    est, method, warnings = estimate_roll_deg(np.arange(60) / 60, lm, [_pass("sagittal", end=60)], cfg.kinematics)
    assert np.isnan(est) and method == "none" and any("not measurable" in w for w in warnings)
