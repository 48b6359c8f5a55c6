"""``gaitlab.analyze()``: the one entry point the CLI, batch runner and web worker call.

Stages: probe/decode (``video``) → pose with walker selection (``pose.estimate``, cached) → passes
(``gait.passes``) → left/right identity correction and subject sides (``pose.sides``) → resampling
and filtering (``gait.filtering``) → camera roll and per-frame kinematics (``gait.kinematics``) →
events (``gait.events``) → strides (``gait.spatiotemporal``) → quality gates (``gait.quality``) →
metrics with confidence intervals (``gait.metrics``) and time-normalised cycles (``gait.cycles``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .cache import file_sha256, load_pose, pose_key, save_pose
from .errors import ConfigError, NoPersonError
from .export import SCHEMA_VERSION
from .gait.cycles import compute_cycles, summarise_cycles
from .gait.events import detect_events
from .gait.filtering import passes_on_grid, prepare
from .gait.kinematics import compute_kinematics, estimate_roll_deg, standing_ankle_offset
from .gait.metrics import compute_metrics
from .gait.passes import segment_passes
from .gait.quality import Gate, evaluate_gates, gate_warnings
from .gait.spatiotemporal import compute_strides
from .gait.stats import seed_from_hash
from .patterns import FLAG_COLUMNS, evaluate_flags
from .model import Pass, PoseSequence
from .pipeline import PipelineConfig, load_pipeline
from .pose.sides import assign_sides, correct_leg_swaps, with_swap_counts
from .pose.walker import parse_person_hint

Progress = Callable[[int, "int | None"], None]

#: Bump when the pose stage's code changes its output, so that cached landmarks are recomputed.
POSE_STAGE_REVISION = 2


@dataclass
class GaitAnalysis:
    """Everything one analysis produced. ``pose`` is the walker's landmarks as estimated (MediaPipe
    labels); ``pose_sides`` the same after identity correction with subject sides."""

    source: dict[str, Any]
    config: PipelineConfig
    pose: PoseSequence
    pose_sides: PoseSequence
    passes: list[Pass]
    kinematics: pd.DataFrame
    roll_deg: float
    roll_method: str
    events: pd.DataFrame
    steps: pd.DataFrame
    strides: pd.DataFrame
    metrics: pd.DataFrame
    cycles: pd.DataFrame
    cycle_summary: pd.DataFrame
    gates: list[Gate]
    flags: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(FLAG_COLUMNS)))
    ankle_standing_offset_deg: dict[str, float] = field(default_factory=dict)
    ankle_offset_reason: str = ""
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    #: Two-clip session facts (clips, single-support window, temporal agreement); empty for one clip.
    session: dict[str, Any] = field(default_factory=dict)
    #: Two-clip session: the front clip's own analysis (written to ``front_clip/``).
    front: "GaitAnalysis | None" = None
    #: How frontal pelvic obliquity was measured (image waistband or landmarks) and how well.
    pelvic_obliquity: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The content of ``analysis.json``."""
        from .pose.mediapipe_backend import model_info

        usable = [p for p in self.passes if p.usable]
        prov = {
            "gaitlab": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, **_lib_versions(), **(model_info() if self.pose.backend == "mediapipe" else {}),
        }
        return {
            "schema_version": SCHEMA_VERSION,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "source": self.source,
            "pipeline": {"name": self.config.name, "sha256": self.config.hash(), "config": self.config.to_dict()},
            "provenance": prov,
            "pose": {
                "backend": self.pose.backend, "frames": len(self.pose), "fps": self.pose.fps,
                "tracked_fraction": float(self.pose.tracked().mean()) if len(self.pose) else 0.0,
                "width_px": self.pose.width_px, "height_px": self.pose.height_px, "mirrored": self.pose.mirrored,
            },
            "camera_roll_deg": self.roll_deg,
            "camera_roll_method": self.roll_method,
            "ankle_standing_offset_deg": self.ankle_standing_offset_deg or None,
            "ankle_standing_offset_not_measurable": self.ankle_offset_reason or None,
            "passes": [p.__dict__ for p in self.passes],
            "usable_passes": len(usable),
            "strides": {side: int((self.strides.side == side).sum()) for side in ("left", "right")},
            "quality_gates": [g.as_dict() for g in self.gates],
            "metrics": self.metrics.to_dict(orient="records"),
            "flags": self.flags.to_dict(orient="records"),
            **({"pelvic_obliquity": self.pelvic_obliquity} if self.pelvic_obliquity else {}),
            **({"session": self.session} if self.session else {}),
            "warnings": self.warnings,
            "timings_s": self.timings_s,
        }

    def text_summary(self) -> str:
        usable = [p for p in self.passes if p.usable]
        lines = [f"{len(self.pose)} frames, walker tracked in {100 * self.pose.tracked().mean():.0f} %; "
                 f"{len(usable)} usable pass(es) of {len(self.passes)}:"]
        for p in self.passes:
            state = "usable" if p.usable else f"excluded: {p.reason}"
            lines.append(f"  pass {p.pass_id}: {p.start_s:5.1f}–{p.end_s:5.1f} s  {p.view:<15} moving {p.direction:<6} ({state})")
        n = {s: int((self.strides.side == s).sum()) for s in ("left", "right")}
        lines.append(f"Strides: {n['left']} left, {n['right']} right.")
        m = self.metrics
        for name in KEY_METRICS:
            for r in m[m.metric == name].itertuples():
                label = f"  {name} ({r.side})"
                if r.measurable:
                    ci = f" [{r.ci_low:.3g}, {r.ci_high:.3g}]" if np.isfinite(r.ci_low) else ""
                    lines.append(f"{label}: {r.value:.3g}{ci} {r.unit}, n = {r.n}")
                else:
                    lines.append(f"{label}: not measurable — {r.reason}")
        lines += flags_text(self.flags)
        return "\n".join(lines)


