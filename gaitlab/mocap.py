"""Motion-capture readers and the bridge from 3D markers to MediaPipe-layout landmarks.

Used to test the pipeline against real gait data (``../shared/data/mocap``): read markers
(``.c3d``, ``.trc``) or joint angles (``.mot``/``.sto``), put them in gaitlab's world frame, derive the
33 MediaPipe landmarks from anatomical markers, and keep the recorded gait events that a detector can
be scored on.

World frame (shared with :mod:`gaitlab.synth`): metres, X = walking direction (the horizontal
direction along which the pelvis travels most), Y = the walker's left, Z = up (right-handed), floor
at Z = 0.

Readers return plain numpy / pandas in metres and seconds; missing samples are NaN, never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gaitlab.errors import GaitlabError
from gaitlab.model import LM, N_LANDMARKS

Event = tuple[float, str, str]  # (time_s, "left"|"right", "HS"|"TO")


class MocapError(GaitlabError):
    """A motion-capture file cannot be read or mapped to landmarks."""


@dataclass
class MarkerData:
    """3D marker trajectories of one trial.

    Attributes
    ----------
    t_s : (T,) float
        Absolute time of each frame in seconds (a C3D's first-frame offset included).
    markers : dict[str, (T, 3) float]
        Marker positions in metres; NaN where the marker was not seen.
    rate_hz : float
        Sampling rate.
    up_axis : {'y', 'z'}
        Vertical axis of the file's lab frame (detected: head/shoulders above feet).
    events : list of (time_s, side, kind)
        Recorded gait events, side ``"left"``/``"right"``, kind ``"HS"``/``"TO"``.
    """

    t_s: np.ndarray
    markers: dict[str, np.ndarray]
    rate_hz: float
    up_axis: str = "z"
    events: list[Event] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return len(self.t_s)


# --------------------------------------------------------------------------- helpers

_UPPER = re.compile(r"head|hd[fb]|temple|acrom|shoulder|saj|c7|neck|sternum|snj", re.I)
_FOOT = re.compile(r"heel|toe|fcc|fm[15]|calc|meta|ankle|fal|tam|malle", re.I)
_FOOT_CONTACT = re.compile(r"heel|toe|fcc|fm[15]|calc|meta", re.I)
_TOE = re.compile(r"toe|fm[15]|meta", re.I)
_HEEL = re.compile(r"heel|fcc|calc", re.I)
_PELVIS = re.compile(r"asis|psis|ias|ips|sacr|hip", re.I)
_AXES = {"x": 0, "y": 1, "z": 2}


def _stack_mean(md: MarkerData, pattern: re.Pattern) -> np.ndarray | None:
    """(T, 3) mean over the markers whose name matches ``pattern`` (NaN-aware), or None."""
    arrs = [v for k, v in md.markers.items() if pattern.search(k)]
    if not arrs:
        return None
    with _quiet():
        return np.nanmean(np.stack(arrs), axis=0)


class _quiet:
    """Silence numpy's 'mean of empty slice' warnings for all-NaN frames."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _up_vector(md: MarkerData) -> tuple[str, int]:
    """(axis, sign) along which head/shoulder markers are highest relative to the feet."""
    upper, foot = _stack_mean(md, _UPPER), _stack_mean(md, _FOOT)
    if upper is None or foot is None:
        raise MocapError("cannot detect the vertical axis: no head/shoulder or foot marker names found")
    with _quiet():
        diff = np.nanmean(upper - foot, axis=0)
    best = max(("y", "z"), key=lambda a: abs(diff[_AXES[a]]))
    return best, int(np.sign(diff[_AXES[best]]) or 1)


def _detect_up_axis(markers: dict[str, np.ndarray], default: str) -> str:
    try:
        return _up_vector(MarkerData(np.zeros(0), markers, 0.0))[0]
    except MocapError:
        return default


# --------------------------------------------------------------------------- readers


def read_trc(path: str | Path) -> MarkerData:
    """Read an OpenSim ``.trc`` marker file (tab-separated; units ``mm`` or ``m`` → metres).

    Header: line 3 holds DataRate … Units values, line 4 the marker names (each spanning X/Y/Z
    columns), line 5 the X1/Y1/Z1 sub-labels; data start after it (blank lines skipped).
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if len(lines) < 6 or not lines[0].startswith("PathFileType"):
        raise MocapError(f"{path.name} is not an OpenSim .trc file (no PathFileType header)")
    keys = [k for k in lines[1].split("\t") if k.strip()]
    vals = [v for v in lines[2].split("\t") if v.strip()]  # some writers separate values by several tabs
    meta = {k.strip(): v.strip() for k, v in zip(keys, vals)}
    units = meta.get("Units", "mm").lower()
    scale = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}.get(units)
    if scale is None:
        raise MocapError(f"{path.name}: unknown marker units {units!r} (expected mm, cm or m)")
    names = [n.strip() for n in lines[3].split("\t")[2:] if n.strip()]
    rows = [ln.split("\t") for ln in lines[5:] if ln.strip()]
    ncol = 2 + 3 * len(names)
    data = np.full((len(rows), ncol), np.nan)
    for i, r in enumerate(rows):
        vals_i = [float(x) if x.strip() else np.nan for x in r[:ncol]]
        data[i, : len(vals_i)] = vals_i
    t = data[:, 1]
    markers = {n: data[:, 2 + 3 * j: 5 + 3 * j] * scale for j, n in enumerate(names)}
    rate = float(meta.get("DataRate") or (1.0 / np.median(np.diff(t))))
    return MarkerData(t, markers, rate, _detect_up_axis(markers, "y"), [])


def read_mot(path: str | Path) -> pd.DataFrame:
    """Read an OpenSim ``.mot``/``.sto`` table (header until ``endheader``, then tab-separated).

    ``df.attrs`` holds ``in_degrees`` (bool, from ``inDegrees=yes|no``; None if absent) and the
    raw header key=value pairs under ``header``.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    try:
        end = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "endheader")
    except StopIteration:
        raise MocapError(f"{path.name} is not an OpenSim .mot/.sto file (no 'endheader' line)") from None
    header = {}
    for ln in lines[:end]:
        if "=" in ln:
            k, v = ln.split("=", 1)
            header[k.strip()] = v.strip()
    cols = [c.strip() for c in lines[end + 1].split("\t")]
    body = [ln.split() for ln in lines[end + 2:] if ln.strip()]
    df = pd.DataFrame(np.asarray(body, dtype=float), columns=cols)
    deg = header.get("inDegrees", "").lower()
    df.attrs["in_degrees"] = {"yes": True, "no": False}.get(deg)
    df.attrs["header"] = header
    return df


