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
    timestamp_scan_s: float  # without a full container index, packet timestamps are scanned this far (s)
    vfr_tolerance: float  # a frame interval off the median by more than this fraction → variable frame rate
    slowmo_rate_tolerance: float  # capture and playback rates differing by more than this fraction → slow motion
    truncation_tolerance_s: float  # decoding ending this long before the declared duration → "file ends at" warning
    hdr_tonemap: bool  # tone-map PQ/HLG clips to SDR (false: convert colours without tone mapping)
    hdr_reference_white_nits: float  # HDR luminance shown as SDR white (ITU-R BT.2408: 203)
    hdr_knee: float  # fraction of SDR white above which HDR highlights are compressed


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
    same_person_height_ratio: float  # without colours (keypoint files): body heights within this ratio
    min_person_rows: int  # a track shorter than this many frames is not counted as a person
    position_slack_heights: float  # same person: hips within this (body heights) + max speed × time apart
    min_size_ratio: float  # same person: apparent body heights within this ratio (and its inverse)
    jump_slack_heights: float  # a tracker result further than this + max speed × dt from the last is a jump
    duplicate_heights: float  # two tracks this close (body heights) follow one person (tracking, chunk overlap)
    mask_pad_heights: float  # a found person is masked with their body box grown by this × its height


@dataclass(frozen=True)
class PassesConfig:
    """Walking-pass segmentation (``gait/passes.py``). Speeds in leg lengths (hip→ankle) per second."""

    min_pass_s: float  # usable passes are at least this long (s)
    min_pass_steps: int  # side-view passes show at least this many steps (hips gliding without steps = not walking)
    max_gap_s: float  # untracked gaps up to this are bridged (s); longer ones split the track
    max_jump_ll: float  # hips jumping more than this between frames (leg lengths) = another track
    max_scale_jump: float  # apparent leg length changing more than this factor between frames = another track
    min_torso_leg_ratio: float  # a track whose median torso / leg length is below this is spurious
    max_width_ratio: float  # a track whose median shoulder width / torso length is above this is spurious
    travel_cutoff_hz: float  # low-pass of trajectories before differentiating (below stride frequency)
    focal_length_fraction: float  # assumed focal length / longer image side (converts approach rate to speed)
    min_travel_speed_ll_s: float  # slower = not travelling (standing, turning, treadmill)
    min_state_s: float  # majority-vote window of frame states (s)
    axis_hysteresis_deg: float  # travel within this of 45° keeps its previous axis (image x or depth)
    max_heading_rate_deg_s: float  # the travel direction swinging round faster than this (deg/s) = a turn
    heading_min_speed_ll_s: float  # ... judged only at speeds above this (the direction of a slow drift is noise)
    min_travel_ll: float  # a moving stretch covering less than this (leg lengths) counts as still
    facing_window_s: float  # median window of facing and body-width cues (s)
    min_facing_lateral: float  # |nose-ahead/torso + foot-pointing/leg| to call facing left/right
    min_facing_depth: float  # |nose depth and shoulder order / torso| to call facing toward/away
    sagittal_max_travel_deg: float  # sagittal: travel within this angle of the image plane
    sagittal_max_width_ratio: float  # sagittal: shoulder width / torso length at most this
    frontal_max_travel_deg: float  # frontal: travel within this angle of the camera axis
    frontal_min_width_ratio: float  # frontal: shoulder width / torso length at least this
    edge_margin_ll: float  # a body landmark nearer the image border than this (leg lengths) = cut
    step_band_fraction: float  # dead band when counting steps, as a fraction of the ankle-separation swing
    step_min_band_ll: float  # ... and at least this (leg lengths): MediaPipe jitter of a still walker
    treadmill_min_swing_ll: float  # a treadmill's ankle separation swings at least this (leg lengths)
    treadmill_min_steps: int  # a still stretch with at least this many steps is treadmill walking
    max_turn_s: float  # a still stretch longer than this is "standing", never a turn (s)
    run_min_steps: int  # running is judged only on stretches with at least this many steps
    run_min_speed_ll_s: float  # running evidence (side views): speed at least this
    run_min_cadence_steps_min: float  # running evidence: cadence at least this (steps/min)