#: Metrics printed by the CLI (all of them are in metrics.csv).
KEY_METRICS = ("cadence_steps_min", "stance_pct", "stance_time_asymmetry", "step_time_asymmetry",
               "knee_flex_swing_peak_deg", "speed_ll_s")


def flags_text(flags: pd.DataFrame) -> list[str]:
    """CLI lines: each flagged pattern with value, CI and threshold; the count of not assessable ones."""
    hit = flags[flags.status == "flagged"]
    na = flags[flags.status == "not_assessable"]
    lines = [f"Flags: {len(hit)} raised, {int((flags.status == 'not_flagged').sum())} not raised, "
             f"{len(na)} not assessable (screening support, not a diagnosis; flags.csv has every row and reason)."]
    for r in hit.itertuples():
        thr = r.threshold_marked if r.severity == "marked" else r.threshold_possible
        lines.append(f"  {r.severity.upper():8} {r.name} ({r.side}): {r.metric} = {r.value:.3g} "
                     f"[{r.ci_low:.3g}, {r.ci_high:.3g}] {r.unit}, n = {r.n}; threshold {thr:g}")
    reasons = na.reason.value_counts()
    for why, k in reasons.head(3).items():
        lines.append(f"  not assessable ({k}): {why}")
    return lines


def _lib_versions() -> dict[str, str]:
    import av
    import scipy

    libs = getattr(av, "library_versions", {})
    return {"scipy": scipy.__version__, "av": av.__version__,
            **{name: ".".join(map(str, libs[name])) for name in ("libavformat", "libavcodec") if name in libs}}


