"""Left/right identity over time and the subject's real sides per pass. Pure: no I/O.

Two steps, in this order:

1. :func:`correct_leg_swaps` — MediaPipe swaps the legs for a few frames in side views (the left
   leg's landmarks take the right leg's place and vice versa), mostly where the legs pass each
   other. A two-hypothesis dynamic programme (Viterbi) over the frames of each tracked segment
   chooses, per frame, whether the leg labels are *kept* or *swapped* relative to one temporally
   consistent identity. Costs: how far each leg's knee, ankle, heel and foot index land from a
   constant-velocity prediction from the two previous frames (second order, so that legs passing
   each other keep their velocities), a cost per label change, and — within sagittal passes where
   depth and visibility are found to travel with the positions — the near leg's lower z and higher
   visibility. Frames where the legs are too close to tell apart carry no evidence. Short runs that
   deviate from the surrounding identity are swapped back; self-consistent runs longer than
   ``max_swap_run_s`` are identity *epochs* (e.g. around a turn) and are left to step 2.
   Then, per joint group (knees; ankle + heel + foot index) and within each epoch, the same
   programme on that group alone undoes *partial* swaps (MediaPipe sometimes swaps only the knees,
   or only the feet, near leg crossings), with a per-frame cost coupling each group to its whole leg
   and the knee–ankle pairing (shank length) as evidence. Finally limb points that no continuity
   prediction of either leg explains are set to NaN (the filter fills short gaps).
2. :func:`assign_sides` — per pass, makes the labels the subject's real sides from the view, the
   facing direction, near/far depth and any mirroring, and fills :attr:`Pass.near_side`.

On real MediaPipe output, a leg swap moves the *positions* (x, y) while depth z and visibility stay
with the label; so step 1 swaps x, y back, and z and visibility only where they are found to have
travelled with the positions. Arms are not touched by step 1 (MediaPipe swaps legs, and arm swing
does not give the same evidence); step 2 relabels arms and face with their own evidence.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from scipy.ndimage import median_filter

from ..model import LEG_PAIRS, LM, MIRROR_INDEX, N_LANDMARKS, Pass, PoseSequence

if TYPE_CHECKING:
    from ..pipeline import SidesConfig

_HIP = LEG_PAIRS[0]
_LIMB = np.array(LEG_PAIRS[1:])  # (4, 2) knee, ankle, heel, foot index: (left, right)
_LEGS = np.array(LEG_PAIRS)  # with the hips
_GROUPS = (("knees", _LIMB[:1]), ("feet", _LIMB[1:]))  # joint groups whose labels MediaPipe swaps alone
_UPPER = np.array([(i, int(MIRROR_INDEX[i])) for i in range(N_LANDMARKS)
                   if MIRROR_INDEX[i] > i and i not in _LEGS])  # shoulders, arms, hands, face
_SIDEWAYS = ("left", "right")
_FRONTAL = ("toward", "away")


# --------------------------------------------------------------------------------------------- utils
def _segments(ok: np.ndarray, t_s: np.ndarray, max_gap_s: float) -> list[tuple[int, int]]:
    """Runs of ``ok`` frames whose successive ``ok`` frames are at most ``max_gap_s`` apart (single dropped
    frames stay inside a run); (start, end) end-exclusive."""
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return []
    brk = np.flatnonzero(np.diff(t_s[idx]) > max_gap_s) + 1  # a dropped frame does not cut the chain
    starts = np.concatenate([[0], brk])
    ends = np.concatenate([brk, [idx.size]])
    return [(int(idx[a]), int(idx[b - 1]) + 1) for a, b in zip(starts, ends)]


def _runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values: (starts, ends end-exclusive, values)."""
    if x.size == 0:
        return np.zeros(0, int), np.zeros(0, int), x[:0]
    b = np.flatnonzero(x[1:] != x[:-1]) + 1
    starts = np.concatenate([[0], b])
    return starts, np.concatenate([b, [x.size]]), x[starts]


