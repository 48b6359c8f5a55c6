"""gaitlab.synth.camera: pinhole geometry, view conventions, VFR times, shake, PoseSequence output."""

import numpy as np
import pytest

from gaitlab.model import LM, N_LANDMARKS
from gaitlab.synth.camera import Camera, frame_times, handheld_shake, project_sequence, to_pose_sequence


def stick_walker(t, speed=1.2, stride_s=1.1, x0=-2.0, y0=0.0):
    """(T, 33, 3) world landmarks (m) of a simple walker going +X (Y = his left, Z up)."""
    T = len(t)
    W = np.zeros((T, N_LANDMARKS, 3))
    x = x0 + speed * t
    for side, sy, off in (("left", 1.0, np.pi), ("right", -1.0, 0.0)):
        th = np.deg2rad(22) * np.sin(2 * np.pi * t / stride_s + off)
        kf = np.deg2rad(30) * np.clip(np.sin(2 * np.pi * t / stride_s + off + 1.0), 0, None)
        hip = np.stack([x, np.full(T, y0 + 0.09 * sy), np.full(T, 0.92)], -1)
        knee = hip + 0.45 * np.stack([np.sin(th), np.zeros(T), -np.cos(th)], -1)
        ankle = knee + 0.45 * np.stack([np.sin(th - kf), np.zeros(T), -np.cos(th - kf)], -1)
        W[:, LM[f"{side}_hip"]] = hip
        W[:, LM[f"{side}_knee"]] = knee
        W[:, LM[f"{side}_ankle"]] = ankle
        W[:, LM[f"{side}_heel"]] = ankle + [-0.05, 0, -0.04]
        W[:, LM[f"{side}_foot_index"]] = ankle + [0.18, 0, -0.05]
        sh = np.stack([x, np.full(T, y0 + 0.18 * sy), np.full(T, 1.42)], -1)
        W[:, LM[f"{side}_shoulder"]] = sh
        for k, name in enumerate(("elbow", "wrist", "pinky", "index", "thumb")):
            W[:, LM[f"{side}_{name}"]] = sh + [0.0, 0.02 * sy, -0.28 - 0.1 * min(k, 2)]
        for name in ("eye_inner", "eye", "eye_outer", "ear"):
            W[:, LM[f"{side}_{name}"]] = np.stack([x + 0.08, np.full(T, y0 + 0.04 * sy), np.full(T, 1.62)], -1)
        W[:, LM[f"mouth_{side}"]] = np.stack([x + 0.09, np.full(T, y0 + 0.02 * sy), np.full(T, 1.57)], -1)
    W[:, LM["nose"]] = np.stack([x + 0.1, np.full(T, y0), np.full(T, 1.6)], -1)
    return W


def test_optical_axis_projects_to_centre():
    for cam in (Camera.side_view(), Camera.front_view(), Camera.oblique(angle_deg=30),
                Camera(640, 480, 500.0, (1.0, 2.0, 1.5), yaw_deg=37.0, pitch_deg=12.0, roll_deg=8.0)):
        p = np.asarray(cam.position_m) + 3.0 * cam.optical_axis
        x, y, d = cam.project(p)
        assert x == pytest.approx(cam.width_px / 2, abs=1e-9)
        assert y == pytest.approx(cam.height_px / 2, abs=1e-9)
        assert d == pytest.approx(3.0)


def test_pinhole_pole_spans_f_over_distance():
    cam = Camera.side_view(distance_m=4.0, height_m=1.0, hfov_deg=60.0)
    assert cam.focal_px == pytest.approx(640 / np.tan(np.deg2rad(30)))
    top, bottom = cam.project(np.array([[0.0, 0.0, 1.5], [0.0, 0.0, 0.5]]))
    assert bottom[1] - top[1] == pytest.approx(cam.focal_px / 4.0)  # y down: the top is higher
    assert top[2] == pytest.approx(4.0) and bottom[2] == pytest.approx(4.0)
    assert top[0] == pytest.approx(640.0)


