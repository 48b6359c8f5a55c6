"""Walking-pass segmentation: split a clip into steady walking passes and excluded stretches.

Pure (no I/O). Run it on MediaPipe's left/right labels, before side assignment (the shoulder-order
cue of facing uses them). Every threshold comes from ``[passes]`` of the pipeline file.

Method. (1) **Tracks**: frames with shoulders, hips and ankles; gaps up to ``max_gap_s`` are bridged,
longer gaps and jumps of the hips or of the apparent leg length (another person) start a new track;
a track with implausible body proportions (a spurious detection) counts as not tracked.
(2) **Signals** per track, low-passed at ``travel_cutoff_hz`` (below the stride frequency) before
differentiating; speeds in leg lengths (hip→ankle px) per second, LL/s, so scale-free:
lateral speed = d/dt[(hip x − image centre) / leg px] (the walker's own plane: no perspective drift);
depth speed (+ toward) = approach rate × focal px / leg px, the rate (1/s) being the mean of
d ln(body size)/dt and d(ankle y)/dt / leg px, focal px = ``focal_length_fraction`` × longer side;
lateral facing (+ right) = (nose − ear-midpoint x) / torso + heel→toe x / leg;
depth facing (+ away) = mean of (nose − ear z) / torso and −(left − right shoulder x) / torso (real
back views put the nose behind the ears and MediaPipe's left shoulder on the image's left);
body width = shoulder width / torso (≈ 0.7 front or back, ≈ 0.1 side on); body cut = a landmark
within ``edge_margin_ll`` of the image border.
(3) **Frame states**: not tracked, body cut, still (slower than ``min_travel_speed_ll_s``), turning
(body across the travel, or the travel direction swinging round), moving left/right/toward/away
forward or backward; majority-voted over ``min_state_s``; a shuffle of less than ``min_travel_ll``
within standing is still.
(4) **Runs** become passes: still → treadmill (the ankles keep stepping), "turn" (travel reverses
around it, or the facing changes) or "standing"; moving → "too short", "running" (cadence, or side-view
speed, above walking), "backward walking", "not walking" (no steps), else usable.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import butter, filtfilt

from ..errors import ConfigError
from ..model import LM, Pass, PoseSequence, hip_ankle_px
from ..pipeline import PassesConfig

# Frame states. TURNING: moving with the body facing across the travel. A moving state is a direction
# code, + _BWD when the walker faces against the travel.
UNTRACKED, EDGE, STILL, TURNING, LEFT, RIGHT, TOWARD, AWAY = range(8)
_BWD = 4
_N_STATES = 12
_WORD = {LEFT: "left", RIGHT: "right", TOWARD: "toward", AWAY: "away"}
_OPPOSITE = {"left": "right", "right": "left", "toward": "away", "away": "toward"}

_REQUIRED = [LM[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")]
_BODY = [LM["nose"], LM["left_shoulder"], LM["right_shoulder"], *range(LM["left_hip"], LM["right_foot_index"] + 1)]

REASON_NOT_TRACKED = "not tracked"
REASON_EDGE = "partial step at the frame edge (body cut by the image border)"
REASON_STANDING = "standing"
REASON_TURN = "turn"


def segment_passes(
    pose: PoseSequence, cfg: PassesConfig, *, view_override: str = "auto"
) -> tuple[list[Pass], list[str]]:
    """Split a clip into walking passes and excluded stretches.

    Parameters
    ----------
    pose : PoseSequence
        Landmarks of the walker (x, y px, y down; z relative depth px; NaN rows when untracked),
        with MediaPipe's left/right labels.
    cfg : PassesConfig
        ``[passes]`` section of the pipeline (speeds in leg lengths/s, times in s).
    view_override : {"auto", "sagittal", "frontal"}
        Force the view family when the user knows it: "sagittal" measures travel along image x only,
        "frontal" along depth only.

    Returns
    -------
    passes : list[Pass]
        Consecutive stretches covering the whole clip in time order, ids from 1. Usable passes have
        ``usable=True``; excluded ones carry a ``reason`` ("not tracked", "standing", "turn",
        "backward walking (...)", "running (...)", "partial step at the frame edge (...)",
        "too short (...)", "not walking (...)"). ``view`` is "" only for "not tracked" stretches.
        ``end_s`` is the time of the first frame after the pass (the last frame + one interval at the end).
    warnings : list[str]
        Things the user should know (no usable pass, facing not determined, oblique, treadmill).
    """
    if view_override not in ("auto", "sagittal", "frontal"):
        raise ConfigError(f"View override must be 'auto', 'sagittal' or 'frontal', got {view_override!r}.")
    if len(pose) == 0:
        return [], ["The clip has no frames."]
    fps = pose.fps if np.isfinite(pose.fps) and pose.fps > 0 else 1.0  # (a single frame: any rate will do)
    track = _tracks(pose, cfg)
    sig = _signals(pose, track, fps, cfg)
    _apply_override(sig, view_override)
    state = _frame_states(sig, track, fps, cfg)
    state = _drop_small_travel(_runs(state, track), state, sig, fps, cfg)
    passes = _classify_runs(_runs(state, track), sig, pose, fps, cfg, view_override)
    passes = _merge_excluded(passes, cfg.min_state_s)
    return passes, _warnings(passes)


# --------------------------------------------------------------------------------------------- tracks


def _tracks(pose: PoseSequence, cfg: PassesConfig) -> np.ndarray:
    """(T,) int track id per frame, −1 untracked; frames in a bridged gap take their track's id."""
    lm, t = pose.landmarks, pose.t_s
    idx = np.flatnonzero(np.isfinite(lm[:, _REQUIRED, :2]).all(axis=(1, 2)))
    track = np.full(len(t), -1, dtype=int)
    if idx.size == 0:
        return track
    hip = 0.5 * (lm[idx, LM["left_hip"], :2] + lm[idx, LM["right_hip"], :2])
    leg = np.maximum(_leg_px(lm[idx]), 1e-6)
    big, small = np.maximum(leg[1:], leg[:-1]), np.minimum(leg[1:], leg[:-1])
    brk = ((np.diff(t[idx]) > cfg.max_gap_s) | (np.linalg.norm(np.diff(hip, axis=0), axis=1) > cfg.max_jump_ll * big)
           | (big > cfg.max_scale_jump * small))
    ids = np.concatenate([[0], np.cumsum(brk)])
    # implausible body proportions over a whole track: a spurious detection
    torso = np.linalg.norm(0.5 * (lm[idx, LM["left_shoulder"], :2] + lm[idx, LM["right_shoulder"], :2]) - hip, axis=1)
    width = np.linalg.norm(lm[idx, LM["left_shoulder"], :2] - lm[idx, LM["right_shoulder"], :2], axis=1)
    cut = np.flatnonzero(brk) + 1
    ratio = [np.median(r) for r in np.split(torso / leg, cut)]
    wide = [np.median(w) for w in np.split(width / np.maximum(torso, 1e-6), cut)]
    bad = (np.array(ratio) < cfg.min_torso_leg_ratio) | (np.array(wide) > cfg.max_width_ratio)
    track[idx] = np.where(bad[ids], -1, ids)
    # untracked frames between two frames of the same track belong to it
    prev = np.maximum.accumulate(np.where(track >= 0, np.arange(len(t)), -1))
    nxt = np.minimum.accumulate(np.where(track >= 0, np.arange(len(t)), len(t))[::-1])[::-1]
    inside = (prev >= 0) & (nxt < len(t))
    fill = np.zeros(len(t), dtype=bool)
    fill[inside] = track[prev[inside]] == track[nxt[inside]]
    return np.where(fill & (track < 0), track[np.clip(prev, 0, None)], track)


