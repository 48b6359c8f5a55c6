"""MediaPipe Pose backend (legacy ``mp.solutions.pose`` API of mediapipe 0.10.21).

Only ``model_complexity=1`` ships inside the wheel; gaitlab never downloads models. Landmark
smoothing is off (``smooth_landmarks=False``): the legacy smoother assumes 30 fps and gaitlab filters
itself with a known, documented filter.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ..pipeline import PoseConfig

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging off the user's terminal
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class PoseBackend(Protocol):
    """What a per-frame pose estimator provides."""

    name: str

    def process(self, image: np.ndarray) -> np.ndarray | None:
        """Landmarks (33, 4) in the image's pixels (x, y, z, visibility), or None when nobody is found."""

    def reset(self) -> None:
        """Forget the tracking state (the next frame is searched from scratch)."""

    def close(self) -> None:
        """Release native resources."""


def _mp():
    import mediapipe as mp  # imported lazily: ~0.5 s, and not needed for keypoint imports

    return mp


@lru_cache(maxsize=1)
def model_info() -> dict[str, str]:
    """Version of mediapipe and sha256 of the pose landmark model file actually used."""
    mp = _mp()
    model = Path(mp.__file__).parent / "modules" / "pose_landmark" / "pose_landmark_full.tflite"
    sha = hashlib.sha256(model.read_bytes()).hexdigest() if model.exists() else "missing"
    return {"mediapipe": mp.__version__, "pose_model": model.name, "pose_model_sha256": sha}


class MediaPipePose:
    """One MediaPipe Pose graph.

    Parameters
    ----------
    cfg : PoseConfig
        Confidence thresholds and model complexity (must be 1).
    static : bool
        ``True`` runs the person detector on every image (candidate search); ``False`` tracks from
        frame to frame, re-detecting only when the track is lost.
    """

    name = "mediapipe"

    def __init__(self, cfg: PoseConfig, static: bool = False) -> None:
        mp = _mp()
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static,
            model_complexity=cfg.model_complexity,
            smooth_landmarks=False,
            enable_segmentation=False,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )

    def process(self, image: np.ndarray) -> np.ndarray | None:
        h, w = image.shape[:2]
        res = self._pose.process(np.ascontiguousarray(image))
        if res.pose_landmarks is None:
            return None
        out = np.array([(p.x, p.y, p.z, p.visibility) for p in res.pose_landmarks.landmark], dtype=float)
        out[:, 0] *= w
        out[:, 1] *= h
        out[:, 2] *= w
        return out

    def reset(self) -> None:
        self._pose.reset()

    def close(self) -> None:
        self._pose.close()
