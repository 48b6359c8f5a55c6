"""Quality gates (CLINICAL.md §2, §3, §7): checks of the recording that decide which metrics the data
can support. Pure. Thresholds come from ``[quality]`` in the pipeline file.

Each gate names the metric groups it undermines. A failing gate is written to ``analysis.json`` with
its measured value and threshold, becomes a warning, and makes every metric of those groups *not
measurable* with the gate's message as the reason. Groups:

* ``temporal`` — every event-based quantity (times, %, cadence, lengths, speed, CV, symmetry);
* ``temporal:left`` / ``temporal:right`` — the same for one foot's events;
* ``sagittal:left`` / ``sagittal:right`` — one leg's sagittal angle values;
* ``vertical`` — angles measured against the vertical (trunk inclination, thigh, lateral trunk lean);
* ``angles`` — every angle value.

Visibility is judged per side and per use: the far leg of a side view is always less visible
(0.35–0.85 against ≈ 1.0, CLINICAL §2), so it is held to the event threshold only, never to the
angle threshold, which applies to the near leg's own strides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..model import LM, Pass
from ..pipeline import QualityConfig
from .kinematics import SIDES, pass_rows

_EVENT_POINTS = ("heel", "foot_index", "ankle")
_ANGLE_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    value: float
    threshold: float
    affects: tuple[str, ...]
    message: str  # why the affected metrics are not measurable (empty when passed)

    def as_dict(self) -> dict:
        return asdict(self)


def _median_vis(lm: np.ndarray, rows: np.ndarray, side: str, points) -> float:
    idx = [LM[f"{side}_{p}"] for p in points]
    v = lm[rows][:, idx, 3] if rows.any() else np.empty((0, len(idx)))
    return float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")


def _rows(passes: list[Pass], n: int, pred) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for p in passes:
        if p.usable and pred(p):
            m[pass_rows(p, n)] = True
    return m


def evaluate_gates(landmarks, passes: list[Pass], fps: float, roll_deg: float,
                   cfg: QualityConfig) -> list[Gate]:
    """All gates of one analysis. ``landmarks`` (N, 33, 4) on the grid the ``passes`` index."""
    lm = np.asarray(landmarks, dtype=float)
    n = len(lm)
    gates: list[Gate] = []

    def add(name, ok, value, threshold, affects, message):
        gates.append(Gate(name, bool(ok), float(value), float(threshold), tuple(affects), "" if ok else message))

    add("frame_rate", fps >= cfg.min_fps_temporal, fps, cfg.min_fps_temporal, ("temporal",),
        f"the frame rate ({fps:.0f} fps) is below {cfg.min_fps_temporal:g} fps: event timing is too coarse")
    usable = _rows(passes, n, lambda p: True)
    if usable.any():
        cover = float(np.isfinite(lm[usable][:, [LM["left_hip"], LM["right_hip"]], 0]).all(axis=1).mean())
        add("tracking_coverage", cover >= cfg.min_tracking_coverage, cover, cfg.min_tracking_coverage,
            ("temporal", "angles"), f"the walker was tracked in only {100 * cover:.0f} % of the usable passes")
        y = lm[usable][:, :, 1]
        y = y[np.isfinite(y).any(axis=1)]  # frames without the walker have no extent
        top, bottom = (np.nanmin(y, axis=1), np.nanmax(y, axis=1)) if len(y) else (np.full(1, np.nan),) * 2
        height = float(np.nanmedian(bottom - top)) if np.isfinite(bottom - top).any() else float("nan")
        add("walker_height", height >= cfg.min_walker_height_px, height, cfg.min_walker_height_px, ("angles",),
            f"the walker is only {height:.0f} px tall (record closer or at a higher resolution; ≥ "
            f"{cfg.warn_walker_height_px:g} px recommended)")
    if np.isfinite(roll_deg):
        add("camera_roll", abs(roll_deg) <= cfg.max_roll_deg, abs(roll_deg), cfg.max_roll_deg, ("vertical",),
            f"the camera is tilted by {roll_deg:.1f}° (level the phone; angles to the vertical are unreliable)")
    sag = _rows(passes, n, lambda p: p.view == "sagittal")
    if sag.any():
        hip, knee = lm[sag][:, [LM["left_hip"], LM["right_hip"]], :2], lm[sag][:, [LM["left_knee"], LM["right_knee"]], :2]
        sh = lm[sag][:, [LM["left_shoulder"], LM["right_shoulder"]], :2].mean(axis=1)
        thigh = np.linalg.norm(knee - hip, axis=-1).mean(axis=1)
        trunk = np.linalg.norm(sh - hip.mean(axis=1), axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = float(np.nanmedian(thigh / trunk))
        lo, hi = cfg.thigh_trunk_ratio_range
        add("thigh_trunk_ratio", lo <= ratio <= hi, ratio, lo if ratio < lo else hi, ("angles",),
            f"the thighs look {ratio:.2f} × the trunk length (expected {lo:g}–{hi:g}): the walker is not "
            "in the camera's plane or the camera looks down steeply")
    for side in SIDES:
        ev_rows = usable & np.isfinite(lm[:, LM[f"{side}_heel"], 0])
        v = _median_vis(lm, ev_rows, side, _EVENT_POINTS)
        if np.isfinite(v):
            add(f"event_visibility_{side}", v >= cfg.min_event_visibility, v, cfg.min_event_visibility,
                (f"temporal:{side}",), f"the {side} foot is poorly visible (median visibility {v:.2f})")
        near = _rows(passes, n, lambda p, s=side: p.view == "sagittal" and p.near_side == s)
        v = _median_vis(lm, near, side, _ANGLE_POINTS)
        if np.isfinite(v):
            add(f"angle_visibility_{side}", v >= cfg.min_angle_visibility, v, cfg.min_angle_visibility,
                (f"sagittal:{side}",), f"the {side} leg is poorly visible where it is the near leg "
                f"(median visibility {v:.2f})")
    return gates


def gate_warnings(gates: list[Gate], fps: float, cfg: QualityConfig) -> list[str]:
    """Warnings for failed gates and for the soft limits (frame rate below the recommended one)."""
    out = [f"Quality gate '{g.name}' failed: {g.message}." for g in gates if not g.passed]
    if cfg.min_fps_temporal <= fps < cfg.warn_fps:
        out.append(f"The clip has {fps:.0f} fps; event timing is to ±{1000 / fps:.0f} ms. Record at "
                   f"{cfg.warn_fps:g} fps or more if the phone offers it.")
    for g in gates:
        if g.name == "walker_height" and g.passed and g.value < cfg.warn_walker_height_px:
            out.append(f"The walker is {g.value:.0f} px tall; at least {cfg.warn_walker_height_px:g} px is recommended.")
    return out


def failed_reason(gates: list[Gate], groups: tuple[str, ...]) -> str:
    """Message of the first failed gate that affects any of ``groups`` ("" when none)."""
    for g in gates:
        if not g.passed and set(g.affects) & set(groups):
            return g.message
    return ""
