"""gaitlab.video: probing, upright frame iteration, timestamps, damaged files, writer.

Every clip is built by the test itself (tests/clipmaker.py) in tmp_path: 160×96 px, 1–3 s.
"""

from __future__ import annotations

import dataclasses
import struct

import cv2
import numpy as np
import pytest

from clipmaker import BACKGROUND, MARKER_PX, displayed_frame, make_clip
from gaitlab.errors import ConfigError, NotAVideoError, VideoDecodeError
from gaitlab.pipeline import load_pipeline
from gaitlab.video import _hdr_lut, iter_frames, open_writer, probe
from gaitlab.video_probe import _timing, display_orientation, sniff

CFG = load_pipeline().video
# 1×1 GIF89a (header, colour table, graphic control, image descriptor, LZW data, trailer).
GIF_1PX = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
           b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def marker_corner(image: np.ndarray) -> str:
    """Which corner holds the white marker square: 'tl', 'tr', 'bl' or 'br'."""
    m = MARKER_PX // 2
    corners = {"tl": image[:m, :m], "tr": image[:m, -m:], "bl": image[-m:, :m], "br": image[-m:, -m:]}
    return max(corners, key=lambda k: corners[k].mean())


# --------------------------------------------------------------------------- orientation


@pytest.mark.parametrize(("rotation", "mirrored"), [(90, False), (180, False), (270, False), (0, True), (90, True)])
def test_rotation_and_mirroring_give_upright_frames(tmp_path, rotation, mirrored):
    path = make_clip(tmp_path / "c.mp4", width=96, height=160, rotation_deg=rotation, mirrored=mirrored,
                     duration_s=2.5)
    info = probe(path, CFG)
    assert (info.rotation_deg, info.mirrored) == (rotation, mirrored)
    assert (info.width_px, info.height_px) == (96, 160)
    stored = (160, 96) if rotation in (90, 270) else (96, 160)
    assert (info.coded_width_px, info.coded_height_px) == stored
    with iter_frames(info) as frames:
        frame = next(frames)
    assert frame.image.shape == (160, 96, 3) and frame.image.flags.c_contiguous
    assert marker_corner(frame.image) == "tl"
    assert np.abs(frame.image.astype(int) - displayed_frame(0, 96, 160)).mean() < 3


def test_display_matrix_decomposition():
    one = 1 << 16
    w = 1 << 30
    assert display_orientation([0, one, 0, -one, 0, 0, 0, 0, w]) == (90, False)  # iPhone portrait
    assert display_orientation([0, -one, 0, one, 0, 0, 0, 0, w]) == (270, False)
    assert display_orientation([-one, 0, 0, 0, -one, 0, 0, 0, w]) == (180, False)
    assert display_orientation([-one, 0, 0, 0, one, 0, 0, 0, w]) == (0, True)  # front camera, mirrored
    assert display_orientation([one, 0, 0, 0, -one, 0, 0, 0, w]) == (180, True)  # vertical flip
    assert display_orientation([0, -one, 0, -one, 0, 0, 0, 0, w]) == (270, True)


# --------------------------------------------------------------------------- timing


def test_variable_frame_rate_times_follow_pts(tmp_path):
    rng = np.random.default_rng(1)
    times = np.concatenate([[0.0], np.cumsum(rng.choice([1 / 30, 1 / 24, 1 / 60], size=80))])
    info = probe(make_clip(tmp_path / "vfr.mp4", times_s=times), CFG)
    assert info.vfr
    got = np.array([f.t_s for f in iter_frames(info)])
    assert got.shape == times.shape
    np.testing.assert_allclose(got, times, atol=1e-4)
    assert info.avg_fps == pytest.approx(len(times) / info.duration_s, rel=1e-6)
    assert info.duration_s == pytest.approx(times[-1], abs=1 / 24)


def test_matroska_timestamps_are_scanned(tmp_path):
    info = probe(make_clip(tmp_path / "c.mkv", duration_s=3.0), CFG)  # no full index: packets are demuxed
    assert info.container == "matroska" and info.n_frames == 90 and not info.vfr
    assert info.avg_fps == pytest.approx(30, rel=0.01) and info.duration_s == pytest.approx(3.0, abs=0.05)


def test_60_fps(tmp_path):
    info = probe(make_clip(tmp_path / "60.mp4", fps=60, duration_s=2.5), CFG)
    assert info.avg_fps == pytest.approx(60, rel=1e-3) and not info.vfr
    assert info.n_frames == 150 and info.duration_s == pytest.approx(2.5, abs=0.02)
    t = np.array([f.t_s for f in iter_frames(info)])
    np.testing.assert_allclose(np.diff(t), 1 / 60, atol=1e-4)


