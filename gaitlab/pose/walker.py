"""Choosing the walker among the people in view. Pure: arrays in, choice out.

A *track* is one person followed over time (from the MediaPipe tracker loop in
:mod:`gaitlab.pose.estimate`, or linked from per-frame candidates of an OpenPose folder). The walker
is the person who walks most: hips travelling steadily across (side view) or growing/shrinking in the
image (front view) while the ankles alternate. Tracks of the same person separated in time (the
walker leaves the frame and comes back) are joined by appearance and body size.

``--person-hint X,Y[@T]`` overrides the choice: the person nearest (X, Y) px at time T s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import AmbiguousWalkerError, ConfigError, NoPersonError
from ..model import LM
from ..pipeline import WalkerConfig

_HIPS = [LM["left_hip"], LM["right_hip"]]
_SHOULDERS = [LM["left_shoulder"], LM["right_shoulder"]]
_ANKLES = [LM["left_ankle"], LM["right_ankle"]]
_BODY = [0, 11, 12, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]


@dataclass
class Track:
    """One person over time: rows of the clip where they were found and their landmarks."""

    track_id: int
    rows: list[int] = field(default_factory=list)
    landmarks: list[np.ndarray] = field(default_factory=list)  # each (33, 4), full-frame px
    appearance: list[np.ndarray] = field(default_factory=list)  # colour histograms seen at searches

    def add(self, row: int, lm: np.ndarray) -> None:
        self.rows.append(row)
        self.landmarks.append(lm)

    @property
    def last(self) -> np.ndarray:
        return self.landmarks[-1]

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.rows, dtype=int), np.asarray(self.landmarks, dtype=float).reshape(-1, 33, 4)


@dataclass(frozen=True)
class PersonHint:
    x_px: float
    y_px: float
    t_s: float | None


def parse_person_hint(text: str | None) -> PersonHint | None:
    """Parse ``X,Y`` or ``X,Y@T`` (pixels of the upright frame, seconds)."""
    if text is None or text == "":
        return None
    m = re.fullmatch(r"\s*([0-9.]+)\s*,\s*([0-9.]+)\s*(?:@\s*([0-9.]+)\s*)?", text)
    if not m:
        raise ConfigError(
            f"--person-hint '{text}' is not X,Y or X,Y@T; give the walker's position in pixels of the "
            "upright frame, e.g. --person-hint 640,400@2.5"
        )
    return PersonHint(float(m.group(1)), float(m.group(2)), float(m.group(3)) if m.group(3) else None)


def body_box(lm: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) px around the body landmarks, or None when too few are finite."""
    pts = lm[_BODY, :2]
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 4:
        return None
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def body_height_px(lm: np.ndarray) -> float:
    """Nose-to-lowest-foot height, px (a size that does not depend on the view)."""
    box = body_box(lm)
    return float("nan") if box is None else box[3] - box[1]


def hip_centre(lm: np.ndarray) -> np.ndarray:
    return np.nanmean(lm[..., _HIPS, :2], axis=-2)


def same_person(a: np.ndarray, b: np.ndarray, dt_s: float, cfg: WalkerConfig) -> bool:
    """Could landmarks ``b`` be the person of ``a`` after ``dt_s`` seconds (position and size)?"""
    ha, hb = body_height_px(a), body_height_px(b)
    if not (np.isfinite(ha) and np.isfinite(hb)) or ha <= 0 or hb <= 0:
        return False
    h = max(ha, hb)
    dist = float(np.linalg.norm(hip_centre(a) - hip_centre(b)))
    size_ok = cfg.min_size_ratio < hb / ha < 1.0 / cfg.min_size_ratio
    return size_ok and dist <= h * (cfg.position_slack_heights + cfg.max_speed_heights_per_s * dt_s)


def link_candidates(
    t_s: np.ndarray, candidates: list[list[np.ndarray]], cfg: WalkerConfig
) -> list[Track]:
    """Link per-frame person candidates (e.g. from OpenPose) into tracks by nearest hip position."""
    tracks: list[Track] = []
    active: list[Track] = []
    for row, people in enumerate(candidates):
        taken: set[int] = set()
        still: list[Track] = []
        for tr in active:
            dt = t_s[row] - t_s[tr.rows[-1]]
            if dt > cfg.lost_after_s:
                continue
            best, best_d = None, np.inf
            for j, lm in enumerate(people):
                if j in taken or not same_person(tr.last, lm, dt, cfg):
                    continue
                d = float(np.linalg.norm(hip_centre(tr.last) - hip_centre(lm)))
                if d < best_d:
                    best, best_d = j, d
            if best is not None:
                taken.add(best)
                tr.add(row, people[best])
            still.append(tr)
        for j, lm in enumerate(people):
            if j not in taken and body_box(lm) is not None:
                tr = Track(len(tracks))
                tr.add(row, lm)
                tracks.append(tr)
                still.append(tr)
        active = still
    return tracks