def _leg_px(lm: np.ndarray) -> np.ndarray:
    """(N,) apparent leg length px: the longer of the two hip→ankle distances."""
    d = hip_ankle_px(lm)
    return np.fmax(d[:, 0], d[:, 1])


def _track_slices(track: np.ndarray) -> list[slice]:
    change = np.flatnonzero(np.diff(track) != 0) + 1
    starts, ends = np.concatenate([[0], change]), np.concatenate([change, [len(track)]])
    return [slice(a, b) for a, b in zip(starts, ends) if track[a] >= 0]


# -------------------------------------------------------------------------------------------- signals

_SIGNALS = ("leg", "v_lat", "v_dep", "f_lat", "f_dep", "width", "edge", "ank_x", "ank_y")


def _signals(pose: PoseSequence, track: np.ndarray, fps: float, cfg: PassesConfig) -> dict[str, np.ndarray]:
    """Per-frame signals (NaN outside tracks); see the module docstring for definitions and units."""
    out = {k: np.full(len(pose), np.nan) for k in _SIGNALS}
    for sl in _track_slices(track):
        for k, v in _track_signals(pose, sl, fps, cfg).items():
            out[k][sl] = v
    return out


def _track_signals(pose: PoseSequence, sl: slice, fps: float, cfg: PassesConfig) -> dict[str, np.ndarray]:
    t = pose.t_s[sl]
    lm = _fill(pose.landmarks[sl], t)
    med = max(1, int(round(cfg.facing_window_s * fps)) | 1)  # odd median window, frames

    def p(name: str) -> np.ndarray:
        return lm[:, LM[name], :]

    def smooth(x: np.ndarray) -> np.ndarray:
        return _lowpass(median_filter(x, size=med, mode="nearest"), t, fps, cfg.travel_cutoff_hz)

    hip = 0.5 * (p("left_hip") + p("right_hip"))
    sho = 0.5 * (p("left_shoulder") + p("right_shoulder"))
    ear = 0.5 * (p("left_ear") + p("right_ear"))
    torso_raw = np.linalg.norm(sho[:, :2] - hip[:, :2], axis=1)
    leg_raw = _leg_px(lm)
    leg = np.maximum(smooth(leg_raw), 1.0)
    torso = np.maximum(smooth(torso_raw), 1.0)
    size = np.maximum(smooth(leg_raw + torso_raw), 1.0)
    ankle_y = smooth(0.5 * (p("left_ankle")[:, 1] + p("right_ankle")[:, 1]))
    v_lat = _deriv(_lowpass((hip[:, 0] - 0.5 * pose.width_px) / leg, t, fps, cfg.travel_cutoff_hz), t)
    rate = 0.5 * (_deriv(np.log(size), t) + _deriv(ankle_y, t) / leg)  # 1/s, + approaching
    v_dep = rate * cfg.focal_length_fraction * max(pose.width_px, pose.height_px) / leg
    def seen(*names: str) -> float:  # 1 when every landmark was found somewhere in this track, else 0
        return float(all(np.isfinite(pose.landmarks[sl, LM[n], 0]).any() for n in names))

    # a cue whose landmarks are absent throughout (e.g. no ears in some keypoint sets) is left out, not zero
    face = seen("nose", "left_ear", "right_ear")
    feet = seen("left_heel", "right_heel", "left_foot_index", "right_foot_index")
    toes = 0.5 * ((p("left_foot_index") - p("left_heel"))[:, 0] + (p("right_foot_index") - p("right_heel"))[:, 0])
    f_lat = face * (p("nose")[:, 0] - ear[:, 0]) / torso + feet * toes / leg
    f_dep = 0.5 * (face * (p("nose")[:, 2] - ear[:, 2]) - (p("left_shoulder")[:, 0] - p("right_shoulder")[:, 0])) / torso
    width = np.linalg.norm(p("left_shoulder")[:, :2] - p("right_shoulder")[:, :2], axis=1) / torso
    body_seen = [i for i in _BODY if np.isfinite(pose.landmarks[sl, i, 0]).any()]  # absent ≠ at x = 0
    body = lm[:, body_seen, :2]
    m = cfg.edge_margin_ll * leg[:, None]
    edge = ((body[..., 0] < m) | (body[..., 0] > pose.width_px - 1 - m)
            | (body[..., 1] < m) | (body[..., 1] > pose.height_px - 1 - m)).any(axis=1)
    ank = (p("left_ankle") - p("right_ankle"))[:, :2] / leg[:, None]
    mf = lambda x: median_filter(x, size=med, mode="nearest")  # noqa: E731
    return {"leg": leg, "v_lat": v_lat, "v_dep": v_dep, "f_lat": mf(f_lat), "f_dep": mf(f_dep),
            "width": mf(width), "edge": edge.astype(float), "ank_x": ank[:, 0], "ank_y": ank[:, 1]}


