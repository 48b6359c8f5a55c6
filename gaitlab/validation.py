"""Validation of gait events against motion-capture truth: event matching and scoring, trial loaders
and the virtual-camera projection of a trial (used by ``benchmarks/validate_mocap.py`` and tests).

Scoring rules (``../shared/data/README.md``, "Scoring notes")
-------------------------------------------------------------
* **Matching**: per side and kind (HS/TO), detections and truth events are paired one-to-one, nearest
  first (all candidate pairs within ``tolerance_s`` sorted by |error|, a pair taken when both ends are
  still free). Events of one side and kind are ≥ 0.5 s apart, far more than two tolerances, so the
  greedy pairing is the optimal one here. Error = detected − true (negative = detected early).
* **Edges**: only truth events at least ``edge_s`` (0.3 s) from the first and last frame of the trial
  are scored (peak-based detectors cannot see events at the very edge; the pipeline drops events within
  0.3 s of a pass edge too). A detection paired with an edge truth event counts neither as a TP nor as
  an FP.
* **Windows** (where an unpaired detection is a false positive):

  - ``window="trial"`` (truth annotated throughout the trial: the Qualisys EVENT group, the gaitkit
    annotations): the whole scored span ``[t_first + edge_s, t_last − edge_s]``, both sides;
  - ``window="side"`` (force-plate truth covers only plate contacts: BTS, the OpenSim trials): per side,
    ``[first scored truth event of that side − tol, last scored truth event of that side + tol]``;
    a side without a scored truth event has no window (its detections are not scored). Inside that
    window the force-plate truth of these trials is complete (checked per trial), outside it a correct
    detection would otherwise count as false.

  An unpaired detection outside the window is ignored.
* MAE and bias (mean signed error) are over the true positives only.

Trials (``load_*``) come as :class:`MocapTrial`: the recording's own time base (a C3D's first-frame
offset kept), (T, 33, 3) world landmarks in MediaPipe layout (X walking direction, Y the walker's left,
Z up, floor at 0: the frame of :mod:`gaitlab.synth.camera`), the recorded events and the window rule.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .mocap import (
    Event,
    MarkerData,
    MocapError,
    markers_to_landmarks,
    read_c3d,
    read_trc,
    to_world,
)
from .model import LM, N_LANDMARKS, PoseSequence

SIDES = ("left", "right")
KINDS = ("HS", "TO")

# --------------------------------------------------------------------------------------------------
# matching and scoring
# --------------------------------------------------------------------------------------------------


def match_events(detected_times, true_times, tolerance_s: float) -> tuple[list[tuple[int, int, float]], int, int]:
    """One-to-one matching of detected to true event times (one side and kind), nearest pairs first.

    Returns ``(pairs, n_fp, n_fn)``: ``pairs`` is a list of ``(i_detected, i_true, error_s)`` with
    ``error_s = detected − true`` and ``|error_s| <= tolerance_s``, sorted by ``i_true``; ``n_fp`` is the
    number of unpaired detections and ``n_fn`` of unpaired true events. NaN times never pair.
    """
    d = np.asarray(list(detected_times), dtype=float).ravel()
    t = np.asarray(list(true_times), dtype=float).ravel()
    cand = []
    tol = float(tolerance_s) + 1e-9
    for i, di in enumerate(d):
        if not np.isfinite(di):
            continue
        for j, tj in enumerate(t):
            e = di - tj
            if np.isfinite(e) and abs(e) <= tol:
                cand.append((abs(e), i, j, float(e)))
    cand.sort()
    used_d, used_t, pairs = set(), set(), []
    for _, i, j, e in cand:
        if i in used_d or j in used_t:
            continue
        used_d.add(i)
        used_t.add(j)
        pairs.append((i, j, e))
    pairs.sort(key=lambda p: p[1])
    return pairs, len(d) - len(pairs), len(t) - len(pairs)


@dataclass
class EventScore:
    """Counts and timing errors of one kind of event (or of all kinds); pool scores with ``+``."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_s: list[float] = field(default_factory=list)

    def __add__(self, other: "EventScore") -> "EventScore":
        return EventScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
                          [*self.errors_s, *other.errors_s])

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        den = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / den if den else float("nan")

    @property
    def mae_s(self) -> float:
        return float(np.mean(np.abs(self.errors_s))) if self.errors_s else float("nan")

    @property
    def bias_s(self) -> float:
        return float(np.mean(self.errors_s)) if self.errors_s else float("nan")

    @property
    def sd_s(self) -> float:
        return float(np.std(self.errors_s, ddof=1)) if len(self.errors_s) > 1 else float("nan")

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1, "mae_s": self.mae_s, "bias_s": self.bias_s}


