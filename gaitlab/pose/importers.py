"""Keypoint files in and out: gaitlab's own landmarks CSV and OpenPose BODY_25 JSON folders.

This is an adapter (it does I/O); the core never imports it.

Landmarks CSV (``landmarks.csv``, read back with ``--keypoints FILE``)
--------------------------------------------------------------------
UTF-8, ``,`` separator, ``.`` decimal mark, missing values as empty cells (never 0)::

    # gaitlab landmarks v1; width_px=1280; height_px=720; fps=30.0; mirrored=false; backend=mediapipe
    frame,time_s,nose_x_px,nose_y_px,nose_z_px,nose_visibility,left_eye_inner_x_px,...
    0,0.0,612.3,201.7,-310.2,0.998,...

* The first line is a metadata comment of ``key=value`` pairs separated by ``;``. Known keys are in
  :data:`METADATA_KEYS`; unknown keys are ignored, so later versions can add some.
* Then a header and one row per frame with the columns of :func:`landmark_csv_columns` (described by
  :data:`LANDMARK_COLUMNS`). Extra columns are ignored (with a warning on the sequence).
* Floats are written with Python's shortest round-trip ``repr`` and read with pandas'
  ``float_precision="round_trip"``: reading a written file gives back exactly the same float64 values.
* Backend naming: a sequence read from a CSV gets ``backend = "landmarks-csv:<original backend>"``
  (``"landmarks-csv"`` when the file does not say). Writing such a sequence stores the original name
  again, so the prefix never piles up over repeated write/read cycles.

OpenPose BODY_25 JSON folder
----------------------------
One ``<name>_<frame number>_keypoints.json`` per frame, as written by ``openpose --write_json``.
:func:`read_openpose_folder` returns every detected person of every frame as a (33, 4) array in
MediaPipe layout; choosing the walker among them is :mod:`gaitlab.pose.walker`'s job, and
:func:`candidates_to_pose` turns the chosen person's arrays into a :class:`PoseSequence`.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
from pathlib import Path
from typing import IO, Sequence, Union

import numpy as np
import pandas as pd

from ..errors import KeypointFileError
from ..model import LANDMARK_NAMES, LM, N_LANDMARKS, PoseSequence

PathLike = Union[str, "os.PathLike[str]"]

# --------------------------------------------------------------------------------------------------
# Landmarks CSV
# --------------------------------------------------------------------------------------------------

#: Format version written in the metadata line.
CSV_FORMAT_VERSION = 1
#: Placeholder used in :data:`LANDMARK_COLUMNS` keys; it stands for each of :data:`LANDMARK_NAMES`.
LANDMARK_PLACEHOLDER = "<landmark>"
#: Per-landmark column suffixes, in file order (x, y, z, visibility as in ``PoseSequence.landmarks``).
_SUFFIXES = ("_x_px", "_y_px", "_z_px", "_visibility")
_BACKEND_PREFIX = "landmarks-csv"

#: Columns of the landmarks CSV: name (pattern) -> (unit, definition). Keys containing
#: :data:`LANDMARK_PLACEHOLDER` repeat for each name in :data:`LANDMARK_NAMES`, in that order.
LANDMARK_COLUMNS: dict[str, tuple[str, str]] = {
    "frame": ("1", "Index of the decoded video frame (0 = first frame of the clip)."),
    "time_s": ("s", "Real time of the frame from its presentation timestamp (slow motion rescaled); "
                    "strictly increasing."),
    f"{LANDMARK_PLACEHOLDER}_x_px": ("px", "Horizontal image position of the landmark, from the left "
                                           "edge of the image after rotation metadata is applied. "
                                           "Empty when not tracked."),
    f"{LANDMARK_PLACEHOLDER}_y_px": ("px", "Vertical image position of the landmark, from the top edge "
                                           "(y down). Empty when not tracked."),
    f"{LANDMARK_PLACEHOLDER}_z_px": ("px", "Relative depth (MediaPipe z scaled by image width; origin at "
                                           "the hip midpoint; smaller = nearer the camera). Empty when "
                                           "not tracked or when the backend gives no depth (OpenPose)."),
    f"{LANDMARK_PLACEHOLDER}_visibility": ("1", "Backend's confidence that the landmark is visible, "
                                                "0-1 (OpenPose: keypoint confidence). Empty when not "
                                                "tracked."),
}

#: Keys of the metadata line: key -> (unit, definition).
METADATA_KEYS: dict[str, tuple[str, str]] = {
    "width_px": ("px", "Image width after rotation."),
    "height_px": ("px", "Image height after rotation."),
    "fps": ("1/s", "Median real frame rate (1 / median frame interval)."),
    "mirrored": ("bool", "true when the image is a mirror of the scene (selfie clip)."),
    "backend": ("", "What produced the landmarks (mediapipe, openpose, ...)."),
}


def landmark_csv_columns() -> list[str]:
    """All column names of the landmarks CSV, in file order (2 + 33 × 4 = 134)."""
    cols = ["frame", "time_s"]
    for name in LANDMARK_NAMES:
        cols.extend(name + s for s in _SUFFIXES)
    return cols


_COLUMNS = landmark_csv_columns()
_COLUMN_SET = frozenset(_COLUMNS)


def _metadata_line(pose: PoseSequence) -> str:
    parts = [f"gaitlab landmarks v{CSV_FORMAT_VERSION}",
             f"width_px={int(pose.width_px)}", f"height_px={int(pose.height_px)}"]
    if math.isfinite(pose.fps):
        parts.append(f"fps={float(pose.fps)!r}")
    parts.append(f"mirrored={'true' if pose.mirrored else 'false'}")
    # Store the original backend: "landmarks-csv:mediapipe" -> "mediapipe" (no nested prefixes).
    backend = re.sub(r"^landmarks-csv:?", "", pose.backend)
    backend = re.sub(r"[\s;,=#]+", "_", backend)
    if backend:
        parts.append(f"backend={backend}")
    return "# " + "; ".join(parts) + "\n"


def write_landmarks_csv(pose: PoseSequence, path_or_buffer: PathLike | IO[str]) -> None:
    """Write a :class:`PoseSequence` as a gaitlab landmarks CSV (format in the module docstring).

    Parameters
    ----------
    pose : PoseSequence
        Landmarks in px, times in s. NaN is written as an empty cell.
    path_or_buffer : path or text stream
        A file path (created or overwritten, UTF-8) or an open text stream.

    The ``warnings`` of the sequence are not stored.
    """
    n = len(pose)
    values = np.asarray(pose.landmarks, dtype=np.float64).reshape(n, N_LANDMARKS * 4).tolist()
    frames = np.asarray(pose.frame_index).tolist()
    times = np.asarray(pose.t_s, dtype=np.float64).tolist()
    rep = float.__repr__
    # repr() is Python's shortest round-trip representation; "nan" becomes an empty cell.
    rows = (f"{f},{rep(t)},{','.join(map(rep, row))}\n".replace("nan", "")
            for f, t, row in zip(frames, times, values))
    chunks = itertools.chain((_metadata_line(pose), ",".join(_COLUMNS) + "\n"), rows)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "w", encoding="utf-8", newline="") as fh:
            fh.writelines(chunks)
    else:
        path_or_buffer.writelines(chunks)


def _parse_metadata(lines: Sequence[str], source: str) -> dict[str, str]:
    """key -> raw value from the leading ``#`` lines (keys lower-cased)."""
    meta: dict[str, str] = {}
    for line in lines:
        text = line.lstrip("#").strip()
        m = re.match(r"gaitlab\s+landmarks\s+v(\d+)", text, re.IGNORECASE)
        if m and int(m.group(1)) > CSV_FORMAT_VERSION:
            raise KeypointFileError(
                f"{source} is a gaitlab landmarks v{m.group(1)} file; this gaitlab reads up to "
                f"v{CSV_FORMAT_VERSION}. Upgrade gaitlab to read it.")
        for key, value in re.findall(r"([A-Za-z_][\w]*)\s*=\s*([^;,\s]*)", text):
            meta[key.lower()] = value
    return meta


