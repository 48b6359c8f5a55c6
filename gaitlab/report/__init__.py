"""The clinical report: ``report.html`` (self-contained, no JavaScript), ``overlay.mp4`` and
``keyframes/*.png``, faces pixelated by default (:mod:`gaitlab.report.privacy`)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import GaitlabError
from . import html, plots
from .overlay import KeyFrameRequest, render_video

__all__ = ["FLAG_COLUMNS", "write_report_files"]

#: Columns of ``analysis.flags`` (gaitlab.patterns) that the report reads.
FLAG_COLUMNS = ("flag_id", "name", "side", "status", "severity", "metric", "value", "ci_low", "ci_high", "n", "unit",
                "threshold_possible", "threshold_marked", "normal_low", "normal_high", "mechanisms", "explanation",
                "evidence_strides", "evidence_frames", "key_frame", "clip", "reason")

#: Evidence of a two-clip session's front-clip flags starts with this (gaitlab.session.FRONT_PREFIX); a flags
#: table without a ``clip`` column is read by it: those flags' frames index the front clip.
FRONT_CLIP_PREFIX = "front clip: "

#: metric name fragment → (angle drawn on the key frame, kinematics column of its value, label).
_ANGLES = (("fppa", "fppa", "knee_fppa_deg", "knee FPPA"), ("knee", "knee", "knee_flexion_deg", "knee flexion"),
           ("thigh", "thigh", "thigh_angle_deg", "thigh to vertical"), ("hip_ext", "thigh", "thigh_angle_deg", "thigh to vertical"),
           ("lateral_trunk", "trunk", "lateral_trunk_lean_deg", "trunk lean (absolute)"),
           ("trunk", "trunk", "trunk_inclination_deg", "trunk inclination"),
           ("ankle", "ankle", "ankle_dorsiflexion_deg", "ankle dorsiflexion"),
           ("dorsi", "ankle", "ankle_dorsiflexion_deg", "ankle dorsiflexion"),
           ("pelvic", "pelvis", "pelvic_obliquity_deg", "pelvic obliquity (absolute)"),
           ("hiking", "pelvis", "pelvic_obliquity_deg", "pelvic obliquity (absolute)"))


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})


def angle_for(metric: str) -> tuple[str, str, str]:
    """(drawing kind, kinematics column, label) for a flag's metric; ("", "", "") = skeleton only."""
    for frag, kind, col, label in _ANGLES:
        if frag in str(metric):
            return kind, col, label
    return "", "", ""


def flag_clip(r) -> str:
    """"front" when a flag row's frames index a session's front clip, else "side" (or the one clip)."""
    clip = getattr(r, "clip", "")
    if isinstance(clip, str) and clip:
        return clip
    return "front" if str(r.evidence_strides).startswith(FRONT_CLIP_PREFIX) else "side"


