"""What makes a clip's result reusable: its content hash (cached by path, size and mtime so an archive is
not re-read on every run), the analysis key (canonical analysis config + analyze options + gaitlab and
schema versions) and the done-marker written inside the clip's atomically replaced output folder."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from .. import __version__
from ..cache import cache_dir
from ..errors import GaitlabError

#: The done-marker inside each finished clip folder (written last, inside the atomic rename).
DONE_MARKER = "batch_done.json"
#: Batch bookkeeping inside OUT_DIR (hidden; safe to delete: the next run re-checks every clip).
STATE_DIR = ".gaitlab-batch"


class SchemaMismatchError(GaitlabError):
    """OUT_DIR holds results written under another output schema version."""


def analysis_key(config_hash: str, analyze_kwargs: dict, write_kwargs: dict, schema_version: str) -> str:
    """sha256 of everything after pose that decides a clip's outputs."""
    blob = {"config": config_hash, "analyze": analyze_kwargs, "write": write_kwargs, "gaitlab": __version__,
            "schema": schema_version}
    return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()


class HashCache:
    """sha256 of files keyed by (absolute path, size, mtime_ns), in ``<gaitlab cache>/content_hashes.sqlite3``.

    Only the batch's main process writes it. A changed size or mtime makes the entry stale.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir().parent / "content_hashes.sqlite3"
        self.db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, "
                            "mtime_ns INTEGER, sha256 TEXT)")
        except sqlite3.Error:
            self.db = None  # a read-only cache folder only costs re-reading

    @staticmethod
    def _stat(path: Path) -> tuple[str, int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return str(path.resolve()), st.st_size, st.st_mtime_ns

    def get(self, path: Path) -> str | None:
        key = self._stat(path)
        if self.db is None or key is None:
            return None
        row = self.db.execute("SELECT sha256 FROM hashes WHERE path=? AND size=? AND mtime_ns=?", key).fetchone()
        return row[0] if row else None

    def put(self, path: Path, sha256: str) -> None:
        key = self._stat(path)
        if self.db is None or key is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?)", (*key, sha256))
            self.db.commit()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


def read_marker(clip_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((clip_dir / DONE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_done(clip_dir: Path, sha256: str, key: str) -> bool:
    m = read_marker(clip_dir)
    return m is not None and m.get("video_sha256") == sha256 and m.get("analysis_key") == key


def check_schema(out_dir: Path, clip_dirs: list[Path], schema_version: str) -> None:
    """Refuse to add results to an OUT_DIR written under another schema version (before any work)."""
    state = out_dir / STATE_DIR / "batch.json"
    try:
        recorded = json.loads(state.read_text(encoding="utf-8")).get("schema_version")
    except (OSError, ValueError):
        recorded = None
    others = [d for d in clip_dirs if (m := read_marker(d)) is not None and m.get("schema_version") != schema_version]
    if (recorded and recorded != schema_version) or others:
        found = recorded if recorded and recorded != schema_version else read_marker(others[0]).get("schema_version")
        where = f" (e.g. {others[0]})" if others else ""
        raise SchemaMismatchError(
            f"{out_dir} holds results of output schema {found}{where}; this gaitlab writes schema {schema_version}. "
            "Batch aggregates never mix schema versions: use a new --out folder (or move the old results away)."
        )
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"schema_version": schema_version, "gaitlab": __version__}) + "\n", encoding="utf-8")


def remove_stale(clip_dir: Path) -> None:
    """Delete hidden leftovers of an interrupted write of this clip (staging and partial folders)."""
    parent = clip_dir.parent
    if not parent.is_dir():
        return
    for pattern in (f".{clip_dir.name}.*", f"..{clip_dir.name}.*"):  # the latter: write_outputs' own partials
        for p in parent.glob(pattern):
            shutil.rmtree(p, ignore_errors=True)


def publish(staging: Path, clip_dir: Path, marker: dict[str, Any]) -> None:
    """Add the done-marker to a complete ``staging`` folder and put it in place of ``clip_dir``.

    A kill at any point leaves either the old folder or no folder, never a new folder without its marker.
    """
    marker = {**marker, "finished_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    tmp = staging / f".{DONE_MARKER}.tmp"
    tmp.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, staging / DONE_MARKER)
    old = None
    if clip_dir.exists():
        old = clip_dir.parent / f".{clip_dir.name}.old-{os.getpid()}"
        os.replace(clip_dir, old)
    os.replace(staging, clip_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
