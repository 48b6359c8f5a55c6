"""Walking-pass segmentation (gaitlab.gait.passes): synthetic walkers and real clips."""

from __future__ import annotations


import numpy as np
import pytest

from gaitlab.errors import ConfigError
from gaitlab.model import LM, MIRROR_INDEX, N_LANDMARKS, PoseSequence
from gaitlab.pipeline import load_pipeline
from gaitlab.gait.passes import segment_passes


CFG = load_pipeline().passes

# ------------------------------------------------------------------------------------ synthetic walker
# A 3D stick figure (metres) seen by a level pinhole camera: X right, Y down, Z away from the camera;
# the floor is CAM_H below the camera. Landmarks are projected like MediaPipe's: x, y px, z = depth
# relative to the hip midpoint in x's scale, visibility 1; frames with the body mostly outside the
# image are untracked (NaN), as MediaPipe loses a walker leaving the frame.

W, H, FOCAL, CAM_H = 1280, 720, 1000.0, 0.95
LEG, TORSO, HIP_HW, SHO_HW = 0.9, 0.5, 0.09, 0.19


def render(pos, heading, phase, amp, *, fps=30.0, width=W, height=H, focal=FOCAL, noise_px=1.0, seed=0):
    """pos (T, 2) floor position (X, Z) m; heading (T,) rad, 0 = facing +X (image right), pi/2 =
    facing away; phase (T,) gait phase rad; amp (T,) thigh swing amplitude rad (0 = standing)."""
    pos, heading, phase, amp = map(np.asarray, (pos, heading, phase, amp))
    T = len(pos)
    fwd = np.stack([np.cos(heading), np.zeros(T), np.sin(heading)], axis=1)
    left = np.stack([-fwd[:, 2], np.zeros(T), fwd[:, 0]], axis=1)  # up × forward, Y down
    down = np.array([0.0, 1.0, 0.0])
    hip_c = np.stack([pos[:, 0], np.full(T, CAM_H - LEG - 0.05), pos[:, 1]], axis=1)
    pts = np.zeros((T, N_LANDMARKS, 3))
    sho_c = hip_c - TORSO * down
    head = sho_c - 0.22 * down
    for side, sgn in (("left", 1.0), ("right", -1.0)):
        theta = (amp * np.sin(phase + (0.0 if side == "left" else np.pi)))[:, None]
        hip = hip_c + sgn * HIP_HW * left
        ankle = hip + LEG * (np.sin(theta) * fwd + np.cos(theta) * down)
        knee = hip + 0.5 * LEG * (np.sin(theta + 0.1) * fwd + np.cos(theta + 0.1) * down)
        sho = sho_c + sgn * SHO_HW * left
        for name, p in (("hip", hip), ("knee", knee), ("ankle", ankle), ("shoulder", sho),
                        ("heel", ankle - 0.05 * fwd + 0.04 * down), ("foot_index", ankle + 0.16 * fwd + 0.05 * down),
                        ("elbow", sho + 0.28 * down), ("wrist", sho + 0.5 * down), ("pinky", sho + 0.55 * down),
                        ("index", sho + 0.56 * down), ("thumb", sho + 0.54 * down), ("ear", head + sgn * 0.075 * left),
                        ("eye", head + 0.08 * fwd + sgn * 0.03 * left + 0.03 * down - 0.06 * down),
                        ("eye_inner", head + 0.08 * fwd + sgn * 0.015 * left - 0.03 * down),
                        ("eye_outer", head + 0.07 * fwd + sgn * 0.045 * left - 0.03 * down),
                        ("mouth", head + 0.08 * fwd + sgn * 0.025 * left + 0.05 * down)):
            pts[:, LM[f"{side}_{name}" if name != "mouth" else f"mouth_{side}"]] = p
    pts[:, LM["nose"]] = head + 0.11 * fwd
    Z = pts[..., 2]
    lm = np.empty((T, N_LANDMARKS, 4))
    lm[..., 0] = width / 2 + focal * pts[..., 0] / Z
    lm[..., 1] = height / 2 + focal * pts[..., 1] / Z
    lm[..., 2] = focal * (Z - hip_c[:, None, 2]) / hip_c[:, None, 2]
    lm[..., 3] = 1.0
    rng = np.random.default_rng(seed)
    lm[..., :3] += rng.normal(0.0, noise_px, size=(T, N_LANDMARKS, 3))
    inside = ((lm[..., 0] >= 0) & (lm[..., 0] < width) & (lm[..., 1] >= 0) & (lm[..., 1] < height)).mean(axis=1)
    lm[inside < 0.5] = np.nan
    t = np.arange(T) / fps
    return PoseSequence(t_s=t, landmarks=lm, width_px=width, height_px=height)


