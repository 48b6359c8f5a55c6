"""Find the clips of a batch: a folder walk that recognises videos by their first bytes (the probe in
each task then decides), or a sessions manifest validated before any work starts."""

from __future__ import annotations

import csv
import fnmatch
import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import ConfigError
from ..video_probe import HEAD_BYTES, sniff

#: Extensions that make a file a candidate even when its first bytes say otherwise (a text file named
#: .mp4 is then reported as an error rather than silently ignored).
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts", ".3gp", ".mpg",
                  ".mpeg", ".wmv", ".flv", ".ogv"}
#: Media that is not video but may have been dropped into a clip folder by mistake (reported as errors).
_MEDIA_KINDS = {"png", "jpeg", "gif", "tiff", "bmp", "webp", "heif", "wav", "mp3", "flac", "m4a"}

#: Columns a manifest may have; session_id and at least one of side_clip/front_clip are required.
MANIFEST_COLUMNS = {
    "session_id": "unique name of the session (its output folder)",
    "side_clip": "side-view clip, relative to INPUT_DIR (or absolute)",
    "front_clip": "front-view clip, relative to INPUT_DIR (or absolute)",
    "height_cm": "walker's height in cm (metres in the outputs)",
    "belt_speed_m_s": "treadmill belt speed in m/s",
    "notes": "free text, copied to nothing (ignored by the analysis)",
}


@dataclass(frozen=True)
class Clip:
    """One unit of work: a video, or a manifest session (``path`` the side clip and ``front`` the front
    clip; a session with one clip has ``front`` None). ``clip_id`` is also its output folder under OUT_DIR."""

    clip_id: str
    relative_path: str  # of the video, relative to INPUT_DIR (POSIX separators)
    path: Path
    session_id: str = ""
    front: Path | None = None
    front_relative_path: str = ""
    analyze_kwargs: dict = field(default_factory=dict, hash=False)

    @property
    def videos(self) -> list[Path]:
        return [self.path] if self.front is None else [self.path, self.front]


def _is_candidate(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return True  # unreadable: let the task report it
    kind = sniff(head)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return True
    if kind is None:
        return False  # unknown binary without a video name
    return kind.is_video or kind.kind in _MEDIA_KINDS


def discover(input_dir: Path, pattern: str | None = None, exclude: Path | None = None) -> tuple[list[Clip], int]:
    """Clips under ``input_dir`` (recursively, hidden entries skipped), sorted by path, and the number of
    files ignored as not media. ``pattern`` (a glob) must match the relative path or the file name."""
    input_dir = input_dir.resolve()
    exclude = exclude.resolve() if exclude else None
    found: list[Path] = []
    ignored = 0
    for root, dirs, files in os.walk(input_dir):
        rootp = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (exclude is None or rootp / d != exclude))
        for name in sorted(files):
            if name.startswith("."):
                continue
            p = rootp / name
            rel = p.relative_to(input_dir).as_posix()
            if pattern and not (fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)):
                continue
            if _is_candidate(p):
                found.append(p)
            else:
                ignored += 1
    return _with_ids(input_dir, found), ignored


def _with_ids(input_dir: Path, paths: list[Path]) -> list[Clip]:
    """Output folder = the clip's relative path without its suffix; with the suffix when two clips of a
    folder share a stem (walk.mp4 and walk.mov)."""
    stems: dict[str, int] = {}
    for p in paths:
        key = p.relative_to(input_dir).with_suffix("").as_posix()
        stems[key] = stems.get(key, 0) + 1
    clips = []
    for p in paths:
        rel = PurePosixPath(p.relative_to(input_dir).as_posix())
        stem = rel.with_suffix("").as_posix()
        cid = stem if stems[stem] == 1 else f"{stem}_{rel.suffix.lstrip('.')}"
        clips.append(Clip(clip_id=cid, relative_path=rel.as_posix(), path=p))
    return clips


def read_manifest(manifest: Path, input_dir: Path) -> list[Clip]:
    """Clips of the sessions in a manifest CSV. Rejects, naming the row, an unknown column, a missing
    or duplicate session_id, a row without clips, a missing clip file or a bad number — before any work."""
    try:
        with open(manifest, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
            header = list(rows[0].keys()) if rows else []
    except FileNotFoundError:
        raise ConfigError(f"Manifest {manifest} does not exist; give the path of a CSV file.") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"Manifest {manifest} is not a readable CSV file ({exc}).") from None
    if not rows:
        raise ConfigError(f"Manifest {manifest} has no sessions; it needs a header "
                          f"({', '.join(MANIFEST_COLUMNS)}) and one row per session.")
    unknown = [c for c in header if c not in MANIFEST_COLUMNS]
    if unknown:
        raise ConfigError(f"Manifest {manifest}: unknown column '{unknown[0]}'; valid columns are "
                          f"{', '.join(MANIFEST_COLUMNS)}.")
    if "session_id" not in header or not {"side_clip", "front_clip"} & set(header):
        raise ConfigError(f"Manifest {manifest} needs a session_id column and a side_clip and/or front_clip column.")
    clips: list[Clip] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"Manifest {manifest.name}, row {line}"
        if None in row or any(v is None for v in row.values()):
            raise ConfigError(f"{where}: the number of cells differs from the header; fix that row.")
        sid = row["session_id"].strip()
        if not sid or sid in seen or "/" in sid or "\\" in sid or sid.startswith("."):
            problem = "is empty" if not sid else "repeats an earlier one" if sid in seen else "is not a folder name"
            raise ConfigError(f"{where}: session_id '{sid}' {problem}; give every session a unique plain name.")
        seen.add(sid)
        kwargs = {}
        for col, kw in (("height_cm", "height_cm"), ("belt_speed_m_s", "belt_speed_m_s")):
            text = (row.get(col) or "").strip()
            if text:
                try:
                    value = float(text)
                except ValueError:
                    value = math.nan
                if not (math.isfinite(value) and value > 0):
                    raise ConfigError(f"{where} (session {sid}): {col} '{text}' must be a positive number.")
                kwargs[kw] = value
        found: dict[str, tuple[Path, str]] = {}
        for role in ("side", "front"):
            text = (row.get(f"{role}_clip") or "").strip()
            if not text:
                continue
            p = Path(text) if Path(text).is_absolute() else input_dir / text
            if not p.is_file():
                raise ConfigError(f"{where} (session {sid}): {role}_clip '{text}' does not exist under {input_dir}; "
                                  "fix the path or remove the row.")
            found[role] = (p.resolve(), Path(os.path.relpath(p.resolve(), input_dir.resolve())).as_posix())
        if not found:
            raise ConfigError(f"{where} (session {sid}): no clip; fill side_clip and/or front_clip.")
        if len(found) == 2:  # a session: side + front analysed together
            (main, main_rel), (front, front_rel) = found["side"], found["front"]
        else:  # one clip: analysed on its own
            (main, main_rel), front, front_rel = next(iter(found.values())), None, ""
        clips.append(Clip(clip_id=sid, relative_path=main_rel, path=main, session_id=sid, front=front,
                          front_relative_path=front_rel, analyze_kwargs=kwargs))
    return clips