def _alternates(d: np.ndarray, min_swing: float) -> bool:
    """Does a left−right ankle difference change sign with at least ``min_swing`` amplitude?"""
    d = d[np.isfinite(d)]
    return d.size > 2 and d.max() > min_swing / 2 and d.min() < -min_swing / 2


def walking_distance(t_s: np.ndarray, track: Track, cfg: WalkerConfig) -> float:
    """How far this person walks, in body heights.

    The track is cut into windows of ``cfg.score_window_s``. A window counts when the hips travel at a
    walking speed (body heights per second, across the image, or toward/away from the camera measured
    as a change of apparent size) and the ankles alternate — their horizontal (side view) or vertical
    (front view) difference changes sign by a good fraction of the body height, which a jump, a
    shuffle or a tracking jump does not do. The score is the travel summed over counted windows.
    """
    rows, lm = track.as_arrays()
    if len(rows) < 3:
        return 0.0
    tt = t_s[rows]
    hip = hip_centre(lm)
    height = np.array([body_height_px(x) for x in lm])
    ankle_dx = lm[:, _ANKLES[0], 0] - lm[:, _ANKLES[1], 0]
    ankle_dy = lm[:, _ANKLES[0], 1] - lm[:, _ANKLES[1], 1]
    total = 0.0
    for start in np.arange(tt[0], tt[-1], cfg.score_window_s):
        sel = (tt >= start) & (tt < start + cfg.score_window_s)
        if sel.sum() < 3:
            continue
        dur = tt[sel][-1] - tt[sel][0]
        h = np.nanmedian(height[sel])
        hs = height[sel]
        if not (dur > 0 and np.isfinite(h) and h > 0 and np.isfinite(hs[[0, -1]]).all()):
            continue
        travel = np.linalg.norm(hip[sel][-1] - hip[sel][0]) / h
        travel = max(travel, abs(np.log(hs[-1] / hs[0])) * cfg.size_change_weight)
        swing = cfg.min_ankle_swing_heights * h
        legs_alternate = _alternates(ankle_dx[sel], swing) or _alternates(ankle_dy[sel], swing)
        if cfg.min_walk_speed_heights_per_s <= travel / dur <= cfg.max_speed_heights_per_s and legs_alternate:
            total += travel
    return float(total)


def _looks_like(a: Track, b: Track, cfg: WalkerConfig) -> bool:
    """Could two stretches be the same person? By clothing colours when both have them (video),
    else (keypoints only) by body size."""
    if a.appearance and b.appearance:
        ha, hb = np.mean(a.appearance, axis=0), np.mean(b.appearance, axis=0)
        return float(1.0 - np.sum(np.sqrt(ha * hb))) <= cfg.same_person_appearance  # 1 − Bhattacharyya coeff.
    sa = np.nanmedian([body_height_px(x) for x in a.landmarks])
    sb = np.nanmedian([body_height_px(x) for x in b.landmarks])
    return bool(max(sa, sb) <= cfg.same_person_height_ratio * min(sa, sb))


def _gap_s(t_s: np.ndarray, a: Track, b: Track) -> float:
    """Time between two tracks (0 when they overlap)."""
    return float(max(0.0, t_s[b.rows[0]] - t_s[a.rows[-1]], t_s[a.rows[0]] - t_s[b.rows[-1]]))


def _could_reach(t_s: np.ndarray, chosen: list[Track], tr: Track, cfg: WalkerConfig) -> bool:
    """Could the person of the nearest chosen stretch get to where ``tr`` starts (or from where it ends)
    in the time between them, walking at most ``max_speed_heights_per_s``?"""
    near = min(chosen, key=lambda c: _gap_s(t_s, c, tr))
    if t_s[near.rows[-1]] <= t_s[tr.rows[0]]:
        a, b = near.last, tr.landmarks[0]
    else:
        a, b = tr.last, near.landmarks[0]
    return same_person(a, b, _gap_s(t_s, near, tr), cfg)