def _parse_event(label: str, context: str) -> tuple[str, str] | None:
    """(side, kind) of a C3D event, or None for events that are not foot contacts.

    Accepts the standard "Foot Strike"/"Foot Off" + context "Left"/"Right", and short labels like
    ``LHS``/``RTO``.
    """
    lab, ctx = label.strip(), context.strip().lower()
    m = re.fullmatch(r"([LR])(HS|TO|FS|FO|IC)", lab, re.I)
    if m:
        side = "left" if m.group(1).upper() == "L" else "right"
        kind = "HS" if m.group(2).upper() in ("HS", "FS", "IC") else "TO"
        return side, kind
    low = f"{ctx} {lab.lower()}"
    side = "left" if "left" in low else "right" if "right" in low else None
    if "strike" in low or "contact" in low:
        kind = "HS"
    elif "off" in low:
        kind = "TO"
    else:
        return None
    return (side, kind) if side else None


def read_c3d(path: str | Path) -> MarkerData:
    """Read a ``.c3d`` file: markers (→ metres), absolute times, rate, EVENT group.

    Time of frame i is ``(first_frame - 1 + i) / rate`` (C3D frames are numbered from 1), so it
    matches the EVENT times. Samples with a negative residual (C3D "invalid") or exactly (0, 0, 0)
    are NaN. Event times are ``60 * minutes + seconds`` from EVENT:TIMES.
    """
    import c3d

    path = Path(path)
    with open(path, "rb") as fh:
        try:
            r = c3d.Reader(fh)
        except Exception as e:  # noqa: BLE001 - c3d raises plain errors on bad headers
            raise MocapError(f"{path.name} is not a readable C3D file: {e}") from e
        labels = [str(s).strip() for s in r.point_labels]
        pt = r.get("POINT")
        rate = float(pt.get("RATE").float_value) if pt and pt.get("RATE") else float(r.point_rate)
        units = (pt.get("UNITS").string_value.strip().lower() if pt and pt.get("UNITS") else "mm")
        frames = [p.copy() for _, p, _ in r.read_frames()]
        first = int(r.first_frame)
        ev_group = r.get("EVENT")
        events: list[Event] = []
        if ev_group is not None and ev_group.get("TIMES") is not None:
            times = np.atleast_2d(ev_group.get("TIMES").float_array)
            ev_labels = list(np.atleast_1d(ev_group.get("LABELS").string_array)) if ev_group.get("LABELS") else []
            ctx_p = ev_group.get("CONTEXTS")
            ev_ctx = list(np.atleast_1d(ctx_p.string_array)) if ctx_p is not None else [""] * len(ev_labels)
            used_p = ev_group.get("USED")
            n_used = int(used_p.int16_value) if used_p is not None else len(ev_labels)
            for i in range(min(n_used, len(ev_labels), times.shape[0])):
                parsed = _parse_event(str(ev_labels[i]), str(ev_ctx[i]) if i < len(ev_ctx) else "")
                if parsed:
                    events.append((round(float(60.0 * times[i, 0] + times[i, 1]), 6), *parsed))
    if not frames:
        raise MocapError(f"{path.name} has no point frames")
    arr = np.stack(frames).astype(float)  # (T, N, 5): x y z residual cameras
    xyz = arr[:, :, :3]
    bad = (arr[:, :, 3] < 0) | np.all(xyz == 0, axis=2)
    xyz[bad] = np.nan
    scale = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}.get(units, 1e-3)
    xyz = xyz * scale
    n = len(labels)
    markers = {}
    for j in range(min(n, xyz.shape[1])):
        name = labels[j] or f"M{j:03d}"
        if name in markers:
            name = f"{name}_{j}"
        markers[name] = xyz[:, j, :]
    t = (first - 1 + np.arange(xyz.shape[0])) / rate
    return MarkerData(t, markers, rate, _detect_up_axis(markers, "z"), sorted(events))