def test_capture_fps_and_time_scale_give_real_time(tmp_path):
    path = make_clip(tmp_path / "slow.mp4", duration_s=3.0)
    cfg = dataclasses.replace(CFG, min_duration_s=0.3)
    info = probe(path, cfg, capture_fps=240)
    assert info.time_scale == pytest.approx(0.125) and info.capture_fps == 240
    assert info.duration_s == pytest.approx(0.375, abs=0.01) and info.real_fps == pytest.approx(240, rel=1e-3)
    t = [f.t_s for f in iter_frames(info)]
    assert t[1] - t[0] == pytest.approx(1 / 240, abs=1e-5)
    assert probe(path, cfg, capture_fps=240, time_scale=0.5).time_scale == 0.5  # explicit time_scale wins
    with pytest.raises(NotAVideoError, match="0.4 s long"):  # a slowed 3 s clip is 0.375 s of walking
        probe(path, CFG, capture_fps=240)
    for bad in ({"capture_fps": 0}, {"time_scale": -1.0}):
        with pytest.raises(ConfigError, match="positive number"):
            probe(path, cfg, **bad)


def test_android_slow_motion_tag(tmp_path):
    path = make_clip(tmp_path / "android.mp4", metadata={"com.android.capture.fps": "120.000000"})
    info = probe(path, dataclasses.replace(CFG, min_duration_s=0.5))
    assert info.capture_fps == 120 and info.time_scale == pytest.approx(0.25)
    assert any("slow-motion" in w and "real" in w for w in info.warnings)
    same_rate = make_clip(tmp_path / "hfr.mp4", metadata={"com.android.capture.fps": "30.000000"})
    info = probe(same_rate, CFG)  # capture rate = stored rate: ordinary clip
    assert info.capture_fps is None and info.time_scale == 1.0


def test_apple_slow_motion_original_keeps_real_time():
    capture, scale, warnings = _timing(240.0, {"com.apple.quicktime.full-frame-rate-playback-intent": "0"},
                                       None, None, CFG)
    assert (capture, scale) == (240.0, 1.0) and "real time" in warnings[0]
    assert _timing(240.0, {}, None, None, CFG) == (None, 1.0, [])  # high frame rate alone is not slow motion


# --------------------------------------------------------------------------- colour


def test_ten_bit_decodes_to_correct_8_bit(tmp_path):
    path = make_clip(tmp_path / "10.mp4", bit_depth=10, duration_s=2.5)
    info = probe(path, CFG)
    assert info.bit_depth == 10 and info.pix_fmt.startswith("yuv420p10") and info.hdr_transfer is None
    image = next(iter(iter_frames(info))).image
    assert image.dtype == np.uint8
    assert abs(int(image[MARKER_PX + 8:, 2:8].mean()) - BACKGROUND) <= 3 and image[:8, :8].mean() > 245


@pytest.mark.parametrize("transfer", ["arib-std-b67", "smpte2084"])
def test_hdr_clip_is_tone_mapped_with_warning(tmp_path, transfer):
    path = make_clip(tmp_path / "hdr.mp4", bit_depth=10, hdr_transfer=transfer, duration_s=2.5)
    info = probe(path, CFG)
    assert info.hdr_transfer == transfer
    assert any("HDR" in w and "tone-mapped" in w and "record in SDR" in w for w in info.warnings)
    image = next(iter(iter_frames(info, max_side_px=80))).image
    assert image.shape == (48, 80, 3) and image.dtype == np.uint8
    assert image[:4, :4].mean() > image[-4:, -4:].mean()  # marker still brighter than background
    plain = probe(path, dataclasses.replace(CFG, hdr_tonemap=False))
    assert any("without tone mapping" in w for w in plain.warnings)
    assert next(iter(iter_frames(plain))).image.dtype == np.uint8


def test_hdr_tone_curve():
    for transfer in ("smpte2084", "arib-std-b67"):
        lut = _hdr_lut(transfer, 203.0, 0.75)
        assert lut[0] == 0 and np.all(np.diff(lut.astype(int)) >= 0) and lut[-1] >= 250
    pq = _hdr_lut("smpte2084", 203.0, 0.75)
    code_100_nits = round(0.5081 * 65535)  # ST 2084: 100 cd/m² ↔ signal 0.5081
    assert pq[code_100_nits] == pytest.approx(255 * (100 / 203) ** (1 / 2.4), abs=2)  # below the knee: unchanged
    hlg = _hdr_lut("arib-std-b67", 203.0, 0.75)
    assert 235 <= hlg[round(0.75 * 65535)] < 255  # HLG reference white (75 %) sits just under SDR white


# --------------------------------------------------------------------------- not a video