@dataclass(frozen=True)
class SidesConfig:
    """Left/right identity correction and side assignment (``pose/sides.py``)."""

    max_swap_run_s: float  # longer self-consistent label runs are identity epochs, not swaps
    segment_gap_s: float  # a time gap longer than this starts a new tracked segment
    continuity_sigma_ll: float  # σ of a leg point's constant-velocity prediction residual, leg lengths
    residual_cap_sigma: float  # a point's residual cost is capped at this many σ (one wild landmark)
    swap_frame_cost: float  # cost of each frame whose leg labels are swapped (prior: MediaPipe is mostly right)
    switch_cost: float  # cost of a label change between frames (units of squared residual / σ²)
    min_separation_ll: float  # frames whose legs are closer than this (leg lengths) carry no evidence
    collapse_ratio: float  # a frame whose leg separation dips below this × both neighbours' carries no evidence
    max_velocity_ratio: float  # cap on dt(t)/dt(t-1) when extrapolating over uneven frame intervals
    continuity_rate_hz: float  # the programme uses about this many frames per second (longer velocity baseline)
    min_fps: float  # below this frame rate legs move too far between frames: no swap correction (warning)
    leg_length_window_s: float  # running-median window of the leg-length scale
    depth_weight: float  # cost per frame of a fully contradicting near-leg depth/visibility vote
    depth_bound_min_frames: int  # corrected frames needed to tell whether z/visibility moved with x, y
    side_min_agreement: float  # fraction of a pass's frames that must agree with its near/far decision
    partial_swap_cost: float  # cost per frame of a joint group (knees; feet) swapped apart from its whole leg
    partial_min_separation_ll: float  # joint-group programme: frames whose pair is closer than this carry no evidence
    shank_sigma_ll: float  # σ of a shank's image length (knee–ankle) about its running median, leg lengths
    implausible_ll: float  # a limb point farther than this (leg lengths) from every continuity prediction is set missing
    implausible_warn_fraction: float  # warn when more of a usable pass's frames than this had a point set missing


@dataclass(frozen=True)
class FilterConfig:
    """Resampling, gap filling, outliers and filtering (``gait/filtering.py``)."""

    cutoff_hz: float  # −3 dB point of the zero-lag filter (see double_pass_correction), Hz
    max_gap_s: float  # NaN gaps up to this long are filled by linear interpolation
    butter_order: int  # Butterworth order of each of the two passes
    double_pass_correction: bool  # true: cutoff_hz is the −3 dB point of the forward–backward pair
    max_cutoff_fs_fraction: float  # cut-off is clamped to this fraction of the frame rate (warning)
    outlier_window_s: float  # centred running-median window of the outlier test
    outlier_scale_window_s: float  # blocks over which the outlier test estimates its robust noise SD
    outlier_n_sigma: float  # a sample farther than this many robust SDs from the running median is an outlier
    outlier_min_leg_fraction: float  # ... but only when also farther than this fraction of the leg length


@dataclass(frozen=True)
class KinematicsConfig:
    """Per-frame angles (``gait/kinematics.py``)."""

    roll_warn_deg: float
    roll_contact_speed_leg_per_s: float  # side view: a heel slower than this along x (leg lengths/s) may be on the floor
    roll_contact_min_s: float  # a floor contact lasts at least this long
    roll_contact_height_tol_leg: float  # contact point = frames within this (leg lengths) of the run's lowest
    roll_min_contacts: int  # fewer floor contacts in total → roll not measurable
    roll_min_span_leg: float  # contacts of a pass/side must span this many leg lengths along the path
    roll_frontal_speed_ratio: float  # front view: a foot slower than this × the other foot's speed is planted
    roll_from_frontal_path: bool  # front-only clips: estimate roll from the walking path (off: not measurable)
    standing_min_s: float  # quiet side-view standing at least this long gives the ankle's standing offset

@dataclass(frozen=True)
class EventsConfig:
    """Gait events (``gait/events.py``)."""

    method: str  # sagittal passes: "zeni" (default) or "oconnor"; frontal passes always use ankle height
    edge_margin_s: float  # events this close to a pass edge (or turn) are dropped
    min_event_interval_s: float  # events of one side and kind at least this far apart
    prominence_fraction: float  # peak prominence ≥ this × the signal's 5–95 % range in the pass
    hs_offset_s: float  # added to every Zeni heel strike (method bias correction)
    to_offset_s: float  # added to every Zeni toe off
    frontal_speed_fraction: float  # frontal HS: heel image speed below this fraction of the swing peak
    foot_speed_fraction: float  # sagittal "foot_speed" method: heel/toe speed threshold, fraction of the swing peak
    frontal_away_events: bool  # time heel strikes in passes walking away from the camera (not validated)