def read_markers(path: str | Path) -> MarkerData:
    """``read_c3d`` or ``read_trc`` by file extension."""
    ext = Path(path).suffix.lower()
    if ext == ".c3d":
        return read_c3d(path)
    if ext == ".trc":
        return read_trc(path)
    raise MocapError(f"{Path(path).name}: unsupported marker file type {ext!r} (use .c3d or .trc)")


# --------------------------------------------------------------------------- world frame


def to_world(md: MarkerData, *, floor_percentile: float = 1.0, min_travel_m: float = 0.5) -> MarkerData:
    """Rotate into the world frame: X walking direction, Y walker's left, Z up, floor at Z = 0.

    X is the principal horizontal direction of the pelvis trajectory, signed by the pelvis's net
    displacement (first → last valid frame); when the pelvis travels less than ``min_travel_m``
    (treadmill), X is the mean horizontal heel → toe direction instead. The rotation is proper (right-handed). Origin: X = 0 at
    the pelvis's first valid position, Y = 0 at its mean lateral position, Z = 0 at the
    ``floor_percentile`` percentile of all heel/toe marker heights.
    """
    axis, sign = _up_vector(md)
    up = np.zeros(3)
    up[_AXES[axis]] = sign
    pelvis = _stack_mean(md, _PELVIS)
    if pelvis is None:
        pelvis = _stack_mean(md, re.compile("."))
    ok = np.all(np.isfinite(pelvis), axis=1)
    if ok.sum() < 2:
        raise MocapError("cannot find the walking direction: pelvis markers missing")
    p = pelvis[ok]
    horiz = p - np.outer(p @ up, up)
    centred = horiz - horiz.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    fwd = vt[0] - (vt[0] @ up) * up
    fwd /= np.linalg.norm(fwd)
    if abs((p[-1] - p[0]) @ fwd) < min_travel_m:
        # Treadmill or walking in place: the pelvis hardly travels; the feet point forward.
        toe, heel = _stack_mean(md, _TOE), _stack_mean(md, _HEEL)
        if toe is None or heel is None:
            raise MocapError("the pelvis does not travel and no heel/toe markers give the "
                             "walking direction")
        with _quiet():
            v = np.nanmean(toe - heel, axis=0)
        fwd = v - (v @ up) * up
        fwd /= np.linalg.norm(fwd)
    elif (p[-1] - p[0]) @ fwd < 0:
        fwd = -fwd
    left = np.cross(up, fwd)
    rot = np.stack([fwd, left, up])  # rows = world axes in lab coordinates
    new = {k: v @ rot.T for k, v in md.markers.items()}
    p_w = p @ rot.T
    feet = [v[:, 2] for k, v in new.items() if _FOOT_CONTACT.search(k)]
    feet_z = np.concatenate(feet) if feet else np.concatenate([v[:, 2] for v in new.values()])
    offset = np.array([p_w[0, 0], np.mean(p_w[:, 1]), np.nanpercentile(feet_z, floor_percentile)])
    new = {k: v - offset for k, v in new.items()}
    return replace(md, markers=new, up_axis="z")


