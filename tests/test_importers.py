"""Tests of gaitlab.pose.importers: landmarks CSV round trip and errors, OpenPose BODY_25 folders."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from gaitlab.errors import KeypointFileError
from gaitlab.model import LANDMARK_NAMES, LM, PoseSequence
from gaitlab.pose.importers import (
    LANDMARK_COLUMNS,
    LANDMARK_PLACEHOLDER,
    candidates_to_pose,
    landmark_csv_columns,
    read_landmarks_csv,
    read_openpose_folder,
    write_landmarks_csv,
)


def random_pose(n: int = 200, seed: int = 0, backend: str = "mediapipe") -> PoseSequence:
    rng = np.random.default_rng(seed)
    lm = np.empty((n, 33, 4))
    lm[..., 0] = rng.uniform(0, 1280, (n, 33))
    lm[..., 1] = rng.uniform(0, 720, (n, 33))
    lm[..., 2] = rng.normal(0, 300, (n, 33))
    lm[..., 3] = rng.uniform(0, 1, (n, 33))
    lm[rng.random(n) < 0.1] = np.nan                   # untracked rows
    lm[rng.random((n, 33)) < 0.05, :] = np.nan          # single missing landmarks
    lm[rng.random((n, 33)) < 0.05, 2] = np.nan          # depth only missing
    lm[0, 0, 0] = -0.0
    lm[0, 1, 0] = 1e-300
    lm[0, 2, 0] = 123456789.123456789
    t = np.cumsum(rng.uniform(0.030, 0.036, n)) + 1 / 3
    return PoseSequence(t_s=t, landmarks=lm, width_px=1280, height_px=720,
                        frame_index=np.arange(n) + 5, mirrored=True, backend=backend)


def assert_same_pose(a: PoseSequence, b: PoseSequence) -> None:
    assert np.array_equal(a.landmarks, b.landmarks, equal_nan=True)
    assert np.array_equal(a.t_s, b.t_s)
    assert np.array_equal(a.frame_index, b.frame_index)
    assert (a.width_px, a.height_px, a.mirrored) == (b.width_px, b.height_px, b.mirrored)
    assert a.fps == b.fps


# ---------------------------------------------------------------------------------------------- CSV


def test_round_trip_exact(tmp_path: Path) -> None:
    pose = random_pose()
    path = tmp_path / "landmarks.csv"
    write_landmarks_csv(pose, path)
    back = read_landmarks_csv(path)
    assert_same_pose(pose, back)
    assert back.backend == "landmarks-csv:mediapipe"
    assert back.warnings == []
    # A second cycle keeps the original backend name rather than nesting prefixes.
    write_landmarks_csv(back, tmp_path / "again.csv")
    again = read_landmarks_csv(tmp_path / "again.csv")
    assert again.backend == "landmarks-csv:mediapipe"
    assert (tmp_path / "again.csv").read_bytes() == path.read_bytes()


def test_file_layout(tmp_path: Path) -> None:
    pose = random_pose(n=5)
    buf = io.StringIO()
    write_landmarks_csv(pose, buf)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("# gaitlab landmarks v1; width_px=1280; height_px=720; fps=")
    assert "mirrored=true" in lines[0] and "backend=mediapipe" in lines[0]
    header = lines[1].split(",")
    assert header == landmark_csv_columns()
    assert header[:6] == ["frame", "time_s", "nose_x_px", "nose_y_px", "nose_z_px", "nose_visibility"]
    assert len(header) == 2 + 33 * 4
    nan_row = int(np.flatnonzero(~pose.tracked())[0]) if (~pose.tracked()).any() else None
    for line in lines[2:]:
        assert "nan" not in line.lower() and len(line.split(",")) == len(header)
    if nan_row is not None:
        assert lines[2 + nan_row].endswith("," * 132)


def test_data_dictionary_covers_every_column() -> None:
    for col in landmark_csv_columns():
        key = col
        for name in LANDMARK_NAMES:
            if col.startswith(name + "_") and col[len(name):] in ("_x_px", "_y_px", "_z_px", "_visibility"):
                key = LANDMARK_PLACEHOLDER + col[len(name):]
        assert key in LANDMARK_COLUMNS, col
        unit, definition = LANDMARK_COLUMNS[key]
        assert isinstance(unit, str) and definition


def test_metadata_parsed_robustly(tmp_path: Path) -> None:
    pose = random_pose(n=10)
    buf = io.StringIO()
    write_landmarks_csv(pose, buf)
    body = buf.getvalue().split("\n", 1)[1]
    path = tmp_path / "m.csv"
    path.write_text("#gaitlab landmarks v1 ;Height_px = 720;width_px=1280 ; colour=blue; "
                    "backend=openpose\n" + body, encoding="utf-8")
    back = read_landmarks_csv(path)
    assert (back.width_px, back.height_px, back.backend) == (1280, 720, "landmarks-csv:openpose")
    assert not back.mirrored
    assert np.isclose(back.fps, pose.fps)                 # no fps key: from time stamps
    assert np.array_equal(back.landmarks, pose.landmarks, equal_nan=True)


def test_no_metadata_needs_size(tmp_path: Path) -> None:
    pose = random_pose(n=10)
    buf = io.StringIO()
    write_landmarks_csv(pose, buf)
    path = tmp_path / "nometa.csv"
    path.write_text(buf.getvalue().split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(KeypointFileError, match="--width and --height"):
        read_landmarks_csv(path)
    back = read_landmarks_csv(path, width_px=1920, height_px=1080)
    assert (back.width_px, back.height_px, back.backend) == (1920, 1080, "landmarks-csv")
    # Given sizes override the metadata, with a warning.
    write_landmarks_csv(pose, tmp_path / "meta.csv")
    over = read_landmarks_csv(tmp_path / "meta.csv", width_px=640, height_px=720)
    assert over.width_px == 640 and any("width_px=640" in w for w in over.warnings)


def _csv_text(pose: PoseSequence) -> str:
    buf = io.StringIO()
    write_landmarks_csv(pose, buf)
    return buf.getvalue()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeypointFileError, match="does not exist"):
        read_landmarks_csv(tmp_path / "nope.csv")


def test_missing_column_named(tmp_path: Path) -> None:
    text = _csv_text(random_pose(n=5)).replace("left_knee_y_px", "left_knee_y")
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeypointFileError, match="'left_knee_y_px' is missing"):
        read_landmarks_csv(path)
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="'frame' is missing"):
        read_landmarks_csv(path)


def test_extra_column_ignored_with_warning(tmp_path: Path) -> None:
    pose = random_pose(n=5)
    lines = _csv_text(pose).splitlines()
    lines[1] += ",note"
    lines[2:] = [ln + ",ok" for ln in lines[2:]]
    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    back = read_landmarks_csv(path)
    assert np.array_equal(back.landmarks, pose.landmarks, equal_nan=True)
    assert any("'note'" in w for w in back.warnings)


def test_non_numeric_names_line(tmp_path: Path) -> None:
    lines = _csv_text(random_pose(n=8, seed=3)).splitlines()
    cells = lines[5].split(",")
    cells[7] = "12,5".replace(",", ";")                  # a stray decimal-comma value
    lines[5] = ",".join(cells)
    path = tmp_path / "n.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match=r"line 6: column 'left_eye_inner_y_px'"):
        read_landmarks_csv(path)


def test_time_must_increase(tmp_path: Path) -> None:
    lines = _csv_text(random_pose(n=8)).splitlines()
    cells = lines[6].split(",")
    cells[1] = "0.0"
    lines[6] = ",".join(cells)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="line 7: time_s 0.0 is not after"):
        read_landmarks_csv(path)
    cells[1] = ""
    lines[6] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="line 7: time_s is empty"):
        read_landmarks_csv(path)


def test_empty_and_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="no header"):
        read_landmarks_csv(path)
    text = _csv_text(random_pose(n=3))
    path.write_text(text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="no frames"):
        read_landmarks_csv(path)
    path.write_text(text.replace("landmarks v1", "landmarks v9"), encoding="utf-8")
    with pytest.raises(KeypointFileError, match="Upgrade gaitlab"):
        read_landmarks_csv(path)


# ----------------------------------------------------------------------------------------- OpenPose


def _body25(rng: np.random.Generator, x0: float, zero: tuple[int, ...] = ()) -> list[float]:
    kp = np.column_stack([x0 + rng.uniform(-50, 50, 25), rng.uniform(100, 700, 25),
                          rng.uniform(0.3, 1.0, 25)])
    kp[list(zero)] = 0.0                                 # OpenPose writes 0, 0, 0 for missed points
    return kp.ravel().round(3).tolist()


def make_openpose_folder(folder: Path, n: int = 40, seed: int = 1) -> list[list[list[float]]]:
    """40 frames, 2 people (person B misses its left heel and right wrist), frame 7 nobody."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in reversed(range(n)):                        # creation order must not matter
        people = [] if i == 7 else [_body25(rng, 300 + 10 * i), _body25(rng, 900, zero=(21, 4))]
        (folder / f"clip_{i:012d}_keypoints.json").write_text(json.dumps(
            {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": p,
                                         "face_keypoints_2d": []} for p in people]}))
        written.append(people)
    (folder / "notes.txt").write_text("not a keypoint file")
    return written[::-1]