def _overlap(a: Track, b: Track) -> bool:
    return not (a.rows[-1] < b.rows[0] or b.rows[-1] < a.rows[0])


def _hint_distance(t_s: np.ndarray, track: Track, hint: PersonHint) -> float:
    rows, lm = track.as_arrays()
    if hint.t_s is not None:
        i = int(np.argmin(np.abs(t_s[rows] - hint.t_s)))
        if abs(t_s[rows[i]] - hint.t_s) > 0.5:
            return np.inf
        lm = lm[i : i + 1]
    d = np.hypot(hip_centre(lm)[:, 0] - hint.x_px, hip_centre(lm)[:, 1] - hint.y_px)
    return float(np.nanmin(d)) if np.isfinite(d).any() else np.inf


def choose_walker(
    t_s: np.ndarray, tracks: list[Track], cfg: WalkerConfig, hint: PersonHint | None = None
) -> tuple[list[Track], list[str]]:
    """The tracks of the walker (one person, possibly in several stretches) and warnings.

    Raises NoPersonError when nobody was found and AmbiguousWalkerError when two people walk alike at
    the same time and no hint was given.
    """
    tracks = [tr for tr in tracks if len(tr.rows) >= 2]
    if not tracks:
        raise NoPersonError(
            "Nobody was found in the clip. Check that the whole body of the walker is visible and lit, "
            "and that the file is the right clip."
        )
    warnings: list[str] = []
    scores = [walking_distance(t_s, tr, cfg) for tr in tracks]
    if hint is not None:
        dists = [_hint_distance(t_s, tr, hint) for tr in tracks]
        best = int(np.argmin(dists))
        if not np.isfinite(dists[best]):
            raise ConfigError(
                f"Nobody was found near --person-hint {hint.x_px:.0f},{hint.y_px:.0f}"
                + (f"@{hint.t_s:g}" if hint.t_s is not None else "")
                + "; give a point on the walker's body at a time when they are in view."
            )
    else:
        order = np.argsort(scores)[::-1]
        best = int(order[0])
        if scores[best] <= 0:
            best = int(np.argmax([len(tr.rows) for tr in tracks]))
            warnings.append(
                "Nobody in the clip walks steadily for a full second; the person in view longest was analysed."
            )
        for j in order[1:]:
            j = int(j)
            if (
                scores[j] > 0
                and scores[j] >= cfg.ambiguity_ratio * scores[best]
                and _overlap(tracks[best], tracks[j])
            ):
                a, b = hip_centre(tracks[best].last), hip_centre(tracks[j].last)
                tb = t_s[tracks[best].rows[-1]]
                raise AmbiguousWalkerError(
                    "Two people walk in view at the same time and gaitlab cannot tell which one to analyse "
                    f"(near x={a[0]:.0f},y={a[1]:.0f} and x={b[0]:.0f},y={b[1]:.0f} px at {tb:.1f} s). "
                    "Point at the walker with --person-hint X,Y@T, or record one person at a time."
                )
    walker = tracks[best]
    chosen = [walker]
    added = True
    while added:  # other stretches of the walker (left the frame and came back), nearest in time first
        added = False
        for j in sorted(range(len(tracks)), key=lambda j: _gap_s(t_s, walker, tracks[j])):
            tr = tracks[j]
            if tr in chosen or scores[j] <= 0 or any(_overlap(c, tr) for c in chosen):
                continue
            if _looks_like(walker, tr, cfg) and _could_reach(t_s, chosen, tr, cfg):
                chosen.append(tr)
                added = True
    n_others = sum(1 for tr in tracks if tr not in chosen and len(tr.rows) >= cfg.min_person_rows)
    if n_others and hint is not None:
        warnings.append(f"Several people in the clip ({n_others + 1} found); analysing the one at --person-hint "
                        f"(first seen at {t_s[walker.rows[0]]:.1f} s).")
    elif n_others:
        warnings.append(
            f"Several people in the clip ({n_others + 1} found); analysing the one who walks most"
            f" (first seen at {t_s[walker.rows[0]]:.1f} s). If it is the wrong person, use --person-hint X,Y@T."
        )
    return sorted(chosen, key=lambda tr: tr.rows[0]), warnings


def merge_tracks(n_rows: int, tracks: list[Track]) -> np.ndarray:
    """(n_rows, 33, 4) landmarks of the chosen tracks, NaN where none of them was found."""
    out = np.full((n_rows, 33, 4), np.nan)
    for tr in tracks:
        rows, lm = tr.as_arrays()
        out[rows] = lm
    return out