def _pose_from_video(path: Path, cfg: PipelineConfig, *, hint, capture_fps, time_scale, use_cache: bool,
                     chunks: int, progress: Progress | None, source: dict, sha256: str | None = None) -> PoseSequence:
    from .pose.estimate import estimate_pose
    from .pose.mediapipe_backend import model_info
    from .video import iter_frames, probe

    info = probe(path, cfg.video, capture_fps=capture_fps, time_scale=time_scale)
    source.update(info.as_dict())
    source["file_name"] = path.name
    sha = sha256 or file_sha256(path)
    source["sha256"] = sha
    stage = {
        "pose": cfg.canonical_json(("pose", "walker")), "max_side_px": cfg.video.pose_max_side_px,
        "time_scale": info.time_scale, "hint": repr(hint), "chunks": chunks, "gaitlab": __version__,
        "pose_stage_revision": POSE_STAGE_REVISION, **model_info(),
    }
    key = pose_key(sha, stage)
    if use_cache and (cached := load_pose(key)) is not None:
        if progress:
            progress(len(cached), len(cached))
        return cached
    if chunks > 1:
        from .pose.chunked import estimate_pose_chunked

        pose = estimate_pose_chunked(info, cfg, n_chunks=chunks, hint=hint)
    else:
        frames = iter_frames(info, max_side_px=cfg.video.pose_max_side_px)
        total = int(info.n_frames) if info.n_frames else None
        pose = estimate_pose(
            frames, cfg, width_px=info.width_px, height_px=info.height_px, mirrored=info.mirrored, hint=hint,
            progress=(lambda n: progress(n, total)) if progress else None,
        )
        pose.warnings = [*info.warnings, *frames.warnings, *pose.warnings]
    pose.warnings = list(dict.fromkeys(pose.warnings))
    save_pose(key, pose)
    return pose


def _pose_from_keypoints(path: Path, cfg: PipelineConfig, *, hint, video: Path | None, source: dict) -> PoseSequence:
    from .pose.importers import read_landmarks_csv, read_openpose_folder
    from .pose.walker import choose_walker, link_candidates, merge_tracks

    source["keypoints"] = path.name
    if path.is_dir():
        if video is None:
            raise ConfigError(
                "An OpenPose folder needs its video for the frame rate and image size: "
                "gaitlab analyze clip.mp4 --keypoints openpose_json/"
            )
        from .video import probe

        info = probe(video, cfg.video)
        w, h = info.width_px, info.height_px
        t, candidates = read_openpose_folder(path, fps=info.avg_fps, width_px=w, height_px=h)
        tracks = link_candidates(t, candidates, cfg.walker)
        chosen, warnings = choose_walker(t, tracks, cfg.walker, hint)
        return PoseSequence(t_s=t, landmarks=merge_tracks(len(t), chosen), width_px=w, height_px=h,
                            backend="openpose", warnings=warnings)
    return read_landmarks_csv(path)


