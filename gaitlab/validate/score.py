"""Score one analysed clip against its truth: detection, left/right swaps, events, stride timing, angles,
frontal quantities and flags. Returns plain JSON-ready numbers (lists of errors, counts) so that clips
can be pooled (:mod:`.report`) and stored per clip."""

from __future__ import annotations

import numpy as np

from ..model import LM
from ..validation import score_events
from .sweep import FRONT_MAX_DISTANCE_M

LEG_POINTS = ("knee", "ankle", "heel", "foot_index")
SAGITTAL_ANGLES = ("knee_flexion_deg", "thigh_angle_deg", "ankle_dorsiflexion_deg", "trunk_inclination_deg")
FRONTAL_ANGLES = ("pelvic_obliquity_deg", "lateral_trunk_lean_deg", "knee_fppa_deg")
STRIDE_COLUMNS = (("stride_time_s", "stride_time_s"), ("step_time_s", "step_time_s"),
                  ("stance_pct", "stance_pct"), ("cadence_steps_min", "cadence_steps_min"))
#: Catalogue pattern → §6 flag id (others: the same name).
FLAG_ID = {"antalgic": "antalgic_stance", "circumduction": "circumduction_hip_hiking",
           "hip_hiking": "circumduction_hip_hiking"}
#: Event scoring: pass edges the pipeline drops (s) and the match tolerance (frames).
EDGE_S, TOL_FRAMES = 0.3, 2


def swapped(lm_xy: np.ndarray, ref_xy: np.ndarray) -> np.ndarray:
    """(T,) bool: the leg labels of ``lm_xy`` fit ``ref_xy`` better swapped (NaN frames → False)."""
    L = np.array([LM[f"left_{j}"] for j in LEG_POINTS])
    R = np.array([LM[f"right_{j}"] for j in LEG_POINTS])
    d = lambda a, b: np.linalg.norm(lm_xy[:, a] - ref_xy[:, b], axis=-1).sum(1)  # noqa: E731
    same, cross = d(L, L) + d(R, R), d(L, R) + d(R, L)
    return np.nan_to_num(cross, nan=np.inf) < np.nan_to_num(same, nan=np.inf)


def frame_rows(pose_t: np.ndarray, walk_t: np.ndarray) -> np.ndarray:
    """Index of the walk frame of each pose row (nearest time)."""
    return np.clip(np.searchsorted(walk_t, pose_t - 0.5 * np.median(np.diff(walk_t))), 0, len(walk_t) - 1)


def matched_angle(kin, truth_ang, side: str, view: str, leg: str, col: str, ok_frame, walk_t):
    """(true, measured) values of one angle column of one side, view and leg: the truth interpolated to the
    analysis times, over frames where ``ok_frame`` (per walk frame) holds; None with < 3 rows on either side."""
    k = kin[(kin.side == side) & (kin.view == view) & (kin.leg == leg)]
    tr = truth_ang[(truth_ang.side == side) & (truth_ang.view == view) & (truth_ang.leg == leg)]
    k, tr = k[np.isfinite(k[col])], tr[np.isfinite(tr[col])]
    if len(k) < 3 or len(tr) < 3:
        return None
    tv = np.interp(k.time_s, tr.time_s, tr[col], left=np.nan, right=np.nan)
    m = np.isfinite(tv) & ok_frame[frame_rows(k.time_s.to_numpy(), walk_t)]
    return tv[m], k[col].to_numpy()[m]


def _inside(pose, camera) -> np.ndarray:
    xy = pose.landmarks[..., :2]
    return ((xy[..., 0] >= 0) & (xy[..., 0] < camera.width_px) & (xy[..., 1] >= 0)
            & (xy[..., 1] < camera.height_px)).all(1)


def _angle_errors(kin, truth_ang, ok_frame, walk_t, family: str) -> dict:
    """{"<angle> <leg>": [errors]} of the analysis against the truth angles (same side, interpolated to the
    analysis times) over frames with the whole walker in view."""
    out = {}
    views = {"side": ("sagittal",), "front": ("frontal_toward",)}[family]
    cols = SAGITTAL_ANGLES if family == "side" else FRONTAL_ANGLES
    for view in views:
        for leg in (("near", "far") if view == "sagittal" else ("",)):
            for col in cols:
                errs = []
                for side in ("left", "right"):
                    pair = matched_angle(kin, truth_ang, side, view, leg, col, ok_frame, walk_t)
                    if pair is not None:
                        errs.extend((pair[1] - pair[0]).tolist())
                if col == "trunk_inclination_deg" and leg == "far":
                    continue  # the same trunk on both rows
                if errs:
                    out[f"{col} {leg}".strip()] = errs
    return out


def _obliquity_fit(kin, truth_ang, ok_frame, walk_t) -> dict:
    """Pairs (true, measured) of pelvic obliquity in frontal passes (one row per frame: the left rows)."""
    pair = matched_angle(kin, truth_ang, "left", "frontal_toward", "", "pelvic_obliquity_deg", ok_frame, walk_t)
    if pair is None:
        return {}
    return {"true": np.round(pair[0], 3).tolist(), "measured": np.round(pair[1], 3).tolist()}