def _leg_length_px(lm: np.ndarray, window: int) -> np.ndarray:
    """(T,) hip–knee–ankle length in px, mean of both legs, running median over ``window`` frames."""
    seg = 0.0
    for s in ("left", "right"):
        h, k, a = (lm[:, LM[f"{s}_{p}"], :2] for p in ("hip", "knee", "ankle"))
        seg = seg + np.hypot(*(h - k).T) + np.hypot(*(k - a).T)
    ll = 0.5 * seg
    if np.isfinite(ll).any():
        ll = median_filter(np.where(np.isfinite(ll), ll, np.nanmedian(ll)), size=max(1, window), mode="nearest")
    return ll


def _near_vote(lm: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """(T,) in [-1, 1]: + when the *left*-labelled points look nearer the camera.

    Mean over ``pairs`` of the sign of (z right − z left) and of (visibility left − visibility
    right), averaged (scale-free, so MediaPipe's arbitrary z scale does not matter); 0 if undefined.
    """
    li, ri = pairs[:, 0], pairs[:, 1]
    votes = np.concatenate([np.sign(lm[:, ri, 2] - lm[:, li, 2]), np.sign(lm[:, li, 3] - lm[:, ri, 3])], axis=1)
    n = np.isfinite(votes).sum(axis=1)
    return np.where(n > 0, np.nansum(votes, axis=1) / np.maximum(n, 1), 0.0)


def _sagittal_groups(T: int, passes, t_s, ok, cfg) -> list[tuple[int, int]]:
    """Frame ranges in which the near leg is constant: sideways passes, or (no passes) tracked segments."""
    if passes is None:
        return _segments(ok, t_s, cfg.segment_gap_s)
    return [(p.start, min(p.end, T)) for p in passes if p.facing in _SIDEWAYS and p.view in ("sagittal", "oblique")]


# ------------------------------------------------------------------------------ identity correction
def _transition_costs(pts: np.ndarray, t_s: np.ndarray, ll: np.ndarray, cfg) -> np.ndarray:
    """(n, 4) cost of frame i given the label relations of frames i-2, i-1, i.

    ``pts`` (n, P, 2 sides, 2) px. Column ``2*a + b``: ``a`` = labels of i-1 swapped relative to
    i-2, ``b`` = i swapped relative to i-1. Cost = Σ over both legs' points of
    min((|r| / σ)², ``residual_cap_sigma``²), r = position minus the constant-velocity prediction
    from the two previous frames (uneven frame times allowed), σ = ``continuity_sigma_ll`` leg
    lengths. Rows 0 and 1 are zero.
    """
    n = pts.shape[0]
    out = np.zeros((n, 4))
    if n < 3:
        return out
    L, R = pts[:, :, 0], pts[:, :, 1]
    dt = np.diff(t_s)
    k = dt[1:] / np.where(dt[:-1] > 0, dt[:-1], np.nan)
    k = np.clip(np.nan_to_num(k, nan=1.0), 0.0, cfg.max_velocity_ratio)[:, None, None]
    scale = (cfg.continuity_sigma_ll * ll[2:])[:, None]
    cap = cfg.residual_cap_sigma ** 2
    for a in (0, 1):
        A1, B1 = (L[1:-1], R[1:-1]) if a == 0 else (R[1:-1], L[1:-1])
        pa, pb = A1 + (A1 - L[:-2]) * k, B1 + (B1 - R[:-2]) * k
        for b in (0, 1):
            A0, B0 = (L[2:], R[2:]) if (a ^ b) == 0 else (R[2:], L[2:])
            ra = np.hypot(*(A0 - pa).transpose(2, 0, 1)) / scale
            rb = np.hypot(*(B0 - pb).transpose(2, 0, 1)) / scale
            out[2:, 2 * a + b] = (np.minimum(ra ** 2, cap) + np.minimum(rb ** 2, cap)).sum(axis=1)
    return out


def _viterbi(trans: np.ndarray, unary: np.ndarray, switch_cost: float) -> np.ndarray:
    """Least-cost kept (False) / swapped (True) sequence.

    ``trans`` (n, 4) second-order costs (see :func:`_transition_costs`), ``unary`` (n, 2) per-frame
    costs of kept / swapped, ``switch_cost`` per label change. The programme's state is the pair
    (state of i-1, state of i); the loop is unrolled over its four values.
    """
    n = trans.shape[0]
    if n < 2:
        return unary[:, 1] < unary[:, 0]
    u = unary.tolist()
    lam = switch_cost
    d0, d1, d2, d3 = (u[0][0] + u[1][0], u[0][0] + u[1][1] + lam, u[0][1] + u[1][0] + lam, u[0][1] + u[1][1])
    back = bytearray(4 * n)  # per frame and state: 1 when the predecessor's older state was swapped
    for t, (c0, c1, c2, c3) in enumerate(trans.tolist()[2:], start=2):
        k0, k1 = u[t]
        a, b = d0 + c0, d2 + c2
        n0 = (a, 0) if a <= b else (b, 1)
        a, b = d0 + c1, d2 + c3
        n1 = (a, 0) if a <= b else (b, 1)
        a, b = d1 + c3, d3 + c1
        n2 = (a, 0) if a <= b else (b, 1)
        a, b = d1 + c2, d3 + c0
        n3 = (a, 0) if a <= b else (b, 1)
        d0, d1, d2, d3 = n0[0] + k0, n1[0] + k1 + lam, n2[0] + k0 + lam, n3[0] + k1
        i = 4 * t
        back[i], back[i + 1], back[i + 2], back[i + 3] = n0[1], n1[1], n2[1], n3[1]
    k = int(np.argmin([d0, d1, d2, d3]))
    s = np.zeros(n, bool)
    s[n - 1], s[n - 2] = k & 1, k >> 1
    for t in range(n - 1, 1, -1):
        k = 2 * back[4 * t + k] + (k >> 1)  # predecessor state (s[t-2], s[t-1])
        s[t - 2] = k >> 1
    return s


def _epochs(state: np.ndarray, min_len: int) -> np.ndarray:
    """Reference identity per frame, piecewise constant over whole runs of ``state``.

    Runs of ≥ ``min_len`` frames are epochs. Between two epochs of different state the change is
    put at the run boundary that leaves the fewest frames deviating; before the first and after the
    last epoch the nearest epoch holds; with no epoch at all, the majority state.
    """
    starts, ends, vals = _runs(state)
    lens = ends - starts
    big = np.flatnonzero(lens >= min_len)
    if big.size == 0:
        return np.full(state.shape, bool(2 * np.count_nonzero(state) > state.size))
    ep = np.empty(vals.size, bool)
    ep[:big[0] + 1] = vals[big[0]]
    ep[big[-1]:] = vals[big[-1]]
    for i, j in zip(big[:-1], big[1:]):
        x, y, mid = vals[i], vals[j], np.arange(i + 1, j)
        ep[i], ep[j] = x, y
        if x == y:
            ep[mid] = x
            continue
        off_x = np.concatenate([[0], np.cumsum(np.where(vals[mid] != x, lens[mid], 0))])
        off_y = np.concatenate([np.cumsum(np.where(vals[mid] != y, lens[mid], 0)[::-1])[::-1], [0]])
        m = int(np.argmin(off_x + off_y))  # runs mid[:m] belong to epoch x, mid[m:] to y
        ep[mid[:m]], ep[mid[m:]] = x, y
    return np.repeat(ep, lens)


def _segment_state(pts: np.ndarray, t_s: np.ndarray, ll: np.ndarray, unary: np.ndarray, step: int, cfg,
                   weighted: bool = False, min_separation_ll: float | None = None) -> np.ndarray:
    """Kept/swapped state of every frame of one tracked segment, relative to an arbitrary reference.

    The programme runs on every ``step``-th frame among those whose legs are at least
    ``min_separation_ll`` apart (a longer velocity baseline at high frame rates; no evidence from
    frames where the legs overlap) and not below ``collapse_ratio`` × the smaller separation of the two
    neighbouring frames. Every other frame between two such frames takes the assignment
    nearer the time interpolation of its corrected neighbours; frames before the first or after the
    last take the nearest one's state. ``weighted``: "nearer" is judged by squared distances in σ
    plus the ``unary`` costs (so a prior against one state also holds where the legs overlap);
    otherwise by the plain sum of distances.
    """
    n = pts.shape[0]
    sep = np.hypot(*(pts[:, :, 0] - pts[:, :, 1]).transpose(2, 0, 1)).mean(axis=1)
    min_sep = cfg.min_separation_ll if min_separation_ll is None else min_separation_ll
    # a frame whose legs close in on each other for that frame alone (MediaPipe put both in between) is a
    # glitch, not evidence: as the velocity base of the next frames' predictions it misplaced label changes
    nb = np.fmin(np.r_[np.inf, sep[:-1]], np.r_[sep[1:], np.inf])
    informative = (sep >= min_sep * ll) & ~(sep < cfg.collapse_ratio * nb)
    idx = np.flatnonzero(informative & (np.arange(n) % step == 0))
    state = np.zeros(n, bool)
    if idx.size < 3:
        return state
    s_inf = _viterbi(_transition_costs(pts[idx], t_s[idx], ll[idx], cfg), unary[idx], cfg.switch_cost)
    pos = np.searchsorted(idx, np.arange(n))
    ip, inx = np.clip(pos - 1, 0, idx.size - 1), np.clip(pos, 0, idx.size - 1)
    sp, sn = s_inf[ip], s_inf[inx]
    state[:] = np.where(pos == 0, sn, sp)
    state[idx] = s_inf
    inside = (pos > 0) & (pos < idx.size)
    inside[idx] = False
    g = np.flatnonzero(inside)
    if g.size:
        prev, nxt = idx[ip[g]], idx[inx[g]]
        fix = lambda f, s: np.where(s[:, None, None, None], pts[f][:, :, ::-1], pts[f])  # noqa: E731
        w = ((t_s[g] - t_s[prev]) / np.maximum(t_s[nxt] - t_s[prev], 1e-9))[:, None, None, None]
        ref = (1 - w) * fix(prev, sp[g]) + w * fix(nxt, sn[g])
        d_keep = np.hypot(*(pts[g] - ref).transpose(3, 0, 1, 2))
        d_swap = np.hypot(*(pts[g][:, :, ::-1] - ref).transpose(3, 0, 1, 2))
        if weighted:  # squared residuals in σ plus the unary costs, as in the programme
            s2 = (cfg.continuity_sigma_ll * ll[g]) ** 2
            c_keep = (d_keep ** 2).sum(axis=(1, 2)) / s2 + unary[g, 0]
            c_swap = (d_swap ** 2).sum(axis=(1, 2)) / s2 + unary[g, 1]
            state[g] = c_swap < c_keep
        else:
            state[g] = d_swap.sum(axis=(1, 2)) < d_keep.sum(axis=(1, 2))
    return state


def _solve(pts, t_s, ll, segs, unary, min_run, step, cfg) -> tuple[np.ndarray, np.ndarray]:
    """(swapped frames, frames where a new identity epoch starts inside a segment)."""
    swapped, new_epoch = np.zeros(len(t_s), bool), np.zeros(len(t_s), bool)
    for a, b in segs:
        if b - a >= 3:
            state = _segment_state(pts[a:b], t_s[a:b], ll[a:b], unary[a:b], step, cfg)
            epoch = _epochs(state, min_run)
            swapped[a:b] = state ^ epoch
            new_epoch[a + 1:b] = epoch[1:] != epoch[:-1]
    return swapped, new_epoch


def _shank_cost(lm: np.ndarray, ll: np.ndarray, window: int, cfg) -> np.ndarray:
    """(T, 2) cost of the knees paired with the ankles as labelled (column 0) or crosswise (column 1).

    Per leg, min(((|knee − ankle| − s) / σ)², ``residual_cap_sigma``²), s = running median over
    ``window`` frames of the two legs' mean shank length, σ = ``shank_sigma_ll`` leg lengths; 0 where undefined.
    """
    K, A = lm[:, _LIMB[0], :2], lm[:, _LIMB[1], :2]  # (T, 2 sides, 2)
    own = np.hypot(*(K - A).transpose(2, 0, 1))  # (T, 2)
    cross = np.hypot(*(K - A[:, ::-1]).transpose(2, 0, 1))
    n = np.isfinite(own).sum(axis=1)
    ref = np.where(n > 0, np.nansum(own, axis=1) / np.maximum(n, 1), np.nan)  # mean of the two legs
    if np.isfinite(ref).any():
        ref = median_filter(np.where(np.isfinite(ref), ref, np.nanmedian(ref)), size=max(1, window), mode="nearest")
    sig, cap = (cfg.shank_sigma_ll * ll)[:, None], cfg.residual_cap_sigma ** 2
    cost = [np.minimum(((d - ref[:, None]) / sig) ** 2, cap).sum(axis=1) for d in (own, cross)]
    return np.nan_to_num(np.stack(cost, axis=1), nan=0.0)


def _partial_swaps(lm: np.ndarray, t_s: np.ndarray, ll: np.ndarray, segs, step: int, window: int,
                   with_pos: np.ndarray, cfg) -> np.ndarray:
    """Swap back joint groups whose labels are swapped relative to the whole legs', in place.

    Run on landmarks already corrected for whole-leg swaps, one joint group of :data:`_GROUPS` after
    the other: the same second-order programme as for whole legs on that group's points alone, plus
    per frame ``partial_swap_cost`` in the swapped state (the coupling that prefers a whole leg moving
    together) and the cost of the knee–ankle pairing each state gives (:func:`_shank_cost`); no
    identity epochs (the whole legs define the identity). Returns (T, groups) bool.
    """
    T = len(t_s)
    out = np.zeros((T, len(_GROUPS)), bool)
    for g, (_, pairs) in enumerate(_GROUPS):
        unary = _shank_cost(lm, ll, window, cfg)
        unary[:, 1] += cfg.partial_swap_cost
        pts = lm[:, pairs, :2]
        for a, b in segs:
            if b - a >= 3:
                out[a:b, g] = _segment_state(pts[a:b], t_s[a:b], ll[a:b], unary[a:b], step, cfg, weighted=True,
                                             min_separation_ll=cfg.partial_min_separation_ll)
        _swap_rows(lm, out[:, g], pairs, with_pos)
    return out


def _predictions(x: np.ndarray, t_s: np.ndarray, max_ratio: float) -> np.ndarray:
    """(3, T, ..., 2) continuity predictions of a track ``x`` (T, ..., 2): constant velocity forward
    from the two previous frames, backward from the two next, and the time interpolation of the two
    neighbours; NaN where a frame is missing."""
    T = len(x)
    out = np.full((3,) + x.shape, np.nan)
    if T < 3:
        return out
    dt = np.diff(t_s)
    shape = (-1,) + (1,) * (x.ndim - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kf = np.clip(np.nan_to_num(dt[1:] / dt[:-1], nan=1.0), 0, max_ratio).reshape(shape)
        kb = np.clip(np.nan_to_num(dt[:-1] / dt[1:], nan=1.0), 0, max_ratio).reshape(shape)
        w = (dt[:-1] / np.maximum(dt[:-1] + dt[1:], 1e-9)).reshape(shape)
    out[0, 2:] = x[1:-1] + (x[1:-1] - x[:-2]) * kf
    out[1, :-2] = x[1:-1] + (x[1:-1] - x[2:]) * kb
    out[2, 1:-1] = (1 - w) * x[:-2] + w * x[2:]
    return out


def _implausible(lm: np.ndarray, t_s: np.ndarray, ll: np.ndarray, segs, cfg) -> np.ndarray:
    """(T, 4, 2) bool: limb points (knee, ankle, heel, foot index; left, right) that no continuity
    prediction of either leg puts within ``implausible_ll`` leg lengths (predictions of
    :func:`_predictions` from the point's own track and from the other leg's)."""
    T = len(t_s)
    bad = np.zeros((T,) + _LIMB.shape, bool)
    for a, b in segs:
        x = lm[a:b][:, _LIMB, :2]  # (n, 4, 2 sides, 2)
        p = _predictions(x, t_s[a:b], cfg.max_velocity_ratio)  # (3, n, 4, 2, 2)
        own = np.hypot(*np.moveaxis(x[None] - p, -1, 0))  # (3, n, 4, 2)
        other = np.hypot(*np.moveaxis(x[None] - p[..., ::-1, :], -1, 0))
        with np.errstate(invalid="ignore"):
            r = np.fmin(np.nanmin(np.where(np.isfinite(own), own, np.inf), axis=0),
                        np.nanmin(np.where(np.isfinite(other), other, np.inf), axis=0))
            bad[a:b] = np.isfinite(r) & (r > cfg.implausible_ll * ll[a:b, None, None])
    return bad


def correct_leg_swaps(pose: PoseSequence, passes: list[Pass] | None, cfg: SidesConfig
                      ) -> tuple[PoseSequence, np.ndarray]:
    """Swap back frames whose leg labels are swapped relative to a temporally consistent identity.

    Parameters
    ----------
    pose : PoseSequence
        x, y in px, MediaPipe depth z (px, smaller = nearer) and visibility (0–1).
    passes : list of Pass or None
        Sideways passes (facing left/right) are the units in which the near leg is constant, for the
        depth/visibility evidence; without passes, each tracked segment is one unit.
    cfg : SidesConfig
        ``max_swap_run_s`` (s), ``segment_gap_s`` (s), ``continuity_sigma_ll`` (leg lengths),
        ``residual_cap_sigma`` (σ), ``switch_cost``, ``min_separation_ll`` (leg lengths),
        ``max_velocity_ratio``, ``continuity_rate_hz`` (Hz), ``min_fps`` (Hz),
        ``leg_length_window_s`` (s), ``depth_weight``, ``depth_bound_min_frames``,
        ``side_min_agreement``.

    Returns
    -------
    (PoseSequence, swapped)
        A corrected copy and a (T,) bool array of the frames whose leg labels were swapped back
        (x, y of knee, ankle, heel and foot index; the hips when their own continuity agrees; z and
        visibility where they travelled with the positions). The copy's ``warnings`` gain a line
        when the frame rate is too low to correct, or when a long label change falls inside a
        usable pass. :func:`with_swap_counts` puts the counts into the passes. Limb points that neither
        leg's continuity explains (:func:`_implausible`) are set to NaN (x, y, z), with a warning for a
        usable pass when that happens in more than ``implausible_warn_fraction`` of its frames.
    """
    lm = pose.landmarks
    T = len(pose)
    fps = pose.fps if np.isfinite(pose.fps) and pose.fps > 0 else 0.0
    if T < 3 or fps < cfg.min_fps:
        out = pose.with_landmarks(lm.copy())
        if T >= 3:
            out.warnings.append(f"Left/right leg swaps were not corrected: {fps:.0f} fps is below "
                                f"{cfg.min_fps:.0f} fps, too few frames to follow the legs between steps.")
        return out, np.zeros(T, bool)
    pts = lm[:, _LIMB, :2]
    window = int(round(cfg.leg_length_window_s * fps)) | 1
    ll = _leg_length_px(lm, window)
    ok = np.isfinite(pts).all(axis=(1, 2, 3)) & np.isfinite(ll) & (ll > 0)
    segs = _segments(ok, pose.t_s, cfg.segment_gap_s)
    min_run = int(np.floor(cfg.max_swap_run_s * fps)) + 1
    step = max(1, int(round(fps / cfg.continuity_rate_hz)))
    # prior: MediaPipe's labels are right most of the time, so each frame spent swapped costs a little
    # (without it, a 2-frame glitch and the 30 good frames after it can look equally consistent)
    prior = np.zeros((T, 2))
    prior[:, 1] = cfg.swap_frame_cost
    swapped, new_epoch = _solve(pts, pose.t_s, ll, segs, prior, min_run, step, cfg)

    # depth/visibility: do they travel with the positions? Decided per unit with a constant near leg.
    vote = _near_vote(lm, _LEGS)
    unary = prior.copy()
    with_pos = np.zeros(T, bool)
    for a, b in _sagittal_groups(T, passes, pose.t_s, ok, cfg):
        v = vote[a:b][ok[a:b]]
        if v.size == 0:
            continue
        expect = np.sign(np.median(v))
        if np.mean(np.sign(v) == expect) < cfg.side_min_agreement:
            continue  # no constant near leg: no depth evidence here
        sw = swapped[a:b] & ok[a:b]
        if sw.sum() >= cfg.depth_bound_min_frames and np.mean(np.sign(vote[a:b][sw]) == -expect) > 0.5:
            with_pos[a:b] = True
            unary[a:b, 0] += cfg.depth_weight * np.clip(-expect * vote[a:b], 0, None)
            unary[a:b, 1] += cfg.depth_weight * np.clip(expect * vote[a:b], 0, None)
    if with_pos.any():
        swapped, new_epoch = _solve(pts, pose.t_s, ll, segs, unary, min_run, step, cfg)
    out = lm.copy()
    _swap_rows(out, swapped, _LIMB, with_pos)
    _swap_rows(out, _hip_rows(lm, swapped), np.array([_HIP]), with_pos)

    # joint groups (knees; ankles + heels + feet) swapped alone, relative to the whole legs' identity
    cuts = np.flatnonzero(new_epoch)
    epochs = [(int(x), int(y)) for a, b in segs
              for x, y in zip(np.r_[a, cuts[(cuts > a) & (cuts < b)]], np.r_[cuts[(cuts > a) & (cuts < b)], b])]
    partial = _partial_swaps(out, pose.t_s, ll, epochs, step, window, with_pos, cfg)
    swapped = (swapped[:, None] ^ partial).any(axis=1) | swapped  # any leg label changed

    # sanity: points that neither leg's continuity explains become gaps (the filter fills short ones)
    bad = _implausible(out, pose.t_s, ll, epochs, cfg)
    for k, (li, ri) in enumerate(_LIMB):
        out[bad[:, k, 0], li, :3] = np.nan
        out[bad[:, k, 1], ri, :3] = np.nan
    result = pose.with_landmarks(out)
    n_bad = bad.any(axis=(1, 2))
    for p in passes or []:
        frac = float(np.mean(n_bad[p.start:p.end])) if p.end > p.start else 0.0
        if p.usable and frac > cfg.implausible_warn_fraction:
            result.warnings.append(
                f"Pass {p.pass_id}: in {100 * frac:.0f} % of its frames a leg landmark was far from where either "
                f"leg's motion put it and was set missing (poor tracking of the legs).")
    for p in passes or []:
        inside = np.flatnonzero(new_epoch[p.start + 1:p.end]) + p.start + 1
        if p.usable and inside.size:
            result.warnings.append(
                f"Pass {p.pass_id}: the legs' left/right labels change for longer than {cfg.max_swap_run_s:g} s "
                f"at {', '.join(f'{pose.t_s[i]:.2f}' for i in inside)} s; that was not treated as a swap, so "
                f"left/right may be wrong in part of this pass.")
    return result, swapped


def _swap_pairs(lm: np.ndarray, rows: np.ndarray, pairs, channels) -> None:
    """Exchange the (left, right) landmark ``pairs`` in ``rows`` for the given channels, in place."""
    for li, ri in pairs:
        for c in channels:
            a = lm[rows, li, c].copy()
            lm[rows, li, c] = lm[rows, ri, c]
            lm[rows, ri, c] = a


def _hip_rows(lm: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """Frames of the swapped runs whose hips go back too: the left-minus-right hip vector inside the
    run points against the one in as many kept frames around it."""
    T = len(lm)
    hips = np.zeros(T, bool)
    starts, ends, vals = _runs(swapped)
    d = lm[:, _HIP[0], :2] - lm[:, _HIP[1], :2]
    kept = ~swapped & np.isfinite(d).all(axis=1)
    for a, b in zip(starts[vals], ends[vals]):
        around = np.r_[max(0, 2 * a - b):a, b:min(T, 2 * b - a)]  # as many frames each side
        around = around[kept[around]]
        inside = np.isfinite(d[a:b]).all(axis=1)
        if around.size and inside.any():
            d_in, d_out = d[a:b][inside].mean(axis=0), d[around].mean(axis=0)
            hips[a:b] = np.hypot(*(d_in + d_out)) < np.hypot(*(d_in - d_out))
    return hips


def _swap_rows(lm: np.ndarray, rows: np.ndarray, pairs: np.ndarray, with_pos: np.ndarray) -> None:
    """Exchange the (left, right) ``pairs`` in ``rows`` in place: x, y always; z and visibility
    where they travel with the positions (``with_pos``)."""
    left, right = list(pairs[:, 0]), list(pairs[:, 1])
    for ch, r in (([0, 1], rows), ([2, 3], rows & with_pos)):
        if r.any():
            tmp = lm[np.ix_(r, left, ch)]
            lm[np.ix_(r, left, ch)] = lm[np.ix_(r, right, ch)]
            lm[np.ix_(r, right, ch)] = tmp


def with_swap_counts(passes: list[Pass], swapped: np.ndarray) -> list[Pass]:
    """Copies of ``passes`` with :attr:`Pass.n_swaps_corrected` = swapped-back frames inside each pass."""
    return [replace(p, n_swaps_corrected=int(np.count_nonzero(swapped[p.start:p.end]))) for p in passes]


# ----------------------------------------------------------------------------------- side assignment
def _flip(name: str) -> str:
    return {"left": "right", "right": "left", "toward": "away", "away": "toward"}.get(name, name)


def assign_sides(pose: PoseSequence, passes: list[Pass], *, mirrored: bool, cfg: SidesConfig | None = None
                 ) -> tuple[PoseSequence, list[Pass], list[str]]:
    """Relabel each pass so that left/right are the subject's sides; fill ``near_side`` of sagittal passes.

    Geometry (camera looking into the scene, image y down, unmirrored): a walker *facing* image-right
    shows the right side (near leg = right), facing image-left the left side; facing the camera,
    the subject's right is at image-left (smaller x); from behind, at image-right. ``mirrored``
    (selfie clips) inverts all of it. ``facing`` is used, not the travel direction (treadmill,
    backward walking).

    - Sideways passes (sagittal, or oblique facing left/right): for the legs (hips to feet) and the
      upper body (shoulders, arms, face) separately, the label nearer the camera over the pass
      (median of lower-z / higher-visibility votes) is made the expected near side.
    - Frontal passes (facing toward/away): hips, the rest of the legs (knees, ankles) and the upper
      body (shoulders) are each made to follow the expected image-x order.

    Groups are swapped whole (their ``MIRROR_INDEX`` pairs, all four channels) over all frames of a
    pass; a group without evidence follows the pass's first group; frames outside passes are not
    changed. ``cfg`` (optional SidesConfig) sets ``side_min_agreement``: a usable pass where fewer
    frames agree with a decision gets a warning (without ``cfg``, only passes with no evidence).

    Returns the relabelled pose, copies of the passes (``near_side`` set for sagittal ones) and
    warnings for usable passes whose evidence is weak or missing.
    """
    lm = pose.landmarks.copy()
    T = len(pose)
    min_agree = cfg.side_min_agreement if cfg is not None else 0.0
    out_passes, warnings = [], []
    for p in passes:
        a, b = max(0, p.start), min(p.end, T)
        rows = np.arange(a, b)
        rows = rows[np.isfinite(lm[rows][:, _LEGS.ravel(), 0]).all(axis=1)]
        near = ""
        if p.facing in _SIDEWAYS and p.view in ("sagittal", "oblique"):
            near = p.facing if not mirrored else _flip(p.facing)
            want = 1.0 if near == "left" else -1.0  # sign of the vote when labels are right
            groups = [("legs", _LEGS, _near_vote(lm[rows], _LEGS)),
                      ("upper body", _UPPER, _near_vote(lm[rows], _UPPER))]
        elif p.facing in _FRONTAL:
            want = 1.0 if (p.facing == "toward") != mirrored else -1.0  # sign of x_left - x_right
            def dx(pairs: np.ndarray) -> np.ndarray:  # per-frame mean sign of x_left - x_right
                return np.mean(np.sign(lm[rows][:, pairs[:, 0], 0] - lm[rows][:, pairs[:, 1], 0]), axis=1)
            hip, sho = np.array([_HIP]), np.array([(LM["left_shoulder"], LM["right_shoulder"])])
            groups = [("hips", hip, dx(hip)), ("legs", _LIMB, dx(_LIMB[:2])), ("upper body", _UPPER, dx(sho))]
        else:
            if p.usable:
                warnings.append(f"Pass {p.pass_id}: facing '{p.facing}' is unknown; left/right kept as tracked.")
            out_passes.append(replace(p))
            continue
        first = 0.0
        for name, pairs, vote in groups if rows.size else []:
            med = float(np.sign(np.median(vote)))
            agree = float(np.mean(np.sign(vote) == med)) if med else 0.0
            if (not med or agree < min_agree) and p.usable:
                warnings.append(f"Pass {p.pass_id}: {name} left/right evidence is weak ({100 * agree:.0f} % of "
                                f"frames agree); the side named may be wrong.")
            med = med or first
            first = first or med
            if med and med != want:
                _swap_pairs(lm, np.arange(a, b), pairs, [0, 1, 2, 3])
        out_passes.append(replace(p, near_side=near if p.view == "sagittal" else ""))
    return pose.with_landmarks(lm), out_passes, warnings