def _requests(analysis, flags: pd.DataFrame,
              clip: str = "side") -> tuple[list[KeyFrameRequest], dict[str, tuple[str, str]]]:
    """Key frames to save from ``clip``'s video (one per flagged flag of that clip with a key frame, plus a
    tracking check of the side / one clip) and, per key frame, the kinematics column and label of the value
    written on it."""
    reqs, values = [], {}
    if not flags.empty:
        for r in flags[flags.status == "flagged"].itertuples():
            if pd.notna(r.key_frame) and int(r.key_frame) >= 0 and flag_clip(r) == clip:
                kind, col, label = angle_for(r.metric)
                name = f"{r.flag_id}_{r.side}"
                reqs.append(KeyFrameRequest(name, int(r.key_frame), r.side, kind,
                                            f"{r.name} ({r.side})" if r.side in ("left", "right") else r.name))
                values[name] = (col, label)
    usable = [p for p in analysis.passes if p.usable and p.end > p.start] if clip == "side" else []
    if usable:  # a tracking check: the middle of the longest usable pass
        p = max(usable, key=lambda p: p.end - p.start)
        frame = int(analysis.pose_sides.frame_index[(p.start + p.end) // 2])
        reqs.append(KeyFrameRequest("tracking_check", frame, "", "", f"Pass {p.pass_id}: tracked skeleton"))
    return reqs, values


def _value_text(kin: pd.DataFrame, values: dict[str, tuple[str, str]]):
    def text(req: KeyFrameRequest, frame: int) -> str:
        col, label = values.get(req.name, ("", ""))
        if not col or kin.empty or col not in kin:
            return ""
        rows = kin[(kin.frame == frame) & ((kin.side == req.side) | (req.side not in ("left", "right")))]
        v = rows[col].dropna()
        return f"{label} in this frame: {html.fmt(v.iloc[0], 0)}°" if len(v) else ""

    return text


def _render(analysis, flags: pd.DataFrame, video_path, out_dir: Path, clip: str, *, blur: bool, overlay: bool,
            notes: list[str]):
    """Decode ``clip``'s video once for its key frames (and the overlay of the side / one clip); None, with a
    note, when it cannot be decoded."""
    try:
        reqs, values = _requests(analysis, flags, clip)
        return render_video(analysis, Path(video_path), out_dir, reqs, blur=blur, overlay=overlay,
                            value_text=_value_text(analysis.kinematics, values))
    except GaitlabError as exc:
        notes.append(f"The {'front clip' if clip == 'front' else 'video'} could not be decoded again for the "
                     f"images ({exc}).")
    return None


def write_report_files(analysis, out_dir: Path, *, video_path: Path | None, blur: bool = True,
                       overlay: bool = True, front_video_path: Path | None = None) -> list[str]:
    """Write ``report.html``, ``overlay.mp4`` (with a video and ``overlay``) and ``keyframes/*.png`` into
    ``out_dir``; return the names written (relative to ``out_dir``). A two-clip session's front-clip flags
    (``clip`` = front) take their key frames from ``front_video_path`` with the front analysis' landmarks.

    Without a video (keypoints only) the report has no images from the clip and says why.
    """
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    flags = getattr(analysis, "flags", None)
    flags = empty_flags() if flags is None else flags
    written: list[str] = []
    media_notes: list[str] = []
    keyframes: dict[str, str] = {}
    detected = []  # (clip words, frames with faces, frames decoded)
    if video_path is None or not Path(video_path).exists():
        media_notes.append("No video was available to this report (keypoints import, or the front clip of a "
                           "session), so there are no key frames and no overlay video; the numbers are unaffected.")
    else:
        res = _render(analysis, flags, video_path, out_dir, "side", blur=blur, overlay=overlay, notes=media_notes)
        if res is not None:
            media_notes += res.warnings
            if res.overlay is not None:
                written.append("overlay.mp4")
            elif not overlay:
                media_notes.append("The overlay video was not written (--no-overlay).")
            detected.append(("", res))
    front = getattr(analysis, "front", None)  # a two-clip session
    front_frames = front is not None and bool(_requests(front, flags, "front")[0])
    front_video = front_frames and front_video_path is not None and Path(front_video_path).exists()
    if front_video:
        res = _render(front, flags, front_video_path, out_dir, "front", blur=blur, overlay=False, notes=media_notes)
        if res is not None:
            media_notes += [f"front clip: {w}" for w in res.warnings]
            detected.append(("front clip", res))
    elif front_frames:
        media_notes.append("The front clip's video was not available to this report, so the flags measured on it "
                           "have no key frame; the numbers are unaffected.")
    for _, res in detected:
        for name, path in res.keyframes.items():
            keyframes[name] = plots.png_data_uri(path.read_bytes())
            written.append(f"keyframes/{path.name}")
    faces = ""
    if detected:
        counts = " and ".join(f"{res.frames_with_faces} of {res.frames} decoded frames"
                              + (f" of the {words or 'side clip'}" if len(detected) > 1 else "")
                              for words, res in detected)
        faces = (f"faces pixelated in the overlay and every image (the walker's head from pose landmarks in "
                 f"every frame; other faces found by MediaPipe face detection, pixelated in {counts})" if blur
                 else "faces NOT pixelated (--no-blur was given)")
    frame_times = {clip: dict(zip(a.pose_sides.frame_index.tolist(), a.pose_sides.t_s.tolist()))
                   for clip, a in (("side", analysis), ("front", front)) if a is not None}
    curves = plots.cycle_figure(analysis.cycle_summary, plots.SAGITTAL_QUANTITIES)
    frontal = plots.cycle_figure((front or analysis).cycle_summary, plots.FRONTAL_QUANTITIES)
    na_flags, na_metrics = html.not_assessable(flags, analysis.metrics)
    context = {
        "intended_use": html.INTENDED_USE, "head": html.header(analysis),
        "flags": [{**f, "angle_drawn": bool(angle_for(f["metric"])[0])}
                  for f in html.flag_items(flags, frame_times, keyframes, flag_clip)],
        "session": front is not None, "front_video": front_video,
        "flags_run": not flags.empty,
        "n_not_flagged": 0 if flags.empty else int((flags.status == "not_flagged").sum()),
        "key_metrics": html.metric_rows(analysis.metrics, html.KEY_METRICS),
        "all_metrics": html.metric_rows(analysis.metrics, list(dict.fromkeys(analysis.metrics.metric))),
        "curves": curves, "frontal": frontal,
        "timeline": plots.timeline_figure(analysis.events, analysis.passes),
        "events": analysis.events.to_dict(orient="records"),
        "symmetry": plots.symmetry_figure(analysis.metrics),
        "symmetry_rows": html.metric_rows(analysis.metrics, [m for m in dict.fromkeys(analysis.metrics.metric)
                                                              if m.endswith(("_ratio_r_l", "_diff_l_r_deg"))]),
        "na_flags": na_flags, "na_metrics": na_metrics, "tracking": keyframes.get("tracking_check"),
        "media_notes": media_notes, "privacy": faces, "provenance": html.provenance(analysis),
        "mechanisms": html.MECHANISMS, "ci_level": analysis.config.metrics.ci_level,
        "event_methods": ", ".join(sorted(set(analysis.events.method))) if not analysis.events.empty else "none",
        "fmt": html.fmt, "np": np,
    }
    (out_dir / "report.html").write_text(html.render(context), encoding="utf-8")
    written.insert(0, "report.html")
    analysis.timings_s["report"] = time.perf_counter() - t0
    return written
