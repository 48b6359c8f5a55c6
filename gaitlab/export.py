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
- ``analysis.json``   schema version, provenance, video facts, passes, quality gates, metrics, warnings

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
}


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
    for fname, cols in DATA_DICTIONARY.items():
        lines += [f"## {fname}", "", "| column | unit | definition |", "|---|---|---|"]
        for col, (unit, definition) in cols.items():
            lines.append(f"| `{col}` | {unit} | {definition} |")
        lines.append("")
    return "\n".join(lines)


def undocumented_columns(fname: str, columns: list[str]) -> list[str]:
    """Columns of a written file that the dictionary does not describe (pattern keys use ``<landmark>``)."""
    known = DATA_DICTIONARY.get(fname, {})
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


def write_outputs(analysis, out_dir: str | Path) -> Path:
    """Write every output file of ``analysis`` (a :class:`gaitlab.analysis.GaitAnalysis`) to ``out_dir``."""
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
        doc = _clean(json.loads(json.dumps(analysis.summary(), default=_json_default)))
        (tmp / "analysis.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(out_dir)