def test_side_view_walker_moves_right_and_shows_right_side():
    t = np.arange(60) / 30.0
    W = stick_walker(t)
    cam = Camera.side_view()
    pose = to_pose_sequence(W, t, cam)
    hipx = pose.landmarks[:, LM["left_hip"], 0]
    assert np.all(np.diff(hipx) > 0)
    # right side nearer the camera: smaller depth → smaller z
    assert np.all(pose.landmarks[:, LM["right_hip"], 2] < pose.landmarks[:, LM["left_hip"], 2])
    assert np.all(pose.landmarks[:, LM["right_shoulder"], 2] < 0)
    # up is up
    assert np.all(pose.landmarks[:, LM["nose"], 1] < pose.landmarks[:, LM["left_ankle"], 1])
    # from the left: moves image-left, left side near
    pl = to_pose_sequence(W, t, Camera.side_view(from_left=True))
    assert np.all(np.diff(pl.landmarks[:, LM["left_hip"], 0]) < 0)
    assert np.all(pl.landmarks[:, LM["left_hip"], 2] < pl.landmarks[:, LM["right_hip"], 2])


def test_front_view_toward_grows_back_view_shrinks():
    t = np.arange(90) / 30.0
    W = stick_walker(t, x0=-3.0)
    for toward, sign in ((True, 1), (False, -1)):
        pose = to_pose_sequence(W, t, Camera.front_view(distance_m=8.0, toward=toward))
        size = pose.landmarks[:, LM["left_ankle"], 1] - pose.landmarks[:, LM["nose"], 1]
        assert sign * (size[-1] - size[0]) > 0.3 * size[0]
        # toward: subject's right side on image-left; back view: on image-right
        dx = pose.landmarks[:, LM["right_shoulder"], 0] - pose.landmarks[:, LM["left_shoulder"], 0]
        assert np.all(dx < 0) if toward else np.all(dx > 0)


def test_oblique_between_side_and_front():
    side, front = Camera.side_view(), Camera.front_view()
    ob0, ob90 = Camera.oblique(angle_deg=0, distance_m=4.0), Camera.oblique(angle_deg=90, distance_m=8.0)
    np.testing.assert_allclose(ob0.optical_axis, side.optical_axis, atol=1e-12)
    np.testing.assert_allclose(ob0.position_m, side.position_m, atol=1e-12)
    np.testing.assert_allclose(ob90.optical_axis, front.optical_axis, atol=1e-12)
    np.testing.assert_allclose(ob90.position_m, front.position_m, atol=1e-12)
    ob = Camera.oblique(angle_deg=45)
    np.testing.assert_allclose(ob.optical_axis, [-np.sqrt(0.5), np.sqrt(0.5), 0], atol=1e-12)
    x, y, _ = ob.project(np.array([0.0, 0.0, 1.0]))  # looks at the walk centre
    assert (x, y) == (pytest.approx(640), pytest.approx(360))


@pytest.mark.parametrize("roll", [-10.0, 5.0, 20.0])
def test_roll_rotates_image_clockwise(roll):
    cam = Camera.side_view(roll_deg=roll)
    a, b = cam.project(np.array([[-0.5, 0.0, 1.3], [0.5, 0.0, 1.3]]))  # horizontal world line
    angle = np.rad2deg(np.arctan2(b[1] - a[1], b[0] - a[0]))  # image angle, y down: + = clockwise
    assert angle == pytest.approx(roll, abs=1e-9)
    c = cam.project(np.array([0.0, 0.0, 1.0]))  # the centre stays put
    assert c[:2] == pytest.approx([640, 360])


def test_pitch_down_moves_horizon_up():
    p = np.array([0.0, 0.0, 1.0])  # at camera height: on the horizon
    level, down = Camera.side_view().project(p), Camera.side_view(pitch_deg=10).project(p)
    assert down[1] < level[1]
    assert level[1] - down[1] == pytest.approx(Camera.side_view().focal_px * np.tan(np.deg2rad(10)))


def test_mirrored_flips_x():
    pts = np.random.default_rng(0).uniform([-1, -0.5, 0], [1, 0.5, 2], (50, 3))
    a = Camera.side_view().project(pts)
    b = Camera.side_view(mirrored=True).project(pts)
    np.testing.assert_allclose(b[:, 0], 1280 - a[:, 0])
    np.testing.assert_allclose(b[:, 1:], a[:, 1:])
    t = np.arange(10) / 30.0
    assert to_pose_sequence(stick_walker(t), t, Camera.side_view(mirrored=True)).mirrored


def test_behind_camera_is_nan():
    cam = Camera.side_view(distance_m=4.0)
    out = cam.project(np.array([[0, -5.0, 1.0], [0, -4.0, 1.0], [0, 1.0, 1.0], [np.nan, 0, 1]]))
    assert np.isnan(out[0]).all() and np.isnan(out[1]).all() and np.isnan(out[3]).all()
    assert np.isfinite(out[2]).all()