def _as_events(events) -> list[Event]:
    """(time_s, side, kind) tuples from a list of tuples or an events DataFrame (side, event, time_s)."""
    if events is None:
        return []
    if isinstance(events, pd.DataFrame):
        if events.empty:
            return []
        return [(float(t), str(s), str(k)) for t, s, k in zip(events.time_s, events.side, events.event)]
    return [(float(t), str(s), str(k)) for t, s, k in events]


def scored_span(t_first: float, t_last: float, edge_s: float = 0.3) -> tuple[float, float]:
    """Times at which truth events are scored: at least ``edge_s`` from both trial edges."""
    return float(t_first) + edge_s, float(t_last) - edge_s


def scoring_windows(truth, t_first: float, t_last: float, *, tolerance_s: float, edge_s: float = 0.3,
                    window: str = "trial", kinds: Iterable[str] = KINDS) -> dict[str, tuple[float, float]]:
    """Side → (lo, hi): where an unpaired detection of that side counts as a false positive.

    ``window="trial"``: the scored span for both sides. ``window="side"``: from the first to the last
    scored truth event of the side (of the scored ``kinds``) ± ``tolerance_s``; sides without one are
    absent (nothing of theirs is scored as a false positive).
    """
    lo, hi = scored_span(t_first, t_last, edge_s)
    if window == "trial":
        return {s: (lo, hi) for s in SIDES}
    if window != "side":
        raise ValueError(f"window must be 'trial' or 'side', got {window!r}")
    kinds = set(kinds)
    out = {}
    for s in SIDES:
        ts = [t for t, side, k in _as_events(truth) if side == s and k in kinds and lo - 1e-9 <= t <= hi + 1e-9]
        if ts:
            out[s] = (min(ts) - tolerance_s, max(ts) + tolerance_s)
    return out


def score_events(detected, truth, *, t_first: float, t_last: float, tolerance_s: float,
                 edge_s: float = 0.3, window: str = "trial", kinds: Iterable[str] = KINDS) -> dict[str, EventScore]:
    """Score detections against truth with the rules of the module docstring.

    ``detected``: events DataFrame (columns side, event, time_s) or (time_s, side, kind) tuples;
    ``truth``: (time_s, side, kind) tuples (all recorded events, edge ones included: they absorb the
    detections of edge events); ``t_first``/``t_last``: first and last time of the trial.
    Returns ``{"HS": EventScore, "TO": EventScore, "all": EventScore}`` (only the scored ``kinds``
    besides "all").
    """
    kinds = tuple(kinds)
    det, tru = _as_events(detected), _as_events(truth)
    lo, hi = scored_span(t_first, t_last, edge_s)
    win = scoring_windows(tru, t_first, t_last, tolerance_s=tolerance_s, edge_s=edge_s, window=window, kinds=kinds)
    out = {k: EventScore() for k in kinds}
    for kind in kinds:
        sc = out[kind]
        for side in SIDES:
            d = [t for t, s, k in det if s == side and k == kind]
            g = [t for t, s, k in tru if s == side and k == kind]
            pairs, _, _ = match_events(d, g, tolerance_s)
            paired_d = {i for i, _, _ in pairs}
            paired_t = {j for _, j, _ in pairs}
            scored = [lo - 1e-9 <= tj <= hi + 1e-9 for tj in g]
            for i, j, e in pairs:
                if scored[j]:
                    sc.tp += 1
                    sc.errors_s.append(e)
            sc.fn += sum(1 for j, ok in enumerate(scored) if ok and j not in paired_t)
            w = win.get(side)
            if w is not None:
                sc.fp += sum(1 for i, ti in enumerate(d) if i not in paired_d and w[0] - 1e-9 <= ti <= w[1] + 1e-9)
    total = EventScore()
    for k in kinds:
        total = total + out[k]
    out["all"] = total
    return out


#: Short name.
score = score_events


# --------------------------------------------------------------------------------------------------
# cadence
# --------------------------------------------------------------------------------------------------


def _hs_sequence(events) -> list[tuple[float, str]]:
    return sorted((t, s) for t, s, k in _as_events(events) if k == "HS")


def step_cadence(events, max_step_s: float = 2.0) -> float:
    """60 / mean step time (consecutive heel strikes of alternating sides, at most ``max_step_s`` apart);
    NaN without a step."""
    hs = _hs_sequence(events)
    steps = [b[0] - a[0] for a, b in zip(hs, hs[1:]) if a[1] != b[1] and 0 < b[0] - a[0] <= max_step_s]
    return 60.0 / float(np.mean(steps)) if steps else float("nan")


