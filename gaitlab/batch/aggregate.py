"""The batch tables in OUT_DIR, built from each finished clip's own output files so that they carry the
same column names as the single-clip outputs (plus ``clip_id`` and ``relative_path``, and
``session_id``/``front_relative_path`` for manifest sessions, whose tables are the session's merged ones):

- ``batch_summary.csv``  one row per clip: status, error, then the clip's ``summary.csv`` row when the
  clip wrote one, else a few facts from ``analysis.json`` and ``metrics.csv`` (duration, passes,
  strides, key metrics) and the flagged patterns from ``flags.csv``
- ``batch_strides.csv``, ``batch_metrics.csv``, ``batch_flags.csv``  the clips' files stacked
- ``batch_errors.csv``  one row per failed clip: error class and message (also read back on the next
  run, so that failed clips are skipped unless ``--retry-failed``)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd

from ..export import write_csv
from .discover import Clip
from .state import SchemaMismatchError

#: Per-clip files stacked into batch_<name>.
STACKED = ("strides.csv", "metrics.csv", "flags.csv")
ERROR_COLUMNS = ["clip_id", "relative_path", "session_id", "front_relative_path", "error_class", "message",
                 "video_sha256", "analysis_key"]
#: Metrics copied into batch_summary.csv when a clip has no summary.csv (value per side).
SUMMARY_METRICS = ("cadence_steps_min", "speed_m_s", "speed_ll_s", "stance_pct", "stance_time_asymmetry",
                   "step_time_asymmetry", "knee_flex_swing_peak_deg")
#: Seconds between rewrites of the tables while clips finish (always written at the end).
WRITE_INTERVAL_S = 10.0


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, keep_default_na=True)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _ids(clip: Clip) -> dict[str, str]:
    ids = {"clip_id": clip.clip_id, "relative_path": clip.relative_path}
    if clip.session_id:
        ids.update(session_id=clip.session_id, front_relative_path=clip.front_relative_path)
    return ids


def _summary_row(clip_dir: Path, doc: dict, metrics: pd.DataFrame | None, flags: pd.DataFrame | None) -> dict:
    own = _read(clip_dir / "summary.csv")
    if own is not None and len(own):
        return own.iloc[0].to_dict()
    src = doc.get("source", {})
    row = {"duration_s": src.get("duration_s"), "usable_passes": doc.get("usable_passes"),
           "strides_left": doc.get("strides", {}).get("left"), "strides_right": doc.get("strides", {}).get("right")}
    if metrics is not None and len(metrics):
        for r in metrics[metrics.metric.isin(SUMMARY_METRICS)].itertuples():
            row[f"{r.metric}_{r.side}"] = r.value if r.measurable else None
    if flags is not None and len(flags) and {"flag_id", "side", "status"} <= set(flags.columns):
        hit = flags[flags.status == "flagged"]
        row["flags_flagged"] = ";".join(f"{f}:{s}" for f, s in zip(hit.flag_id, hit.side))
    return row


class Aggregates:
    """Per-clip tables held in memory and written atomically to OUT_DIR."""

    def __init__(self, out_dir: Path, schema_version: str) -> None:
        self.out_dir = out_dir
        self.schema_version = schema_version
        self.tables: dict[str, dict[str, pd.DataFrame]] = {name: {} for name in STACKED}
        self.summary: dict[str, dict] = {}
        self.errors: dict[str, dict] = {}
        self._written = 0.0

    def add_done(self, clip: Clip, clip_dir: Path, status: str) -> None:
        """Take a finished clip's files (``status``: analysed or cached)."""
        try:
            doc = json.loads((clip_dir / "analysis.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        if doc.get("schema_version") != self.schema_version:
            raise SchemaMismatchError(
                f"{clip_dir} was written under output schema {doc.get('schema_version')}, not {self.schema_version}; "
                "batch aggregates never mix schema versions — use a new --out folder.")
        ids = _ids(clip)
        frames = {}
        for name in STACKED:
            df = _read(clip_dir / name)
            if df is not None:
                frames[name] = df
                self.tables[name][clip.clip_id] = df.assign(**ids)[[*ids, *df.columns]]
        front = _read(clip_dir / "front_clip" / "strides.csv") if clip.front is not None else None
        if front is not None:  # a session's strides.csv is the side clip's; add the front clip's strides
            front = front.assign(**{**ids, "relative_path": clip.front_relative_path})[[*ids, *front.columns]]
            self.tables["strides.csv"][clip.clip_id] = pd.concat(
                [t for t in (self.tables["strides.csv"].get(clip.clip_id), front) if t is not None], ignore_index=True)
        self.summary[clip.clip_id] = {**ids, "status": status, "error_class": None,
                                      **_summary_row(clip_dir, doc, frames.get("metrics.csv"), frames.get("flags.csv"))}
        self.errors.pop(clip.clip_id, None)

    def add_error(self, clip: Clip, error_class: str, message: str, sha256: str | None, key: str,
                  status: str = "failed") -> None:
        ids = _ids(clip)
        self.errors[clip.clip_id] = {**ids, "error_class": error_class, "message": message, "video_sha256": sha256,
                                     "analysis_key": key}
        self.summary[clip.clip_id] = {**ids, "status": status, "error_class": error_class}
        for t in self.tables.values():
            t.pop(clip.clip_id, None)

    def previous_errors(self) -> dict[str, dict]:
        """Rows of batch_errors.csv from an earlier run, by clip_id."""
        df = _read(self.out_dir / "batch_errors.csv")
        if df is None or not len(df):
            return {}
        df = df.astype(object).where(df.notna(), None)
        return {r["clip_id"]: r for r in df.to_dict(orient="records")}

    def write(self, force: bool = True) -> None:
        """Rewrite every table (at most every WRITE_INTERVAL_S seconds unless ``force``)."""
        if not force and time.monotonic() - self._written < WRITE_INTERVAL_S:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, per_clip in self.tables.items():
            if per_clip:
                self._atomic(pd.concat([per_clip[k] for k in sorted(per_clip)], ignore_index=True), f"batch_{name}")
        rows = [self.summary[k] for k in sorted(self.summary)]
        self._atomic(pd.DataFrame(rows), "batch_summary.csv")
        errors = pd.DataFrame([self.errors[k] for k in sorted(self.errors)], columns=ERROR_COLUMNS)
        if not any(r.get("session_id") for r in self.errors.values()):
            errors = errors.drop(columns=["session_id", "front_relative_path"])
        self._atomic(errors, "batch_errors.csv")
        self._written = time.monotonic()

    def _atomic(self, df: pd.DataFrame, name: str) -> None:
        tmp = self.out_dir / f".{name}.tmp"
        write_csv(df, tmp)
        os.replace(tmp, self.out_dir / name)
