"""On-disk cache of the expensive pose stage.

Keyed by what pose depends on: the video's content hash and the pose-stage configuration (pose and
walker sections, decode size, time scale, person hint, chunks, gaitlab version and pose-stage code
revision, mediapipe version, model sha256). Analysis
settings (filters, thresholds) are not part of the key, so changing a threshold never re-runs pose.
Location: ``$GAITLAB_CACHE_DIR`` or ``~/.cache/gaitlab``. Entries are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .model import PoseSequence

CACHE_FORMAT = 1


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_dir() -> Path:
    return Path(os.environ.get("GAITLAB_CACHE_DIR") or Path.home() / ".cache" / "gaitlab") / "pose"


def pose_key(video_sha256: str, stage: dict) -> str:
    blob = json.dumps({"format": CACHE_FORMAT, "video": video_sha256, **stage}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def load_pose(key: str) -> PoseSequence | None:
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return PoseSequence(
                t_s=z["t_s"], landmarks=z["landmarks"], frame_index=z["frame_index"], width_px=meta["width_px"],
                height_px=meta["height_px"], fps=meta["fps"], mirrored=meta["mirrored"], backend=meta["backend"],
                warnings=meta["warnings"],
            )
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is recomputed


def save_pose(key: str, pose: PoseSequence) -> None:
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        meta = {k: getattr(pose, k) for k in ("width_px", "height_px", "fps", "mirrored", "backend", "warnings")}
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, t_s=pose.t_s, landmarks=pose.landmarks, frame_index=pose.frame_index,
                                meta=np.array(json.dumps(meta)))
        os.replace(tmp, d / f"{key}.npz")
    except OSError:
        pass  # a read-only or full disk only costs speed