@dataclass(frozen=True)
class StridesConfig:
    """Strides and per-stride values (``gait/spatiotemporal.py``)."""

    min_stride_s: float  # shorter HS→HS intervals are not strides (missed or double events)
    max_stride_s: float
    min_stance_pct: float  # a stride whose stance % is outside this range has inconsistent events
    max_stance_pct: float
    max_stride_deviation: float  # strides (steps: of the same side) this fraction off the pass's median are dropped
    leg_length_height_ratio: float  # hip–ankle length / body height (Winter) for metres from --height-cm
    leg_length_percentile: float  # per-pass percentile of the hip–ankle image distance taken as leg length
    loading_window_pct: tuple[float, float]  # stride % range of the loading-response knee-flexion peak
    loading_peak_drop_deg: float  # ... the first peak in that range the mean curve falls this far below
    late_swing_window_pct: tuple[float, float]  # stride % range of the late-swing ankle mean (foot drop)
    approx_single_support_pct: tuple[float, float]  # frontal passes without side timing: single support ≈ this range
    pelvic_window_pct: tuple[float, float]  # pelvic drop / hip hiking: extreme within this stride % range
    pelvic_search_window_pct: tuple[float, float]  # ... the largest interior extreme in this wider range first
    pelvic_level_window_pct: tuple[float, float]  # double-support level: where obliquity dwells in this stride % range
    pelvic_level_band_deg: float  # ... the median re-taken over values within this of it
    pelvic_hs_lag_s: float  # frontal heel strikes are this late on average: pelvic windows start this much earlier
    fppa_window_pct: tuple[float, float]  # knee FPPA: peak within this stride % range (0–20 % of stance)
    perspective_min_steps: int  # step-length perspective correction needs this many steps in the pass
    perspective_min_spread_ll: float  # ... spread along the walkway by at least this SD (leg lengths)
    assumed_hfov_deg: float  # camera field of view along the frame's long side (a phone's main camera)
    sagittal_max_view_angle_deg: float  # sagittal angles only from strides within this of the optical axis
    outlier_robust_sd: float  # a stride's angle value this many robust SDs from the side's median is emptied
    outlier_min_deg: float  # ... and at least this far from it (deg)
    outlier_min_strides: int  # ... when the side has at least this many values


@dataclass(frozen=True)
class QualityConfig:
    """Quality gates (``gait/quality.py``)."""

    min_fps_temporal: float  # below: temporal metrics not measurable (CLINICAL §3)
    warn_fps: float  # below: a warning about event timing
    min_tracking_coverage: float  # fraction of usable-pass frames with the hips tracked
    min_walker_height_px: float  # below: angle metrics not measurable
    warn_walker_height_px: float  # below: a warning (recording protocol)
    max_roll_deg: float  # |camera roll| above: angles to the vertical not measurable
    thigh_trunk_ratio_range: tuple[float, float]  # sagittal thigh / trunk image length outside: angles not measurable
    min_event_visibility: float  # one foot's median visibility below: its temporal metrics not measurable
    min_angle_visibility: float  # near leg's median visibility below: its angle metrics not measurable


@dataclass(frozen=True)
class MetricsConfig:
    """Summary metrics and their statistics (``gait/metrics.py``, CLINICAL §4)."""

    ci_level: float  # confidence level of every interval
    n_bootstrap: int  # bootstrap resamples (seeded from the input's content hash)
    bootstrap_min_n: int  # fewer strides per side → t-interval instead of bootstrap
    min_strides_mean: int  # per-side means need at least this many strides
    min_strides_symmetry: int  # temporal asymmetry: strides per side
    min_strides_cv: int  # variability: steady strides (first and last of each pass excluded)
    min_strides_angles: int  # angle metrics: near-leg strides per side
    pelvic_from_landmarks: bool  # report pelvic drop / hip hiking from hip landmarks (not validated: see metrics.PELVIC)


@dataclass(frozen=True)
class FlagsConfig:
    """Compensatory-pattern flags (``patterns/``, CLINICAL §6). Pairs are (possible, marked); a flag fires
    when the whole confidence interval is past the threshold (CLINICAL §4)."""

    high_fps: float  # at or above this frame rate the *_high_fps temporal thresholds apply (event noise smaller)
    antalgic_stance_ratio: tuple[float, float]  # stance-time ratio (longer / shorter side)
    antalgic_stance_ratio_high_fps: tuple[float, float]
    step_time_ratio: tuple[float, float]
    step_time_ratio_high_fps: tuple[float, float]
    step_length_ratio: tuple[float, float]
    knee_loading_flexion_deg: tuple[float, float]  # below: knee guarding (loading response)
    knee_swing_flexion_deg: tuple[float, float]  # below: knee guarding (swing peak)
    thigh_extension_deg: tuple[float, float]  # below: reduced hip extension
    trunk_inclination_deg: tuple[float, float]  # above: forward trunk lean
    late_swing_dorsiflexion_deg: tuple[float, float]  # below: foot drop
    contact_max_foot_pitch_deg: float  # foot pitched toe-up by less than this at heel strike = flat / toe-first
    contact_min_fraction: float  # foot drop is corroborated when at least this fraction of strides land flat
    steppage_thigh_deg: float  # peak swing thigh angle above this = steppage
    steppage_side_excess_deg: float  # ... or above the other side's by more than this
    pelvic_drop_deg: tuple[float, float]  # above: contralateral pelvic drop
    lateral_trunk_lean_deg: tuple[float, float]  # above: lateral trunk lean toward stance
    knee_fppa_deg: tuple[float, float]  # above: dynamic knee valgus
    hip_hiking_deg: tuple[float, float]  # above: hip hiking
    swing_foot_excursion_hw: tuple[float, float]  # above: circumduction
    stride_time_cv_pct: tuple[float, float]  # above: irregular stride timing
    stride_time_cv_pct_high_fps: tuple[float, float]
    timing_from_frontal: bool  # step-time asymmetry and stride-time CV from front-view heel strikes (see default.toml)