def implied_cadence(events) -> tuple[float, str]:
    """Cadence (steps/min) the recorded events imply, and how: 120 / mean ipsilateral HS→HS interval
    when each side with heel strikes has at least two strides ("strides"), otherwise 60 / mean step time
    ("steps": short trials with one stride per side)."""
    hs = _hs_sequence(events)
    strides = {s: np.diff([t for t, side in hs if side == s]) for s in SIDES}
    have = [v for v in strides.values() if len(v)]
    if have and all(len(v) >= 2 for v in have):
        return 120.0 / float(np.mean(np.concatenate(have))), "strides"
    c = step_cadence(events)
    if np.isfinite(c):
        return c, "steps"
    if have:
        return 120.0 / float(np.mean(np.concatenate(have))), "strides"
    return float("nan"), ""


def _detected_steps(events: pd.DataFrame) -> list[tuple[float, float]]:
    """(earlier HS, later HS) of each step: consecutive heel strikes of alternating sides in one pass."""
    out = []
    for _, ev in events.groupby("pass_id"):
        hs = _hs_sequence(ev)
        out += [(a[0], b[0]) for a, b in zip(hs, hs[1:]) if a[1] != b[1] and 0 < b[0] - a[0] <= 2.0]
    return out


def detected_cadence(events: pd.DataFrame, strides: pd.DataFrame) -> tuple[float, str]:
    """Cadence of an analysis: mean ``cadence_steps_min`` of its strides ("strides"), or, when no stride
    was formed (short trials), 60 / mean step time of its heel strikes within each pass ("steps")."""
    if strides is not None and len(strides) and strides.cadence_steps_min.notna().any():
        return float(strides.cadence_steps_min.mean()), "strides"
    if events is None or events.empty:
        return float("nan"), ""
    steps = _detected_steps(events)
    return (60.0 / float(np.mean([b - a for a, b in steps])), "steps") if steps else (float("nan"), "")


def paired_cadence(events: pd.DataFrame, strides: pd.DataFrame, truth, tolerance_s: float) -> float:
    """The cadence the truth gives over the very strides (or steps) :func:`detected_cadence` used: each
    detected heel strike replaced by the truth heel strike it matches (same side, ``tolerance_s``);
    strides/steps with an unmatched end are left out. Separates event-timing error from the walker's
    own stride-to-stride variation on short trials. NaN when nothing can be paired."""
    if events is None or events.empty:
        return float("nan")
    tru = _as_events(truth)
    to_true: dict[tuple[str, float], float] = {}
    for side in SIDES:
        d = [t for t, s, k in _as_events(events) if s == side and k == "HS"]
        g = [t for t, s, k in tru if s == side and k == "HS"]
        for i, j, _ in match_events(d, g, tolerance_s)[0]:
            to_true[(side, round(d[i], 9))] = g[j]
    if strides is not None and len(strides) and strides.cadence_steps_min.notna().any():
        vals = []
        for side, a, b in zip(strides.side, strides.hs_time_s, strides.next_hs_time_s):
            ta, tb = to_true.get((side, round(float(a), 9))), to_true.get((side, round(float(b), 9)))
            if ta is not None and tb is not None and tb > ta:
                vals.append(120.0 / (tb - ta))
        return float(np.mean(vals)) if vals else float("nan")
    side_of = {round(t, 9): s for t, s, k in _as_events(events) if k == "HS"}
    steps = []
    for a, b in _detected_steps(events):
        ta = to_true.get((side_of[round(a, 9)], round(a, 9)))
        tb = to_true.get((side_of[round(b, 9)], round(b, 9)))
        if ta is not None and tb is not None and tb > ta:
            steps.append(tb - ta)
    return 60.0 / float(np.mean(steps)) if steps else float("nan")


# --------------------------------------------------------------------------------------------------
# trials
# --------------------------------------------------------------------------------------------------


@dataclass
class MocapTrial:
    """One motion-capture trial ready for projection.

    ``t_s`` (T,) the recording's time base; ``world`` (T, 33, 3) m, MediaPipe layout, world frame of
    :mod:`gaitlab.synth.camera`; ``events`` all recorded events; ``window`` the scoring rule ("trial"
    or "side", see the module docstring); ``kinds`` the event kinds the truth can score; ``notes``
    what was assumed or synthesised.
    """

    name: str
    t_s: np.ndarray
    world: np.ndarray
    events: list[Event]
    window: str = "trial"
    kinds: tuple[str, ...] = KINDS
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def t_first(self) -> float:
        return float(self.t_s[0])

    @property
    def t_last(self) -> float:
        return float(self.t_s[-1])

    @property
    def duration_s(self) -> float:
        return self.t_last - self.t_first

    def scored_truth(self, edge_s: float = 0.3) -> list[Event]:
        lo, hi = scored_span(self.t_first, self.t_last, edge_s)
        return [e for e in self.events if e[2] in self.kinds and lo - 1e-9 <= e[0] <= hi + 1e-9]


