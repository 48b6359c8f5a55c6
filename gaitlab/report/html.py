"""``report.html``: one self-contained page (inline CSS, images as data URIs, no JavaScript) built
with Jinja2 from :class:`gaitlab.analysis.GaitAnalysis` and its flags table."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..patterns import MECHANISMS


INTENDED_USE = ("Intended use: screening support for clinicians and a research tool. This report is not a "
                "diagnosis and gaitlab is not a diagnostic device; every finding needs the judgement and "
                "examination of a clinician.")

#: Metrics shown in the key-metrics table, in this order (all others are in the full table).
KEY_METRICS = ("speed_m_s", "speed_ll_s", "cadence_steps_min", "stance_pct", "double_support_pct",
               "step_length_m", "step_length_ll", "stance_time_asymmetry", "step_time_asymmetry",
               "step_length_asymmetry", "stride_time_cv_pct", "knee_flex_loading_deg", "knee_flex_swing_peak_deg",
               "peak_thigh_ext_deg", "ankle_peak_df_stance_deg", "ankle_late_swing_deg", "trunk_inclination_deg",
               "pelvic_drop_deg", "lateral_trunk_lean_deg", "knee_fppa_deg", "swing_hip_hiking_deg")
SEVERITY_ORDER = {"marked": 0, "possible": 1}
SEVERITY_MARK = {"marked": "▲▲ Marked", "possible": "▲ Possible"}
VIEW_WORDS = {"sagittal": "side", "frontal_toward": "front (toward)", "frontal_away": "back (away)",
              "oblique": "oblique"}
#: Text colours of the page and the background they sit on (checked ≥ 4.5:1 by the tests).
TEXT_COLOURS = {"body": ("#1A1A1A", "#FFFFFF"), "muted": ("#505050", "#FFFFFF"), "left": ("#0067A5", "#FFFFFF"),
                "right": ("#A63D00", "#FFFFFF"), "marked": ("#FFFFFF", "#8B1A1A"), "possible": ("#1A1A1A", "#F2C14E"),
                "out": ("#8B1A1A", "#FFFFFF"), "in": ("#1E5E2E", "#FFFFFF"), "header": ("#FFFFFF", "#23395B")}


def fmt(v, digits: int = 2) -> str:
    """Number for the page: 3 significant digits by default, Unicode minus, '–' for missing."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(v):
        return "–"
    text = f"{v:.3g}" if digits == 2 else f"{v:.{digits}f}"
    if "e" in text:
        text = f"{v:.{digits}f}"
    if float(text) == 0:
        text = text.lstrip("-")  # no "−0"
    return text.replace("-", "−")


def range_mark(value: float, low: float, high: float) -> tuple[str, str, str]:
    """(symbol, words, css class) placing ``value`` against the normal range ``[low, high]``."""
    if not np.isfinite(value):
        return "–", "not measured", "na"
    if not (np.isfinite(low) or np.isfinite(high)):
        return "○", "no published range", "na"
    if np.isfinite(low) and value < low:
        return "▼", "below normal range", "out"
    if np.isfinite(high) and value > high:
        return "▲", "above normal range", "out"
    return "✓", "within normal range", "in"


def _ci(r) -> str:
    if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
        return f"{fmt(r.ci_low)} to {fmt(r.ci_high)}"
    return "–"


def _range(low, high) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"{fmt(low)} to {fmt(high)}"
    if np.isfinite(high):
        return f"≤ {fmt(high)}"
    if np.isfinite(low):
        return f"≥ {fmt(low)}"
    return "none published"


def metric_rows(metrics: pd.DataFrame, names) -> list[dict]:
    rows = []
    for name in names:
        for r in metrics[metrics.metric == name].itertuples():
            if not r.measurable:
                continue
            sym, words, cls = range_mark(r.value, r.normal_low, r.normal_high)
            rows.append({"metric": r.metric, "side": r.side, "value": fmt(r.value), "unit": r.unit, "ci": _ci(r),
                         "n": int(r.n), "normal": _range(r.normal_low, r.normal_high), "mark": sym,
                         "mark_text": words, "cls": cls, "note": r.reason or ""})
    return rows


def _frame(v) -> int:
    v = pd.to_numeric(v, errors="coerce")
    return int(v) if np.isfinite(v) else -1


