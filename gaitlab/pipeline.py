"""Pipeline configuration: every tunable, loaded from TOML through a schema.

``pipelines/default.toml`` holds the clinical defaults and is the only place where their values
live. A user pipeline file overrides any subset of it. The schema is the set of dataclasses below:
an unknown section or key, or a value of the wrong type, is a :class:`~gaitlab.errors.ConfigError`
that names it. The canonical hash of the resolved configuration is recorded in every output.

Each section belongs to one stage; a stage reads only its section.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import ConfigError

PIPELINE_DIR = Path(__file__).resolve().parent / "pipelines"
DEFAULT_PIPELINE = PIPELINE_DIR / "default.toml"


@dataclass(frozen=True)
class VideoConfig:
    """Decoding (``video.py``)."""

    min_duration_s: float  # shorter clips are rejected as "not a video"
    min_frames: int  # fewer decoded frames are rejected
    probe_timeout_s: float  # a probe that takes longer is treated as unreadable
    pose_max_side_px: int  # frames are downscaled so that their longer side is at most this (0 = never)


@dataclass(frozen=True)
class PoseConfig:
    """Pose estimation (``pose/``)."""

    backend: str  # only "mediapipe" estimates from video; importers are chosen by --keypoints
    model_complexity: int  # 1 only: the sole model inside the mediapipe wheel
    min_detection_confidence: float
    min_tracking_confidence: float


@dataclass(frozen=True)
class WalkerConfig:
    """Walker selection (``pose/walker.py``)."""

    search_interval_s: float  # how often people are searched for (static mode + masking) while tracking
    idle_search_interval_s: float  # how often while nobody is tracked
    max_people: int  # at most this many people are found per search and tracked at once
    crop_margin: float  # crop side = body box side × (1 + 2 × margin)
    lost_after_s: float  # a track whose person is not found for this long ends
    score_window_s: float  # walking is judged in windows of this length
    min_walk_speed_heights_per_s: float  # slower hips (body heights/s) are not walking
    max_speed_heights_per_s: float  # faster is a jump/flip or a tracking jump, not walking
    size_change_weight: float  # |d ln(apparent height)/dt| × this counts as travel (front views)
    min_ankle_swing_heights: float  # ankles must swing at least this (body heights) within a window
    ambiguity_ratio: float  # another person walking ≥ this × the walker's seconds, at the same time → ambiguous
    same_person_appearance: float  # colour-histogram distance (0–1) under which two stretches are one person
    min_person_rows: int  # a track shorter than this many frames is not counted as a person


@dataclass(frozen=True)
class PassesConfig:
    """Walking-pass segmentation (``gait/passes.py``)."""

    min_pass_s: float


@dataclass(frozen=True)
class SidesConfig:
    """Left/right identity correction and side assignment (``pose/sides.py``)."""

    max_swap_run_s: float


@dataclass(frozen=True)
class FilterConfig:
    """Resampling, gap filling, outliers and filtering (``gait/filtering.py``)."""

    cutoff_hz: float
    max_gap_s: float


@dataclass(frozen=True)
class KinematicsConfig:
    """Per-frame angles (``gait/kinematics.py``)."""

    roll_warn_deg: float


@dataclass(frozen=True)
class PipelineConfig:
    """The whole resolved configuration."""

    name: str
    video: VideoConfig
    pose: PoseConfig
    walker: WalkerConfig
    passes: PassesConfig
    sides: SidesConfig
    filter: FilterConfig
    kinematics: KinematicsConfig

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def canonical_json(self, sections: tuple[str, ...] | None = None) -> str:
        """Sorted, compact JSON of the resolved config (or of some sections): the input to hashes."""
        d = self.to_dict()
        if sections is not None:
            d = {k: d[k] for k in sections}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    def hash(self, sections: tuple[str, ...] | None = None) -> str:
        """sha256 of :meth:`canonical_json` (the ``name`` is not part of the analysis)."""
        d = json.loads(self.canonical_json(sections))
        d.pop("name", None)
        return hashlib.sha256(json.dumps(d, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(PipelineConfig)
    return {f.name: hints[f.name] for f in dataclasses.fields(PipelineConfig) if f.name != "name"}


def _check_value(where: str, value: Any, typ: Any) -> Any:
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"Pipeline key '{where}' must be a number, got {value!r}.")
        return float(value)
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"Pipeline key '{where}' must be a whole number, got {value!r}.")
        return value
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"Pipeline key '{where}' must be true or false, got {value!r}.")
        return value
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"Pipeline key '{where}' must be a string, got {value!r}.")
        return value
    origin = typing.get_origin(typ)
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(typ) or (Any,)
        if not isinstance(value, list):
            raise ConfigError(f"Pipeline key '{where}' must be a list, got {value!r}.")
        return tuple(_check_value(f"{where}[{i}]", v, inner) for i, v in enumerate(value))
    return value


def _merge(base: dict, over: dict, where: str = "") -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            out[k] = _merge(base[k], v, f"{where}{k}.")
        else:
            out[k] = v
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"Pipeline file '{path}' does not exist; give the path of a .toml file.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Pipeline file '{path}' is not valid TOML ({exc}); fix the line it names.") from None


def from_dict(raw: dict, name: str = "custom") -> PipelineConfig:
    """Validate a complete configuration dictionary against the schema."""
    sections = _sections()
    raw = dict(raw)
    raw.pop("name", None)
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ConfigError(
            f"Unknown pipeline section '{unknown[0]}'; valid sections are {', '.join(sorted(sections))}."
        )
    built: dict[str, Any] = {}
    for sec, cls in sections.items():
        values = raw.get(sec, {})
        if not isinstance(values, dict):
            raise ConfigError(f"Pipeline section '{sec}' must be a table ([{sec}]).")
        hints = typing.get_type_hints(cls)
        fields = [f.name for f in dataclasses.fields(cls)]
        extra = sorted(set(values) - set(fields))
        if extra:
            raise ConfigError(
                f"Unknown pipeline key '{sec}.{extra[0]}'; valid keys in [{sec}] are {', '.join(fields)}."
            )
        missing = [f for f in fields if f not in values]
        if missing:
            raise ConfigError(f"Pipeline key '{sec}.{missing[0]}' is missing from the default pipeline.")
        built[sec] = cls(**{f: _check_value(f"{sec}.{f}", values[f], hints[f]) for f in fields})
    cfg = PipelineConfig(name=name, **built)
    _validate(cfg)
    return cfg


def _validate(cfg: PipelineConfig) -> None:
    if cfg.pose.model_complexity != 1:
        raise ConfigError(
            "pose.model_complexity must be 1: it is the only pose model shipped inside mediapipe 0.10.21, "
            "and gaitlab never downloads models."
        )
    if cfg.pose.backend != "mediapipe":
        raise ConfigError("pose.backend must be \"mediapipe\"; use --keypoints to import other keypoints.")
    if cfg.filter.cutoff_hz <= 0:
        raise ConfigError("filter.cutoff_hz must be positive.")


def load_pipeline(path: str | Path | None = None) -> PipelineConfig:
    """Load ``default.toml``, overlay the user's file (if any), validate and return the config.

    ``path`` may also be the bare name of a file in ``pipelines/`` (``"default"``, ``"research"``).
    """
    base = _read_toml(DEFAULT_PIPELINE)
    if path is None:
        return from_dict(base, name="default")
    p = Path(path)
    if not p.exists() and (PIPELINE_DIR / f"{path}.toml").exists():
        p = PIPELINE_DIR / f"{path}.toml"
    user = _read_toml(p)
    name = user.pop("name", p.stem) if isinstance(user.get("name"), str) else p.stem
    sections = _sections()
    for sec, vals in user.items():
        if sec not in sections:
            raise ConfigError(
                f"Unknown pipeline section '{sec}' in {p}; valid sections are {', '.join(sorted(sections))}."
            )
        if isinstance(vals, dict):
            for key in vals:
                if key not in base.get(sec, {}):
                    valid = ", ".join(base.get(sec, {}))
                    raise ConfigError(f"Unknown pipeline key '{sec}.{key}' in {p}; valid keys in [{sec}] are {valid}.")
    return from_dict(_merge(base, user), name=name)