#: Landmarks every projected frame needs (the pipeline's passes need shoulders, hips and ankles; the
#: events heels, toes and hips).
REQUIRED_LANDMARKS = tuple(f"{s}_{p}" for s in SIDES for p in ("shoulder", "hip", "ankle", "heel", "foot_index"))

#: Marker mappings not (yet) in :data:`gaitlab.mocap.MAPPINGS` (same shape).
EXTRA_MAPPINGS: dict[str, dict] = {
    # Rajagopal et al. 2016 example walk (OpenSim models repo, motion_capture_walk.trc): lateral knee
    # and ankle markers only, no head markers (the nose stays NaN: the pipeline does not need it).
    "opensim_rajagopal": {
        "pelvis": {"LASI": "L.ASIS", "RASI": "R.ASIS", "LPSI": "L.PSIS", "RPSI": "R.PSIS"},
        **{f"{s}_{lm}": alts for s, S in (("left", "L"), ("right", "R")) for lm, alts in {
            "shoulder": [(f"{S}.Shoulder",)],
            "elbow": [(f"{S}.Elbow",)],
            "wrist": [(f"{S}.Wrist",)],
            "knee": [(f"{S}.Knee",)],
            "ankle": [(f"{S}.Ankle",)],
            "heel": [(f"{S}.Heel",)],
            "foot_index": [(f"{S}.Toe",), (f"{S}.MT5",)],
        }.items()},
    },
    # BTS.c3d (kineticstoolkit test file, Davis-like protocol): one sacral marker for both PSIS, lateral
    # knee marker, heel and 5th metatarsal head; no malleolus or head marker (ankle synthesised).
    "bts_davis": {
        "pelvis": {"LASI": "l asis", "RASI": "r asis", "LPSI": "sacrum", "RPSI": "sacrum"},
        **{f"{s}_{lm}": alts for s, S in (("left", "l"), ("right", "r")) for lm, alts in {
            "shoulder": [(f"{S} should",)],
            "knee": [(f"{S} knee 1",)],
            "heel": [(f"{S} heel",)],
            "foot_index": [(f"{S} met",)],
        }.items()},
    },
}

#: Ankle joint centre in a foot frame: heel + a·(toe − heel) + b·|toe − heel|·n, n the unit normal of
#: the heel→toe line in its vertical plane (pointing up). Medians measured on Qualisys.c3d (malleoli
#: midpoint, heel FCC, toe = mid FM1/FM5 metatarsal heads): a = 0.35 / 0.36, b = 0.27 (left / right).
ANKLE_IN_FOOT = (0.35, 0.27)
#: Winter's segment proportions of body height: shank (knee→ankle) and hip height; shoulder above hip.
SHANK_HEIGHT_RATIO = 0.246
HIP_HEIGHT_RATIO = 0.530
SHOULDER_ABOVE_HIP_RATIO = 0.288
HALF_SHOULDER_WIDTH_RATIO = 0.13


