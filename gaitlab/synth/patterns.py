"""Compensatory-pattern catalogue of the 3D gait model, and the CLINICAL.md §3 measures of their targets.

Each pattern changes one target quantity by its magnitude and, as far as the kinematics allow, leaves
the others normal (CLINICAL.md §5); :data:`CATALOGUE` says what it changes, in which unit, and which §6
flag it should raise. How a pattern acts on the model:

* temporal patterns (antalgic, step-time asymmetry, irregular stride timing) change the timing plan of
  heel strikes and toe-offs (:mod:`gaitlab.synth.gaitmodel`); the legs' contact sequence stays
  consistent (double support > 0 on both sides);
* angle patterns add a smooth phase curve (:class:`PhaseCurve`) to a joint angle of one leg, or to the
  pelvis / trunk while that leg is in the named phase (:class:`PatternAngles`). Forward trunk lean and
  the loading-response part of knee guarding are exact by construction; every other one has an internal
  amplitude that the model calibrates (:func:`gaitlab.synth.gaitmodel._calibrate`) so that the §3
  measure of its target, computed by the functions of this module on the model's own landmarks, equals
  the magnitude — on one template cycle (pelvic drop, hip hiking, lateral trunk lean, knee valgus) or on
  a short simulated walk (step-length asymmetry, circumduction, swing knee guarding, foot drop, reduced
  hip extension).

Sides are the subject's; magnitudes in the units of :data:`CATALOGUE`. Thresholds quoted in
``expected_flag`` are the CLINICAL.md §6 screening defaults (≤ 30 fps values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .templates import SIDES

OTHER = {"left": "right", "right": "left"}
#: Samples per cycle of the phase curves (interpolated periodically in between).
PHASE_GRID_N = 1000
PHASE_GRID = np.arange(PHASE_GRID_N) / PHASE_GRID_N
#: Corner width of the reduced-hip-extension floor (deg): the thigh's trough rises by m within ~0.01°.
THIGH_FLOOR_SOFTNESS_DEG = 1.5


@dataclass(frozen=True)
class PatternSpec:
    """One injected pattern: catalogue name, subject side ("left"/"right"; "both" for bilateral ones)
    and magnitude in the catalogue unit (None = the catalogue default)."""

    name: str
    side: str = "left"
    magnitude: float | None = None


@dataclass(frozen=True)
class PatternInfo:
    name: str
    description: str
    unit: str
    default_magnitude: float
    target: str
    expected_flag: str
    sided: bool = True
    #: Magnitudes the model can realise (outside: ValueError).
    valid_range: tuple[float, float] = (0.0, 30.0)


CATALOGUE: dict[str, PatternInfo] = {p.name: p for p in (
    PatternInfo("antalgic", "short stance on the painful side (time shifted to its swing); step times unchanged",
                "%", 12.0, "stance time of the side = (1 − m/100) × the other side's",
                "antalgic stance on the side (stance-time ratio > 1.10 possible, > 1.20 marked)",
                valid_range=(0.0, 16.0)),
    PatternInfo("step_time_asymmetry", "the side's step (previous contralateral heel strike → its heel strike) "
                "lasts longer; stance times unchanged (double supports differ)", "%", 15.0,
                "step time of the side / the other side's = 1 + m/100",
                "step-time asymmetry (ratio > 1.10 possible, > 1.20 marked)", valid_range=(0.0, 40.0)),
    PatternInfo("step_length_asymmetry", "the side's steps are longer: its thigh is carried forward by a "
                "constant offset (calibrated), so the other side's steps shorten; stride unchanged", "%", 15.0,
                "step length of the side / the other side's = 1 + m/100",
                "step-length asymmetry (ratio > 1.10 possible, > 1.20 marked)", valid_range=(0.0, 40.0)),
    PatternInfo("knee_guarding", "less knee flexion in loading response and in swing (both knee-flexion humps "
                "scaled about their base line); the swing foot clears the floor by contralateral vaulting", "deg", 10.0,
                "peak loading-response and peak swing knee flexion of the side each = the other side's − m",
                "knee guarding (loading-response flexion < 10° possible, < 5° marked; or swing peak < 45°/40°)",
                valid_range=(0.0, 16.0)),
    PatternInfo("reduced_hip_extension", "less thigh extension in terminal stance; the other side's step "
                "shortens as a consequence and the walk is slower than the set speed", "deg", 15.0,
                "peak thigh extension in stance of the side = the other side's − m",
                "reduced hip extension (peak thigh extension < 5° possible, < 0° marked)", valid_range=(0.0, 25.0)),
    PatternInfo("forward_trunk_lean", "trunk flexed forward throughout", "deg", 15.0,
                "mean trunk inclination higher by m", "forward trunk lean (> 10° possible, > 20° marked)",
                sided=False, valid_range=(0.0, 45.0)),
    PatternInfo("foot_drop", "ankle plantarflexed by m over 75–100 % of the cycle (flat or toe-first contact), "
                "with steppage: hip and knee flexion + m in mid-swing", "deg", 15.0,
                "mean ankle dorsiflexion over 75–100 % of the side's cycle = the other side's − m; peak swing "
                "thigh angle ≈ + m",
                "foot drop (late-swing dorsiflexion < −5° possible, < −10° marked) with steppage",
                valid_range=(0.0, 25.0)),
    PatternInfo("pelvic_drop", "contralateral pelvic drop in the side's single support (Trendelenburg); the "
                "hips adduct/abduct so that the legs keep their orientation", "deg", 10.0,
                "pelvic drop of the side's stance (CLINICAL §3 definition) = m",
                "contralateral pelvic drop (> 8° possible, > 12° marked)", valid_range=(0.0, 16.0)),
    PatternInfo("lateral_trunk_lean", "trunk leans toward the side during its stance", "deg", 8.0,
                "lateral trunk lean excursion toward the side in its stance, from the stride mean = m",
                "lateral trunk lean toward stance (> 5° possible, > 10° marked)", valid_range=(0.0, 20.0)),
    PatternInfo("knee_valgus", "dynamic knee valgus (knee abduction) in early stance", "deg", 12.0,
                "knee frontal-plane projection angle at peak knee flexion in 0–20 % of stance = m",
                "dynamic knee valgus (FPPA > 10° possible, > 15° marked)", valid_range=(-10.0, 25.0)),
    PatternInfo("circumduction", "the swing leg is abducted in mid-swing (foot swung outward)", "hip widths", 0.7,
                "largest lateral distance of the swinging ankle from its toe-off → heel-strike line, in hip "
                "widths = m", "circumduction (lateral swing-foot excursion > 0.5 possible, > 0.8 marked)",
                valid_range=(0.0, 1.2)),
    PatternInfo("hip_hiking", "the side's hip is raised during its swing; the legs keep their orientation",
                "deg", 6.0, "rise of the side's hip above the obliquity at the other side's heel strike, in "
                "0–40 % of that stride = m", "hip hiking (> 4° possible, > 7° marked)", valid_range=(0.0, 12.0)),
    PatternInfo("irregular_stride_timing", "stride-to-stride variability of the step times (each step "
                "independent, so both sides' strides get the same CV)", "%", 8.0, "stride-time CV = m",
                "irregular stride timing (CV > 6 % possible, > 10 % marked; ≥ 50 fps: 5 / 8)", sided=False,
                valid_range=(0.0, 12.0)),
    PatternInfo("crouch", "crouch gait: the crouch_gait.mot template mixed in with weight m (1 = the template "
                "as recorded; bilateral, asymmetric subject)", "fraction", 1.0, "joint-angle template",
                "measured on the model at 1.2 m/s (tests/test_gaitmodel.py): reduced hip extension (left peak "
                "thigh extension ≈ −16° marked, right ≈ +2.5° possible), forward trunk lean (≈ 20°, at the "
                "possible/marked border), dynamic knee valgus (FPPA right ≈ 41° marked, left ≈ 12° possible: hip "
                "internal rotation 13–17° with ≈ 60° knee flexion), step-length asymmetry (≈ 1.28); hip hiking "
                "and circumduction at their thresholds; no knee guarding (knee flexion never below ≈ 55°) and no "
                "foot drop", sided=False, valid_range=(0.0, 1.0)),
)}


def resolve(specs) -> list[PatternSpec]:
    """Validated copies of ``specs`` with default magnitudes filled in; ValueError listing the choices."""
    out = []
    for sp in specs:
        info = CATALOGUE.get(sp.name)
        if info is None:
            raise ValueError(f"unknown pattern '{sp.name}'; valid patterns: {', '.join(CATALOGUE)}")
        side = sp.side if info.sided else "both"
        if info.sided and side not in SIDES:
            raise ValueError(f"pattern '{sp.name}' needs --side left or right, not '{sp.side}'")
        m = info.default_magnitude if sp.magnitude is None else float(sp.magnitude)
        lo, hi = info.valid_range
        if not lo <= m <= hi:
            raise ValueError(f"pattern '{sp.name}': magnitude {m:g} {info.unit} outside the range this model "
                             f"realises ({lo:g} to {hi:g} {info.unit})")
        out.append(PatternSpec(sp.name, side, m))
    names = [(s.name, s.side) for s in out]
    if len(set(names)) != len(names):
        raise ValueError("the same pattern is given twice for one side")
    return out


# ------------------------------------------------------------------------------------ phase curves
def smootherstep(u):
    """0 → 1 with zero first and second derivatives at both ends (u clipped to [0, 1])."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (u * (6.0 * u - 15.0) + 10.0)