# --------------------------------------------------------------------------- landmarks

#: Marker-to-landmark mappings. ``pelvis`` names the ASIS/PSIS markers for the hip-joint-centre
#: regression (one PSIS name may be given twice, e.g. a single sacral marker). Every other key is a
#: MediaPipe landmark name whose value is a list of alternatives, tried in order per frame; each
#: alternative is a tuple of marker names whose mean is taken.
MAPPINGS: dict[str, dict] = {
    # kineticstoolkit / ezc3d test file Qualisys.c3d (ISB-like anatomical names)
    "qualisys": {
        "pelvis": {"LASI": "L_IAS", "RASI": "R_IAS", "LPSI": "L_IPS", "RPSI": "R_IPS"},
        "nose": [("L_HDF", "R_HDF")],
        **{f"{s}_{lm}": alts for s, S in (("left", "L"), ("right", "R")) for lm, alts in {
            "shoulder": [(f"{S}_SAJ",)],
            "elbow": [(f"{S}_HLE", f"{S}_HME"), (f"{S}_HLE",)],
            "wrist": [(f"{S}_RSP", f"{S}_UHE"), (f"{S}_RSP",)],
            "knee": [(f"{S}_FLE", f"{S}_FME"), (f"{S}_FLE",)],
            "ankle": [(f"{S}_FAL", f"{S}_TAM"), (f"{S}_FAL",)],
            "heel": [(f"{S}_FCC",)],
            "foot_index": [(f"{S}_FM1", f"{S}_FM5"), (f"{S}_FM1",), (f"{S}_FM5",)],
        }.items()},
    },
    # OpenSim example subject01_walk1.trc: no knee or malleolus markers (knee/ankle stay NaN);
    # one sacral marker stands in for both PSIS.
    "opensim_subject01": {
        "pelvis": {"LASI": "L.ASIS", "RASI": "R.ASIS", "LPSI": "V.Sacral", "RPSI": "V.Sacral"},
        "nose": [("L.Temple", "R.Temple"), ("Top.Head",)],
        **{f"{s}_{lm}": alts for s, S in (("left", "L"), ("right", "R")) for lm, alts in {
            "shoulder": [(f"{S}.Acromium",)],
            "elbow": [(f"{S}.Elbow",)],
            "wrist": [(f"{S}.Wrist.Med", f"{S}.Wrist.Lat")],
            "heel": [(f"{S}.Heel",)],
            "foot_index": [(f"{S}.Toe.Tip",), (f"{S}.Toe.Med", f"{S}.Toe.Lat")],
        }.items()},
    },
    # OpenCap marker set after augmentation (walk.trc): note lower-case "r." vs upper-case "L.".
    "opencap": {
        "pelvis": {"LASI": "L.ASIS_study", "RASI": "r.ASIS_study",
                   "LPSI": "L.PSIS_study", "RPSI": "r.PSIS_study"},
        **{f"{s}_{lm}": alts for s, S in (("left", "L"), ("right", "r")) for lm, alts in {
            "shoulder": [(f"{S}_shoulder_study",)],
            "elbow": [(f"{S}_lelbow_study", f"{S}_melbow_study")],
            "wrist": [(f"{S}_lwrist_study", f"{S}_mwrist_study")],
            "knee": [(f"{S}_knee_study", f"{S}_mknee_study"), (f"{S}_knee_study",)],
            "ankle": [(f"{S}_ankle_study", f"{S}_mankle_study"), (f"{S}_ankle_study",)],
            "heel": [(f"{S}_calc_study",)],
            "foot_index": [(f"{S}_toe_study", f"{S}_5meta_study"), (f"{S}_toe_study",)],
        }.items()},
    },
}