def _events(res, walk, camera, ok_frame) -> dict:
    """Event scores per usable true pass (sagittal: HS and TO; frontal toward: HS) over the stretch where
    the whole walker is in view."""
    fps = 1.0 / float(np.median(np.diff(walk.t_s)))
    out = {}
    ev = res.events
    for p in walk.true_passes(camera):
        if not p.usable or p.view not in ("sagittal", "frontal_toward"):
            continue
        idx = np.flatnonzero(ok_frame[p.start:p.end]) + p.start
        if len(idx) < 2:
            continue
        t0, t1 = float(walk.t_s[idx[0]]), float(walk.t_s[idx[-1]])
        kinds = ("HS", "TO") if p.view == "sagittal" else ("HS",)
        det = ev[ev.view == p.view] if len(ev) else ev
        sc = score_events(det, walk.events, t_first=t0, t_last=t1, tolerance_s=TOL_FRAMES / fps, edge_s=EDGE_S,
                          kinds=kinds)
        for k in kinds:
            d = out.setdefault(f"{p.view} {k}", {"tp": 0, "fp": 0, "fn": 0, "errors_s": []})
            d["tp"] += sc[k].tp
            d["fp"] += sc[k].fp
            d["fn"] += sc[k].fn
            d["errors_s"] += [round(e, 6) for e in sc[k].errors_s]
    return out


def _strides(res, walk) -> dict:
    """Per-stride errors of detected strides matched to true strides (same side, heel strikes ≤ 2 frames)."""
    fps = 1.0 / float(np.median(np.diff(walk.t_s)))
    truth = walk.strides
    out = {c: [] for c, _ in STRIDE_COLUMNS}
    st = res.strides
    if st is None or not len(st) or truth is None or not len(truth):
        return out
    for _, r in st.iterrows():
        tr = truth[truth.side == r.side]
        if not len(tr) or not np.isfinite(r.hs_time_s):
            continue
        j = int(np.argmin(np.abs(tr.hs_s.to_numpy() - r.hs_time_s)))
        if abs(tr.hs_s.iloc[j] - r.hs_time_s) > TOL_FRAMES / fps:
            continue
        for col, tcol in STRIDE_COLUMNS:
            a, b = r.get(col), tr[tcol].iloc[j]
            if a is not None and np.isfinite(a) and np.isfinite(b):
                out[col].append(round(float(a - b), 6))
    return out


def _cadence(res, walk) -> dict:
    true = walk.summary().get("cadence_steps_min", float("nan"))
    m = res.metrics
    row = m[(m.metric == "cadence_steps_min") & (m.side == "both")]
    val = float(row.value.iloc[0]) if len(row) else float("nan")
    src = "metric"
    if not np.isfinite(val) and res.strides is not None and len(res.strides):
        val, src = float(np.nanmean(res.strides.cadence_steps_min)), "strides"
    return {"true": float(true), "measured": val, "source": src}


def _flags(res) -> list | None:
    flags = getattr(res, "flags", None)
    if flags is None:
        return None
    return [{"flag_id": str(r.flag_id), "side": str(r.side), "status": str(r.status), "severity": str(r.severity),
             "metric": str(r.metric), "value": _num(r.value), "ci": [_num(r.ci_low), _num(r.ci_high)], "n": _num(r.n),
             "reason": str(r.reason)} for _, r in flags.iterrows()]


def _num(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def score_clip(spec, res, walk, camera) -> dict:
    """All scores of one clip (see the module doc)."""
    true_pose = walk.project(camera, labels="true")
    mp_expected = walk.project(camera, labels="mediapipe")
    xy_true = true_pose.landmarks[..., :2]
    inside = _inside(true_pose, camera)
    hip_mid = 0.5 * (walk.world_m[:, LM["left_hip"]] + walk.world_m[:, LM["right_hip"]])
    dist = camera.project(hip_mid)[:, 2]
    family = spec.view
    scored = inside & (dist <= FRONT_MAX_DISTANCE_M) if family == "front" else inside
    rows = frame_rows(res.pose.t_s, walk.t_s)
    tracked = res.pose.tracked()
    detected = np.zeros(len(walk.t_s), bool)
    detected[rows[tracked]] = True
    out = {"name": spec.name, "view": family, "fps": spec.fps, "level": spec.level,
           "patterns": [list(p) for p in spec.patterns],
           "detection": {"frames": int(scored.sum()), "detected": int(detected[scored].sum()),
                         "frames_all": int(inside.sum()), "detected_all": int(detected[inside].sum())}}
    # swaps on sagittal passes (side views), frames with the whole walker in view
    sag = np.zeros(len(walk.t_s), bool)
    for p in walk.true_passes(camera):
        if p.view == "sagittal" and p.usable:
            sag[p.start:p.end] = True
    sel = tracked & sag[rows] & inside[rows]
    if sel.any():
        raw = swapped(res.pose.landmarks[sel][..., :2], mp_expected.landmarks[rows[sel]][..., :2])
        fixed = swapped(res.pose_sides.landmarks[sel][..., :2], xy_true[rows[sel]])
        out["swaps"] = {"frames": int(sel.sum()), "raw": int(raw.sum()), "corrected": int(fixed.sum())}
    out["events"] = _events(res, walk, camera, inside)
    out["strides"] = _strides(res, walk)
    out["cadence"] = _cadence(res, walk)
    truth_ang = walk.true_2d_angles(true_pose, camera)
    out["angles"] = {k: [round(e, 4) for e in v]
                     for k, v in _angle_errors(res.kinematics, truth_ang, inside, walk.t_s, family).items()}
    if family == "front":
        out["obliquity"] = _obliquity_fit(res.kinematics, truth_ang, inside, walk.t_s)
    out["flags"] = _flags(res)
    out["passes_found"] = [[p.view, p.direction, p.near_side, round(p.start_s, 2), round(p.end_s, 2)]
                           for p in res.passes if p.usable]
    out["warnings"] = list(res.warnings)
    return out
