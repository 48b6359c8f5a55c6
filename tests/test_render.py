"""Rendered walker videos (gaitlab.synth.render): encoding, truth, geometry, and one real MediaPipe run."""

from __future__ import annotations

import json
from dataclasses import replace

import av
import numpy as np
import pytest

from gaitlab.model import LM
from gaitlab.synth.camera import frame_times
from gaitlab.synth.gaitmodel import GaitParams, simulate
from gaitlab.synth.patterns import PatternSpec
from gaitlab.synth.render import RenderOptions, WalkerRenderer, render_video
from gaitlab.synth.render_body import Appearance

FAST = RenderOptions(seed=3, preset="ultrafast")
#: Garments in colours no room texture has, so that "differs from the background" means "figure".
VIVID = Appearance(skin=(200, 60, 200), hair=(10, 10, 10), shirt=(30, 30, 220), bottom=(20, 20, 20), belt=(0, 0, 0),
                   shoe=(30, 200, 30), toe_cap=(20, 150, 20), heel_tab=(220, 0, 0), sole=(20, 20, 20))


@pytest.fixture(scope="module")
def walk():
    return simulate(GaitParams(seed=2, patterns=(PatternSpec("antalgic", "left"),)), fps=15, seconds=1.6)


def _decode(path):
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(st)]
        return st, frames


def test_video_decodes_at_the_right_rate_size_and_frame_count(tmp_path, walk):
    cam = walk.camera("side", width_px=320, height_px=180)
    truth = render_video(walk, cam, tmp_path / "clip.mp4", FAST, view="side")
    with av.open(str(tmp_path / "clip.mp4")) as c:
        st = c.streams.video[0]
        assert st.codec_context.name == "h264" and st.codec_context.pix_fmt == "yuv420p"
        assert st.average_rate == 15
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(st)]
    assert len(frames) == len(walk.t_s) == truth["frames"]["n"] == 24
    assert frames[0][1].shape == (180, 320, 3)
    assert np.allclose([t for t, _ in frames], walk.t_s, atol=1e-4)
    on_disk = json.loads((tmp_path / "clip.truth.json").read_text())
    for key in ("schema", "params", "patterns", "events", "strides", "summary", "render_schema", "camera", "display",
                "render", "frames", "true_passes", "landmarks_px", "angles_2d"):
        assert key in on_disk, key
    assert on_disk["patterns"] == [{"name": "antalgic", "side": "left", "magnitude": 12.0}]
    assert on_disk["camera"]["width_px"] == 320 and on_disk["view"] == "side"
    assert len(on_disk["landmarks_px"]["left_knee"]) == 24
    ang = on_disk["angles_2d"]
    assert {"frame", "side", "leg", "knee_flexion_deg", "thigh_angle_deg", "ankle_dorsiflexion_deg"} <= set(ang)
    assert len(ang["frame"]) == len(ang["knee_flexion_deg"]) > 0
    # compact: ~1.6 s at 15 fps; an 8 s clip at 30 fps stays well under 1 MB (≈ 0.13 MB)
    assert (tmp_path / "clip.truth.json").stat().st_size < 60_000


@pytest.mark.parametrize("shake_deg", [0.0, 1.5])
def test_figure_covers_the_projected_joints(walk, shake_deg):
    """The figure is drawn where the truth says the joints are (also through a shaking camera)."""
    cam = walk.camera("side", width_px=320, height_px=180)
    r = WalkerRenderer(walk, cam, replace(FAST, noise_sd=0.0, shadows=False, appearance=VIVID, shake_deg=shake_deg))
    pose = walk.project(cam, labels="true", shake=r.shake)
    checked = 0
    for i in range(len(r)):
        img, bg = r.frame(i).astype(np.float32), r.background_at(i)
        for side in ("left", "right"):
            for joint in ("hip", "knee", "ankle", "heel", "foot_index"):
                x, y = pose.landmarks[i, LM[f"{side}_{joint}"], :2]
                if not (np.isfinite(x) and 0 <= x < cam.width_px and 0 <= y < cam.height_px):
                    continue
                diff = np.abs(img[int(y), int(x)] - bg[int(y), int(x)]).max()
                assert diff > 40.0, (i, side, joint, diff)
                checked += 1
    assert checked > 100