def analyze(
    video: str | Path | None = None,
    *,
    pipeline: str | Path | PipelineConfig | None = None,
    view: str = "auto",
    height_cm: float | None = None,
    belt_speed_m_s: float | None = None,
    keypoints: str | Path | None = None,
    person_hint: str | None = None,
    capture_fps: float | None = None,
    time_scale: float | None = None,
    use_cache: bool = True,
    chunks: int = 1,
    progress: Progress | None = None,
    pose: PoseSequence | None = None,
    video_sha256: str | None = None,
) -> GaitAnalysis:
    """Analyse one walking clip (or imported keypoints) and return a :class:`GaitAnalysis`.

    Parameters mirror ``gaitlab analyze``; ``progress(n_new_frames, total_or_None)`` is called while
    pose runs. ``chunks`` > 1 runs pose on that many time chunks in parallel processes (for one long
    clip on an otherwise idle machine; keep it 1 inside batch or web workers). ``pose`` analyses landmarks
    already in memory (e.g. a gait-model walk) instead of a file; ``video_sha256`` is the video's content
    hash when the caller already has it (batch), so the file is not read twice. Raises a :class:`~gaitlab.errors.GaitlabError` subclass for anything the user can fix.
    """
    cfg = pipeline if isinstance(pipeline, PipelineConfig) else load_pipeline(pipeline)
    if view not in ("auto", "sagittal", "frontal"):
        raise ConfigError(f"--view must be auto, sagittal or frontal, not '{view}'.")
    hint = parse_person_hint(person_hint)
    if chunks < 1:
        raise ConfigError(f"--chunks must be 1 or more, not {chunks}.")
    source: dict[str, Any] = {"height_cm": height_cm, "belt_speed_m_s": belt_speed_m_s}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if pose is not None:
        source["keypoints"] = "in-memory landmarks"
    elif keypoints is not None:
        pose = _pose_from_keypoints(Path(keypoints), cfg, hint=hint, video=Path(video) if video else None,
                                    source=source)
    elif video is not None:
        pose = _pose_from_video(Path(video), cfg, hint=hint, capture_fps=capture_fps, time_scale=time_scale,
                                   use_cache=use_cache, chunks=chunks, progress=progress, source=source,
                                   sha256=video_sha256)
    else:
        raise ConfigError("Give a video file (or --keypoints FILE) to analyse.")
    timings["pose"] = time.perf_counter() - t0
    if not pose.tracked().any():
        raise NoPersonError(
            "Nobody was found in the clip. Check that the walker's whole body is in view and lit, "
            "and that this is the right file."
        )
    t1 = time.perf_counter()
    warnings = list(pose.warnings)
    passes, w = segment_passes(pose, cfg.passes, view_override=view)
    warnings += w
    fixed, swapped = correct_leg_swaps(pose, passes, cfg.sides)
    warnings += fixed.warnings[len(pose.warnings):]
    passes = with_swap_counts(passes, swapped)
    sided, passes, w = assign_sides(fixed, passes, mirrored=pose.mirrored, cfg=cfg.sides)
    warnings += w
    prepared = prepare(sided, cfg.filter)
    warnings += list(prepared.warnings)
    grid_passes = passes_on_grid(passes, sided.t_s, prepared.t_s)
    roll, roll_method, w = estimate_roll_deg(prepared.t_s, prepared.landmarks, grid_passes, cfg.kinematics)
    warnings += w
    kin = compute_kinematics(prepared.t_s, prepared.landmarks, grid_passes, roll, cfg.kinematics,
                             frame_index=prepared.frame_index)
    ankle_offset, ankle_reason = standing_ankle_offset(prepared.t_s, prepared.landmarks, grid_passes, roll,
                                                       cfg.kinematics, frame_index=prepared.frame_index)
    for side, offset in ankle_offset.items():
        kin.loc[kin.side == side, "ankle_dorsiflexion_deg"] -= offset
    pelvic_reason, image_pelvis = None, None
    if video is not None and cfg.image_obliquity.enabled:
        t2 = time.perf_counter()
        kin, pelvic_reason, image_pelvis = _image_pelvis(Path(video), sided, passes, roll, kin, cfg)
        timings["image_pelvis"] = time.perf_counter() - t2
        if pelvic_reason == "":
            warnings.append("Pelvic obliquity (pelvic drop, hip hiking) was measured from the waistband in the image: "
                            "validated on rendered video only, not yet on real clips.")
    events = detect_events(prepared.t_s, prepared.landmarks, grid_passes, roll, cfg.events,
                           frame_index=prepared.frame_index)
    strides, steps, dropped = compute_strides(events, grid_passes, prepared.t_s, prepared.landmarks, kin, roll, cfg.strides,
                                       frame_index=prepared.frame_index, height_cm=height_cm,
                                       image_center_px=(pose.width_px / 2.0, pose.height_px / 2.0),
                                       belt_speed_m_s=belt_speed_m_s)
    warnings += _stride_warnings(grid_passes, events, strides, dropped)
    gates = evaluate_gates(prepared.landmarks, grid_passes, pose.fps, roll, cfg.quality)
    warnings += gate_warnings(gates, pose.fps, cfg.quality)
    content = source.get("sha256") or hashlib.sha256(np.ascontiguousarray(pose.landmarks).tobytes()).hexdigest()
    metrics = compute_metrics(strides, gates, cfg.metrics, seed=seed_from_hash(content), fps=pose.fps,
                              height_cm=height_cm, steps=steps, pelvic_reason=pelvic_reason)
    cycles = compute_cycles(strides, kin)
    flags = evaluate_flags(metrics, strides, gates, pose.fps, cfg, kin)
    timings["analysis"] = time.perf_counter() - t1
    return GaitAnalysis(
        source=source, config=cfg, pose=pose, pose_sides=sided, passes=passes, kinematics=kin, roll_deg=roll,
        roll_method=roll_method, events=events, steps=steps, strides=strides, metrics=metrics, cycles=cycles,
        cycle_summary=summarise_cycles(cycles), gates=gates, flags=flags, pelvic_obliquity=image_pelvis or {},
        ankle_standing_offset_deg=ankle_offset, ankle_offset_reason=ankle_reason,
        warnings=list(dict.fromkeys(warnings)), timings_s=timings,
    )