@dataclass(frozen=True)
class ImageObliquityConfig:
    """Image-based frontal pelvic obliquity (``pose/image_pelvis.py``; the values here equal
    ``[image_obliquity]`` of default.toml, which a test checks). Band geometry is in trunk lengths (mid-hip → mid-shoulder image
    distance) around the mid-hip / mid-shoulder points,
    y measured upward."""

    #: Measure obliquity from the image in frontal passes of a video (pelvic drop / hip hiking are
    #: not measurable from landmarks alone).
    enabled: bool = True
    #: Pelvic metrics are reported only when the image measured at least this fraction of frontal frames
    #: and the estimate's frame-to-frame jitter (SD of its rate of change) stays below max_jitter_deg_s.
    min_measured_fraction: float = 0.8
    max_jitter_deg_s: float = 60.0
    #: Report per-stride pelvic drop / hip hiking from the image obliquity (read against a double-support
    #: level, robust to late front-view heel strikes: 0.7° mean error on rendered walkers, 2026-12-02).
    report_pelvic_metrics: bool = True
    #: "combined" (mean of the two where both measured), "edge" or "lk".
    method: str = "combined"
    #: Waist band: half width for "edge" and for "lk" (probe 2026-12-02: a wider band takes the outline and
    #: the background into "edge", a narrower one leaves "lk" too few corners), bottom/top above the mid-hip.
    pelvis_half_width: float = 0.20
    lk_pelvis_half_width: float = 0.28
    pelvis_bottom: float = -0.05
    pelvis_top: float = 0.28
    #: Shoulder band: half width, and bottom/top relative to the mid-shoulder.
    shoulder_half_width: float = 0.45
    shoulder_bottom: float = -0.20
    shoulder_top: float = 0.15
    #: LK: corners per band, their spacing (px), quality level; window (px) and pyramid levels.
    max_corners: int = 80
    min_distance_px: float = 3.0
    corner_quality: float = 0.005
    lk_win_px: int = 11
    lk_levels: int = 2
    #: LK: a band whose gray levels vary less than this (SD) has nothing to track (a plain garment).
    lk_min_band_sd: float = 6.0
    #: LK: forward–backward error limit (px); re-seed period (frames) and minimum points kept.
    fb_max_px: float = 1.5
    reseed_frames: int = 10
    min_points: int = 6
    #: RANSAC inlier distance (px) of the similarity fit.
    ransac_px: float = 1.0
    #: Complementary filter: the slow part (centred moving average over this window, s) comes from the
    #: landmarks; 0 = keep the image's own (drifting) level.
    trend_s: float = 2.0
    #: Edge: gradients farther than this from the edge normal are ignored (deg); Sobel pre-blur (px SD);
    #: least contrast (gray levels) of the single horizontal step across the band that would give the
    #: band's gradient energy — a plain garment (a dress, a coat) has no waist edge to measure.
    edge_max_deg: float = 60.0
    edge_blur_px: float = 1.0
    edge_min_contrast: float = 10.0
    #: Zero-lag low-pass of the output (Hz; 0 = none) after filling NaN gaps up to ``max_gap_s``, and the
    #: quality below which a frame is NaN.
    cutoff_hz: float = 6.0
    max_gap_s: float = 0.2
    min_quality: float = 0.3
    #: A frame farther than this from the landmarks' own line (deg) is not measured: the landmarks follow
    #: only part of a true tilt, but never miss by this much; such a frame saw something else (hands,
    #: folds, a second person).
    max_landmark_dev_deg: float = 15.0
    #: Frames whose trunk (mid-hip → mid-shoulder) is shorter than this (px) are not measured: the waist
    #: band would be under ≈ 16 px wide.
    min_trunk_px: float = 40.0
    #: Frames are decoded with their longer side at most this (px; 0 = display size), as pose does.
    max_side_px: int = 1280


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
    events: EventsConfig
    strides: StridesConfig
    quality: QualityConfig
    metrics: MetricsConfig
    flags: FlagsConfig
    image_obliquity: ImageObliquityConfig

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
    if cfg.events.method not in ("zeni", "oconnor", "foot_speed"):
        raise ConfigError(f"events.method must be \"zeni\", \"oconnor\" or \"foot_speed\", not \"{cfg.events.method}\".")
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