def test_image_and_text_files_named_mp4_are_rejected(tmp_path):
    ok, png = cv2.imencode(".png", np.zeros((16, 16, 3), np.uint8))
    ok2, jpg = cv2.imencode(".jpg", np.zeros((16, 16, 3), np.uint8))
    assert ok and ok2
    files = {
        "png.mp4": (png.tobytes(), "PNG image"),
        "jpg.mp4": (jpg.tobytes(), "JPEG image"),
        "anim.gif": (GIF_1PX, "GIF image"),
        "notes.mp4": ("Gait notes: patient walked 3 passes.\n".encode() * 10, "text file"),
        "empty.mp4": (b"", "empty file"),
    }
    for name, (data, what) in files.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(NotAVideoError) as err:
            probe(tmp_path / name, CFG)
        assert f"{name} is not a video (looks like" in str(err.value) and what in str(err.value)
        assert "export the clip as MP4/MOV" in str(err.value)


def test_audio_only_files_are_not_videos(tmp_path):
    import av

    for name in ("voice.m4a", "voice.mp4"):
        with av.open(str(tmp_path / name), "w") as out:
            stream = out.add_stream("aac", rate=44100)
            for i in range(30):
                frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
                frame.sample_rate, frame.pts = 44100, i * 1024
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
    with pytest.raises(NotAVideoError, match="audio file.*export the clip"):
        probe(tmp_path / "voice.m4a", CFG)  # recognised by its ftyp brand
    with pytest.raises(NotAVideoError, match="no video stream.*audio file.*video clip"):
        probe(tmp_path / "voice.mp4", CFG)  # recognised by the probe


def test_too_short_and_single_frame_clips(tmp_path):
    with pytest.raises(NotAVideoError, match=r"clip is 1\.0 s long; gaitlab needs at least 2 s.*record a longer"):
        probe(make_clip(tmp_path / "short.mp4", duration_s=1.0), CFG)
    with pytest.raises(NotAVideoError, match="single still image.*record a video"):
        probe(make_clip(tmp_path / "still.mp4", times_s=[0.0]), CFG)
    with pytest.raises(NotAVideoError, match="only 25 frames.*at least 30"):
        probe(make_clip(tmp_path / "slow.mp4", fps=10, duration_s=2.5), CFG)
    with pytest.raises(NotAVideoError, match="does not exist"):
        probe(tmp_path / "missing.mp4", CFG)


def test_sniff_signatures():
    assert sniff(b"\x1a\x45\xdf\xa3" + b"\x00" * 20 + b"webm").kind == "webm"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00").is_video is False
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00").kind == "mov"
    assert sniff(b"RIFF\x00\x00\x00\x00AVI LIST").kind == "avi"
    ts = bytearray(400)
    ts[0] = ts[188] = 0x47
    assert sniff(bytes(ts)).kind == "mpegts"
    assert sniff(b"<!DOCTYPE html><html>").description.startswith("an HTML")
    assert sniff(bytes(range(256))) is None  # unknown binary: left to FFmpeg


# --------------------------------------------------------------------------- damaged files


def test_truncated_file_decodes_what_it_can(tmp_path):
    path = make_clip(tmp_path / "full.mp4", duration_s=3.0, gop=10)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    info = probe(cut, CFG)  # the index (moov, written first) still declares 3 s
    assert info.duration_s == pytest.approx(3.0, abs=0.05)
    frames = iter_frames(info)
    n = sum(1 for _ in frames)
    assert 0 < n < 90 and frames.frames_decoded == n
    assert any(w.startswith("file ends at") and "of 3.0 s; analysing what decodes" in w for w in frames.warnings)
    assert frames.warnings[-1] in info.warnings

    stub = tmp_path / "stub.mp4"
    stub.write_bytes(data[: int(len(data) * 0.02)])
    with pytest.raises((VideoDecodeError, NotAVideoError)) as err:
        list(iter_frames(probe(stub, CFG)))
    assert "copy it again" in str(err.value) or "re-export" in str(err.value)


