"""Gait events per pass and side: heel strike (HS) and toe off (TO). Pure: arrays in, a DataFrame out.

Methods (CLINICAL.md §3), chosen per pass from its view and ``[events] method``:

* ``zeni`` (sagittal default; Zeni, Richards & Higginson 2008, *Gait Posture* 27:710–714): in the
  pass's walking frame (X forward), HS at maxima of heel − pelvis along X, TO at minima of
  foot index − pelvis along X. Pelvis = hip midpoint.
* ``oconnor`` (sagittal, selectable second opinion; O'Connor et al. 2007, *Gait Posture* 25:469–474,
  foot-velocity algorithm): foot centre = heel–foot-index midpoint; its forward-velocity peaks mark
  mid-swing; HS = the lowest vertical velocity in the half stride after each (the foot's fastest
  descent), TO = the highest vertical velocity in the half stride before (its fastest rise).
* ``foot_speed`` (sagittal, selectable): the camera does not move, so a planted foot stands still in
  the image: HS where the heel's image speed falls below ``foot_speed_fraction`` × its swing peak, TO
  where the toe's rises above it. No calibration; on motion capture (30 fps, pose noise) F1 0.936,
  HS MAE 17 ms, TO MAE 21 ms (bias −19 ms) against Zeni's 0.961 / 17 / 14 ms.
* ``heel_speed`` (frontal passes, HS only: no toe off is defined from a front view): the camera does
  not move, so a planted heel stands still in the image; after each swing (peak of the heel's image
  speed) HS is where the speed falls below ``frontal_speed_fraction`` × the peak. Measured on the gait
  model walking toward the camera (0.8–1.6 m/s, 30/60 fps): bias +5 ms, MAE 7 ms without pose noise,
  MAE 57 ms with it. The ankle-height difference (Stenum et al. 2024) was 170–280 ms late there, because
  the trailing foot's lift in early swing outweighs the perspective cue. Walking **away** every cue
  tried (ankle or heel height, heel speed) was 200–400 ms early (foot moving away and descending cancel
  in the image), so away passes give no events unless ``frontal_away_events`` is set.

Rules shared by all methods: peaks need a prominence of at least ``prominence_fraction`` × the
signal's 5–95 % range within the pass (adaptive to walker size and speed), events of one kind and
side are at least ``min_event_interval_s`` apart, peak times are refined to a fraction of a sample
by a parabola through the three samples around the peak, ``hs_offset_s``/``to_offset_s`` are added
to Zeni events (its bias, calibrated on motion capture: see the pipeline file), events within ``edge_margin_s`` of a pass edge (the pass
edges are also where turns begin and end) are dropped, and each side's HS and TO must alternate
(of two same-kind events in a row the less prominent one is dropped).

``confidence`` (0–1) = min(1, prominence / median prominence of the same side and kind in the pass)
× median visibility of the landmarks the method uses over ± 2 samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from ..model import LM, Pass
from ..pipeline import EventsConfig
from .filtering import leg_length_px
from .kinematics import FRONTAL_VIEWS, SIDES, derotate_xy, pass_rows, walking_frame

#: Column → (unit, definition) of ``events.csv``.
EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "pass_id": ("", "Walking pass the event belongs to."),
    "view": ("", "View of the pass."),
    "side": ("", "Subject's side of the foot: left or right."),
    "leg": ("", "Sagittal passes: near or far leg (far-leg events are usable with their lower confidence)."),
    "event": ("", "HS = heel strike (initial contact), TO = toe off."),
    "time_s": ("s", "Event time on the presentation-timestamp clock, refined to a fraction of a frame."),
    "frame": ("frame", "Decoded video frame nearest to the event."),
    "confidence": ("", "0–1: peak prominence relative to the pass's typical one × landmark visibility."),
    "method": ("", "zeni, oconnor, foot_speed or heel_speed (see gaitlab.gait.events)."),
}



def _refine(y: np.ndarray, i: int) -> float:
    """Sub-sample offset (−0.5…0.5) of the extremum at ``i`` from a parabola through i−1, i, i+1."""
    a, b, c = y[i - 1], y[i], y[i + 1]
    den = a - 2.0 * b + c
    if not np.isfinite(den) or den == 0:
        return 0.0
    return float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def _peaks(y: np.ndarray, fs: float, cfg: EventsConfig) -> list[tuple[float, float]]:
    """Maxima of ``y`` (NaN-separated stretches treated apart) as (fractional index, prominence)."""
    finite = np.isfinite(y)
    if finite.sum() < 3:
        return []
    lo, hi = np.percentile(y[finite], [5, 95])
    min_prom = cfg.prominence_fraction * (hi - lo)
    if not min_prom > 0:
        return []
    out = []
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(int), 0]))
    for a, b in zip(edges[::2], edges[1::2]):
        idx, props = find_peaks(y[a:b], prominence=min_prom, distance=max(1, int(cfg.min_event_interval_s * fs)))
        for i, prom in zip(idx + a, props["prominences"]):
            out.append((i + _refine(y, i), float(prom)))
    return out


def _oconnor(w: np.ndarray, side: str, fs: float, cfg: EventsConfig) -> dict[str, list[tuple[float, float]]]:
    """O'Connor's foot-velocity algorithm: anchored on the foot centre's mid-swing forward-velocity peaks,
    HS = the lowest vertical velocity in the half stride after each, TO = the highest in the half before."""
    mid = 0.5 * (w[:, LM[f"{side}_heel"]] + w[:, LM[f"{side}_foot_index"]])
    vx, vy = (np.gradient(mid[:, k]) * fs if len(mid) > 1 else mid[:, k] * 0 for k in (0, 1))
    swing = [int(round(x)) for x, _ in _peaks(vx, fs, cfg)]
    n = len(vy)
    half = int(0.5 * np.median(np.diff(swing))) if len(swing) > 1 else int(0.5 * fs)
    out: dict[str, list[tuple[float, float]]] = {"HS": [], "TO": []}
    for m in swing:
        for kind, y, lo, hi in (("HS", -vy, m + 1, min(m + half, n - 1)), ("TO", vy, max(m - half, 1), m)):
            seg = y[lo:hi]
            if seg.size and np.isfinite(seg).any():
                i = lo + int(np.nanargmax(seg))
                if 0 < i < n - 1:
                    out[kind].append((i + _refine(y, i), float(y[i])))
    return out


def _speed_crossings(w: np.ndarray, point: int, fs: float, fraction: float, cfg: EventsConfig, *,
                     after: bool) -> list[tuple[float, float]]:
    """The camera does not move, so a planted foot stands still in the image. Around each swing (a peak of
    the point's image speed, leg lengths/s): the first sample after it (``after``; heel strike) or the last
    before it (toe off) where the speed is below ``fraction`` × the peak, interpolated between samples."""
    v = np.hypot(*np.gradient(w[:, point], axis=0).T) * fs if len(w) > 1 else np.zeros(len(w))
    out = []
    for x, _ in _peaks(v, fs, cfg):
        i = int(round(x))
        thr = fraction * v[i]
        seg = v[i:] if after else v[i::-1]
        below = np.flatnonzero(~(seg > thr))  # NaN ends the search too
        if not below.size or not np.isfinite(seg[below[0]]) or below[0] == 0:
            continue
        k = below[0]
        frac = (seg[k - 1] - thr) / (seg[k - 1] - seg[k])
        out.append((i + (k - 1 + frac) * (1 if after else -1), float(v[i])))
    return out


def _candidates(w: np.ndarray, p: Pass, fs: float, method: str, cfg: EventsConfig) -> dict[tuple[str, str], tuple]:
    """(side, kind) → (peaks as (fractional index, prominence), landmark indices the method uses)."""
    out = {}
    if p.view in FRONTAL_VIEWS:
        for s in SIDES:
            heel = LM[f"{s}_heel"]
            out[(s, "HS")] = (_speed_crossings(w, heel, fs, cfg.frontal_speed_fraction, cfg, after=True), [heel])
        return out
    pelvis = 0.5 * (w[:, LM["left_hip"], 0] + w[:, LM["right_hip"], 0])
    for s in SIDES:
        heel, toe = LM[f"{s}_heel"], LM[f"{s}_foot_index"]
        if method == "foot_speed":
            out[(s, "HS")] = (_speed_crossings(w, heel, fs, cfg.foot_speed_fraction, cfg, after=True), [heel])
            out[(s, "TO")] = (_speed_crossings(w, toe, fs, cfg.foot_speed_fraction, cfg, after=False), [toe])
        elif method == "oconnor":
            found = _oconnor(w, s, fs, cfg)
            out[(s, "HS")], out[(s, "TO")] = (found["HS"], [heel, toe]), (found["TO"], [heel, toe])
        else:
            out[(s, "HS")] = (_peaks(w[:, heel, 0] - pelvis, fs, cfg), [heel, LM["left_hip"], LM["right_hip"]])
            out[(s, "TO")] = (_peaks(-(w[:, toe, 0] - pelvis), fs, cfg), [toe, LM["left_hip"], LM["right_hip"]])
    return out


def _alternate(ev: list[dict]) -> list[dict]:
    """Per side, HS and TO alternate: of two same-kind events in a row keep the more prominent."""
    out = []
    for s in SIDES:
        seq = sorted((e for e in ev if e["side"] == s), key=lambda e: e["time_s"])
        kept: list[dict] = []
        for e in seq:
            if kept and kept[-1]["event"] == e["event"] and any(x["event"] != e["event"] for x in seq):
                if e["_prom"] > kept[-1]["_prom"]:
                    kept[-1] = e
                continue
            kept.append(e)
        out += kept
    return out


def _offset(method: str, kind: str, cfg: EventsConfig) -> float:
    """Bias correction of the Zeni method (the only one calibrated: see the pipeline file)."""
    if method != "zeni":
        return 0.0
    return cfg.hs_offset_s if kind == "HS" else cfg.to_offset_s


def pass_method(p: Pass, cfg: EventsConfig) -> str:
    """Event method used for a pass (``""`` when the pass cannot give events)."""
    if not p.usable:
        return ""
    if p.view == "frontal_toward":
        return "heel_speed"
    if p.view == "frontal_away":
        return "heel_speed" if cfg.frontal_away_events else ""
    return cfg.method if p.view == "sagittal" else ""


def detect_events(t_s, landmarks, passes: list[Pass], roll_deg: float, cfg: EventsConfig,
                  frame_index=None) -> pd.DataFrame:
    """Events of every usable pass, ordered by time: the columns of :data:`EVENT_COLUMNS`.

    ``t_s`` (N,) even grid (s), ``landmarks`` (N, 33, 4) filtered; ``passes`` index rows of them.
    """
    t = np.asarray(t_s, dtype=float)
    lm = np.asarray(landmarks, dtype=float)
    fi = np.arange(len(t)) if frame_index is None else np.asarray(frame_index)
    fs = 1.0 / float(np.median(np.diff(t))) if len(t) > 1 else float("nan")
    xy = derotate_xy(lm[..., :2], roll_deg)
    rows: list[dict] = []
    for p in passes:
        method = pass_method(p, cfg)
        r = pass_rows(p, len(t))
        if not method or r.stop - r.start < 3:
            continue
        w = walking_frame(xy[r], p)
        if w is None:
            continue
        legl = np.nanmedian(leg_length_px(lm[r, :, :2]))
        vis = lm[r, :, 3]
        t0, t1 = t[r.start] + cfg.edge_margin_s, t[r.stop - 1] - cfg.edge_margin_s
        found = []
        for (side, kind), (peaks, used) in _candidates(w / legl, p, fs, method, cfg).items():
            if not peaks:
                continue
            med = float(np.median([pr for _, pr in peaks]))
            for x, prom in peaks:
                ts = float(np.interp(x, np.arange(r.stop - r.start), t[r])) + _offset(method, kind, cfg)
                if not t0 <= ts <= t1:
                    continue
                i = int(round(x))
                v = float(np.nanmedian(vis[max(i - 2, 0):i + 3][:, used])) if used else 1.0
                found.append({
                    "pass_id": p.pass_id, "view": p.view, "side": side,
                    "leg": p.leg(side),
                    "event": kind, "time_s": ts, "frame": int(fi[r.start + i]),
                    "confidence": round(min(1.0, prom / med) * (v if np.isfinite(v) else 0.0), 3),
                    "method": method, "_prom": prom,
                })
        rows += _alternate(found)
    df = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, "_prom"]).drop(columns="_prom")
    return df.sort_values(["time_s", "side"], kind="stable").reset_index(drop=True)