def flag_items(flags: pd.DataFrame, frame_times: dict[str, dict[int, float]], keyframes: dict[str, str],
               clip_of) -> list[dict]:
    """Flagged rows, marked before possible, as dicts for the template (values exactly as in the table).
    ``clip_of(row)`` names the clip ("side" / "front") whose frames the row's evidence indexes; ``frame_times``
    maps each clip's decoded frames to seconds."""
    if flags.empty:
        return []
    f = flags[flags.status == "flagged"].copy()
    f["_o"] = f.severity.map(SEVERITY_ORDER).fillna(2)
    out = []
    for r in f.sort_values(["_o", "flag_id", "side"]).itertuples():
        mech = [m.strip() for m in str(r.mechanisms or "").split(";") if m.strip()]
        clip = clip_of(r)
        times = frame_times.get(clip, {})
        words = "front clip frames" if clip == "front" else "frames"
        frames = []
        for part in str(r.evidence_frames or "").split(";"):
            a, _, b = part.strip().partition("-")
            if a.strip().isdigit():
                b = b.strip() if b.strip().isdigit() else a.strip()
                ta, tb = times.get(int(a)), times.get(int(b))
                when = f" ({ta:.2f}–{tb:.2f} s)" if ta is not None and tb is not None else ""
                frames.append(f"{words} {a.strip()}–{b}{when}")
        out.append({
            "id": r.flag_id, "name": r.name, "side": r.side, "severity": r.severity, "clip": clip,
            "severity_text": SEVERITY_MARK.get(r.severity, r.severity), "metric": r.metric,
            "value": fmt(r.value), "ci": _ci(r), "n": r.n, "unit": r.unit,
            "threshold_possible": fmt(r.threshold_possible), "threshold_marked": fmt(r.threshold_marked),
            "normal": _range(r.normal_low, r.normal_high), "explanation": r.explanation,
            "mechanisms": [(m, *MECHANISMS[m]) for m in mech if m in MECHANISMS],
            "evidence_strides": r.evidence_strides, "evidence_frames": frames, "key_frame": _frame(r.key_frame),
            "keyframe": keyframes.get(f"{r.flag_id}_{r.side}"),
        })
    return out


def not_assessable(flags: pd.DataFrame, metrics: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    fl = [] if flags.empty else [
        {"name": r.name, "side": r.side, "reason": r.reason} for r in flags[flags.status == "not_assessable"].itertuples()]
    mt = [{"metric": r.metric, "side": r.side, "reason": r.reason}
          for r in metrics[~metrics.measurable.astype(bool)].itertuples()]
    return fl, mt


def header(analysis) -> dict:
    src = analysis.source
    session_clips = (getattr(analysis, "session", None) or {}).get("clips")
    clips = list(session_clips.items()) if isinstance(session_clips, dict) else [("", src)]
    clip_text = []
    for role, c in clips:
        parts = [f"{role} clip:" if role else "", f"{fmt(c.get('duration_s'), 1)} s" if c.get("duration_s") else "",
                 f"{c.get('width_px')}×{c.get('height_px')} px" if c.get("width_px") else "",
                 f"{fmt(c.get('avg_fps'), 0)} frames/s" if c.get("avg_fps") else "",
                 "keypoints imported (no pose run)" if c.get("keypoints") else ""]
        clip_text.append(", ".join(p for p in parts if p).replace(":,", ":") or "keypoints only")
    front = getattr(analysis, "front", None)
    usable = [p for p in analysis.passes if p.usable] + ([p for p in front.passes if p.usable] if front else [])
    views = sorted({VIEW_WORDS.get(p.view, p.view) for p in usable})
    m = analysis.metrics
    speed = ""
    for name, unit in (("speed_m_s", "m/s"), ("speed_ll_s", "leg lengths/s")):
        r = m[(m.metric == name) & (m.side == "both") & m.measurable.astype(bool)]
        if not r.empty:
            r = r.iloc[0]
            speed = f"{fmt(r.value)} {unit} (CI {_ci(r)})"
            break
    strides = {s: int((analysis.strides.side == s).sum()) for s in ("left", "right")} if not analysis.strides.empty \
        else {"left": 0, "right": 0}
    return {
        "subject": str(src.get("subject") or src.get("subject_label") or "Subject"),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "clips": clip_text, "views": ", ".join(views) or "none usable",
        "passes": f"{len(usable)} of {len(analysis.passes) + (len(front.passes) if front else 0)} stretches usable",
        "strides": strides, "speed": speed or "not measurable",
        "warnings": list(analysis.warnings),
    }


def provenance(analysis) -> list[tuple[str, str]]:
    s = analysis.summary()
    rows = [("schema version", s["schema_version"]), ("pipeline", f"{s['pipeline']['name']} (sha256 {s['pipeline']['sha256']})"),
            ("pose backend", s["pose"]["backend"]), ("frames", str(s["pose"]["frames"])),
            ("camera roll", f"{fmt(s['camera_roll_deg'])}° ({s['camera_roll_method']})")]
    rows += [(k, str(v)) for k, v in s["provenance"].items()]
    return rows


def render(context: dict) -> str:
    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**context)