def window(phase, rise0: float, rise1: float, fall0: float, fall1: float) -> np.ndarray:
    """Periodic smooth trapezoid over the cycle: 0 before ``rise0``, 1 on [``rise1``, ``fall0``], 0 after
    ``fall1`` (phases in cycles, increasing, spanning less than one cycle; may pass 1)."""
    u = (np.asarray(phase, dtype=float) - rise0) % 1.0
    up = smootherstep(u / (rise1 - rise0))
    down = 1.0 - smootherstep((u - (fall0 - rise0)) / (fall1 - fall0))
    return np.where(u < fall1 - rise0, np.minimum(up, down), 0.0)


class PhaseCurve:
    """A periodic curve sampled on :data:`PHASE_GRID`, linearly interpolated."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)
        self._ext = np.r_[self.values, self.values[0]]

    of = classmethod(lambda cls, values: cls(values))

    def __call__(self, phase) -> np.ndarray:
        x = (np.asarray(phase, dtype=float) % 1.0) * PHASE_GRID_N
        i = np.minimum(x.astype(int), PHASE_GRID_N - 1)
        f = x - i
        return (1.0 - f) * self._ext[i] + f * self._ext[i + 1]


def hump_scale_delta(curve: np.ndarray, drops, search) -> np.ndarray:
    """Change of ``curve`` (on :data:`PHASE_GRID`) that lowers the peak of hump i by ``drops[i]``.

    ``search`` is a list of phase intervals, one per hump boundary (cyclic order), where the curve has a
    local minimum. Within a hump the curve is scaled about the straight line joining its boundary minima,
    so the peak stays where it was and the curve is unchanged at the boundaries.
    """
    mins = []
    for lo, hi in search:
        idx = np.flatnonzero(((PHASE_GRID - lo) % 1.0) <= (hi - lo))
        mins.append(int(idx[np.argmin(curve[idx])]))
    delta = np.zeros_like(curve)
    n = len(curve)
    for (a, b), drop in zip(zip(mins, mins[1:] + mins[:1]), drops):
        idx = np.arange(a, a + ((b - a) % n) + 1) % n
        base = np.linspace(curve[a], curve[b], len(idx))
        excess = curve[idx] - base
        peak = excess.max()
        if peak > 0:
            delta[idx] = -excess * min(drop / peak, 1.0)
    return delta


# ----------------------------------------------------------------------------------- angle model
class PatternAngles:
    """Joint angles (deg) of both legs, pelvis, trunk and arms at the legs' own phases.

    Built from a template (:mod:`.templates`), resolved pattern specs, the hip-flexion gain (scales the
    hip flexion about its cycle mean; solved by the model for the set speed), ``amps``: the internal
    amplitudes (deg) of the calibrated patterns keyed (name, side), and ``arm``: an object with the arm
    swing settings of :class:`~gaitlab.synth.gaitmodel.GaitParams`.
    """

    # Phase windows (own cycle, 0 = heel strike, toe-off ≈ 0.6; rise start, plateau, fall end) where each
    # pattern acts, placed on the events its target is measured at: late swing + heel strike for foot drop
    # (75–100 %), mid-swing for steppage, circumduction and hip hiking, loading response for valgus
    # (peak knee flexion ≈ 13 %), single support for pelvic drop (normal extreme ≈ 16 %) and trunk lean.

    def __init__(self, tmpl, specs, hip_gain: float, amps: dict, arm):
        self.t, self.g, self.arm, self.specs = tmpl, hip_gain, arm, list(specs)
        z = np.zeros(PHASE_GRID_N)
        legd = {s: {j: z.copy() for j in ("hip_flexion", "hip_adduction", "knee_angle", "ankle_angle",
                                         "knee_valgus")} for s in SIDES}
        bodyd = {s: {"pelvis_list": z.copy(), "lean_left": z.copy()} for s in SIDES}
        self.forward_lean = 0.0
        q = PHASE_GRID
        for sp in specs:
            s, m, a = sp.side, sp.magnitude, amps.get((sp.name, sp.side), 0.0)
            sgn = 1.0 if s == "right" else -1.0
            if sp.name == "knee_guarding":  # loading-response hump by m; swing hump calibrated (amp)
                flex = -tmpl.leg(s, "knee_angle", q)
                legd[s]["knee_angle"] -= hump_scale_delta(flex, [m, amps.get((sp.name, s), m)],
                                                          [(-0.15, 0.1), (0.3, 0.55)])
            elif sp.name == "reduced_hip_extension":
                legd[s]["hip_flexion"] += self._hip_extension_delta(s, amps.get((sp.name, s), m))
            elif sp.name == "foot_drop":
                legd[s]["ankle_angle"] -= amps.get((sp.name, s), m) * window(q, 0.62, 0.75, 1.0, 1.08)
                steppage = m * window(q, 0.6, 0.72, 0.82, 0.95)
                legd[s]["hip_flexion"] += steppage
                legd[s]["knee_angle"] -= steppage
            elif sp.name == "step_length_asymmetry":
                legd[s]["hip_flexion"] += a
            elif sp.name == "forward_trunk_lean":
                self.forward_lean += m
            elif sp.name == "pelvic_drop":
                bodyd[s]["pelvis_list"] -= sgn * a * window(q, 0.0, 0.1, 0.25, 0.42)
            elif sp.name == "hip_hiking":
                bodyd[s]["pelvis_list"] -= sgn * a * window(q, 0.58, 0.7, 0.85, 0.97)
            elif sp.name == "lateral_trunk_lean":
                bodyd[s]["lean_left"] -= sgn * a * window(q, 0.02, 0.15, 0.4, 0.55)
            elif sp.name == "knee_valgus":
                legd[s]["knee_valgus"] += a * window(q, -0.05, 0.06, 0.2, 0.35)
            elif sp.name == "circumduction":
                legd[s]["hip_adduction"] -= a * window(q, 0.6, 0.72, 0.86, 0.97)
        for s in SIDES:  # step width: constant hip abduction of both legs (amps[("step_width", "both")])
            legd[s]["hip_adduction"] -= amps.get(("step_width", "both"), 0.0)
        # everything tabulated on the phase grid once: evaluation is then one interpolation per angle
        self.legs = {s: {j: PhaseCurve(legd[s].get(j, 0.0) + (self._hip_flexion(s, q) if j == "hip_flexion" else
                                                             tmpl.leg(s, j, q) if j != "knee_valgus" else 0.0))
                         for j in ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle",
                                   "knee_valgus")} for s in SIDES}
        self.bodyd = {s: {j: PhaseCurve(v) for j, v in d.items()} for s, d in bodyd.items()}
        self.body = {b: PhaseCurve(f(q)) for b, f in tmpl.body.items()}
        # the walking direction defines yaw 0: the source's constant pelvis rotation is removed (the trunk
        # keeps its world yaw), else every step would drift sideways
        yaw0 = tmpl.body["pelvis_rotation"].mean
        self.body["pelvis_rotation"] = PhaseCurve(tmpl.body["pelvis_rotation"](q) - yaw0)
        self.body["lumbar_rotation"] = PhaseCurve(tmpl.body["lumbar_rotation"](q) + yaw0)

    def _hip_flexion(self, side, q):
        return self.t.legs[side]["hip_flexion"].scaled_about_mean(self.g)(q)

    def _hip_extension_delta(self, side, m):
        """Hip-flexion change that keeps the thigh (tilt + hip flexion) from extending beyond its trough + m:
        a soft floor, thigh' = F + k·ln(1 + e^((thigh − F)/k)), F = trough + m, k = THIGH_FLOOR_SOFTNESS_DEG."""
        q = PHASE_GRID
        right = q if side == "right" else (q + self.t.left_heel_strike_phase) % 1.0
        thigh = self._hip_flexion(side, q) + self.t.body["pelvis_tilt"](right)
        floor, k = thigh.min() + m, THIGH_FLOOR_SOFTNESS_DEG
        return floor + k * np.logaddexp(0.0, (thigh - floor) / k) - thigh

    def __call__(self, ph_r, ph_l) -> dict:
        ph = {"right": np.asarray(ph_r, float) % 1.0, "left": np.asarray(ph_l, float) % 1.0}
        shift = self.t.left_heel_strike_phase  # as GaitTemplate.body_angle: half driven by each leg
        body = {b: 0.5 * f(ph["right"]) + 0.5 * f(ph["left"] + shift) for b, f in self.body.items()}
        dlist = sum(self.bodyd[s]["pelvis_list"](ph[s]) for s in SIDES)
        body["pelvis_list"] = body["pelvis_list"] + dlist
        body["trunk_lean_left"] = sum(self.bodyd[s]["lean_left"](ph[s]) for s in SIDES)
        body["trunk_forward_lean"] = np.full(ph["right"].shape, self.forward_lean)
        out = {"body": body}
        for s in SIDES:
            q = ph[s]
            # pelvic-list patterns: the hips adduct/abduct so that the legs keep their world orientation
            comp = -dlist if s == "right" else dlist
            out[s] = {j: f(q) for j, f in self.legs[s].items()}
            out[s]["hip_adduction"] = out[s]["hip_adduction"] + comp
            other = ph["left" if s == "right" else "right"]  # each arm swings with the other leg
            c = np.cos(2 * np.pi * other)
            out[s]["shoulder_flexion"] = self.arm.shoulder_mean_deg + self.arm.arm_swing_deg * c
            out[s]["elbow_flexion"] = self.arm.elbow_mean_deg + self.arm.elbow_swing_deg * c
        return out