def test_corrupt_packets_are_skipped(tmp_path):
    path = make_clip(tmp_path / "ok.mp4", duration_s=3.0, gop=10)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    for where in (0.45, 0.6, 0.75):  # inside the media data (the index is at the start)
        at = int(len(data) * where)
        data[at:at + 200] = rng.integers(0, 256, 200, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    info = probe(bad, CFG)
    frames = iter_frames(info)
    decoded = [(f.index, f.t_s) for f in frames]
    index, t = np.array(decoded).T
    assert len(t) >= 45 and np.all(np.diff(t) > 0) and np.all(np.diff(index) >= 1) and index[-1] <= 89
    assert frames.skipped > 0
    later = [(f.index, f.t_s) for f in iter_frames(info, start_s=1.5)]
    assert later == [d for d in decoded if d[1] >= 1.5]  # same frame numbers when decoding a chunk
    assert any(w.startswith(f"{frames.skipped} damaged") and "copy the file again" in w for w in frames.warnings)


def test_probe_timeout_is_reported(tmp_path):
    path = make_clip(tmp_path / "c.mp4", duration_s=2.5)
    with pytest.raises(VideoDecodeError, match="took longer than.*re-export"):
        probe(path, dataclasses.replace(CFG, probe_timeout_s=0.001))


# --------------------------------------------------------------------------- sizes and chunks


def test_downscale(tmp_path):
    info = probe(make_clip(tmp_path / "land.mp4", duration_s=2.5), CFG)
    frame = next(iter(iter_frames(info, max_side_px=80)))
    assert frame.image.shape == (48, 80, 3) and frame.scale == 0.5
    assert next(iter(iter_frames(info, max_side_px=400))).image.shape == (96, 160, 3)  # never upscaled
    portrait = probe(make_clip(tmp_path / "port.mp4", width=96, height=160, rotation_deg=90, duration_s=2.5), CFG)
    frame = next(iter(iter_frames(portrait, max_side_px=80)))
    assert frame.image.shape == (80, 48, 3) and marker_corner(frame.image) == "tl"


@pytest.mark.parametrize("variable_rate", [False, True])
def test_chunks_match_a_full_pass(tmp_path, variable_rate):
    rng = np.random.default_rng(2)
    times = np.cumsum(np.r_[0, rng.uniform(0.02, 0.045, 89)]) * 3.0 / 2.9 if variable_rate else None
    info = probe(make_clip(tmp_path / "gop.mp4", duration_s=3.0, times_s=times, gop=12), CFG)
    full = list(iter_frames(info))
    bounds = [0.0, 1.0, 1.7, 2.35, None]
    chunks = [list(iter_frames(info, start_s=a, end_s=b)) for a, b in zip(bounds[:-1], bounds[1:])]
    joined = [f for chunk in chunks for f in chunk]
    assert [f.t_s for f in joined] == [f.t_s for f in full]
    assert [f.index for f in joined] == [f.index for f in full] == list(range(90))  # global frame numbers
    assert all(np.array_equal(a.image, b.image) for a, b in zip(joined, full))
    assert chunks[1][0].t_s >= 1.0 > full[chunks[1][0].index - 1].t_s
    with pytest.raises(ConfigError, match="must be after"):
        iter_frames(info, start_s=2.0, end_s=1.0)


# --------------------------------------------------------------------------- writer


def test_writer_pads_odd_sizes_and_checks_times(tmp_path):
    path = tmp_path / "odd.mp4"
    with open_writer(path, 30, 75, 41) as writer:
        for i in range(75):
            writer.write(displayed_frame(i, 75, 41))
        with pytest.raises(ValueError, match="must increase"):
            writer.write(displayed_frame(0, 75, 41), t_s=0.5)
    assert writer.codec == "libx264" and not writer.warnings
    info = probe(path, CFG)
    assert (info.width_px, info.height_px, info.n_frames) == (76, 42, 75)
    with pytest.raises(RuntimeError):
        with open_writer(tmp_path / "aborted.mp4", 30, 16, 16) as writer:
            writer.write(np.zeros((16, 16, 3), np.uint8))
            raise RuntimeError("interrupted")
    assert not list(tmp_path.glob("*aborted*"))  # no half-written file left behind


def test_written_display_matrix_is_standard(tmp_path):
    import av

    path = make_clip(tmp_path / "p.mp4", width=96, height=160, rotation_deg=90, duration_s=2.5)
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        sides = [bytes(s) for s in frame.side_data if s.type.name == "DISPLAYMATRIX"]
    assert struct.unpack("=9i", sides[0])[:5] == (0, 1 << 16, 0, -(1 << 16), 0)  # as an iPhone writes portrait
    assert frame.rotation == -90  # FFmpeg: rotate 90° clockwise to display


# --------------------------------------------------------------------------- real clip


@pytest.mark.shared
def test_real_vp9_clip(shared):
    info = probe(shared("videos/sports2d/demo_current.mp4"), CFG)
    assert info.codec == "vp9" and (info.width_px, info.height_px) == (1768, 994)
    assert info.avg_fps == pytest.approx(30, rel=1e-3) and info.duration_s == pytest.approx(7.7, abs=0.1)
    assert info.rotation_deg == 0 and not info.mirrored and not info.vfr and info.time_scale == 1.0
    with iter_frames(info, max_side_px=640) as frames:
        first = [next(frames) for _ in range(3)]
    assert first[0].image.shape == (360, 640, 3)
    assert [f.t_s for f in first] == pytest.approx([0, 1 / 30, 2 / 30])