def segments(*segs, fps=30.0, start=(0.0, 5.0), cadence=110.0):
    """Concatenate pieces: (duration s, velocity (vX, vZ) m/s, heading rad or (from, to), swinging).

    Returns pos, heading, phase, amp arrays for :func:`render`."""
    pos, head, amp, freq = [], [], [], []
    p = np.array(start, dtype=float)
    for dur, vel, hd, swing in segs:
        n = int(round(dur * fps))
        k = np.arange(n)[:, None] / fps
        pos.append(p + k * np.asarray(vel, float))
        p = p + n / fps * np.asarray(vel, float)
        h0, h1 = (hd, hd) if np.isscalar(hd) else hd
        head.append(np.linspace(h0, h1, n))
        amp.append(np.full(n, 0.42 if swing else 0.0))
        freq.append(np.full(n, (cadence if swing is True else swing or 0.0) / 120.0))
    freq = np.concatenate(freq)
    phase = 2 * np.pi * np.cumsum(freq) / fps
    return np.concatenate(pos), np.concatenate(head), phase, np.concatenate(amp)


RIGHT, LEFT, AWAY, TOWARD = 0.0, np.pi, np.pi / 2, -np.pi / 2


def arc(duration, speed, h0, h1, pieces=12):
    """Walking along an arc: heading and travel direction turn together from h0 to h1."""
    hs = np.linspace(h0, h1, pieces + 1)
    return [(duration / pieces, (speed * np.cos(0.5 * (a + b)), speed * np.sin(0.5 * (a + b))), (a, b), True)
            for a, b in zip(hs[:-1], hs[1:])]


def run(pose, **kw):
    passes, warnings = segment_passes(pose, CFG, **kw)
    # the passes tile the clip, in time order, ids from 1
    assert [p.pass_id for p in passes] == list(range(1, len(passes) + 1))
    assert passes[0].start == 0 and passes[-1].end == len(pose)
    assert all(a.end == b.start for a, b in zip(passes, passes[1:]))
    assert all(p.start < p.end and p.start_s < p.end_s for p in passes)
    return passes, warnings


def usable(passes):
    return [p for p in passes if p.usable]


def covering(passes, t_s):
    """The pass that contains time t_s."""
    return next(p for p in passes if p.start_s <= t_s < p.end_s)


# ----------------------------------------------------------------------------------- synthetic tests


@pytest.mark.parametrize("heading,sign,word", [(RIGHT, 1, "right"), (LEFT, -1, "left")])
def test_crossing_walker_enters_and_leaves_at_the_edges(heading, sign, word):
    # walks 1.3 m/s across the whole field of view (±3.2 m at 5 m), starting and ending outside it
    pose = render(*segments((6.5, (1.3 * sign, 0.0), heading, True), start=(-4.2 * sign, 5.0)))
    passes, warnings = run(pose)
    [p] = usable(passes)
    assert (p.direction, p.facing, p.view, p.treadmill) == (word, word, "sagittal", False)
    assert p.near_side == word  # facing image-left shows the subject's left side
    assert p.end_s - p.start_s > 3.0
    tracked = [q for q in passes if q.reason != "not tracked"]
    assert tracked[0].reason.startswith("partial step at the frame edge")  # entering
    assert tracked[-1].reason.startswith("partial step at the frame edge")  # leaving
    assert not warnings


def test_turn_between_two_passes():
    pose = render(*segments((4.0, (1.2, 0.0), RIGHT, True), (1.5, (0.0, 0.0), (RIGHT, LEFT), 80.0),
                            (4.0, (-1.2, 0.0), LEFT, True), start=(-2.4, 5.0)))
    passes, _ = run(pose)
    a, b = usable(passes)
    assert (a.direction, a.facing, b.direction, b.facing) == ("right", "right", "left", "left")
    assert a.view == b.view == "sagittal"
    between = [p for p in passes if a.end <= p.start and p.end <= b.start]
    assert between and all(p.reason == "turn" for p in between)
    assert covering(passes, 4.75).reason == "turn"