def _required_markers(mapping: dict) -> list[str]:
    """Markers a mapping cannot do without (pelvis set first, then each landmark's first marker)."""
    need = list(dict.fromkeys(mapping["pelvis"].values()))
    for key, alts in mapping.items():
        if key != "pelvis" and alts[0][0] not in need:
            need.append(alts[0][0])
    return need


def detect_mapping(md: MarkerData) -> str:
    """Name of the mapping in :data:`MAPPINGS` whose required markers are all present."""
    have = set(md.markers)
    missing = {}
    for name, mp in MAPPINGS.items():
        miss = [n for n in _required_markers(mp) if n not in have]
        if not miss:
            return name
        missing[name] = miss
    detail = "; ".join(f"{k}: missing {', '.join(v[:8])}{f' and {len(v) - 8} more' if len(v) > 8 else ''}"
                       for k, v in missing.items())
    raise MocapError(f"no known marker set matches this file ({detail}). "
                     "Pass mapping=... to markers_to_landmarks.")


def hip_joint_centres(lasi, rasi, lpsi, rpsi) -> tuple[np.ndarray, np.ndarray]:
    """Left and right hip joint centres (T, 3) in metres from the pelvis markers.

    Harrington ME, Zavatsky AB, Lawson SEM, Yuan Z, Theologis TN (2007). Prediction of the hip
    joint centre in adults, children, and patients with cerebral palsy based on magnetic resonance
    imaging. J Biomech 40(3):595-602. In the ISB pelvis frame (origin mid-ASIS; X anterior, Y
    superior, Z right) with PW = inter-ASIS width and PD = mid-ASIS-to-mid-PSIS depth (mm):
    x = -0.24 PD - 9.9, y = -0.30 PW - 10.9, z = ±(0.33 PW + 7.3).
    """
    mid_asis = (lasi + rasi) / 2
    mid_psis = (lpsi + rpsi) / 2
    z = rasi - lasi
    pw = np.linalg.norm(z, axis=1, keepdims=True)
    z = z / pw
    v = mid_asis - mid_psis
    x = v - np.sum(v * z, axis=1, keepdims=True) * z  # anterior, orthogonal to Z
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)  # superior
    pw_mm, pd_mm = pw * 1000, np.linalg.norm(v, axis=1, keepdims=True) * 1000
    ax = (-0.24 * pd_mm - 9.9) / 1000
    ay = (-0.30 * pw_mm - 10.9) / 1000
    az = (0.33 * pw_mm + 7.3) / 1000
    right = mid_asis + ax * x + ay * y + az * z
    left = mid_asis + ax * x + ay * y - az * z
    return left, right


