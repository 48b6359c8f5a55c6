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
                "evidence_strides", "evidence_frames", "key_frame", "reason")

#: Evidence of a two-clip session's front-clip flags starts with this (gaitlab.session.FRONT_PREFIX); their
#: key frames are drawn in front_clip/report.html, from the front clip.
FRONT_CLIP_PREFIX = "front clip: "

#: metric name fragment → (angle drawn on the key frame, kinematics column of its value, label).
_ANGLES = (("fppa", "fppa", "knee_fppa_deg", "knee FPPA"), ("knee", "knee", "knee_flexion_deg", "knee flexion"),
           ("thigh", "thigh", "thigh_angle_deg", "thigh to vertical"), ("hip_ext", "thigh", "thigh_angle_deg", "thigh to vertical"),
           ("lateral_trunk", "trunk", "lateral_trunk_lean_deg", "trunk lean"),
           ("trunk", "trunk", "trunk_inclination_deg", "trunk inclination"),
           ("ankle", "ankle", "ankle_dorsiflexion_deg", "ankle dorsiflexion"),
           ("dorsi", "ankle", "ankle_dorsiflexion_deg", "ankle dorsiflexion"),
           ("pelvic", "pelvis", "pelvic_obliquity_deg", "pelvic obliquity"),
           ("hiking", "pelvis", "pelvic_obliquity_deg", "pelvic obliquity"))


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})


def angle_for(metric: str) -> tuple[str, str, str]:
    """(drawing kind, kinematics column, label) for a flag's metric; ("", "", "") = skeleton only."""
    for frag, kind, col, label in _ANGLES:
        if frag in str(metric):
            return kind, col, label
    return "", "", ""


def _requests(analysis, flags: pd.DataFrame) -> tuple[list[KeyFrameRequest], dict[str, tuple[str, str]]]:
    """Key frames to save (one per flagged flag with a key frame, plus a tracking check) and, per
    key frame, the kinematics column and label of the value written on it."""
    reqs, values = [], {}
    if not flags.empty:
        for r in flags[flags.status == "flagged"].itertuples():
            from_front = str(r.evidence_strides).startswith(FRONT_CLIP_PREFIX)  # its frames index the front clip
            if pd.notna(r.key_frame) and int(r.key_frame) >= 0 and not from_front:
                kind, col, label = angle_for(r.metric)
                name = f"{r.flag_id}_{r.side}"
                reqs.append(KeyFrameRequest(name, int(r.key_frame), r.side, kind,
                                            f"{r.name} ({r.side})" if r.side in ("left", "right") else r.name))
                values[name] = (col, label)
    usable = [p for p in analysis.passes if p.usable and p.end > p.start]
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


def write_report_files(analysis, out_dir: Path, *, video_path: Path | None, blur: bool = True,
                       overlay: bool = True) -> list[str]:
    """Write ``report.html``, ``overlay.mp4`` (with a video and ``overlay``) and ``keyframes/*.png`` into
    ``out_dir``; return the names written (relative to ``out_dir``).

    Without a video (keypoints only) the report has no images from the clip and says why.
    """
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    flags = getattr(analysis, "flags", None)
    flags = empty_flags() if flags is None else flags
    written: list[str] = []
    media_notes: list[str] = []
    keyframes: dict[str, str] = {}
    faces = ""
    if video_path is None or not Path(video_path).exists():
        media_notes.append("No video was available to this report (keypoints import, or the front clip of a "
                           "session), so there are no key frames and no overlay video; the numbers are unaffected.")
    else:
        try:
            reqs, values = _requests(analysis, flags)
            res = render_video(analysis, Path(video_path), out_dir, reqs, blur=blur, overlay=overlay,
                               value_text=_value_text(analysis.kinematics, values))
        except GaitlabError as exc:
            media_notes.append(f"The video could not be decoded again for the images ({exc}).")
        else:
            media_notes += res.warnings
            if res.overlay is not None:
                written.append("overlay.mp4")
            elif not overlay:
                media_notes.append("The overlay video was not written (--no-overlay).")
            for name, path in res.keyframes.items():
                keyframes[name] = plots.png_data_uri(path.read_bytes())
                written.append(f"keyframes/{path.name}")
            faces = (f"faces pixelated in the overlay and every image (the walker's head from pose landmarks in "
                     f"every frame; other faces found by MediaPipe face detection, pixelated in "
                     f"{res.frames_with_faces} of {res.frames} frames)" if blur
                     else "faces NOT pixelated (--no-blur was given)")
    pose = analysis.pose_sides
    frame_times = dict(zip(pose.frame_index.tolist(), pose.t_s.tolist()))
    curves = plots.cycle_figure(analysis.cycle_summary, plots.SAGITTAL_QUANTITIES)
    front = getattr(analysis, "front", None)  # a two-clip session: frontal traces from the front clip
    frontal = plots.cycle_figure((front or analysis).cycle_summary, plots.FRONTAL_QUANTITIES)
    na_flags, na_metrics = html.not_assessable(flags, analysis.metrics)
    context = {
        "intended_use": html.INTENDED_USE, "head": html.header(analysis),
        "flags": [{**f, "angle_drawn": bool(angle_for(f["metric"])[0]),
                   "from_front": str(f["evidence_strides"]).startswith(FRONT_CLIP_PREFIX)}
                  for f in html.flag_items(flags, frame_times, keyframes)],
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
