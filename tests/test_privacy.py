"""Privacy by default: faces pixelated (blocks ≥ 16 px) in the overlay and key frames, found again by
nobody; --no-blur leaves them; no location/device metadata copied into written media."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import matplotlib
import numpy as np
import pandas as pd
import pytest

from gaitlab.model import LM
from gaitlab.report import FLAG_COLUMNS, write_report_files
from gaitlab.report.privacy import (FACE_STRIDE, MIN_BLOCK_PX, pixelate, walker_head_boxes,
                                    with_face_boxes)
from gaitlab.video import open_writer

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "walk_side.mp4"
#: Frames of the sample copied into the face clip (the walker is in view from frame 25).
N_FRAMES = 120


# ------------------------------------------------------------------------------------------ units
def test_pixelate_blocks_are_uniform_and_at_least_16_px():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    before = img.copy()
    pixelate(img, [(40, 30, 140, 130)])
    box = img[30:130, 40:140]
    assert not np.array_equal(box, before[30:130, 40:140])
    block = max(MIN_BLOCK_PX, 25)
    for y in range(0, 100, block):
        for x in range(0, 100, block):
            cell = box[y:y + block, x:x + block].reshape(-1, 3)
            assert (cell == cell[0]).all()
    assert np.array_equal(img[:30], before[:30]) and np.array_equal(img[:, 140:], before[:, 140:])
    small = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    pixelate(small, [(0, 0, 40, 40)])
    assert (small[:16, :16].reshape(-1, 3) == small[0, 0]).all()  # a small face still gets 16 px blocks


def _profile_landmarks() -> np.ndarray:
    """A walker facing right: nose ahead, only the left eye/ear visible (others on top of them)."""
    lm = np.full((33, 4), np.nan)
    head = {"nose": (530, 200), "left_eye_inner": (522, 190), "left_eye": (520, 190), "left_eye_outer": (517, 190),
            "right_eye_inner": (523, 191), "right_eye": (521, 191), "right_eye_outer": (518, 191),
            "left_ear": (495, 195), "right_ear": (497, 196), "mouth_left": (522, 215), "mouth_right": (523, 215)}
    for name, xy in head.items():
        lm[LM[name], :2] = xy
    for name, xy in {"left_shoulder": (500, 260), "right_shoulder": (502, 262), "left_hip": (500, 420),
                     "right_hip": (502, 421)}.items():
        lm[LM[name], :2] = xy
    return lm


def test_walker_head_box_covers_a_profile_and_bridges_lost_frames():
    lm = np.stack([_profile_landmarks(), np.full((33, 4), np.nan), _profile_landmarks()])
    lm[2, :, 0] += 10
    boxes = walker_head_boxes(lm, np.array([0.0, 1 / 30, 2 / 30]))
    x0, y0, x1, y1 = boxes[0]
    # torso 160 px ≈ 50 cm: the back of the skull (≈ 10 cm behind the ear), the top of the head
    # (≈ 12 cm above the eyes), the chin (≈ 5 cm below the mouth) and the nose tip must be inside
    torso = 160
    assert x0 <= 495 - 0.2 * torso and x1 >= 530 + 0.04 * torso
    assert y0 <= 190 - 0.24 * torso and y1 >= 215 + 0.1 * torso
    assert np.isfinite(boxes[1]).all() and boxes[1][2] - boxes[1][0] >= x1 - x0  # lost frame borrows, grown


def test_face_boxes_cover_the_frames_between_detections():
    calls = []

    def detector(img):
        calls.append(int(img[0, 0, 0]))
        return [(10 * int(img[0, 0, 0]), 0, 10 * int(img[0, 0, 0]) + 20, 20)]

    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(2 * FACE_STRIDE + 2)]
    out = list(with_face_boxes(frames, detector, fps=FACE_STRIDE, image=lambda f: f))  # persist 1 s = 1 stride
    assert [int(f[0, 0, 0]) for f, _ in out] == list(range(len(frames)))
    assert calls == list(range(0, len(frames), FACE_STRIDE))
    for f, boxes in out:
        i = int(f[0, 0, 0])
        assert boxes, i
        lefts = sorted(b[0] for b in boxes)
        nxt = -(-i // FACE_STRIDE) * FACE_STRIDE  # the next detection frame (or this one)
        if nxt < len(frames):
            assert any(abs(x - (10 * nxt - 7)) <= 1 for x in lefts)  # grown by the motion margin
        if i >= FACE_STRIDE:  # the previous detection persists
            prev = (i - 1) // FACE_STRIDE * FACE_STRIDE
            assert any(abs(x - (10 * prev - 7)) <= 1 for x in lefts)


def test_a_missed_face_stays_covered_and_a_moved_one_is_not_smeared():
    seen = {0: [(0, 0, 20, 20)], 3: [], 6: [(10, 0, 30, 20)], 9: [(200, 0, 220, 20)], 12: []}
    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(13)]
    out = {int(f[0, 0, 0]): b for f, b in with_face_boxes(frames, lambda img: seen[int(img[0, 0, 0])], fps=30.0,
                                                          image=lambda f: f)}
    assert any(b[0] <= 0 for b in out[4])  # detector missed at frame 3: the frame-0 box is kept
    assert not any(b[0] < 0 for b in out[10])  # found again at frame 6 nearby: the old box is dropped
    assert any(b[0] > 150 for b in out[12])


def test_overlapping_boxes_are_pixelated_on_one_grid():
    from gaitlab.report.privacy import merge_boxes

    assert merge_boxes([(0, 0, 50, 50), (40, 40, 90, 90), (200, 200, 210, 210)]) == [(0, 0, 90, 90), (200, 200, 210, 210)]


# ------------------------------------------------------------------------------- the face clip
def _face_image() -> np.ndarray:
    img = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def face_clip(tmp_path_factory):
    """The sample's first frames with a real face (matplotlib's sample photo) drifting across the
    background, tagged with location and device metadata."""
    face = cv2.resize(_face_image(), (220, 258), interpolation=cv2.INTER_AREA)
    path = tmp_path_factory.mktemp("faces") / "faces.mp4"
    with av.open(str(SAMPLE)) as src, open_writer(path, 30.0, 1280, 720, crf=18, preset="ultrafast", metadata={
            "location": "+48.8584+002.2945/", "com.apple.quicktime.make": "Apple",
            "com.apple.quicktime.model": "iPhone 15"}) as w:
        for i, frame in enumerate(src.decode(video=0)):
            if i >= N_FRAMES:
                break
            img = frame.to_ndarray(format="rgb24")
            x = 880 + (i % 40) * 2
            img[40:298, x:x + 220] = face
            w.write(img, t_s=i / 30.0)
    return path


@pytest.fixture(scope="module")
def sample_analysis():
    from gaitlab.analysis import analyze

    return analyze(SAMPLE)


def _detector():
    from gaitlab.report.privacy import FaceDetector

    return FaceDetector(min_confidence=0.5)


def _frames(path: Path, step: int = 1) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i % step == 0]


def _with_flag(analysis, frame: int):
    row = dict.fromkeys(FLAG_COLUMNS, "")
    row.update(flag_id="knee_guarding", name="Knee guarding", side="right", status="flagged", severity="marked",
               metric="knee_flex_loading_deg", value=4.2, ci_low=2.5, ci_high=5.9, n=4, unit="deg",
               threshold_possible=10.0, threshold_marked=5.0, normal_low=15.0, normal_high=20.0, mechanisms="M1",
               explanation="test row", evidence_strides="pass 3 right stride 0", evidence_frames="60-75",
               key_frame=frame)
    analysis.flags = pd.DataFrame([row], columns=list(FLAG_COLUMNS))
    return analysis


@pytest.fixture(scope="module")
def blurred(face_clip, sample_analysis, tmp_path_factory):
    out = tmp_path_factory.mktemp("blurred")
    write_report_files(_with_flag(sample_analysis, 67), out, video_path=face_clip, blur=True)
    return out


#: Share of pixels with image detail (|Laplacian| > 8 after a 3×3 blur) in the central half of a face
#: box (eyes, nose, mouth). Real faces in the face clip measured ≥ 0.23 on the whole box; the smooth
#: mosaic of a pixelated head ≈ 0.1 (block edges and video noise).
FACE_DETAIL = 0.18


def _detail(img: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(v) for v in box)
    dx, dy = (x1 - x0) // 4, (y1 - y0) // 4
    x0, y0, x1, y1 = max(0, x0 + dx), max(0, y0 + dy), max(0, x1 - dx), max(0, y1 - dy)
    gray = cv2.cvtColor(np.ascontiguousarray(img[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    lap = np.abs(cv2.Laplacian(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_32F))
    return float((lap > 8).mean()) if lap.size else 0.0


@pytest.fixture(scope="module")
def source_faces(face_clip):
    """Face boxes the detector finds in each source frame."""
    with _detector() as fd:
        return [fd(img) for img in _frames(face_clip)]


@pytest.mark.slow
def test_the_source_shows_faces(face_clip, source_faces):
    frames = _frames(face_clip)
    with_detail = [any(_detail(img, b) >= FACE_DETAIL for b in boxes) for img, boxes in zip(frames, source_faces)]
    assert sum(with_detail) >= 0.9 * N_FRAMES  # the checks below can fail


@pytest.mark.slow
def test_no_face_survives_in_overlay_and_key_frames(blurred, source_faces):
    """Where the source shows a face, the overlay shows no face detail (the central half of every source
    face box is smooth mosaic); the detector finds nothing in the key frames and, in the overlay, fires
    in at most 2 % of frames (it did on the mosaic of the walker's head above the shoulders and skeleton
    lines, 1–2 frames of 120: no face pixels there), against every source frame."""
    frames = _frames(blurred / "overlay.mp4")
    assert len(frames) == N_FRAMES
    for i, (img, boxes) in enumerate(zip(frames, source_faces)):
        for b in boxes:
            assert _detail(img, b) < FACE_DETAIL, (i, b)
    keyframes = sorted((blurred / "keyframes").glob("*.png"))
    assert {p.stem for p in keyframes} >= {"knee_guarding_right", "tracking_check"}
    with _detector() as fd:
        hits = [i for i, img in enumerate(frames) if fd(img)]
        assert len(hits) <= 0.02 * N_FRAMES, hits
        for p in keyframes:
            assert fd(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)) == [], p.name


@pytest.mark.slow
def test_no_location_or_device_metadata_is_copied(face_clip, blurred):
    with av.open(str(face_clip)) as c:
        assert any("location" in k for k in c.metadata)  # the source does carry it
    with av.open(str(blurred / "overlay.mp4")) as c:
        tags = {k.lower(): v for k, v in c.metadata.items()} | {k.lower(): v for k, v in c.streams.video[0].metadata.items()}
    assert not [k for k in tags if any(w in k for w in ("location", "make", "model", "gps", "creation"))]
    assert "Apple" not in (blurred / "overlay.mp4").read_bytes()[:4096].decode("latin-1")
    for p in (blurred / "keyframes").glob("*.png"):
        data = p.read_bytes()
        assert not any(chunk in data for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"))


@pytest.mark.slow
def test_no_blur_keeps_the_faces(face_clip, sample_analysis, tmp_path):
    write_report_files(_with_flag(sample_analysis, 67), tmp_path, video_path=face_clip, blur=False)
    with _detector() as fd:
        found = [[_detail(img, b) for b in fd(img)] for img in _frames(tmp_path / "overlay.mp4", 10)]
    assert sum(any(d >= FACE_DETAIL for d in f) for f in found) >= 10
    assert "faces NOT pixelated" in (tmp_path / "report.html").read_text(encoding="utf-8")