def _foot_normal(heel: np.ndarray, toe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = toe - heel
    length = np.linalg.norm(f, axis=-1, keepdims=True)
    fu = f / length
    up = np.array([0.0, 0.0, 1.0])
    n = up - (fu @ up)[..., None] * fu
    n = n / np.linalg.norm(n, axis=-1, keepdims=True)
    return f, length * n


def ankle_from_foot(heel: np.ndarray, toe: np.ndarray, a: float = ANKLE_IN_FOOT[0],
                    b: float = ANKLE_IN_FOOT[1]) -> np.ndarray:
    """(T, 3) ankle joint centre estimated from heel and metatarsal-head markers (world frame, Z up)."""
    f, n = _foot_normal(heel, toe)
    return heel + a * f + b * n


def treadmill_to_overground(md: MarkerData, *, min_travel_m: float = 0.5) -> tuple[MarkerData, float]:
    """World-frame markers of a treadmill trial shifted forward at the belt speed (a Galilean change of
    frame: foot contacts and every event time are unchanged), so that the walker crosses the camera's
    view. Belt speed = −median X velocity of the heel/toe markers over the frames where they are within
    2 cm of their lowest height (stance). Returns ``(data, speed_m_s)``; speed 0 when the pelvis
    already travels ``min_travel_m`` (overground) or no foot marker is found."""
    pel = [v for k, v in md.markers.items() if re.search(r"asis|psis|sacr", k, re.I)]
    if pel:
        p = np.nanmean(np.stack(pel), axis=0)
        ok = np.isfinite(p[:, 0])
        if ok.sum() > 1 and abs(p[ok][-1, 0] - p[ok][0, 0]) >= min_travel_m:
            return md, 0.0
    vel = []
    for k, v in md.markers.items():
        if not re.search(r"heel|toe|fcc|fm[15]|calc|meta", k, re.I):
            continue
        z = v[:, 2]
        low = z <= np.nanmin(z) + 0.02
        vx = np.gradient(v[:, 0], md.t_s)
        vel.append(vx[low & np.isfinite(vx)])
    if not vel or not np.concatenate(vel).size:
        return md, 0.0
    speed = -float(np.median(np.concatenate(vel)))
    shift = speed * (md.t_s - md.t_s[0])
    new = {k: v + np.stack([shift, np.zeros_like(shift), np.zeros_like(shift)], axis=1) for k, v in md.markers.items()}
    return MarkerData(md.t_s, new, md.rate_hz, md.up_axis, list(md.events)), speed


def synthesise_shoulders(world: np.ndarray) -> np.ndarray:
    """Fill missing shoulders (NaN) above the hips: mid-hip + (0, ±half shoulder width, torso), with the
    body height estimated from the median mid-hip height (Winter proportions: hip 0.530 H, shoulder
    0.288 H above the hip, half shoulder width 0.13 H). Only the pipeline's pass segmentation (tracks,
    body width) and trunk angles use shoulders; none of the events do."""
    out = world.copy()
    mid = 0.5 * (world[:, LM["left_hip"]] + world[:, LM["right_hip"]])
    height = float(np.nanmedian(mid[:, 2])) / HIP_HEIGHT_RATIO
    for s, sign in (("left", 1.0), ("right", -1.0)):
        i = LM[f"{s}_shoulder"]
        miss = ~np.isfinite(out[:, i]).all(axis=1)
        sh = mid + np.array([0.0, sign * HALF_SHOULDER_WIDTH_RATIO * height, SHOULDER_ABOVE_HIP_RATIO * height])
        out[miss, i] = sh[miss]
    return out


def synthesise_nose(world: np.ndarray, *, forward_m: float = 0.10, up_m: float = 0.20) -> np.ndarray:
    """Fill a missing nose (NaN) at mid-shoulder + ``forward_m`` along +X (walking direction) and
    ``up_m`` up. A pose estimator always reports a nose; keypoint sets without one trip the pass
    segmentation's body-cut test (see the benchmark's notes), and nothing else uses it."""
    out = world.copy()
    i = LM["nose"]
    miss = ~np.isfinite(out[:, i]).all(axis=1)
    mid = 0.5 * (world[:, LM["left_shoulder"]] + world[:, LM["right_shoulder"]])
    out[miss, i] = (mid + np.array([forward_m, 0.0, up_m]))[miss]
    return out


def valid_span(world: np.ndarray, required: Iterable[str] = REQUIRED_LANDMARKS) -> slice:
    """Longest run of frames in which every required landmark is finite (empty slice if none)."""
    ok = np.isfinite(world[:, [LM[n] for n in required]]).all(axis=(1, 2))
    best, start = (0, 0), None
    for i, v in enumerate(np.r_[ok, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return slice(*best)


def fill_gaps(t_s: np.ndarray, world: np.ndarray, max_gap_s: float = 0.1) -> tuple[np.ndarray, int]:
    """Linear interpolation over marker gaps (NaN runs inside the data) up to ``max_gap_s`` long, per
    landmark coordinate (mocap markers drop out for a few frames). Returns ``(filled, n_filled_values)``."""
    out = world.copy()
    flat = out.reshape(len(t_s), -1)
    n = 0
    for c in range(flat.shape[1]):
        y = flat[:, c]
        ok = np.isfinite(y)
        if ok.all() or ok.sum() < 2:
            continue
        idx = np.flatnonzero(ok)
        for a, b in zip(idx[:-1], idx[1:]):
            if b - a > 1 and t_s[b] - t_s[a] <= max_gap_s + 1e-9:
                y[a + 1:b] = np.interp(t_s[a + 1:b], [t_s[a], t_s[b]], [y[a], y[b]])
                n += b - a - 1
    return out, n


def _trimmed(trial: MocapTrial, span: slice, why: str) -> MocapTrial:
    """Synthesise a missing nose, then keep the frames of ``span`` only."""
    if not np.isfinite(trial.world[:, LM["nose"]]).any():
        trial.world = synthesise_nose(trial.world)
        trial.notes.append("no head marker: nose synthesised 0.2 m above and 0.1 m ahead of mid-shoulder")
    if span.stop - span.start < 2:
        raise MocapError(f"{trial.name}: no stretch of frames with every required landmark "
                         f"({', '.join(REQUIRED_LANDMARKS)})")
    if span.start == 0 and span.stop == len(trial.t_s):
        return trial
    t = trial.t_s[span]
    trial.notes.append(f"trimmed to {t[0]:.3f}–{t[-1]:.3f} s ({why})")
    trial.t_s, trial.world = t, trial.world[span]
    return trial


def load_c3d_trial(path: str | Path, *, name: str | None = None, mapping: str | dict | None = None,
                   events: list[Event] | None = None, window: str = "trial") -> MocapTrial:
    """A C3D trial with its EVENT group (or ``events``) as truth."""
    path = Path(path)
    md = to_world(read_c3d(path))
    world = markers_to_landmarks(md, mapping)
    trial = MocapTrial(name or path.stem, md.t_s, world, list(events if events is not None else md.events),
                       window=window, source=str(path))
    return _trimmed(trial, valid_span(world), "required landmarks missing outside it")


def read_events_csv(path: str | Path, trial: str) -> list[Event]:
    """Events of one trial from a CSV with columns trial, side (L/R), event (HS/TO), time_s ('#' comments)."""
    df = pd.read_csv(path, comment="#")
    df = df[df.trial == trial]
    if df.empty:
        raise MocapError(f"{Path(path).name} has no events for trial {trial!r}")
    side = {"L": "left", "R": "right", "left": "left", "right": "right"}
    return sorted((float(t), side[str(s)], str(k)) for t, s, k in zip(df.time_s, df.side, df.event))


def load_opensim_trial(trc: str | Path, events_csv: str | Path, *, trial: str | None = None,
                       mapping: str | dict | None = None) -> MocapTrial:
    """An OpenSim ``.trc`` trial with force-plate events from ``events_csv`` (window rule "side").

    Treadmill trials are shifted to overground (:func:`treadmill_to_overground`). Knee and ankle
    landmarks the mapping leaves NaN are synthesised: ankle from the foot markers
    (:func:`ankle_from_foot`, metatarsal heads = mean of ``Toe.Med``/``Toe.Lat`` when present, else the
    foot index), knee on the line from the ankle through the shank-cluster centroid at 0.246 × height
    (height from the highest head marker + 2 cm).
    """
    trc = Path(trc)
    name = trial or trc.stem
    md = to_world(read_trc(trc))
    notes = []
    md, belt = treadmill_to_overground(md)
    if belt:
        notes.append(f"treadmill trial (pelvis stays put): shifted forward at the belt speed {belt:.2f} m/s")
    if mapping is None:
        try:
            from .mocap import detect_mapping

            mapping = detect_mapping(md)
        except MocapError:
            for key, mp in EXTRA_MAPPINGS.items():
                try:
                    markers_to_landmarks(md, mp)
                    mapping = mp
                    notes.append(f"marker mapping {key} (gaitlab.validation.EXTRA_MAPPINGS)")
                    break
                except MocapError:
                    continue
            else:
                raise
    world = markers_to_landmarks(md, mapping)
    m = md.markers
    for s, S in (("left", "L"), ("right", "R")):
        a, k = LM[f"{s}_ankle"], LM[f"{s}_knee"]
        heel = world[:, LM[f"{s}_heel"]]
        if not np.isfinite(world[:, a]).any():
            toes = [m[n] for n in (f"{S}.Toe.Med", f"{S}.Toe.Lat") if n in m]
            toe = np.mean(toes, axis=0) if len(toes) == 2 else world[:, LM[f"{s}_foot_index"]]
            world[:, a] = ankle_from_foot(heel, toe)
            notes.append(f"{s} ankle synthesised from heel and metatarsal-head markers")
        if not np.isfinite(world[:, k]).any():
            shank = [v for n, v in m.items() if n.startswith(f"{S}.Shank")]
            heads = [v[:, 2] for n, v in m.items() if re.search(r"head|temple", n, re.I)]
            if shank and heads:
                height = float(np.nanmax(np.concatenate(heads))) + 0.02
                c = np.mean(shank, axis=0)
                d = c - world[:, a]
                d /= np.linalg.norm(d, axis=1, keepdims=True)
                world[:, k] = world[:, a] + SHANK_HEIGHT_RATIO * height * d
                notes.append(f"{s} knee synthesised on the ankle→shank-cluster line ({SHANK_HEIGHT_RATIO} × "
                             f"height {height:.2f} m)")
    trial_obj = MocapTrial(name, md.t_s, world, read_events_csv(events_csv, name), window="side",
                           source=str(trc), notes=notes)
    return _trimmed(trial_obj, valid_span(world), "required landmarks missing outside it")


def load_gaitkit_json(path: str | Path, *, kinds: tuple[str, ...] = KINDS, dedupe_s: float = 0.4) -> MocapTrial:
    """A gaitkit example (``landmark_positions`` per frame + annotated ``ground_truth`` frames).

    File frame (checked, else :class:`~gaitlab.mocap.MocapError`): millimetres, x = walking direction,
    y = up, z = the subject's right (left hip z < right hip z). World: X = x (negated with z when the
    pelvis travels −x), Y = −z, Z = y; X = 0 at the first mid-hip, Y = 0 at its mean, floor (Z = 0) at
    the 1st percentile of heel/toe heights. ``toe`` → foot index. Shoulders that are absent or all zero
    are synthesised (:func:`synthesise_shoulders`). Time = frame index / fps (frame 0 at 0 s).

    Truth: ``hs_frames``/``to_frames`` of the kinds in ``kinds``; of two same-side, same-kind annotations
    closer than ``dedupe_s`` only the first is kept (a duplicate), noted in ``notes``.
    """
    path = Path(path)
    d = json.loads(path.read_text(encoding="utf-8"))
    fps = float(d["fps"])
    frames = d["angle_frames"]
    names = {"hip": "hip", "knee": "knee", "ankle": "ankle", "heel": "heel", "toe": "foot_index",
             "shoulder": "shoulder"}
    T = len(frames)
    raw = np.full((T, N_LANDMARKS, 3), np.nan)
    for i, fr in enumerate(frames):
        for key, xyz in (fr.get("landmark_positions") or {}).items():
            side, _, part = key.partition("_")
            if part in names and side in SIDES and xyz is not None:
                raw[i, LM[f"{side}_{names[part]}"]] = np.asarray(xyz, dtype=float) / 1000.0
    zero = np.all(raw == 0.0, axis=2)
    raw[zero] = np.nan
    notes = []
    lh, rh = raw[:, LM["left_hip"]], raw[:, LM["right_hip"]]
    if not np.nanmedian(rh[:, 2] - lh[:, 2]) > 0:
        raise MocapError(f"{path.name}: the right hip is not at larger z than the left one; axes unknown")
    if not np.nanmedian(raw[:, LM["left_hip"], 1]) > np.nanmedian(raw[:, LM["left_heel"], 1]):
        raise MocapError(f"{path.name}: the hips are not above the heels along y; axes unknown")
    world = np.stack([raw[..., 0], -raw[..., 2], raw[..., 1]], axis=-1)
    mid = 0.5 * (world[:, LM["left_hip"]] + world[:, LM["right_hip"]])
    okm = np.isfinite(mid[:, 0])
    if mid[okm][-1, 0] < mid[okm][0, 0]:
        world[..., :2] *= -1.0
        mid[:, :2] *= -1.0
        notes.append("walks −x in the file: turned 180° about the vertical")
    feet = world[:, [LM[f"{s}_{p}"] for s in SIDES for p in ("heel", "foot_index")], 2]
    world -= np.array([mid[okm][0, 0], np.nanmean(mid[:, 1]), np.nanpercentile(feet, 1.0)])
    if not np.isfinite(world[:, [LM["left_shoulder"], LM["right_shoulder"]]]).any():
        world = synthesise_shoulders(world)
        notes.append("shoulders absent (all zero): synthesised above the hips (Winter proportions)")
    gt = d["ground_truth"]
    events: list[Event] = []
    for kind, key in (("HS", "hs_frames"), ("TO", "to_frames")):
        if kind not in kinds:
            continue
        for side in SIDES:
            kept: list[int] = []
            for f in sorted(gt.get(key, {}).get(side, []) or []):
                if kept and (f - kept[-1]) / fps < dedupe_s:
                    notes.append(f"annotated {side} {kind} at frame {f} dropped: {f - kept[-1]} frames after "
                                 f"frame {kept[-1]} (duplicate)")
                    continue
                kept.append(f)
            events += [(f / fps, side, kind) for f in kept]
    trial = MocapTrial(path.stem, np.arange(T) / fps, world, sorted(events), window="trial", kinds=tuple(kinds),
                       source=str(path), notes=notes)
    return _trimmed(trial, valid_span(world), "required landmarks missing outside it")


def contact_events(md_world: MarkerData, world: np.ndarray, contacts: list[tuple[float, float]]) -> list[Event]:
    """Force-plate contacts (on, off) s → HS/TO events, the foot of each contact being the one whose
    heel is lower on average over the contact (world landmarks, Z up)."""
    out: list[Event] = []
    t = md_world.t_s
    for on, off in contacts:
        sel = (t >= on) & (t <= off)
        z = {s: np.nanmean(world[sel, LM[f"{s}_heel"], 2]) if np.isfinite(world[sel, LM[f"{s}_heel"], 2]).any()
             else np.inf for s in SIDES}
        side = min(z, key=z.get)
        out += [(on, side, "HS"), (off, side, "TO")]
    return sorted(out)


#: Force-plate contacts of BTS.c3d (data README): alternating feet, the foot found from the heel heights.
BTS_CONTACTS = [(3.515, 4.073), (3.991, 4.583), (4.496, 5.081)]


def load_bts(path: str | Path) -> MocapTrial:
    """BTS.c3d with its three force-plate contacts as truth (window rule "side"); ankles synthesised
    from heel and 5th-metatarsal markers; trimmed to the frames where every required landmark exists."""
    path = Path(path)
    md = to_world(read_c3d(path))
    world, n_filled = fill_gaps(md.t_s, markers_to_landmarks(md, EXTRA_MAPPINGS["bts_davis"]))
    for s in SIDES:
        world[:, LM[f"{s}_ankle"]] = ankle_from_foot(world[:, LM[f"{s}_heel"]], world[:, LM[f"{s}_foot_index"]])
    events = contact_events(md, world, BTS_CONTACTS)
    trial = MocapTrial(path.stem, md.t_s, world, events, window="side", source=str(path),
                       notes=["marker mapping bts_davis (gaitlab.validation.EXTRA_MAPPINGS)",
                              "ankles synthesised from heel and 5th-metatarsal markers",
                              "force-plate contacts → HS/TO; foot of each contact = lower heel: "
                              + ", ".join(f"{k} {s} {t:.3f}" for t, s, k in events),
                              f"marker gaps ≤ 0.1 s interpolated ({n_filled} values)"])
    return _trimmed(trial, valid_span(world), "required landmarks missing outside it")


# --------------------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------------------


def resample(t_src: np.ndarray, values: np.ndarray, t_new: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (T, ...) at ``t_new`` (inside [t_src[0], t_src[-1]]); a NaN
    neighbour gives NaN (except exactly on a sample, which gives that sample)."""
    t_src = np.asarray(t_src, dtype=float)
    t_new = np.asarray(t_new, dtype=float)
    i = np.clip(np.searchsorted(t_src, t_new, side="right"), 1, len(t_src) - 1)
    w = (t_new - t_src[i - 1]) / (t_src[i] - t_src[i - 1])
    w = np.clip(w, 0.0, 1.0).reshape((-1,) + (1,) * (values.ndim - 1))
    lo, hi = values[i - 1], values[i]
    with np.errstate(invalid="ignore"):
        out = lo * (1.0 - w) + hi * w
    out = np.where(w == 0.0, lo, np.where(w == 1.0, hi, out))  # on a sample: its value, whatever the neighbour
    return out


def camera_times(trial: MocapTrial, fps: float, *, phase_s: float = 0.0, vfr_jitter: float = 0.0,
                 seed: int | None = None) -> np.ndarray:
    """Frame times of a camera started ``phase_s`` after the trial's first sample, on the trial's own
    time base, ending at or before its last sample."""
    from .synth.camera import frame_times

    n = int(np.floor((trial.duration_s - phase_s) * fps + 1e-9)) + 1
    t = frame_times(fps, n / fps, vfr_jitter=vfr_jitter, phase_s=trial.t_first + phase_s, seed=seed)
    return t[t <= trial.t_last + 1e-9]


def project_trial(trial: MocapTrial, fps: float, *, from_left: bool = False, phase_s: float = 0.0,
                  noise=None, seed: int = 0, distance_m: float = 4.0, height_m: float = 1.0,
                  vfr_jitter: float = 0.0) -> tuple[PoseSequence, dict]:
    """Side-view landmarks of a trial as a pose estimator at ``fps`` would give them.

    The camera (:meth:`~gaitlab.synth.camera.Camera.side_view`, ``distance_m`` from the walking line at
    ``height_m``) faces the middle of the walk (mean mid-hip X). ``noise``: a
    :class:`~gaitlab.synth.noise.NoiseModel` or None (clean). Returns ``(pose, info)``, ``info`` from
    :func:`~gaitlab.synth.noise.apply_noise` (empty without noise).
    """
    from .synth.camera import Camera, to_pose_sequence
    from .synth.noise import apply_noise

    t = camera_times(trial, fps, phase_s=phase_s, vfr_jitter=vfr_jitter, seed=seed)
    world = resample(trial.t_s, trial.world, t)
    mid_x = 0.5 * (trial.world[:, LM["left_hip"], 0] + trial.world[:, LM["right_hip"], 0])
    walk_y = float(np.nanmean(0.5 * (trial.world[:, LM["left_hip"], 1] + trial.world[:, LM["right_hip"], 1])))
    cam = Camera.side_view(distance_m=distance_m, height_m=height_m, walk_center_x_m=float(np.nanmean(mid_x)),
                           walk_y_m=walk_y, from_left=from_left)
    pose = to_pose_sequence(world, t, cam, backend="mocap")
    if noise is None:
        return pose, {}
    return apply_noise(pose, noise, seed=seed)