def test_pause_splits_a_pass():
    pose = render(*segments((3.0, (1.2, 0.0), RIGHT, True), (2.0, (0.0, 0.0), RIGHT, False),
                            (3.0, (1.2, 0.0), RIGHT, True), start=(-4.0, 6.0)))
    passes, _ = run(pose)
    a, b = usable(passes)
    assert a.direction == b.direction == "right"
    assert covering(passes, 4.0).reason == "standing"


def test_turn_while_walking():
    # a U-turn walked along an arc (2.5 s, away from the camera) between two side-view passes
    pose = render(*segments((4.0, (1.2, 0.0), RIGHT, True), *arc(2.5, 0.9, RIGHT, LEFT), (4.0, (-1.2, 0.0), LEFT, True),
                            start=(-3.0, 4.5)))
    passes, _ = run(pose)
    assert [(p.direction, p.facing) for p in usable(passes)] == [("right", "right"), ("left", "left")]
    assert covering(passes, 5.25).reason == "turn"
    assert all(not p.usable for p in passes if 4.3 < p.end_s < 6.2 or 4.3 < p.start_s < 6.2)


def test_frontal_turn():
    pose = render(*segments((3.8, (0.0, -1.3), TOWARD, True), (1.5, (0.0, 0.0), (TOWARD, AWAY), 80.0),
                            (3.8, (0.0, 1.3), AWAY, True), start=(0.0, 9.0)))
    passes, _ = run(pose)
    assert [(p.direction, p.view) for p in usable(passes)] == [("toward", "frontal_toward"), ("away", "frontal_away")]
    assert covering(passes, 4.5).reason == "turn"


def test_slow_walker_is_usable():
    pose = render(*segments((8.0, (-0.45, 0.0), LEFT, 85.0), start=(1.8, 5.0)))  # 0.45 m/s, 85 steps/min
    [p] = usable(run(pose)[0])
    assert (p.direction, p.facing, p.view) == ("left", "left", "sagittal")


def test_standing():
    pose = render(*segments((4.0, (0.0, 0.0), LEFT, False)))
    passes, warnings = run(pose)
    [p] = passes
    assert (p.usable, p.reason, p.direction, p.facing, p.view) == (False, "standing", "none", "left", "sagittal")
    assert "No usable walking pass" in warnings[0]


def test_standing_facing_the_camera_is_frontal():
    pose = render(*segments((4.0, (0.0, 0.0), TOWARD, False)))
    [p], _ = run(pose)
    assert (p.reason, p.facing, p.view) == ("standing", "toward", "frontal_toward")


def test_backward_walking_is_excluded():
    pose = render(*segments((5.0, (0.8, 0.0), LEFT, True), start=(-2.0, 5.0)))
    passes, _ = run(pose)
    assert not usable(passes)
    p = max(passes, key=lambda q: q.end - q.start)
    assert p.reason == "backward walking (facing left while moving right)"
    assert (p.direction, p.facing) == ("right", "left")


def test_treadmill_is_one_pass_with_no_travel():
    pose = render(*segments((10.0, (0.0, 0.0), RIGHT, True), start=(0.0, 4.0)))
    passes, warnings = run(pose)
    [p] = passes
    assert p.usable and p.treadmill
    assert (p.direction, p.facing, p.view) == ("none", "right", "sagittal")
    assert any("treadmill" in w for w in warnings)


def test_frontal_treadmill():
    pose = render(*segments((10.0, (0.0, 0.0), TOWARD, True), start=(0.0, 4.0)))
    [p], _ = run(pose)
    assert p.usable and p.treadmill and (p.direction, p.facing, p.view) == ("none", "toward", "frontal_toward")


def test_frontal_toward_pass():
    pose = render(*segments((4.2, (0.0, -1.3), TOWARD, True), start=(0.0, 9.0)))
    passes, _ = run(pose)
    [p] = usable(passes)
    assert (p.direction, p.facing, p.view, p.near_side) == ("toward", "toward", "frontal_toward", "")
    assert p.end_s - p.start_s > 3.0