def _fill(lm: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation over time of NaN values, per coordinate (held beyond the ends; 0 if none)."""
    flat = lm.reshape(len(t), -1)
    good = np.isfinite(flat)
    n, rows, cols = len(t), np.arange(len(t))[:, None], np.arange(flat.shape[1])
    prev = np.maximum.accumulate(np.where(good, rows, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(good, rows, n)[::-1], axis=0)[::-1]
    p = np.where(prev >= 0, prev, np.clip(nxt, 0, n - 1))
    q = np.where(nxt < n, nxt, p)
    w = np.where(q > p, (t[:, None] - t[p]) / np.where(q > p, t[q] - t[p], 1.0), 0.0)
    out = np.where(good, flat, (1.0 - w) * flat[p, cols] + w * flat[q, cols])
    out[:, ~good.any(axis=0)] = 0.0
    return out.reshape(lm.shape)


def _lowpass(x: np.ndarray, t: np.ndarray, fps: float, cutoff_hz: float) -> np.ndarray:
    """Zero-lag 2nd-order Butterworth low-pass; a straight line when shorter than one cut-off period."""
    n = len(x)
    if n < 3:
        return np.full(n, float(np.mean(x)))
    if n < fps / cutoff_hz:
        return np.polyval(np.polyfit(t - t[0], x, 1), t - t[0])
    wn = cutoff_hz / (0.5 * fps)
    if wn >= 1.0:
        return np.asarray(x, dtype=float)
    b, a = butter(2, wn)
    # the straight-line trend is taken out first and put back: a track's ends keep their speed (filtering
    # a ramp bends its ends, which read a 0.7 m/s walker as standing for 0.15 s at each end)
    trend = np.polyval(np.polyfit(t - t[0], x, 1), t - t[0])
    return trend + filtfilt(b, a, x - trend, method="gust")  # Gustafsson's initial conditions


def _deriv(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.gradient(x, t) if len(x) > 1 else np.zeros_like(x)


# --------------------------------------------------------------------------------------- frame states


def _apply_override(sig: dict, override: str) -> None:
    """Add "u_lat", "u_dep": the speeds (LL/s, NaN → 0) with the one the override ignores set to 0."""
    sig["u_lat"], sig["u_dep"] = np.nan_to_num(sig["v_lat"]), np.nan_to_num(sig["v_dep"])
    if override == "sagittal":
        sig["u_dep"] = np.zeros_like(sig["u_dep"])
    elif override == "frontal":
        sig["u_lat"] = np.zeros_like(sig["u_lat"])


def _frame_states(sig: dict, track: np.ndarray, fps: float, cfg: PassesConfig) -> np.ndarray:
    """(T,) int state per frame, majority-smoothed over ``min_state_s`` within each track."""
    v_lat, v_dep = sig["u_lat"], sig["u_dep"]
    lateral = _lateral_axis(v_lat, v_dep, track, cfg.axis_hysteresis_deg)
    direction = np.where(lateral, np.where(v_lat < 0, LEFT, RIGHT), np.where(v_dep > 0, TOWARD, AWAY))
    f_lat, f_dep = np.nan_to_num(sig["f_lat"]), np.nan_to_num(sig["f_dep"])
    lat_on, dep_on = np.abs(f_lat) >= cfg.min_facing_lateral, np.abs(f_dep) >= cfg.min_facing_depth
    backward = np.where(lateral, np.sign(v_lat) * f_lat <= -cfg.min_facing_lateral,
                        np.sign(v_dep) * f_dep >= cfg.min_facing_depth)  # approaching (+) facing away (+)
    speed = np.hypot(v_lat, v_dep)
    # turning: the body faces across the travel, or the travel direction swings round (a curve)
    heading = np.zeros(len(speed))
    for sl in _track_slices(track):
        t = np.arange(sl.stop - sl.start) / fps
        heading[sl] = np.abs(_deriv(np.degrees(np.unwrap(np.arctan2(v_dep[sl], v_lat[sl]))), t))
    curve = (heading > cfg.max_heading_rate_deg_s) & (speed >= cfg.heading_min_speed_ll_s)
    across = np.where(lateral, ~lat_on & dep_on, ~dep_on & lat_on) | curve
    moving = np.where(across, TURNING, direction + _BWD * backward)
    state = np.where(speed >= cfg.min_travel_speed_ll_s, moving, STILL)
    state = np.where(sig["edge"] > 0, EDGE, state)
    state = np.where(track < 0, UNTRACKED, state)
    size = max(1, int(round(cfg.min_state_s * fps)) | 1)
    onehot = np.zeros((len(state), _N_STATES))
    onehot[np.arange(len(state)), state] = 1.0
    out = state.copy()
    for sl in _track_slices(track):
        votes = uniform_filter1d(onehot[sl], size=min(size, sl.stop - sl.start), axis=0, mode="nearest")
        out[sl] = np.argmax(votes + 1e-6 * onehot[sl], axis=1)  # ties keep the frame's own state
    return np.where(track < 0, UNTRACKED, out)


def _lateral_axis(v_lat: np.ndarray, v_dep: np.ndarray, track: np.ndarray, band_deg: float) -> np.ndarray:
    """(T,) bool: travel along image x rather than depth, with hysteresis: within ``band_deg`` of 45°
    a frame keeps the axis of the last clear frame of its track (the first one at its start)."""
    angle = np.degrees(np.arctan2(np.abs(v_dep), np.abs(v_lat)))
    code = np.where(angle < 45.0 - band_deg, 1, np.where(angle > 45.0 + band_deg, 2, 0))
    for sl in _track_slices(track):
        c, clear = code[sl], np.flatnonzero(code[sl])
        if clear.size == 0:  # the whole track is ambiguous: its majority
            code[sl] = 1 if np.mean(angle[sl] <= 45.0) >= 0.5 else 2
        else:
            code[sl] = c[np.maximum.accumulate(np.where(c > 0, np.arange(len(c)), clear[0]))]
    return code == 1


def _runs(state: np.ndarray, track: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end exclusive, state) of maximal runs of one state within one track."""
    change = np.flatnonzero((np.diff(state) != 0) | (np.diff(track) != 0)) + 1
    starts, ends = np.concatenate([[0], change]), np.concatenate([change, [len(state)]])
    return [(int(a), int(b), int(state[a])) for a, b in zip(starts, ends)]


def _dir_code(state: int) -> int:
    return state - _BWD if state >= LEFT + _BWD else state


def _drop_small_travel(runs, state, sig, fps: float, cfg: PassesConfig) -> np.ndarray:
    """Moving runs within standing that cover less than ``min_travel_ll`` leg lengths (a shuffle, a
    sway) become still."""
    out = state.copy()
    for i, (a, b, s) in enumerate(runs):
        around = [runs[j][2] for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        if s >= LEFT and STILL in around and set(around) <= {STILL, UNTRACKED}:
            v = sig["u_lat"] if _dir_code(s) in (LEFT, RIGHT) else sig["u_dep"]
            if abs(v[a:b].sum()) / fps < cfg.min_travel_ll:
                out[a:b] = STILL
    return out


# ----------------------------------------------------------------------------------------------- runs


def _run_props(a: int, b: int, sig: dict, fps: float, cfg: PassesConfig, override: str, axis: str | None) -> dict:
    """Direction, facing, view and stepping of frames [a, b) of one track.

    ``axis`` ("lateral"/"depth") is the travel axis of a moving run, on which facing is judged first;
    None lets the stronger facing cue choose.
    """
    v_lat, v_dep = float(np.median(sig["u_lat"][a:b])), float(np.median(sig["u_dep"][a:b]))
    speed = float(np.hypot(v_lat, v_dep))
    f_lat, f_dep, width = (float(np.median(sig[k][a:b])) for k in ("f_lat", "f_dep", "width"))
    moving = speed >= cfg.min_travel_speed_ll_s
    direction = "none" if not moving else ("left" if v_lat < 0 else "right") if abs(v_lat) >= abs(v_dep) else (
        "toward" if v_dep > 0 else "away")
    lat_word = "right" if f_lat >= cfg.min_facing_lateral else "left" if f_lat <= -cfg.min_facing_lateral else "none"
    dep_word = "away" if f_dep >= cfg.min_facing_depth else "toward" if f_dep <= -cfg.min_facing_depth else "none"
    if axis is None:
        axis = {"sagittal": "lateral", "frontal": "depth"}.get(override) or (
            "lateral" if abs(f_lat) / cfg.min_facing_lateral >= abs(f_dep) / cfg.min_facing_depth else "depth")
    facing = lat_word if axis == "lateral" else dep_word
    if facing == "none" and override == "auto":  # e.g. walking diagonally away: back to the camera
        facing = dep_word if axis == "lateral" else lat_word
    frontal = "frontal_" + (dep_word if dep_word != "none" else direction if direction in ("toward", "away")
                            else "away" if f_dep > 0 else "toward")
    angle = float(np.degrees(np.arctan2(abs(v_dep), abs(v_lat)))) if moving else float("nan")
    if override != "auto":
        view = "sagittal" if override == "sagittal" else frontal
    elif width <= cfg.sagittal_max_width_ratio and not angle > cfg.sagittal_max_travel_deg:
        view = "sagittal"
    elif width >= cfg.frontal_min_width_ratio and not angle < 90.0 - cfg.frontal_max_travel_deg:
        view = frontal
    else:
        view = "oblique"
    steps, cadence, swing = _steps(sig["ank_x" if axis == "lateral" else "ank_y"][a:b], fps, cfg)
    return dict(direction=direction, facing=facing, view=view, speed=speed, angle=angle, width=width, axis=axis,
                steps=steps, cadence=cadence, swing=swing, f_lat=f_lat, f_dep=f_dep)


def _steps(sep: np.ndarray, fps: float, cfg: PassesConfig) -> tuple[int, float, float]:
    """Steps, cadence (steps/min) and swing (leg lengths) from the ankle separation along one axis.

    |separation| is immune to left/right label swaps and peaks once per step (double support).
    Steps are its up-crossings of the median by more than a dead band; swing is its 10–90 % spread.
    """
    if sep.size < 3:
        return 0, 0.0, 0.0
    x = median_filter(np.abs(sep), size=3, mode="nearest")
    lo, mid, hi = np.percentile(x, [10, 50, 90])
    band = max(cfg.step_min_band_ll, cfg.step_band_fraction * (hi - lo))
    s = np.where(x > mid + band, 1, np.where(x < mid - band, -1, 0))
    nz = np.flatnonzero(s)
    up = nz[1:][(s[nz[1:]] == 1) & (s[nz[:-1]] == -1)]
    cadence = 60.0 * ((up.size - 1) / ((up[-1] - up[0]) / fps) if up.size >= 3 else up.size * fps / sep.size)
    return int(up.size), float(cadence), float(hi - lo)


def _running_reason(pr: dict, cfg: PassesConfig) -> str:
    """ "running (evidence)" when enough steps are seen and cadence, or side-view speed, says so."""
    if pr["steps"] < cfg.run_min_steps:
        return ""
    evidence = []
    if pr["axis"] == "lateral" and pr["speed"] >= cfg.run_min_speed_ll_s:
        evidence.append(f"speed {pr['speed']:.1f} leg lengths/s")
    if pr["cadence"] >= cfg.run_min_cadence_steps_min:
        evidence.append(f"cadence {pr['cadence']:.0f} steps/min")
    return "running (" + ", ".join(evidence) + ")" if evidence else ""


def _classify_runs(runs, sig, pose: PoseSequence, fps: float, cfg: PassesConfig, override: str) -> list[Pass]:
    """One Pass per run (ids are set when merging)."""
    t, n = pose.t_s, len(pose)
    moving = [s >= LEFT for _, _, s in runs]
    out: list[Pass] = []
    for i, (a, b, s) in enumerate(runs):
        start_s, end_s = float(t[a]), float(t[b]) if b < n else float(t[b - 1] + 1.0 / fps)

        def mk(**kw) -> Pass:
            return Pass(pass_id=0, start=a, end=b, start_s=start_s, end_s=end_s, **kw)

        if s == UNTRACKED:
            out.append(mk(direction="none", facing="none", view="", usable=False, reason=REASON_NOT_TRACKED))
            continue
        axis = None if s < LEFT else ("lateral" if _dir_code(s) in (LEFT, RIGHT) else "depth")
        pr = _run_props(a, b, sig, fps, cfg, override, axis)
        kw = dict(direction=pr["direction"], facing=pr["facing"], view=pr["view"])
        if s in (EDGE, TURNING):
            p = mk(**kw, usable=False, reason=REASON_EDGE if s == EDGE else REASON_TURN)
        elif s == STILL:
            if pr["steps"] >= cfg.treadmill_min_steps and pr["swing"] >= cfg.treadmill_min_swing_ll:
                reason = _running_reason(pr, cfg)
                p = mk(**kw, treadmill=True, usable=not reason, reason=reason)
            else:
                p = mk(**kw, usable=False, reason=_still_reason(i, runs, moving, sig, fps, cfg, override))
        else:
            word = _WORD[_dir_code(s)]
            kw["direction"] = word
            backward = s >= LEFT + _BWD
            if backward:
                kw["facing"] = _OPPOSITE[word]
            elif kw["facing"] == _OPPOSITE[word]:
                kw["facing"] = "none"  # the frames voted forward, the medians disagree: undetermined
            reason = ""
            if end_s - start_s < cfg.min_pass_s:
                reason = REASON_TURN if _between_travels(i, runs, moving) else f"too short (under {cfg.min_pass_s:g} s)"
            reason = reason or _running_reason(pr, cfg)
            if not reason and backward:
                reason = f"backward walking (facing {kw['facing']} while moving {word})"
            if not reason and kw["view"] == "sagittal" and pr["steps"] < cfg.min_pass_steps:
                reason = "not walking (the hips travel but no steps are seen)"
            p = mk(**kw, usable=not reason, reason=reason)
        if p.view == "sagittal" and p.facing in ("left", "right"):
            # facing image-left shows the subject's left side (flipped in a mirrored clip)
            p.near_side = p.facing if not pose.mirrored else _OPPOSITE[p.facing]
        out.append(p)
    return out


def _between_travels(i: int, runs, moving) -> bool:
    """True when the moving runs just before and after run i (looking past body-cut stretches only)
    travel in different directions."""
    words = []
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(runs) and runs[j][2] == EDGE:
            j += step
        words.append(_WORD[_dir_code(runs[j][2])] if 0 <= j < len(runs) and moving[j] else "")
    return bool(words[0] and words[1] and words[0] != words[1])


def _still_reason(i: int, runs, moving, sig, fps: float, cfg: PassesConfig, override: str) -> str:
    """ "turn" when the travel reverses around a short still run or the body turns within it, else
    "standing"."""
    a, b, _ = runs[i]
    if (b - a) / fps > cfg.max_turn_s:
        return REASON_STANDING
    turn = _between_travels(i, runs, moving) or _body_turns(a, b, sig, fps, cfg, override)
    return REASON_TURN if turn else REASON_STANDING


def _body_turns(a: int, b: int, sig, fps: float, cfg: PassesConfig, override: str) -> bool:
    """True when the facing in the first ``min_state_s`` of frames [a, b) differs from the last."""
    w = max(1, int(round(cfg.min_state_s * fps)))
    if b - a < 2 * w:
        return False
    first = _run_props(a, a + w, sig, fps, cfg, override, None)["facing"]
    last = _run_props(b - w, b, sig, fps, cfg, override, None)["facing"]
    return "none" not in (first, last) and first != last


def _merge_excluded(passes: list[Pass], min_state_s: float) -> list[Pass]:
    """Merge neighbouring excluded stretches with one reason; number the passes from 1. First, an
    excluded sliver shorter than ``min_state_s`` (not a body-cut one) takes the reason of its longer
    excluded, tracked neighbour, or "not tracked" when both neighbours are untracked."""
    keep = list(passes)
    excluded = [not p.usable and p.reason != REASON_NOT_TRACKED for p in keep]
    for k, q in enumerate(keep):
        around = [keep[j] for j in (k - 1, k + 1) if 0 <= j < len(keep)]
        near = [p for p in around if not p.usable and p.reason != REASON_NOT_TRACKED]
        if len(around) == 2 and all(p.reason == REASON_NOT_TRACKED for p in around):
            near = around
        if excluded[k] and q.reason != REASON_EDGE and q.end_s - q.start_s < min_state_s and near:
            p = max(near, key=lambda x: x.end_s - x.start_s)
            keep[k] = Pass(**{**vars(p), "start": q.start, "end": q.end, "start_s": q.start_s, "end_s": q.end_s})
    out: list[Pass] = []
    for p in keep:
        q = out[-1] if out else None
        if q is not None and not q.usable and not p.usable and q.reason == p.reason:
            main = q if (q.end - q.start) >= (p.end - p.start) else p
            out[-1] = Pass(**{**vars(main), "start": q.start, "end": p.end, "start_s": q.start_s, "end_s": p.end_s})
        else:
            out.append(p)
    for k, p in enumerate(out, start=1):
        p.pass_id = k
    return out


def _warnings(passes: list[Pass]) -> list[str]:
    usable = [p for p in passes if p.usable]
    reasons = ", ".join(sorted({p.reason.split(" (")[0] for p in passes}))
    warn = [] if usable else [f"No usable walking pass in the clip (found: {reasons})."]
    for p in usable:
        warn += [f"Pass {p.pass_id}: {text}" for cond, text in (
            (p.facing == "none", "the facing direction could not be determined, so backward walking could not be "
                                 "ruled out."),
            (p.view == "oblique", "oblique view (the walker is neither side-on nor facing the camera): temporal "
                                  "parameters only."),
            (p.treadmill, "treadmill walking: speed only from the belt speed.")) if cond]
    return warn