def _image_pelvis(video: Path, sided: PoseSequence, passes: list[Pass], roll: float, kin: pd.DataFrame,
                  pipeline: PipelineConfig) -> tuple[pd.DataFrame, str | None, dict | None]:
    """Frontal pelvic obliquity measured from the waistband in the image (``pose/image_pelvis.py``).

    Returns the kinematics with the frontal ``pelvic_obliquity_deg`` replaced, the reason pelvic metrics
    are not measurable ("" = measurable, None = no frontal pass) and what was measured."""
    from .gait.kinematics import FRONTAL_VIEWS
    from .pose.image_pelvis import image_obliquity, substitute_column

    rows = np.zeros(len(sided), bool)
    for p in passes:
        if p.usable and p.view in FRONTAL_VIEWS:
            rows[p.start:p.end] = True
    rows &= sided.tracked()
    if not rows.any():
        return kin, None, None
    cfg = pipeline.image_obliquity
    est = image_obliquity(video, sided, rows, cfg, roll_deg=roll, video_cfg=pipeline.video).obliquity_deg
    frac = float(np.isfinite(est[rows]).mean())
    with np.errstate(invalid="ignore"):
        rate = np.diff(est) * sided.fps
        rate = rate[rows[1:] & rows[:-1] & np.isfinite(rate)]
    jitter = float(np.std(rate)) if len(rate) > 2 else float("nan")
    info = {"source": "image waistband", "method": cfg.method, "measured_fraction": round(frac, 3),
            "jitter_deg_s": round(jitter, 1), "validated": "rendered video only"}
    if frac < cfg.min_measured_fraction:
        reason = (f"the waist could be measured in the image in only {100 * frac:.0f} % of front-view frames "
                  f"(needs {100 * cfg.min_measured_fraction:.0f} %): a plain or loose garment, or the walker too "
                  "small; hip landmarks alone do not follow pelvic obliquity")
    elif not jitter <= cfg.max_jitter_deg_s:
        reason = (f"the waistband tilt measured in the image is too unsteady ({jitter:.0f} deg/s frame to frame, "
                  f"limit {cfg.max_jitter_deg_s:g}); hip landmarks alone do not follow pelvic obliquity")
    elif not cfg.report_pelvic_metrics:
        reason = ("pelvic obliquity is measured from the image (kinematics.csv), but front-view heel strikes on "
                  "video are off by up to ±0.25 s (rendered walkers), too coarse to place each stance window "
                  "for per-stride drop and hiking")
        return substitute_column(kin, sided, est), reason, {**info, "reason": reason}
    else:
        return substitute_column(kin, sided, est), "", info
    return kin, reason, {**info, "source": "landmarks (image estimate rejected)", "reason": reason}


def _stride_warnings(passes: list[Pass], events: pd.DataFrame, strides: pd.DataFrame,
                     dropped: dict[int, dict[str, int]]) -> list[str]:
    """Say where events could not be turned into strides (no result rather than a bad result)."""
    out = []
    for p in passes:
        if not p.usable or p.view == "oblique":
            continue
        n_ev = int((events.pass_id == p.pass_id).sum())
        n_st = int((strides.pass_id == p.pass_id).sum())
        d = dropped.get(p.pass_id, {})
        bad = d.get("dropped_order", 0) + d.get("dropped_range", 0)
        if n_st == 0:
            why = ("no gait events were found" if n_ev == 0 else
                   f"its {n_ev} gait events are not in walking order" if d.get("dropped_order") else
                   "it holds no complete stride")
            out.append(f"Pass {p.pass_id} ({p.start_s:.1f}–{p.end_s:.1f} s) gives no strides: {why}.")
        elif bad:
            out.append(f"Pass {p.pass_id}: {bad} stride(s) dropped because their events were inconsistent "
                       f"(out of walking order or implausible duration); {n_st} kept.")
    return out