def test_openpose_folder(tmp_path: Path) -> None:
    written = make_openpose_folder(tmp_path / "op")
    t_s, cands = read_openpose_folder(tmp_path / "op", fps=30.0, width_px=1280, height_px=720)
    assert t_s.shape == (40,) and np.allclose(t_s, np.arange(40) / 30.0)
    assert len(cands) == 40 and cands[7] == []
    assert all(len(c) == 2 for i, c in enumerate(cands) if i != 7)
    a, b = cands[12]
    src = np.asarray(written[12][0]).reshape(25, 3)
    assert a.shape == (33, 4)
    assert np.array_equal(a[LM["nose"], [0, 1, 3]], src[0])
    assert np.array_equal(a[LM["right_shoulder"], :2], src[2, :2])
    assert np.array_equal(a[LM["left_knee"], :2], src[13, :2])
    assert np.array_equal(a[LM["left_foot_index"], :2], src[19, :2])       # big toe
    assert np.array_equal(a[LM["right_heel"], :2], src[24, :2])
    assert np.array_equal(a[LM["left_ear"], :2], src[18, :2])
    assert np.isnan(a[:, 2]).all()                                        # no depth
    for name in ("left_eye_inner", "mouth_left", "left_pinky", "right_thumb"):
        assert np.isnan(a[LM[name]]).all()
    assert np.isnan(b[LM["left_heel"]]).all() and np.isnan(b[LM["right_wrist"]]).all()
    assert np.isfinite(b[LM["right_heel"], [0, 1, 3]]).all()