# ----------------------------------------------------------------------------- §3 target measures
def ortho_angles(lm3d, plane: str) -> dict:
    """CLINICAL §3 angles (via gait.kinematics) of path-frame landmarks seen orthographically from the
    walker's right side ('sagittal': forward, up) or from behind ('frontal': right, up)."""
    from ..gait.kinematics import _frontal, _sagittal

    w = lm3d[..., [0, 2]] if plane == "sagittal" else np.stack([-lm3d[..., 1], lm3d[..., 2]], -1)
    return (_sagittal if plane == "sagittal" else _frontal)(w)


def _stride_rows(t_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return np.flatnonzero((t_s >= start_s - 1e-9) & (t_s < end_s - 1e-9))


def strides(events, side: str):
    """[(hs, to, next_hs)] of one side from (time_s, side, kind) events (complete strides only)."""
    hs = sorted(t for t, s, k in events if s == side and k == "HS")
    to = sorted(t for t, s, k in events if s == side and k == "TO")
    out = []
    for a, b in zip(hs, hs[1:]):
        t_off = [t for t in to if a < t < b]
        if t_off:
            out.append((a, t_off[0], b))
    return out


def per_stride(t_s, values, events, side: str, measure) -> np.ndarray:
    """``measure(rows, hs, to, next_hs)`` for every complete stride of ``side`` covered by ``t_s``."""
    t = np.asarray(t_s, dtype=float)
    out = []
    for hs, to, nxt in strides(events, side):
        if hs < t[0] or nxt > t[-1]:
            continue
        out.append(measure(values, hs, to, nxt))
    return np.array(out, dtype=float)


def pelvic_drop_deg(t_s, obliquity_deg, events, side: str) -> np.ndarray:
    """Per stride of ``side`` (stance side): obliquity at its heel strike minus its extreme toward the
    swing side in 0–40 % of the stride (CLINICAL §3), positive = the swing side dropped. Obliquity
    + = the subject's right hip up."""
    t, ob = np.asarray(t_s), np.asarray(obliquity_deg)
    toward_swing_up = 1.0 if side == "right" else -1.0  # swing side down = stance side relatively up

    def m(_, hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.4 * (nxt - hs))
        base = np.interp(hs, t, ob)
        return float(np.max(toward_swing_up * (ob[rows] - base)))
    return per_stride(t, ob, events, side, m)


def hip_hiking_deg(t_s, obliquity_deg, events, side: str) -> np.ndarray:
    """Per stride of the *other* side: rise of ``side``'s (swing-side) hip above the obliquity at the
    other side's heel strike, in 0–40 % of that stride (CLINICAL §3)."""
    t, ob = np.asarray(t_s), np.asarray(obliquity_deg)
    up = 1.0 if side == "right" else -1.0

    def m(_, hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.4 * (nxt - hs))
        return float(np.max(up * (ob[rows] - np.interp(hs, t, ob))))
    return per_stride(t, ob, events, OTHER[side], m)


def lateral_trunk_lean_deg(t_s, lean_right_deg, events, side: str) -> np.ndarray:
    """Per stride of ``side``: largest lean toward ``side`` during its stance, minus the stride mean
    (lean + = toward the subject's right)."""
    t, lean = np.asarray(t_s), np.asarray(lean_right_deg)
    toward = 1.0 if side == "right" else -1.0

    def m(_, hs, to, nxt):
        stride = _stride_rows(t, hs, nxt)
        stance = _stride_rows(t, hs, to)
        return float(np.max(toward * lean[stance]) - np.mean(toward * lean[stride]))
    return per_stride(t, lean, events, side, m)


def fppa_deg(t_s, fppa, knee_flexion_deg, events, side: str) -> np.ndarray:
    """Per stride: FPPA at the frame of peak knee flexion in the first 20 % of stance (CLINICAL §3)."""
    t, f, k = np.asarray(t_s), np.asarray(fppa), np.asarray(knee_flexion_deg)

    def m(_, hs, to, nxt):
        rows = _stride_rows(t, hs, hs + 0.2 * (to - hs))
        return float(f[rows[np.argmax(k[rows])]])
    return per_stride(t, f, events, side, m)


def lateral_swing_excursion_hw(t_s, ankle_xy_m, hip_width_m, events, side: str) -> np.ndarray:
    """Per swing (toe-off → next heel strike) of ``side``: the ankle's largest distance (floor plane)
    from the line joining its toe-off and heel-strike positions, divided by the hip width."""
    t, a = np.asarray(t_s), np.asarray(ankle_xy_m)
    out = []
    for hs, to, nxt in strides(events, side):
        if to < t[0] or nxt > t[-1]:
            continue
        rows = _stride_rows(t, to, nxt)
        p0 = np.array([np.interp(to, t, a[:, 0]), np.interp(to, t, a[:, 1])])
        p1 = np.array([np.interp(nxt, t, a[:, 0]), np.interp(nxt, t, a[:, 1])])
        u = (p1 - p0) / np.linalg.norm(p1 - p0)
        d = np.abs((a[rows, 0] - p0[0]) * u[1] - (a[rows, 1] - p0[1]) * u[0])
        out.append(float(d.max() / hip_width_m))
    return np.array(out)


def sagittal_stride_metrics(t_s, angles: dict, events, side: str) -> dict[str, np.ndarray]:
    """Per-stride sagittal §5/§6 quantities of ``side`` from per-frame angle arrays (deg):
    ``knee_flexion``, ``thigh``, ``ankle_dorsiflexion``, ``trunk_inclination``."""
    t = np.asarray(t_s)
    k, th, df, tr = (np.asarray(angles[c]) for c in ("knee_flexion", "thigh", "ankle_dorsiflexion",
                                                      "trunk_inclination"))

    def rows(a, b):
        return _stride_rows(t, a, b)

    meas = {
        # loading response: peak knee flexion in the first 25 % of the stride (normal peak ≈ 13 %)
        "loading_knee_flexion_deg": lambda hs, to, nx: np.max(k[rows(hs, hs + 0.25 * (nx - hs))]),
        "peak_swing_knee_flexion_deg": lambda hs, to, nx: np.max(k[rows(to, nx)]),
        "peak_thigh_extension_deg": lambda hs, to, nx: -np.min(th[rows(hs, to)]),
        "peak_swing_thigh_deg": lambda hs, to, nx: np.max(th[rows(to, nx)]),
        "late_swing_dorsiflexion_deg": lambda hs, to, nx: np.mean(df[rows(hs + 0.75 * (nx - hs), nx)]),
        "peak_stance_dorsiflexion_deg": lambda hs, to, nx: np.max(df[rows(hs, to)]),
        "mean_trunk_inclination_deg": lambda hs, to, nx: np.mean(tr[rows(hs, nx)]),
    }
    return {name: per_stride(t, None, events, side, lambda _, hs, to, nx, f=f: float(f(hs, to, nx)))
            for name, f in meas.items()}


# ------------------------------------------------------------------------------- truth of a walk
def stride_table(walk, heels_at_hs: np.ndarray):
    """Per-stride truth of a :class:`~gaitlab.synth.gaitmodel.ModelWalk` (OpenCap formulas, CLINICAL §3).

    Columns: side, hs_s, to_s, next_hs_s, stride_time_s, step_time_s (previous contralateral HS → this
    HS), stance_s, swing_s, stance_pct, double_support_pct ((stance − contralateral swing) / stride),
    step_length_m (this heel ahead of the other at this HS, along the path), stride_length_m,
    cadence_steps_min (120 / stride time), segment ("straight" when the whole stride is walked forward
    on a straight, else "turn"/"backward"). ``heels_at_hs``: path-frame landmarks at each HS event.
    """
    import pandas as pd

    from ..model import LM

    hs_all = [(t, s) for t, s, k in walk.events if k == "HS"]
    hs_row = {round(t, 9): i for i, (t, _) in enumerate(hs_all)}
    rows = []
    for side in SIDES:
        other = OTHER[side]
        o_hs = np.array([t for t, s in hs_all if s == other])
        o_to = np.array([t for t, s, k in walk.events if s == other and k == "TO"])
        for hs, to, nxt in strides(walk.events, side):
            before = o_hs[o_hs < hs]
            swing_o = [(a, b) for a in o_to for b in o_hs  # the other side's swing inside this stride
                       if hs <= a < b <= nxt and not o_hs[(o_hs > a) & (o_hs < b)].size]
            h = heels_at_hs[hs_row[round(hs, 9)]]
            seg = walk.segment[(walk.t_s >= hs) & (walk.t_s <= nxt)]
            nxt_h = heels_at_hs[hs_row[round(nxt, 9)]] if round(nxt, 9) in hs_row else None
            stride = nxt - hs
            kind = "straight" if np.all(seg == "straight") else "backward" if np.any(seg == "backward") else "turn"
            rows.append(dict(
                side=side, hs_s=hs, to_s=to, next_hs_s=nxt, stride_time_s=stride,
                step_time_s=hs - before[-1] if before.size else np.nan, stance_s=to - hs, swing_s=nxt - to,
                stance_pct=100 * (to - hs) / stride,
                double_support_pct=100 * ((to - hs) - (swing_o[0][1] - swing_o[0][0])) / stride if swing_o else np.nan,
                step_length_m=h[LM[f"{side}_heel"], 0] - h[LM[f"{other}_heel"], 0],
                stride_length_m=(nxt_h[LM[f"{side}_heel"], 0] - h[LM[f"{side}_heel"], 0]
                                 if nxt_h is not None else np.nan),
                cadence_steps_min=120.0 / stride, segment=kind,
            ))
    return pd.DataFrame(rows)


def walk_summary(walk) -> dict:
    """Per-side means over the straight forward strides of a walk, with §3 definitions applied to the
    model's own landmarks seen orthographically (sagittal: from the walker's side in the path frame;
    frontal: from behind): temporal/spatial values, sagittal angle metrics, pelvic drop, hip hiking,
    lateral trunk lean, knee FPPA, lateral swing-foot excursion; plus left/right ratios."""
    from ..model import LM

    st = walk.strides[walk.strides.segment == "straight"] if len(walk.strides) else walk.strides
    sag = ortho_angles(walk.path_m, "sagittal")
    fr = ortho_angles(walk.path_m, "frontal")
    t = walk.t_s
    hips = walk.path_m[:, LM["left_hip"]] - walk.path_m[:, LM["right_hip"]]
    hip_w = float(np.nanmedian(np.linalg.norm(hips, axis=1)))
    out: dict = {"n_strides": {}, "hip_width_m": hip_w}
    ranges = walk.straight_ranges()

    def pooled(fn):
        vals = [fn([e for e in walk.events if a <= e[0] <= b]) for a, b in ranges]
        vals = [v for v in vals if len(v)]
        return float(np.mean(np.concatenate(vals))) if vals else float("nan")

    for i, side in enumerate(SIDES):
        g = st[st.side == side] if len(st) else st
        out["n_strides"][side] = int(len(g))
        d = {c: float(g[c].mean()) if len(g) else float("nan") for c in (
            "stride_time_s", "step_time_s", "stance_s", "swing_s", "stance_pct", "double_support_pct",
            "step_length_m", "stride_length_m", "cadence_steps_min")}
        d["stride_time_cv_pct"] = (float(100 * g.stride_time_s.std(ddof=1) / g.stride_time_s.mean())
                                   if len(g) > 1 else float("nan"))
        angles = {"knee_flexion": sag["knee_flexion_deg"][:, i], "thigh": sag["thigh_angle_deg"][:, i],
                  "ankle_dorsiflexion": sag["ankle_dorsiflexion_deg"][:, i],
                  "trunk_inclination": sag["trunk_inclination_deg"][:, i]}
        for name in ("loading_knee_flexion_deg", "peak_swing_knee_flexion_deg", "peak_thigh_extension_deg",
                     "peak_swing_thigh_deg", "late_swing_dorsiflexion_deg", "peak_stance_dorsiflexion_deg",
                     "mean_trunk_inclination_deg"):
            d[name] = pooled(lambda ev, n=name: sagittal_stride_metrics(t, angles, ev, side)[n])
        ob, lean = fr["pelvic_obliquity_deg"][:, 0], fr["lateral_trunk_lean_deg"][:, 0]
        d["pelvic_drop_deg"] = pooled(lambda ev: pelvic_drop_deg(t, ob, ev, side))
        d["hip_hiking_deg"] = pooled(lambda ev: hip_hiking_deg(t, ob, ev, side))
        d["lateral_trunk_lean_deg"] = pooled(lambda ev: lateral_trunk_lean_deg(t, lean, ev, side))
        d["knee_fppa_deg"] = pooled(lambda ev: fppa_deg(t, fr["knee_fppa_deg"][:, i], sag["knee_flexion_deg"][:, i],
                                                        ev, side))
        d["lateral_swing_excursion_hw"] = pooled(lambda ev: lateral_swing_excursion_hw(
            t, walk.path_m[:, LM[f"{side}_ankle"], :2], hip_w, ev, side))
        out[side] = d
    L, R = out["left"], out["right"]
    out["ratios_left_over_right"] = {"stance_time": L["stance_s"] / R["stance_s"],
                                     "step_time": L["step_time_s"] / R["step_time_s"],
                                     "step_length": L["step_length_m"] / R["step_length_m"]}
    if len(st):
        out["cadence_steps_min"] = float(120.0 / st.stride_time_s.mean())
        out["speed_m_s"] = float(st.stride_length_m.sum() / st.stride_time_s.sum())
    return out