def markers_to_landmarks(md: MarkerData, mapping: str | dict | None = None) -> np.ndarray:
    """(T, 33, 3) landmarks in MediaPipe layout (:data:`gaitlab.model.LM`), metres, NaN if not derivable.

    ``mapping``: a key of :data:`MAPPINGS`, a mapping dict of the same shape, or None to detect it
    from the marker names (raises :class:`MocapError` naming the missing markers otherwise).
    Hips are regression hip joint centres (:func:`hip_joint_centres`), other joints midpoints of the
    mapped markers (e.g. knee = mid-epicondyles, falling back to the lateral one frame by frame).
    """
    if mapping is None:
        mapping = detect_mapping(md)
    if isinstance(mapping, str):
        if mapping not in MAPPINGS:
            raise MocapError(f"unknown mapping {mapping!r}; known: {', '.join(MAPPINGS)}")
        mapping = MAPPINGS[mapping]
    miss = [n for n in _required_markers(mapping) if n not in md.markers]
    if miss:
        raise MocapError(f"markers missing for this mapping: {', '.join(miss)}")
    out = np.full((md.n_frames, N_LANDMARKS, 3), np.nan)
    pel = {k: md.markers[v] for k, v in mapping["pelvis"].items()}
    out[:, LM["left_hip"]], out[:, LM["right_hip"]] = hip_joint_centres(
        pel["LASI"], pel["RASI"], pel["LPSI"], pel["RPSI"])
    for lm_name, alts in mapping.items():
        if lm_name == "pelvis":
            continue
        if lm_name not in LM:
            raise MocapError(f"mapping key {lm_name!r} is not a MediaPipe landmark name")
        dst = out[:, LM[lm_name]]
        for names in alts:
            if not all(n in md.markers for n in names):
                continue
            val = np.mean(np.stack([md.markers[n] for n in names]), axis=0)  # NaN if any is NaN
            fill = ~np.all(np.isfinite(dst), axis=1)
            dst[fill] = val[fill]
    return out


def segment_lengths(lms: np.ndarray) -> dict[str, float]:
    """Median thigh (hip–knee) and shank (knee–ankle) lengths per side in metres (NaN if absent)."""
    res = {}
    for side in ("left", "right"):
        for seg, a, b in (("thigh", "hip", "knee"), ("shank", "knee", "ankle")):
            d = np.linalg.norm(lms[:, LM[f"{side}_{a}"]] - lms[:, LM[f"{side}_{b}"]], axis=1)
            res[f"{side}_{seg}_m"] = float(np.nanmedian(d)) if np.isfinite(d).any() else float("nan")
    return res


# --------------------------------------------------------------------------- events


def event_truth(md: MarkerData, *, edge_s: float = 0.3) -> list[Event]:
    """Recorded events at least ``edge_s`` seconds from the first and last frame (scoring rule).

    Peak-based detectors cannot see events at the very edge of a trial, so scoring keeps only
    events inside ``[t_s[0] + edge_s, t_s[-1] - edge_s]``.
    """
    if md.n_frames == 0:
        return []
    lo, hi = float(md.t_s[0]) + edge_s, float(md.t_s[-1]) - edge_s
    return [e for e in md.events if lo - 1e-9 <= e[0] <= hi + 1e-9]