def test_frontal_away_pass():
    pose = render(*segments((4.2, (0.0, 1.3), AWAY, True), start=(0.0, 3.5)))
    passes, _ = run(pose)
    [p] = usable(passes)
    assert (p.direction, p.facing, p.view) == ("away", "away", "frontal_away")


def test_walking_backward_toward_the_camera():
    pose = render(*segments((4.2, (0.0, -0.9), AWAY, True), start=(0.0, 8.0)))
    passes, _ = run(pose)
    assert not usable(passes)
    assert any(p.reason == "backward walking (facing away while moving toward)" for p in passes)


def test_running_is_excluded():
    pose = render(*segments((3.0, (3.6, 0.0), RIGHT, 170.0), start=(-4.5, 6.5)))
    passes, _ = run(pose)
    assert not usable(passes)
    assert any(p.reason.startswith("running (") and "steps/min" in p.reason for p in passes)


def test_running_on_a_treadmill_is_excluded():
    pose = render(*segments((6.0, (0.0, 0.0), LEFT, 175.0), start=(0.0, 4.0)))
    [p], _ = run(pose)
    assert not p.usable and p.treadmill and p.reason.startswith("running (cadence")


def test_short_walk_and_lost_tracking():
    pose = render(*segments((6.0, (1.0, 0.0), RIGHT, True), start=(-3.0, 5.0)))
    pose.landmarks[30:45] = np.nan  # 0.5 s lost at 1-1.5 s: splits the walk
    passes, _ = run(pose)
    assert covering(passes, 1.2).reason == "not tracked"
    assert covering(passes, 0.5).reason.startswith("too short") or covering(passes, 0.5).reason.startswith("partial")
    assert usable(passes)[0].start_s >= 1.5


def test_short_tracking_gap_is_bridged():
    pose = render(*segments((5.0, (1.0, 0.0), RIGHT, True), start=(-2.5, 5.0)))
    pose.landmarks[70:75] = np.nan  # 0.17 s
    passes, _ = run(pose)
    [p] = usable(passes)
    assert p.start_s < 2.0 < 2.6 < p.end_s


def test_label_swaps_and_timestamp_jitter():
    # MediaPipe swaps left/right labels for a few frames at a time; phones jitter frame times
    pose = render(*segments((5.0, (-1.3, 0.0), LEFT, True), start=(3.2, 5.0)), noise_px=2.0)
    swap = np.zeros(len(pose), dtype=bool)
    for k in range(5, len(pose), 17):
        swap[k:k + 3] = True
    pose.landmarks[swap] = pose.landmarks[swap][:, MIRROR_INDEX]
    pose.t_s = pose.t_s + np.random.default_rng(1).uniform(-0.004, 0.004, len(pose))
    [p] = usable(run(pose)[0])
    assert (p.direction, p.facing, p.view) == ("left", "left", "sagittal")


def test_oblique_walk_and_view_override():
    # 38° from the image plane, body turned the same way
    a = np.radians(38.0)
    pose = render(*segments((4.0, (1.3 * np.cos(a), 1.3 * np.sin(a)), a, True), start=(-2.2, 3.5)))
    passes, warnings = run(pose)
    [p] = usable(passes)
    assert (p.direction, p.facing, p.view) == ("right", "right", "oblique")
    assert any("oblique" in w for w in warnings)
    passes, _ = run(pose, view_override="sagittal")
    assert [q.view for q in usable(passes)] == ["sagittal"]
    passes, _ = run(pose, view_override="frontal")
    assert [(q.direction, q.view) for q in usable(passes)] == [("away", "frontal_away")]


def test_bad_view_override():
    pose = render(*segments((2.0, (0.0, 0.0), LEFT, False)))
    with pytest.raises(ConfigError):
        segment_passes(pose, CFG, view_override="side")


def test_mirrored_clip_flips_near_side():
    pose = render(*segments((5.0, (-1.3, 0.0), LEFT, True), start=(2.8, 5.0)))
    pose.mirrored = True
    [p] = usable(run(pose)[0])
    assert (p.facing, p.near_side) == ("left", "right")