def _meta_number(meta: dict[str, str], key: str, kind: type, source: str) -> float | int | None:
    raw = meta.get(key, "")
    if raw == "":
        return None
    try:
        value = kind(float(raw)) if kind is int else kind(raw)
    except ValueError:
        raise KeypointFileError(
            f"{source}: metadata value {key}={raw!r} is not a number; fix it in the first line "
            "(e.g. '# gaitlab landmarks v1; width_px=1280; height_px=720').") from None
    return value


def _first_bad_cell(handle: IO[str], source: str, first_data_line: int) -> KeypointFileError:
    """Re-read the data as text and describe the first cell that is not a number."""
    try:
        raw = pd.read_csv(handle, dtype=str, keep_default_na=False, skiprows=first_data_line - 2,
                          index_col=False)
    except pd.errors.ParserError as exc:
        return KeypointFileError(f"{source} is not a valid CSV table: {exc}")
    for col in raw.columns:
        text = raw[col].str.strip()
        bad = (text != "") & pd.to_numeric(text, errors="coerce").isna()
        bad &= ~text.str.lower().isin(["nan", "inf", "-inf", "+inf"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            return KeypointFileError(
                f"{source}, line {first_data_line + i}: column {col!r} holds {raw[col].iloc[i]!r}, "
                "which is not a number. Use '.' as decimal mark and leave missing values empty.")
    return KeypointFileError(f"{source}: the table could not be parsed as numbers; check the rows "
                             "have the same number of cells as the header.")


def read_landmarks_csv(path: PathLike | IO[str], *, width_px: int | None = None,
                       height_px: int | None = None) -> PoseSequence:
    """Read a gaitlab landmarks CSV written by :func:`write_landmarks_csv` (or by hand).

    Parameters
    ----------
    path : path or seekable text stream
        The CSV file.
    width_px, height_px : int, optional
        Image size in px (the CLI's ``--width``/``--height``). Needed when the file has no metadata
        line; when given they override the metadata (a warning is added if they differ).

    Returns
    -------
    PoseSequence
        ``backend`` is ``"landmarks-csv:<backend in the file>"``; ``fps`` comes from the metadata
        when present, else from the median frame interval.

    Raises
    ------
    KeypointFileError
        Missing file, missing column, a non-numeric cell, empty or non-increasing ``time_s``,
        unknown image size.
    """
    if isinstance(path, (str, os.PathLike)):
        source = str(path)
        if not os.path.isfile(path):
            raise KeypointFileError(f"Keypoint file {source} does not exist (or is not a file); check "
                                    "the path given to --keypoints.")
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return _read_landmarks(fh, source, width_px, height_px)
        except UnicodeDecodeError:
            raise KeypointFileError(f"{source} is not UTF-8 text; save it as UTF-8 CSV.") from None
    return _read_landmarks(path, getattr(path, "name", "landmarks CSV"), width_px, height_px)


def _read_landmarks(fh: IO[str], source: str, width_px: int | None,
                    height_px: int | None) -> PoseSequence:
    comments: list[str] = []
    start = fh.tell()
    while True:
        pos = fh.tell()
        line = fh.readline()
        if not line.startswith("#"):
            fh.seek(pos)
            break
        comments.append(line)
    if not line.strip():
        raise KeypointFileError(f"{source} has no header row; is it a gaitlab landmarks CSV?")
    first_data_line = len(comments) + 2  # 1-based line number of the first data row

    try:
        header = pd.read_csv(io.StringIO(line), nrows=0, index_col=False).columns
    except pd.errors.ParserError as exc:
        raise KeypointFileError(f"{source}: header row is not valid CSV ({exc}).") from None
    header_names = [str(c).strip() for c in header]
    if len(set(header_names)) != len(header_names):
        dup = next(c for c in header_names if header_names.count(c) > 1)
        raise KeypointFileError(f"{source}: column {dup!r} appears twice in the header.")
    missing = [c for c in _COLUMNS if c not in header_names]
    if missing:
        raise KeypointFileError(
            f"{source}: column {missing[0]!r} is missing ({len(missing)} of {len(_COLUMNS)} expected "
            "columns missing). A gaitlab landmarks CSV has frame, time_s, then <landmark>_x_px, "
            "_y_px, _z_px, _visibility for the 33 MediaPipe landmarks.")
    # Known columns parse as exact float64; unknown extra columns stay text and are dropped.
    dtypes = {raw: (np.float64 if name in _COLUMN_SET else str)
              for raw, name in zip(header, header_names)}
    try:
        df = pd.read_csv(fh, dtype=dtypes, float_precision="round_trip", engine="c",
                         index_col=False)
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        where = (f"line {int(m.group(2)) + len(comments)} has {m.group(3)} cells but the header has "
                 f"{m.group(1)}" if m else str(exc))
        raise KeypointFileError(f"{source} is not a valid CSV table: {where}.") from None
    except ValueError:  # a cell that is not a float
        fh.seek(start)
        raise _first_bad_cell(fh, source, first_data_line) from None
    df.columns = header_names

    if len(df) == 0:
        raise KeypointFileError(f"{source} has a header but no frames.")

    t_s = df["time_s"].to_numpy()
    bad_t = np.flatnonzero(~np.isfinite(t_s))
    if bad_t.size:
        raise KeypointFileError(f"{source}, line {first_data_line + bad_t[0]}: time_s is empty or not "
                                "finite; every frame needs its time in seconds.")
    bad_t = np.flatnonzero(np.diff(t_s) <= 0)
    if bad_t.size:
        i = int(bad_t[0]) + 1
        raise KeypointFileError(
            f"{source}, line {first_data_line + i}: time_s {t_s[i]!r} is not after the previous "
            f"frame's {t_s[i - 1]!r}; rows must be in time order without duplicates.")
    frame = df["frame"].to_numpy()
    bad_f = np.flatnonzero(~np.isfinite(frame) | (frame != np.round(frame)))
    if bad_f.size:
        raise KeypointFileError(f"{source}, line {first_data_line + bad_f[0]}: frame must be a "
                                "whole number.")

    meta = _parse_metadata(comments, source)
    warnings: list[str] = []
    extra = [c for c in header_names if c not in _COLUMN_SET]
    if extra:
        warnings.append(f"{source}: ignored {len(extra)} unknown column(s), first {extra[0]!r}.")
    size = []
    for key, given in (("width_px", width_px), ("height_px", height_px)):
        stored = _meta_number(meta, key, int, source)
        if given is not None:
            if stored is not None and stored != int(given):
                warnings.append(f"{key}={given} given overrides {key}={stored} in {source}.")
            stored = int(given)
        if stored is None or stored <= 0:
            raise KeypointFileError(
                f"{source} does not give the image size ({key} unknown). Add a first line like "
                "'# gaitlab landmarks v1; width_px=1280; height_px=720' or pass --width and "
                "--height (the video's size in px after rotation).")
        size.append(stored)
    fps = _meta_number(meta, "fps", float, source)
    backend = meta.get("backend", "")
    landmarks = df[_COLUMNS[2:]].to_numpy(dtype=np.float64).reshape(len(df), N_LANDMARKS, 4)
    return PoseSequence(
        t_s=t_s.copy(), landmarks=landmarks, width_px=size[0], height_px=size[1],
        frame_index=frame.astype(np.int64),
        fps=float("nan") if fps is None else float(fps),
        mirrored=meta.get("mirrored", "false").lower() in ("true", "1", "yes"),
        backend=f"{_BACKEND_PREFIX}:{backend}" if backend else _BACKEND_PREFIX,
        warnings=warnings)


# --------------------------------------------------------------------------------------------------
# OpenPose BODY_25
# --------------------------------------------------------------------------------------------------

#: BODY_25 keypoint index -> MediaPipe landmark index (foot_index <- big toe). Neck, MidHip and the
#: small toes have no MediaPipe counterpart and are dropped; MediaPipe landmarks without a BODY_25
#: source (inner/outer eyes, mouth, hands) stay NaN.
BODY25_TO_MEDIAPIPE: dict[int, int] = {
    0: LM["nose"], 2: LM["right_shoulder"], 3: LM["right_elbow"], 4: LM["right_wrist"],
    5: LM["left_shoulder"], 6: LM["left_elbow"], 7: LM["left_wrist"], 9: LM["right_hip"],
    10: LM["right_knee"], 11: LM["right_ankle"], 12: LM["left_hip"], 13: LM["left_knee"],
    14: LM["left_ankle"], 15: LM["right_eye"], 16: LM["left_eye"], 17: LM["right_ear"],
    18: LM["left_ear"], 19: LM["left_foot_index"], 21: LM["left_heel"], 22: LM["right_foot_index"],
    24: LM["right_heel"],
}
_B25_SRC = np.array(list(BODY25_TO_MEDIAPIPE.keys()))
_B25_DST = np.array(list(BODY25_TO_MEDIAPIPE.values()))
_OPENPOSE_NAME = re.compile(r"^(?P<stem>.*?)_?(?P<frame>\d+)_keypoints\.json$")
_KNOWN_LAYOUTS = {18: "COCO 18", 15: "MPI 15", 135: "BODY_135", 19: "BODY_19"}


def _body25_to_mediapipe(values: list, file: Path, person: int) -> np.ndarray | None:
    """(33, 4) landmarks from 75 BODY_25 values; None when no keypoint has confidence > 0."""
    try:
        kp = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise KeypointFileError(f"{file.name}: person {person} has non-numeric "
                                "pose_keypoints_2d values.") from None
    if kp.ndim != 1 or kp.size != 75:
        n = kp.size
        what = f"{n // 3} points" if n % 3 == 0 else f"{n} values (not a multiple of 3)"
        layout = _KNOWN_LAYOUTS.get(n // 3) if n % 3 == 0 else None
        raise KeypointFileError(
            f"{file.name}: person {person} has {what}{f' ({layout})' if layout else ''}, but BODY_25 "
            "(25 points × x, y, confidence = 75 values) is expected. Re-run OpenPose with "
            "--model_pose BODY_25.")
    kp = kp.reshape(25, 3)
    valid = np.isfinite(kp).all(axis=1) & (kp[:, 2] > 0)
    if not valid.any():
        return None
    kp[~valid] = np.nan
    out = np.full((N_LANDMARKS, 4), np.nan)
    out[_B25_DST, 0] = kp[_B25_SRC, 0]
    out[_B25_DST, 1] = kp[_B25_SRC, 1]
    out[_B25_DST, 3] = kp[_B25_SRC, 2]
    return out


def _openpose_files(folder: Path) -> list[tuple[int, Path]]:
    if not folder.is_dir():
        raise KeypointFileError(f"OpenPose folder {folder} does not exist or is not a folder.")
    entries = list(folder.iterdir())
    if not entries:
        raise KeypointFileError(f"OpenPose folder {folder} is empty; point to the folder given to "
                                "openpose --write_json.")
    found: dict[int, Path] = {}
    for p in entries:
        m = _OPENPOSE_NAME.match(p.name)
        if not m or not p.is_file():
            continue
        frame = int(m.group("frame"))
        if frame in found:
            raise KeypointFileError(
                f"{folder}: {found[frame].name} and {p.name} are both frame {frame}; keep one "
                "video's JSON files per folder.")
        found[frame] = p
    if not found:
        raise KeypointFileError(
            f"{folder} holds no OpenPose files named <name>_<frame>_keypoints.json "
            f"({len(entries)} other entries); run openpose with --write_json into this folder.")
    return sorted(found.items())


def read_openpose_folder(folder: PathLike, *, fps: float, width_px: int,
                         height_px: int) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Read an OpenPose BODY_25 ``--write_json`` folder: every person of every frame.

    Parameters
    ----------
    folder : path
        Folder of ``<name>_<frame number>_keypoints.json`` files, ordered by the frame number.
    fps : float
        Frame rate of the video, 1/s. OpenPose stores no timestamps, so ``t_s = frame / fps``
        (replace it with the video's presentation timestamps when the video is at hand).
    width_px, height_px : int
        Image size in px; used to check the coordinates are pixels (``--keypoint_scale 0``).

    Returns
    -------
    t_s : (T,) float
        Time of each frame in s (frame number from the file name / ``fps``).
    candidates : list (length T) of list of (33, 4) float arrays
        Per frame, one array per detected person in MediaPipe layout: x px, y px, z = NaN,
        visibility = OpenPose confidence; NaN where the confidence is 0 or no BODY_25 keypoint maps
        to the landmark. People with no confident keypoint are left out; a frame with nobody is [].

    Raises
    ------
    KeypointFileError
        Missing or empty folder, no ``*_keypoints.json``, malformed JSON (the file is named), a
        layout other than BODY_25, normalised coordinates.
    """
    if not (math.isfinite(fps) and fps > 0):
        raise KeypointFileError(f"fps must be a positive number of frames per second, got {fps!r}.")
    if int(width_px) <= 0 or int(height_px) <= 0:
        raise KeypointFileError(f"Image size must be positive px, got {width_px}×{height_px}; pass "
                                "--width and --height or the video.")
    files = _openpose_files(Path(folder))
    candidates: list[list[np.ndarray]] = []
    max_abs = 0.0
    for _, path in files:
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise KeypointFileError(f"{path.name} in {folder} is not valid JSON ({exc}); re-export "
                                    "it or delete it.") from None
        people = data.get("people") if isinstance(data, dict) else None
        if not isinstance(people, list):
            raise KeypointFileError(f"{path.name} in {folder} has no \"people\" list; is it an "
                                    "OpenPose keypoints file?")
        frame_people = []
        for k, person in enumerate(people):
            values = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
            if values is None:
                raise KeypointFileError(f"{path.name}: person {k} has no pose_keypoints_2d; run "
                                        "OpenPose with body keypoints enabled.")
            arr = _body25_to_mediapipe(values, path, k)
            if arr is not None:
                frame_people.append(arr)
                max_abs = max(max_abs, float(np.nanmax(np.abs(arr[:, :2]))))
        candidates.append(frame_people)
    if 0.0 < max_abs <= 1.0 and max(int(width_px), int(height_px)) > 2:
        raise KeypointFileError(
            f"Keypoints in {folder} are all within ±1, so they look normalised, not pixels; re-run "
            "OpenPose with --keypoint_scale 0.")
    t_s = np.array([frame for frame, _ in files], dtype=np.float64) / float(fps)
    return t_s, candidates


def candidates_to_pose(t_s: np.ndarray, chosen: Sequence[np.ndarray | None], width_px: int,
                       height_px: int, *, fps: float = float("nan"),
                       frame_index: np.ndarray | None = None, mirrored: bool = False,
                       backend: str = "openpose",
                       warnings: list[str] | None = None) -> PoseSequence:
    """Stack the chosen person's per-frame (33, 4) arrays into a :class:`PoseSequence`.

    Parameters
    ----------
    t_s : (T,) float
        Time of each frame, s.
    chosen : sequence of length T
        The walker's (33, 4) landmarks per frame (px), or None where the walker was not found (the
        row becomes NaN).
    width_px, height_px : int
        Image size, px.
    fps : float, optional
        Frame rate, 1/s; NaN lets :class:`PoseSequence` derive it from ``t_s``.
    frame_index : (T,) int, optional
        Video frame of each row; defaults to ``round(t_s * fps)`` when ``fps`` is finite, else 0..T-1.
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    if len(chosen) != len(t_s):
        raise ValueError(f"chosen has {len(chosen)} frames but t_s has {len(t_s)}")
    landmarks = np.full((len(t_s), N_LANDMARKS, 4), np.nan)
    for i, arr in enumerate(chosen):
        if arr is not None:
            landmarks[i] = arr
    if frame_index is None and math.isfinite(fps) and fps > 0:
        frame_index = np.rint(t_s * fps).astype(np.int64)
    return PoseSequence(t_s=t_s, landmarks=landmarks, width_px=int(width_px),
                        height_px=int(height_px), frame_index=frame_index, fps=float(fps),
                        mirrored=mirrored, backend=backend, warnings=list(warnings or []))