def test_candidates_to_pose(tmp_path: Path) -> None:
    make_openpose_folder(tmp_path / "op")
    t_s, cands = read_openpose_folder(tmp_path / "op", fps=30.0, width_px=1280, height_px=720)
    chosen = [c[0] if c else None for c in cands]
    pose = candidates_to_pose(t_s, chosen, 1280, 720, fps=30.0)
    assert pose.landmarks.shape == (40, 33, 4) and pose.backend == "openpose"
    assert not pose.tracked()[7] and pose.tracked().sum() == 39
    assert np.array_equal(pose.frame_index, np.arange(40)) and pose.fps == 30.0
    # Imported poses survive the CSV round trip too.
    write_landmarks_csv(pose, tmp_path / "op.csv")
    back = read_landmarks_csv(tmp_path / "op.csv")
    assert_same_pose(pose, back)
    assert back.backend == "landmarks-csv:openpose"


def test_openpose_errors(tmp_path: Path) -> None:
    kw = dict(fps=30.0, width_px=1280, height_px=720)
    with pytest.raises(KeypointFileError, match="does not exist"):
        read_openpose_folder(tmp_path / "missing", **kw)
    (tmp_path / "empty").mkdir()
    with pytest.raises(KeypointFileError, match="is empty"):
        read_openpose_folder(tmp_path / "empty", **kw)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.json").write_text("{}")
    with pytest.raises(KeypointFileError, match="no OpenPose files"):
        read_openpose_folder(other, **kw)

    bad = tmp_path / "bad"
    make_openpose_folder(bad, n=5)
    (bad / "clip_000000000003_keypoints.json").write_text('{"people": [{"pose_keypoints_2d": [1, 2,')
    with pytest.raises(KeypointFileError, match="clip_000000000003_keypoints.json .*not valid JSON"):
        read_openpose_folder(bad, **kw)

    coco = tmp_path / "coco"
    make_openpose_folder(coco, n=3)
    (coco / "clip_000000000001_keypoints.json").write_text(json.dumps(
        {"people": [{"pose_keypoints_2d": [100.0, 200.0, 0.9] * 18}]}))
    with pytest.raises(KeypointFileError, match=r"18 points \(COCO 18\), but BODY_25"):
        read_openpose_folder(coco, **kw)

    norm = tmp_path / "norm"
    norm.mkdir()
    (norm / "v_000000000000_keypoints.json").write_text(json.dumps(
        {"people": [{"pose_keypoints_2d": [0.5, 0.4, 0.9] * 25}]}))
    with pytest.raises(KeypointFileError, match="keypoint_scale 0"):
        read_openpose_folder(norm, **kw)

    dup = tmp_path / "dup"
    make_openpose_folder(dup, n=3)
    (dup / "other_000000000002_keypoints.json").write_text('{"people": []}')
    with pytest.raises(KeypointFileError, match="both frame 2"):
        read_openpose_folder(dup, **kw)


def test_ragged_row_names_line(tmp_path: Path) -> None:
    lines = _csv_text(random_pose(n=8)).splitlines()
    lines[4] += ",1.0,2.0"
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KeypointFileError, match="line 5 has 136 cells but the header has 134"):
        read_landmarks_csv(path)
