"""Core data types shared by every stage. Pure: no I/O.

Conventions (see DESIGN.md): image pixels after rotation metadata is applied, y down; time in
seconds from presentation timestamps; missing data is NaN, never 0; left/right are the subject's
sides once :mod:`gaitlab.pose.sides` has run (before that, MediaPipe's labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

#: MediaPipe BlazePose landmark names, index = position (odd = left, even = right, by MediaPipe's label).
LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
LM = {name: i for i, name in enumerate(LANDMARK_NAMES)}

#: For each landmark index, the index of its mirror partner (left <-> right); the nose maps to itself.
def _mirror_name(name: str) -> str:
    return name.replace("left", "@").replace("right", "left").replace("@", "right")


MIRROR_INDEX: np.ndarray = np.array([LM[_mirror_name(n)] for n in LANDMARK_NAMES])

#: Landmarks of the legs (hip, knee, ankle, heel, foot index) as (left, right) index pairs.
LEG_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (LM[f"left_{p}"], LM[f"right_{p}"]) for p in ("hip", "knee", "ankle", "heel", "foot_index")
)


@dataclass
class PoseSequence:
    """Landmarks of one person over time.

    Attributes
    ----------
    t_s : (T,) float
        Real time of each frame in seconds (presentation timestamp × time scale for slow motion).
    landmarks : (T, 33, 4) float
        x px, y px, z (MediaPipe's relative depth scaled by image width, px; smaller = nearer the
        camera), visibility 0–1. NaN rows where nobody was tracked.
    width_px, height_px : int
        Image size after rotation.
    frame_index : (T,) int
        Index of the decoded frame each row comes from.
    fps : float
        Median real frame rate (1 / median frame interval).
    mirrored : bool
        True when the image is a mirror of the scene (selfie clip, flip in the display matrix).
    backend : str
        What produced the landmarks (``mediapipe``, ``landmarks-csv``, ``openpose``).
    warnings : list[str]
        Things the user should know (several people, lost track, ...).
    """

    t_s: np.ndarray
    landmarks: np.ndarray
    width_px: int
    height_px: int
    frame_index: np.ndarray | None = None
    fps: float = float("nan")
    mirrored: bool = False
    backend: str = "unknown"
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t_s = np.asarray(self.t_s, dtype=float)
        self.landmarks = np.asarray(self.landmarks, dtype=float)
        if self.landmarks.ndim != 3 or self.landmarks.shape[1:] != (N_LANDMARKS, 4):
            raise ValueError(f"landmarks must be (T, 33, 4), got {self.landmarks.shape}")
        if self.landmarks.shape[0] != self.t_s.shape[0]:
            raise ValueError("t_s and landmarks differ in length")
        if self.frame_index is None:
            self.frame_index = np.arange(len(self.t_s))
        self.frame_index = np.asarray(self.frame_index, dtype=int)
        if not np.isfinite(self.fps) and len(self.t_s) > 1:
            dt = np.diff(self.t_s)
            dt = dt[dt > 0]
            self.fps = float(1.0 / np.median(dt)) if dt.size else float("nan")

    def __len__(self) -> int:
        return len(self.t_s)

    def xy(self, index: int) -> np.ndarray:
        """(T, 2) pixel positions of one landmark."""
        return self.landmarks[:, index, :2]

    def tracked(self) -> np.ndarray:
        """(T,) bool: frames where a person was found."""
        return np.isfinite(self.landmarks[:, :, 0]).any(axis=1)

    def with_landmarks(self, landmarks: np.ndarray) -> "PoseSequence":
        """A copy with other landmarks (same times and metadata)."""
        return replace(self, landmarks=np.asarray(landmarks, dtype=float), warnings=list(self.warnings))


def hip_ankle_px(landmarks: np.ndarray) -> np.ndarray:
    """(T, 2) image distance hip→ankle (px) of the left and the right leg of (T, 33, ≥2) landmarks."""
    return np.stack([np.linalg.norm(landmarks[:, LM[f"{s}_hip"], :2] - landmarks[:, LM[f"{s}_ankle"], :2], axis=-1)
                     for s in ("left", "right")], axis=1)


#: Allowed values of :attr:`Pass.view`.
VIEWS = ("sagittal", "frontal_toward", "frontal_away", "oblique")


@dataclass
class Pass:
    """One stretch of the clip: a walking pass (usable) or an excluded stretch with its reason.

    ``direction`` is the walker's travel in the image: ``"left"``/``"right"`` for side views,
    ``"toward"``/``"away"`` for frontal ones, ``"none"`` when the hips do not travel (standing,
    treadmill). ``facing`` uses the same words for where the body faces. ``start``/``end`` are
    row indices into the PoseSequence, end exclusive.
    """

    pass_id: int
    start: int
    end: int
    start_s: float
    end_s: float
    direction: str
    facing: str
    view: str
    treadmill: bool = False
    usable: bool = True
    reason: str = ""
    #: Subject side of the leg nearer the camera in a sagittal pass ("left"/"right"), else "".
    near_side: str = ""
    #: Frames of this pass where leg labels were swapped back by identity correction.
    n_swaps_corrected: int = 0

    def leg(self, side: str) -> str:
        """"near" or "far" for a subject side in a pass with a near side, else ""."""
        if self.near_side not in ("left", "right"):
            return ""
        return "near" if side == self.near_side else "far"
