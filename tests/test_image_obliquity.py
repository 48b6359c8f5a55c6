"""Image-based pelvic obliquity (gaitlab.pose.image_pelvis) on a synthetic waist that tilts by known angles."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gaitlab.gait.kinematics import compute_kinematics
from gaitlab.model import LM, Pass, PoseSequence
from gaitlab.pipeline import load_pipeline
from gaitlab.pose.image_pelvis import ImageObliquityConfig, estimate_bands, finish, image_obliquity

W, H, FPS = 320, 400, 30.0
CX, CY = 160.0, 240.0  # mid-hip at frame 0
TRUNK, HIP_HALF, SH_HALF = 110.0, 35.0, 60.0


def _texture(seed: int = 0) -> np.ndarray:
    """A 'walker' picture: shirt above, a dark belt with light loops, shorts below, soft fabric blobs."""
    rng = np.random.default_rng(seed)
    img = np.full((H, W), 120.0, np.float32)
    y_belt = CY - 0.2 * TRUNK
    img[:int(y_belt - 5)] = 190.0  # shirt (and shoulders)
    img[int(y_belt - 5):int(y_belt + 5)] = 40.0  # belt
    for x in range(30, W - 30, 22):
        img[int(y_belt - 5):int(y_belt + 5), x:x + 5] = 150.0  # belt loops
    blobs = cv2.GaussianBlur(rng.normal(0, 1, (H, W)).astype(np.float32), (0, 0), 2.0)
    img += 8.0 * blobs / blobs.std()  # weak fabric texture: the belt edges dominate
    img[:int(CY - TRUNK - 8)] = 230.0  # plain background above the shoulders
    return img


def _clip(angles_deg: np.ndarray, shift_px: np.ndarray):
    """Frames of the picture turned by ``angles`` about the mid-hip (+ = the image-left end up, i.e. the
    subject's right up when the walker faces the camera) and moved by ``shift``, and matching landmarks
    (subject's right hip on the image left)."""
    base = _texture()
    frames, lm = [], np.full((len(angles_deg), 33, 4), np.nan)
    for i, (a, d) in enumerate(zip(angles_deg, shift_px)):
        m = cv2.getRotationMatrix2D((CX, CY), -a, 1.0)  # cv2: + = counter-clockwise on screen
        m[:, 2] += d
        frames.append(np.clip(cv2.warpAffine(base, m, (W, H), borderMode=cv2.BORDER_REPLICATE), 0, 255).astype(np.uint8))
        pts = {"right_hip": (CX - HIP_HALF, CY), "left_hip": (CX + HIP_HALF, CY),
               "right_shoulder": (CX - SH_HALF, CY - TRUNK), "left_shoulder": (CX + SH_HALF, CY - TRUNK)}
        for name, p in pts.items():
            lm[i, LM[name], :2] = m[:, :2] @ np.array(p) + m[:, 2]
            lm[i, LM[name], 3] = 1.0
    t = np.arange(len(angles_deg)) / FPS
    return frames, PoseSequence(t_s=t, landmarks=lm, width_px=W, height_px=H)


@pytest.fixture(scope="module")
def tilting():
    t = np.arange(75) / FPS
    angles = 8.0 * np.sin(2 * np.pi * 1.1 * t)
    shift = np.c_[3.0 * np.sin(2 * np.pi * 0.7 * t), 0.5 * np.arange(len(t))]
    frames, pose = _clip(angles, shift)
    return angles, frames, pose


def _run(frames, pose, cfg, roll_deg=0.0):
    rows = np.ones(len(pose), bool)
    gen = ((i, f, 1.0) for i, f in enumerate(frames))
    return finish(estimate_bands(gen, pose, rows, cfg), pose, rows, cfg, roll_deg)


def test_edge_recovers_absolute_tilt(tilting):
    angles, frames, pose = tilting
    r = _run(frames, pose, ImageObliquityConfig(method="edge", cutoff_hz=0))
    err = r.obliquity_deg - angles
    assert np.isfinite(r.obliquity_deg).all()
    assert np.max(np.abs(err)) < 1.5  # the fabric texture in a 44 px wide band leaves ≈ 1° per frame
    assert np.polyfit(angles, r.obliquity_deg, 1)[0] == pytest.approx(1.0, abs=0.08)
    assert (r.quality > 0.5).all()
    # the shoulders turn with the picture: the shoulder band sees the same tilt
    assert np.nanmax(np.abs(r.shoulder_line_deg - angles)) < 1.5


def test_lk_recovers_tilt_changes(tilting):
    angles, frames, pose = tilting
    r = _run(frames, pose, ImageObliquityConfig(method="lk", trend_s=0.0, cutoff_hz=0))
    ok = np.isfinite(r.obliquity_deg)
    assert ok.mean() > 0.9
    err = r.obliquity_deg[ok] - (angles[ok] - angles[0])  # relative to the first frame, no landmark level
    assert np.max(np.abs(err)) < 1.0


def test_lk_level_comes_from_the_landmarks(tilting):
    angles, frames, pose = tilting
    r = _run(frames, pose, ImageObliquityConfig(method="lk", cutoff_hz=0))
    ok = np.isfinite(r.obliquity_deg)
    assert np.max(np.abs(r.obliquity_deg[ok] - angles[ok])) < 1.0


def test_sign_matches_kinematics_in_both_views(tilting):
    """+ = the subject's right hip up, as kinematics' pelvic_obliquity_deg, facing toward or away (mirror),
    with the camera roll removed the same way."""
    angles, frames, pose = tilting
    cfg = ImageObliquityConfig(cutoff_hz=0)  # combined
    n = len(pose)
    for view, flip, roll in (("frontal_toward", False, 0.0), ("frontal_away", True, 0.0), ("frontal_toward", False, 4.0),
                             ("frontal_away", True, -3.0)):
        fr = [f[:, ::-1].copy() for f in frames] if flip else frames
        lm = pose.landmarks.copy()
        if flip:
            lm[..., 0] = W - lm[..., 0]
        p = pose.with_landmarks(lm)
        kin = compute_kinematics(p.t_s, lm, [Pass(0, 0, n, 0.0, p.t_s[-1], "toward", "toward", view)], roll,
                                 load_pipeline().kinematics)
        ref = kin[kin.side == "left"].pelvic_obliquity_deg.to_numpy()
        r = _run(fr, p, cfg, roll)
        assert np.corrcoef(ref, r.obliquity_deg)[0, 1] > 0.99
        assert np.max(np.abs(r.obliquity_deg - ref)) < 1.5


def test_frames_mask_and_missing_landmarks(tilting):
    angles, frames, pose = tilting
    lm = pose.landmarks.copy()
    lm[40:45] = np.nan  # walker lost for 5 frames: a new stretch starts after them
    p = pose.with_landmarks(lm)
    mask = np.zeros(len(p), bool)
    mask[10:70] = True
    gen = ((i, f, 1.0) for i, f in enumerate(frames))
    cfg = ImageObliquityConfig(method="lk", cutoff_hz=0)
    rows = mask & p.tracked()
    r = finish(estimate_bands(gen, p, rows, cfg), p, rows, cfg)
    assert np.isnan(r.obliquity_deg[:10]).all() and np.isnan(r.obliquity_deg[70:]).all()
    assert np.isnan(r.obliquity_deg[40:45]).all()
    ok = np.isfinite(r.obliquity_deg)
    assert ok[10:70].sum() >= 50
    assert np.max(np.abs(r.obliquity_deg[ok] - angles[ok])) < 1.5


def test_plain_garment_and_small_walker_are_not_measured(tilting):
    """No waist edge (a plain coat: flat gray with sensor noise) or a trunk under min_trunk_px → NaN."""
    angles, frames, pose = tilting
    rng = np.random.default_rng(1)
    plain = [np.clip(100 + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8) for f in frames]
    r = _run(plain, pose, ImageObliquityConfig())
    assert np.isnan(r.obliquity_deg).all()
    r = _run(frames, pose, ImageObliquityConfig(min_trunk_px=TRUNK + 1))
    assert np.isnan(r.obliquity_deg).all()


def test_image_obliquity_reads_the_video(tmp_path, tilting):
    """End to end through the decoder (H.264 round trip, frame_index mapping)."""
    from gaitlab.video import open_writer

    angles, frames, pose = tilting
    path = tmp_path / "tilt.mp4"
    with open_writer(path, FPS, W, H, crf=12) as wr:
        for i, f in enumerate(frames):
            wr.write(np.repeat(f[..., None], 3, axis=2), t_s=i / FPS)
    r = image_obliquity(path, pose, cfg=ImageObliquityConfig(method="edge", cutoff_hz=0))
    assert np.isfinite(r.obliquity_deg).all()
    assert np.max(np.abs(r.obliquity_deg - angles)) < 1.5


@pytest.mark.slow
def test_rendered_pelvic_drop_is_followed(tmp_path):
    """A rendered front-view walker with a 12° right pelvic drop, seeded by its true landmarks (no MediaPipe):
    the waist band's tilt follows the true hip line."""
    from gaitlab.synth.gaitmodel import GaitParams, simulate
    from gaitlab.synth.patterns import PatternSpec
    from gaitlab.synth.render import RenderOptions, render_video

    walk = simulate(GaitParams(seed=3, patterns=(PatternSpec("pelvic_drop", "right", 12.0),)), fps=30, seconds=3.0)
    cam = walk.camera("front", hfov_deg=40.0, width_px=360, height_px=640)  # half size: quicker to render
    path = tmp_path / "drop.mp4"
    render_video(walk, cam, path, RenderOptions(seed=3), view="front")
    pose = walk.project(cam, labels="true")
    truth = walk.true_2d_angles(pose, cam)
    true_ob = truth[truth.side == "left"].set_index("frame").pelvic_obliquity_deg.reindex(pose.frame_index).to_numpy()
    r = image_obliquity(path, pose, np.isfinite(true_ob))
    ok = np.isfinite(r.obliquity_deg) & np.isfinite(true_ob)
    assert ok.sum() > 60
    e, t = r.obliquity_deg[ok], true_ob[ok]
    slope = np.polyfit(t - t.mean(), e - e.mean(), 1)[0]
    assert 0.8 < slope < 1.2
    assert np.corrcoef(t, e)[0, 1] > 0.9


def test_the_pipeline_file_holds_the_same_defaults_as_the_dataclass():
    from gaitlab.pipeline import load_pipeline

    assert load_pipeline().image_obliquity == ImageObliquityConfig()
