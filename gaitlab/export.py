"""Writers for the analysis outputs and the data dictionary (one source of truth for every column).

Outputs of ``gaitlab analyze``:

- ``landmarks.csv``   the walker's landmarks as estimated (MediaPipe labels), readable with ``--keypoints``
- ``passes.csv``      walking passes and excluded stretches with the reason
- ``kinematics.csv``  per-frame angles, one row per frame of a usable pass and side
- ``events.csv``      heel strikes and toe offs with confidence
- ``steps.csv``       one row per step (heel strike after the other foot's): step time and length
- ``strides.csv``     one row per stride: timing, lengths, per-stride angle values
- ``metrics.csv``     summary metrics with confidence intervals, normal ranges, measurability
- ``cycles.csv``      each stride's angle curves on 0–100 % of the cycle (long form)
- ``cycle_summary.csv`` mean ± SD per side and cycle % with the published normal band
- ``flags.csv``       compensatory-pattern flags (CLINICAL §6): status, severity, value with CI, evidence
- ``summary.csv``     one wide row per analysis (batch runs concatenate these)
- ``analysis.json``   schema version, provenance, video facts, passes, quality gates, metrics, flags, warnings

The folder is written atomically: everything goes into a hidden sibling folder that is renamed into
place only when complete, so a killed run never leaves a complete-looking folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .gait.cycles import CYCLE_COLUMNS, CYCLE_SUMMARY_COLUMNS
from .gait.events import EVENT_COLUMNS
from .gait.kinematics import KINEMATICS_COLUMNS
from .gait.metrics import METRIC_COLUMNS
from .gait.spatiotemporal import STEP_COLUMNS, STRIDE_COLUMNS
from .patterns import FLAG_COLUMNS
from .compare import COMPARISON_COLUMNS
from .pose.importers import LANDMARK_COLUMNS, write_landmarks_csv

SCHEMA_VERSION = "1.0"

PASS_COLUMNS: dict[str, tuple[str, str]] = {
    "pass_id": ("", "Pass number in time order, from 1."),
    "start_s": ("s", "Start of the pass (real time from the clip's first frame's presentation timestamp)."),
    "end_s": ("s", "End of the pass."),
    "duration_s": ("s", "end_s − start_s."),
    "n_frames": ("frames", "Frames of the clip inside the pass."),
    "direction": ("", "Travel in the image: left, right (side view), toward, away (front view), none (treadmill/standing)."),
    "facing": ("", "Where the body faces, same words as direction."),
    "view": ("", "sagittal, frontal_toward, frontal_away or oblique; decides which quantities are measurable."),
    "treadmill": ("", "true when the hips do not travel while the legs cycle."),
    "usable": ("", "true when the pass is analysed; false for excluded stretches."),
    "reason": ("", "Why an excluded stretch is not analysed (turn, standing, backward walking, ...); empty when usable."),
    "near_side": ("", "Subject side of the leg nearer the camera in a sagittal pass (left/right); empty otherwise."),
    "n_swaps_corrected": ("frames", "Frames in the pass whose leg labels gaitlab swapped back (MediaPipe left/right confusion)."),
}

#: (metric, side) of metrics.csv → summary.csv column (the unit is in the name).
SUMMARY_METRICS: dict[str, tuple[str, str]] = {
    "speed_ll_s": ("speed_ll_s", "both"), "speed_m_s": ("speed_m_s", "both"),
    "cadence_steps_min": ("cadence_steps_min", "both"),
    "stance_pct_left": ("stance_pct", "left"), "stance_pct_right": ("stance_pct", "right"),
    "double_support_pct_left": ("double_support_pct", "left"), "double_support_pct_right": ("double_support_pct", "right"),
    "step_length_ll_left": ("step_length_ll", "left"), "step_length_ll_right": ("step_length_ll", "right"),
    "stance_time_ratio_r_l": ("stance_time_ratio_r_l", "R/L"), "step_time_ratio_r_l": ("step_time_ratio_r_l", "R/L"),
    "step_length_ratio_r_l": ("step_length_ratio_r_l", "R/L"), "stride_time_cv_pct": ("stride_time_cv_pct", "both"),
    "knee_flex_loading_deg_left": ("knee_flex_loading_deg", "left"),
    "knee_flex_loading_deg_right": ("knee_flex_loading_deg", "right"),
    "knee_flex_swing_peak_deg_left": ("knee_flex_swing_peak_deg", "left"),
    "knee_flex_swing_peak_deg_right": ("knee_flex_swing_peak_deg", "right"),
    "peak_thigh_ext_deg_left": ("peak_thigh_ext_deg", "left"), "peak_thigh_ext_deg_right": ("peak_thigh_ext_deg", "right"),
    "trunk_inclination_deg": ("trunk_inclination_deg", "both"),
    "knee_fppa_deg_left": ("knee_fppa_deg", "left"), "knee_fppa_deg_right": ("knee_fppa_deg", "right"),
}
def _unit_of(col: str) -> str:
    for suffix, unit in (("_ll_s", "leg lengths/s"), ("_m_s", "m/s"), ("_steps_min", "steps/min"), ("_pct", "%"),
                         ("_ll", "leg lengths"), ("_deg", "deg"), ("_r_l", "ratio")):
        if suffix in col:
            return unit
    return ""


SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    "label": ("", "Clip or subject label (the subject label when one is given, else the clip's file stem)."),
    "duration_s": ("s", "Length of the analysed clip (first to last frame)."),
    "fps": ("frames/s", "Frame rate of the analysis."),
    "views": ("", "Views of the usable passes, ';'-separated (sagittal, frontal_toward, frontal_away, oblique)."),
    "usable_passes": ("passes", "Walking passes analysed."),
    "strides_left": ("strides", "Strides of the left side."),
    "strides_right": ("strides", "Strides of the right side."),
    **{col: (_unit_of(col), f"metrics.csv value of {metric} ({side}); empty when not measurable.")
       for col, (metric, side) in SUMMARY_METRICS.items()},
    "n_flags": ("flags", "Flags raised (status flagged)."),
    "n_not_assessable": ("flags", "Flag rows not assessable."),
    "flag_ids": ("", "Raised flags as flag_id:side:severity, ';'-separated."),
}


def summary_frame(analysis, label: str | None = None) -> pd.DataFrame:
    """The one-row ``summary.csv`` of ``analysis`` (columns of :data:`SUMMARY_COLUMNS`)."""
    src = analysis.source
    label = label or src.get("subject_label") or Path(str(src.get("file_name") or src.get("keypoints") or "clip")).stem
    t = analysis.pose.t_s
    usable = [p for p in analysis.passes if p.usable]
    m = analysis.metrics
    row: dict[str, Any] = {
        "label": label, "duration_s": float(t[-1] - t[0]) if len(t) else 0.0, "fps": float(analysis.pose.fps),
        "views": ";".join(dict.fromkeys(p.view for p in usable)), "usable_passes": len(usable),
        "strides_left": int((analysis.strides.side == "left").sum()),
        "strides_right": int((analysis.strides.side == "right").sum()),
    }
    for col, (metric, side) in SUMMARY_METRICS.items():
        sel = m[(m.metric == metric) & (m.side == side) & m.measurable.astype(bool)]
        row[col] = float(sel.value.iloc[0]) if len(sel) else float("nan")
    f = analysis.flags
    hit = f[f.status == "flagged"]
    row["n_flags"] = len(hit)
    row["n_not_assessable"] = int((f.status == "not_assessable").sum())
    row["flag_ids"] = ";".join(f"{r.flag_id}:{r.side}:{r.severity}" for r in hit.itertuples())
    return pd.DataFrame([row], columns=list(SUMMARY_COLUMNS))


#: Every column of every CSV gaitlab writes: {file: {column: (unit, definition)}}.
DATA_DICTIONARY: dict[str, dict[str, tuple[str, str]]] = {
    "landmarks.csv": LANDMARK_COLUMNS,
    "passes.csv": PASS_COLUMNS,
    "kinematics.csv": KINEMATICS_COLUMNS,
    "events.csv": EVENT_COLUMNS,
    "steps.csv": STEP_COLUMNS,
    "strides.csv": STRIDE_COLUMNS,
    "metrics.csv": METRIC_COLUMNS,
    "cycles.csv": CYCLE_COLUMNS,
    "cycle_summary.csv": CYCLE_SUMMARY_COLUMNS,
    "flags.csv": FLAG_COLUMNS,
    "summary.csv": SUMMARY_COLUMNS,
}
#: Files written by other commands (``gaitlab compare``), documented in the same dictionary.
OTHER_OUTPUTS: dict[str, dict[str, tuple[str, str]]] = {"comparison.csv": COMPARISON_COLUMNS}


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown (``gaitlab dictionary`` prints it; docs/data_dictionary.md holds it)."""
    lines = [
        "# gaitlab data dictionary",
        "",
        f"Schema version {SCHEMA_VERSION}. Generated from the code (`gaitlab dictionary`); do not edit by hand.",
        "Missing values are empty cells. Decimal mark `.`, UTF-8. Times are real seconds from presentation",
        "timestamps. Left/right are the subject's sides (except in `landmarks.csv`, which keeps MediaPipe's labels).",
        "",
    ]
    for fname, cols in {**DATA_DICTIONARY, **OTHER_OUTPUTS}.items():
        lines += [f"## {fname}", "", "| column | unit | definition |", "|---|---|---|"]
        for col, (unit, definition) in cols.items():
            lines.append(f"| `{col}` | {unit} | {definition} |")
        lines.append("")
    return "\n".join(lines)


