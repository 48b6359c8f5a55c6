"""Two-clip session report: flags measured on the front clip show their key frame in the one report, drawn
from the front video with the front analysis' landmarks, faces pixelated; every flag row names its clip.

The session is built without MediaPipe: the rendered samples' true landmarks (``*.truth.json``) stand in for
pose, frame for frame, so the key frames are drawn on the real sample videos. With 2 frontal strides per side
in 8 s, angle metrics need ``min_strides_angles = 2`` (default 3) to be decided."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from gaitlab.model import LM, N_LANDMARKS, PoseSequence
from gaitlab.pipeline import load_pipeline

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
SIDE, FRONT = SAMPLES / "normal_side.mp4", SAMPLES / "pelvic_drop_right_front.mp4"
#: The front sample's lateral trunk lean toward the right (truth: 8°) is the frontal flag raised.
FLAG = "lateral_trunk_lean_right"


def truth_pose(video: Path) -> PoseSequence:
    """The true 2D landmarks of a rendered sample (displayed image px, subject's sides) as a pose sequence."""
    t = json.loads(video.with_name(video.stem + ".truth.json").read_text(encoding="utf-8"))
    ts = np.asarray(t["frames"]["time_s"]) - t["frames"]["video_time_offset_s"]
    lm = np.full((len(ts), N_LANDMARKS, 4), np.nan)
    for name, points in t["landmarks_px"].items():
        for i, p in enumerate(points):
            if p is not None:
                lm[i, LM[name]] = (p[0], p[1], 0.0, 1.0)
    return PoseSequence(t_s=ts, landmarks=lm, width_px=t["camera"]["width_px"], height_px=t["camera"]["height_px"],
                        frame_index=np.arange(len(ts)), fps=t["frames"]["fps_nominal"], backend="truth")


@pytest.fixture(scope="module")
def session():
    from gaitlab.session import analyze_session

    cfg = load_pipeline(None)
    cfg = dataclasses.replace(cfg, metrics=dataclasses.replace(cfg.metrics, min_strides_angles=2))
    return analyze_session(side_pose=truth_pose(SIDE), front_pose=truth_pose(FRONT), pipeline=cfg)


def _row(flags: pd.DataFrame, name: str) -> pd.Series:
    return flags[flags.flag_id + "_" + flags.side == name].iloc[0]


def _frame(video: Path, index: int) -> np.ndarray:
    from gaitlab.video import iter_frames, probe

    frames = iter_frames(probe(video, load_pipeline(None).video))
    try:
        for fr in frames:
            if fr.index == index:
                return np.ascontiguousarray(fr.image)
    finally:
        frames.close()
    raise AssertionError(f"frame {index} not in {video.name}")


def _detector():
    from gaitlab.report.privacy import FaceDetector

    return FaceDetector(min_confidence=0.5)


def _png(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


# ------------------------------------------------------------------------------------ fast (no video)
def test_every_flag_row_names_the_clip_its_frames_index(session):
    from gaitlab.patterns.frontal import frontal_flags

    flags = session.flags
    front_ids = {f.flag_id for f in frontal_flags(session.front.metrics, session.front.strides, session.config.flags)}
    assert set(flags["clip"]) == {"side", "front"}
    assert (flags["clip"] == np.where(flags.flag_id.isin(front_ids), "front", "side")).all()
    hit = _row(flags, FLAG)
    assert hit.status == "flagged" and hit["clip"] == "front" and hit.key_frame >= 0
    first, last = (int(v) for v in hit.evidence_frames.split(";")[0].split("-"))  # the worst stride's frames
    s = session.front.strides
    worst = s[(s.side == "right") & (s.first_frame == first) & (s.last_frame == last)]
    assert len(worst) == 1 and worst.view.iloc[0] in ("frontal_toward", "frontal_away")
    assert first <= hit.key_frame <= last
    assert set(session.front.flags["clip"]) == {""}  # a one-clip analysis: its own clip


def test_key_frame_requests_are_split_by_clip(session):
    from gaitlab.report import _requests

    side = {r.name for r in _requests(session, session.flags, "side")[0]}
    front = {r.name: r for r in _requests(session.front, session.flags, "front")[0]}
    assert FLAG not in side and "tracking_check" in side
    assert set(front) == {FLAG} and front[FLAG].frame == int(_row(session.flags, FLAG).key_frame)
    assert front[FLAG].kind == "trunk"


def test_without_the_front_video_the_report_says_why(session, tmp_path):
    from gaitlab.report import write_report_files

    write_report_files(session, tmp_path, video_path=None)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    article = html[html.index('id="flag-lateral_trunk_lean-right"'):]
    article = article[:article.index("</article>")]
    assert "measured on the front clip, whose video was not available" in article and "<img" not in article
    assert "front clip frames 70–109" in article


# --------------------------------------------------------------------- slow (video decoding, face detection)
@pytest.fixture(scope="module")
def written(session, tmp_path_factory):
    from gaitlab.export import write_outputs

    out = tmp_path_factory.mktemp("session") / "out"
    write_outputs(session, out, video_path=SIDE, front_video_path=FRONT, blur=True, overlay=False)
    return out


def _match(template: np.ndarray, frame: np.ndarray) -> float:
    """Share of a key frame's pixels (cropped, enlarged by a whole factor k) within 12 grey levels of a source
    frame at the best-matching place: the background and body match; skeleton, text and mosaic do not."""
    best = 0.0
    for k in range(1, 5):
        t = np.ascontiguousarray(template[::k, ::k])
        if template.shape[0] % k or template.shape[1] % k or t.shape[0] > frame.shape[0] or t.shape[1] > frame.shape[1]:
            continue
        y, x = np.unravel_index(np.argmin(cv2.matchTemplate(frame, t, cv2.TM_SQDIFF)), (frame.shape[0] - t.shape[0] + 1,
                                                                                       frame.shape[1] - t.shape[1] + 1))
        diff = np.abs(frame[y:y + t.shape[0], x:x + t.shape[1]].astype(int) - t.astype(int)).max(axis=-1)
        best = max(best, float((diff <= 12).mean()))
    return best


@pytest.mark.slow
def test_the_front_flag_key_frame_is_drawn_from_the_front_clip_and_in_the_report(session, written):
    key = written / "keyframes" / f"{FLAG}.png"
    assert key.is_file() and (written / "keyframes" / "tracking_check.png").is_file()
    frame = int(_row(session.flags, FLAG).key_frame)
    img = _png(key)
    on_front, on_side = _match(img, _frame(FRONT, frame)), _match(img, _frame(SIDE, frame))
    assert on_front > 0.7 and on_side < 0.3, (on_front, on_side)  # measured 0.87 and 0.05
    html = (written / "report.html").read_text(encoding="utf-8")
    article = html[html.index('id="flag-lateral_trunk_lean-right"'):]
    article = article[:article.index("</article>")]
    assert "data:image/png;base64," + base64.b64encode(key.read_bytes()).decode() in article
    assert f"<strong>front clip</strong>, frame {frame}" in article and "front_clip/report.html" not in html
    assert "<script" not in html.lower() and 'src="http' not in html
    csv = pd.read_csv(written / "flags.csv", keep_default_na=False)
    doc = json.loads((written / "analysis.json").read_text(encoding="utf-8"))
    assert list(csv["clip"]) == [f["clip"] for f in doc["flags"]] == list(session.flags["clip"])
    assert _row(csv, FLAG).key_frame == frame


@pytest.mark.slow
def test_no_face_survives_in_the_front_key_frame(session, written, tmp_path):
    """The walker's face is found in the front source frame and in an unblurred key frame (so the check can
    fail), never in the written one."""
    from gaitlab.report import write_report_files

    frame = int(_row(session.flags, FLAG).key_frame)
    write_report_files(session, tmp_path, video_path=None, front_video_path=FRONT, blur=False, overlay=False)
    with _detector() as fd:
        assert fd(_frame(FRONT, frame))
        assert fd(_png(tmp_path / "keyframes" / f"{FLAG}.png"))
        for p in (written / "keyframes").glob("*.png"):
            assert fd(_png(p)) == [], p.name
    assert "faces NOT pixelated" in (tmp_path / "report.html").read_text(encoding="utf-8")