@pytest.mark.parametrize("fps", [10, 24, 30, 60, 120, 240])
def test_frame_times_vfr(fps):
    t = frame_times(fps, 20.0, vfr_jitter=0.15, phase_s=0.013, seed=1)
    assert len(t) == 20 * fps
    assert t[0] == pytest.approx(0.013)
    dt = np.diff(t)
    assert np.all(dt > 0)
    assert 1 / dt.mean() == pytest.approx(fps, rel=1e-9)
    assert np.std(dt) * fps == pytest.approx(0.15, rel=0.15)
    np.testing.assert_array_equal(t, frame_times(fps, 20.0, vfr_jitter=0.15, phase_s=0.013, seed=1))
    np.testing.assert_allclose(np.diff(frame_times(fps, 2.0)), 1 / fps)


def test_handheld_shake_smooth_and_scaled():
    t = frame_times(60, 30.0, vfr_jitter=0.1, seed=3)
    yaw, pitch, roll = handheld_shake(t, amplitude_deg=0.5, seed=4)
    for s in (yaw, pitch, roll):
        assert np.sqrt(np.mean(s ** 2)) == pytest.approx(0.5)
        # smooth: frame-to-frame change far below the amplitude at 60 fps (max 3 Hz)
        assert np.max(np.abs(np.diff(s))) < 0.5 * 2 * np.pi * 3 / 60 * 3
    assert not np.allclose(yaw, pitch)
    np.testing.assert_array_equal(yaw, handheld_shake(t, amplitude_deg=0.5, seed=4)[0])


def test_project_sequence_with_and_without_shake():
    t = np.arange(30) / 30.0
    W = stick_walker(t)
    cam = Camera.side_view()
    still = project_sequence(cam, W, t)
    np.testing.assert_allclose(still, cam.project(W))
    zero = tuple(np.zeros(30) for _ in range(3))
    np.testing.assert_allclose(project_sequence(cam, W, t, shake=zero), still)
    roll = np.linspace(0, 10, 30)
    shaken = project_sequence(cam, W, t, shake=(np.zeros(30), np.zeros(30), roll))
    for k in (0, 29):  # frame k equals a static camera with that roll
        np.testing.assert_allclose(shaken[k], Camera.side_view(roll_deg=roll[k]).project(W[k]))


def test_to_pose_sequence_layout_z_and_visibility():
    t = frame_times(30, 3.0, vfr_jitter=0.1, seed=0)
    W = stick_walker(t)
    W[5] = np.nan  # unknown frame
    W[7, LM["left_wrist"]] = np.nan
    cam = Camera.side_view()
    pose = to_pose_sequence(W, t, cam)
    lm = pose.landmarks
    assert lm.shape == (len(t), 33, 4)
    assert np.isnan(lm[5]).all() and np.isnan(lm[7, LM["left_wrist"]]).all()
    assert np.all(lm[np.isfinite(lm[:, :, 0]), 3] == 1.0)
    assert pose.fps == pytest.approx(30, rel=0.05)
    assert not pose.mirrored
    # z of the hip midpoint is 0; scale = metres × focal / hip depth (px like x)
    ok = np.isfinite(lm[:, 0, 0])
    hz = 0.5 * (lm[ok, LM["left_hip"], 2] + lm[ok, LM["right_hip"], 2])
    np.testing.assert_allclose(hz, 0, atol=1e-9)
    np.testing.assert_allclose(lm[ok, LM["left_hip"], 2] - lm[ok, LM["right_hip"], 2], 0.18 * cam.focal_px / 4.0)
    # the leg nearer the camera (right, camera on the walker's right) has smaller z
    for name in ("knee", "ankle", "heel", "foot_index"):
        assert np.all(lm[ok, LM[f"right_{name}"], 2] < lm[ok, LM[f"left_{name}"], 2])
    vis = np.full((len(t), 33), 0.9)
    p2 = to_pose_sequence(W, t, cam, visible=vis)
    v = p2.landmarks[:, :, 3]
    assert np.all(v[np.isfinite(v)] == 0.9) and np.isnan(v[7, LM["left_wrist"]])
    with pytest.raises(ValueError):
        to_pose_sequence(W[:, :20], t, cam)