def undocumented_columns(fname: str, columns: list[str]) -> list[str]:
    """Columns of a written file that the dictionary does not describe (pattern keys use ``<landmark>``)."""
    known = DATA_DICTIONARY.get(fname) or OTHER_OUTPUTS.get(fname, {})
    patterns = [k.split("<landmark>") for k in known if "<landmark>" in k]
    out = []
    for c in columns:
        if c in known:
            continue
        if any(c.startswith(a) and c.endswith(b) and len(c) > len(a) + len(b) for a, b in patterns):
            continue
        out.append(c)
    return out


def _json_default(o: Any) -> Any:
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def _clean(o: Any) -> Any:
    """NaN/inf → None so that analysis.json is strict JSON."""
    if isinstance(o, float):
        return None if not math.isfinite(o) else o
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def passes_frame(passes: list) -> pd.DataFrame:
    rows = []
    for p in passes:
        d = dataclasses.asdict(p)
        d["duration_s"] = p.end_s - p.start_s
        d["n_frames"] = p.end - p.start
        rows.append({c: d[c] for c in PASS_COLUMNS})
    return pd.DataFrame(rows, columns=list(PASS_COLUMNS))


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, na_rep="", encoding="utf-8", lineterminator="\n")


class AtomicOutputDir:
    """Write into a temporary sibling folder; on success replace ``target`` with it in one rename."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.partial-", dir=self.target.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o777 & ~umask)  # mkdtemp makes it private; results are ordinary folders
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def write_outputs(analysis, out_dir: str | Path, *, video_path: str | Path | None = None, blur: bool = True,
                  overlay: bool = True, front_video_path: str | Path | None = None) -> Path:
    """Write every output file of ``analysis`` (a :class:`gaitlab.analysis.GaitAnalysis`) to ``out_dir``,
    with the report (``report.html``; ``overlay.mp4`` and ``keyframes/`` from ``video_path``, faces
    pixelated unless ``blur`` is False; see :mod:`gaitlab.report`). A two-clip session's report takes the key
    frames of its front-clip flags from ``front_video_path``; the front clip's own outputs go to ``front_clip/``."""
    with AtomicOutputDir(out_dir) as tmp:
        write_landmarks_csv(analysis.pose, tmp / "landmarks.csv")
        write_csv(passes_frame(analysis.passes), tmp / "passes.csv")
        write_csv(analysis.kinematics, tmp / "kinematics.csv")
        write_csv(analysis.events, tmp / "events.csv")
        write_csv(analysis.steps, tmp / "steps.csv")
        write_csv(analysis.strides, tmp / "strides.csv")
        write_csv(analysis.metrics, tmp / "metrics.csv")
        write_csv(analysis.cycles, tmp / "cycles.csv")
        write_csv(analysis.cycle_summary, tmp / "cycle_summary.csv")
        write_csv(analysis.flags, tmp / "flags.csv")
        write_csv(summary_frame(analysis), tmp / "summary.csv")
        if getattr(analysis, "front", None) is not None:  # two-clip session: the front clip's own outputs
            write_outputs(analysis.front, tmp / "front_clip", video_path=front_video_path, blur=blur, overlay=overlay)
        from .report import write_report_files

        write_report_files(analysis, tmp, video_path=Path(video_path) if video_path else None, blur=blur, overlay=overlay,
                           front_video_path=Path(front_video_path) if front_video_path else None)
        doc = _clean(json.loads(json.dumps(analysis.summary(), default=_json_default)))
        (tmp / "analysis.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(out_dir)