def test_portrait_mirrored_vfr_clip_reads_back_upright(tmp_path):
    """Rotation metadata, mirroring and variable frame rate survive the round trip through gaitlab.video."""
    from gaitlab.pipeline import load_pipeline
    from gaitlab.video import iter_frames, probe

    t = frame_times(15, 2.2, vfr_jitter=0.15, seed=4)  # probe() wants ≥ 2 s and ≥ 30 frames
    w = simulate(GaitParams(seed=1), t)
    cam = w.camera("front", width_px=180, height_px=320, mirrored=True, distance_m=4.0)
    opt = replace(FAST, crf=12, appearance=Appearance())
    render_video(w, cam, tmp_path / "p.mp4", opt)
    info = probe(tmp_path / "p.mp4", load_pipeline().video)
    assert (info.rotation_deg, info.mirrored, info.width_px, info.height_px) == (90, True, 180, 320)
    decoded = list(iter_frames(info))
    assert np.allclose([f.t_s for f in decoded], t - t[0], atol=2e-4)
    expected = list(WalkerRenderer(w, cam, opt))  # the same frames as displayed (same seed → same noise)
    for k in (0, len(t) // 2, len(t) - 1):
        err = decoded[k].image.astype(float) - expected[k].astype(float)
        psnr = 10 * np.log10(255.0 ** 2 / np.mean(err ** 2))
        assert psnr > 30, (k, psnr)


def test_synth_cli_renders_video_by_default(tmp_path, capsys):
    from gaitlab.cli import main

    out = tmp_path / "clip.mp4"
    rc = main(["synth", "--pattern", "antalgic", "--side", "left", "--view", "side", "--seconds", "1.2", "--fps", "10",
               "--seed", "1", "--width", "320", "--height", "180", "--out", str(out)])
    assert rc == 0 and out.exists()
    truth = json.loads(out.with_name("clip.truth.json").read_text())
    assert truth["patterns"][0]["side"] == "left" and truth["video"] == "clip.mp4" and truth["frames"]["n"] == 12
    assert "clip.mp4" in capsys.readouterr().out


#: Near-leg knee flexion RMSE through gaitlab on this rendered 640×360 side view (seed 1) against the truth:
#: measured 5.9° (seeds 2 and 3: 4.8°, 8.3°; 5–7° at 1280×720 in benchmarks/bench_render.py, the issue-6
#: probe 7.5°). The bound leaves room for MediaPipe, model and pipeline changes.
NEAR_KNEE_RMSE_MAX_DEG = 8.5


@pytest.mark.slow
def test_mediapipe_finds_the_rendered_walker_and_its_near_knee(tmp_path):
    from gaitlab.analysis import analyze

    w = simulate(GaitParams(seed=1), fps=30, seconds=5.0)
    cam = w.camera("side", width_px=640, height_px=360)
    render_video(w, cam, tmp_path / "side.mp4", RenderOptions(seed=1, preset="veryfast"))
    res = analyze(tmp_path / "side.mp4", use_cache=False)
    usable = [p for p in res.passes if p.usable and p.view == "sagittal"]
    assert usable and all(p.direction == "right" and p.near_side == "right" for p in usable)
    true_pose = w.project(cam, labels="true")
    truth = w.true_2d_angles(true_pose, cam)
    xy = true_pose.landmarks[..., :2]
    whole = ((xy[..., 0] >= 0) & (xy[..., 0] < 640) & (xy[..., 1] >= 0) & (xy[..., 1] < 360)).all(1)
    tr = truth[(truth.side == "right")]
    k = res.kinematics[(res.kinematics.side == "right") & (res.kinematics.leg == "near")].dropna(subset=["knee_flexion_deg"])
    tv = np.interp(k.time_s, tr.time_s, tr.knee_flexion_deg)
    frame = np.clip(np.round(k.time_s.to_numpy() * 30).astype(int), 0, len(whole) - 1)
    m = whole[frame]
    assert m.sum() > 40
    rmse = float(np.sqrt(np.mean((k.knee_flexion_deg.to_numpy()[m] - tv[m]) ** 2)))
    assert rmse < NEAR_KNEE_RMSE_MAX_DEG, rmse