def test_nothing_tracked_and_empty():
    pose = render(*segments((2.0, (0.0, 0.0), LEFT, False)))
    pose.landmarks[:] = np.nan
    [p], warnings = run(pose)
    assert (p.reason, p.view) == ("not tracked", "")
    assert warnings
    empty = PoseSequence(t_s=np.zeros(0), landmarks=np.zeros((0, N_LANDMARKS, 4)), width_px=W, height_px=H)
    assert segment_passes(empty, CFG)[0] == []


def test_scale_free():
    # the same walk filmed 4x smaller (lower resolution) gives the same passes
    segs = segments((4.0, (1.2, 0.0), RIGHT, True), (1.5, (0.0, 0.0), (RIGHT, LEFT), 80.0),
                    (4.0, (-1.2, 0.0), LEFT, True), start=(-2.4, 5.0))
    big = run(render(*segs))[0]
    small = run(render(*segs, width=W // 4, height=H // 4, focal=FOCAL / 4, noise_px=0.25))[0]
    key = lambda ps: [(p.direction, p.facing, p.view, p.usable, p.reason) for p in ps]  # noqa: E731
    assert key(big) == key(small)


def test_20_minutes_of_passes():
    # 20 minutes at 30 fps of walking back and forth with turns (speed: benchmarks/bench_analysis.py)
    one = [(4.0, (1.2, 0.0), RIGHT, True), (1.5, (0.0, 0.0), (RIGHT, LEFT), 80.0),
           (4.0, (-1.2, 0.0), LEFT, True), (1.5, (0.0, 0.0), (LEFT, RIGHT + 2 * np.pi), 80.0)]
    pose = render(*segments(*(one * 110), start=(-2.4, 5.0)))
    pose = PoseSequence(t_s=pose.t_s[:36000], landmarks=pose.landmarks[:36000], width_px=W, height_px=H)
    passes, _ = segment_passes(pose, CFG)
    assert len(usable(passes)) >= 200


# ----------------------------------------------------------------------------------------- real clips


def test_demo4_passes(real_pose):
    pose = real_pose("sports2d/demo4_2024_sagittal_walk.mp4")
    passes, _ = run(pose)
    [p] = usable(passes)
    assert (p.direction, p.facing, p.view) == ("left", "left", "sagittal")
    assert 1.1 <= p.start_s <= 1.9 and 5.0 <= p.end_s <= 5.8
    back = [q for q in passes if q.reason.startswith("backward walking")]
    assert len(back) == 1 and back[0].start_s <= 6.5 and back[0].end_s >= 10.8
    assert (back[0].direction, back[0].facing) == ("right", "left")
    between = [q for q in passes if p.end <= q.start and q.end <= back[0].start]
    assert between and not any(q.usable for q in between)
    assert covering(passes, 5.7).reason in ("turn", "standing")


def test_demo3_running_has_no_walking_pass(real_analysis):
    # The clip is 1.57 s: `gaitlab analyze` rejects it as too short (tests/test_integration.py). Here the
    # length gate is lowered to check that the running itself is recognised, not invented as walking.
    import dataclasses

    cfg = load_pipeline()
    cfg = dataclasses.replace(cfg, video=dataclasses.replace(cfg.video, min_duration_s=1.0))
    pose = real_analysis("sports2d/demo3_2024_sagittal_run.mp4", pipeline=cfg).pose
    passes, _ = run(pose)
    assert not usable(passes)
    longest = max((q for q in passes if q.reason != "not tracked"), key=lambda q: q.end - q.start)
    assert longest.reason.startswith(("running", "too short"))


def test_intel_frontal_standing_is_excluded(real_pose):
    pose = real_pose("intel/one-by-one-person-detection.mp4")
    passes, _ = run(pose)
    # people walk away from the camera to a table, wait there with their backs to it, and leave
    standing = [p for p in passes if p.reason == "standing" and p.end_s - p.start_s > 2.0]
    assert standing and max(p.end_s - p.start_s for p in standing) > 5.0
    assert all((p.view, p.facing, p.direction, p.usable) == ("frontal_away", "away", "none", False) for p in standing)
    assert not any(p.usable and p.direction == "none" for p in passes)  # no phantom treadmill
    tracked = [p for p in passes if p.reason != "not tracked"]
    frontal = sum(p.end_s - p.start_s for p in tracked if p.view.startswith("frontal"))
    assert frontal > 0.5 * sum(p.end_s - p.start_s for p in tracked)
