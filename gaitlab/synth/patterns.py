"""Compensatory-pattern catalogue of the 3D gait model and the joint-angle model that injects them.

Each pattern changes one target quantity by its magnitude and, as far as the kinematics allow, leaves
the others normal (CLINICAL.md §5); :data:`CATALOGUE` says what it changes, in which unit, and which §6
flag it should raise. How a pattern acts on the model:

* temporal patterns (antalgic, step-time asymmetry, irregular stride timing) change the timing plan of
  heel strikes and toe-offs (:mod:`gaitlab.synth.timing`); the legs' contact sequence stays
  consistent (double support > 0 on both sides);
* angle patterns add a smooth phase curve (:class:`PhaseCurve`) to a joint angle of one leg, or to the
  pelvis / trunk while that leg is in the named phase (:class:`PatternAngles`). Forward trunk lean and
  the loading-response part of knee guarding are exact by construction; every other one has an internal
  amplitude that the model calibrates (:func:`gaitlab.synth.calibration.calibrate`) so that the §3
  measure of its target, computed by :mod:`gaitlab.synth.measures` on the model's own landmarks, equals
  the magnitude — on one template cycle (pelvic drop, hip hiking, lateral trunk lean, knee valgus) or on
  a short simulated walk (step-length asymmetry, circumduction, swing knee guarding, foot drop, reduced
  hip extension).

Sides are the subject's; magnitudes in the units of :data:`CATALOGUE`. Thresholds quoted in
``expected_flag`` are the CLINICAL.md §6 screening defaults (≤ 30 fps values).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .templates import SIDES

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


@lru_cache(maxsize=256)
def on_grid(series) -> np.ndarray:
    """A template curve (:class:`~gaitlab.synth.templates.FourierSeries`) on :data:`PHASE_GRID` (read-only)."""
    values = series(PHASE_GRID)
    values.flags.writeable = False
    return values


class PhaseCurve:
    """A periodic curve sampled on :data:`PHASE_GRID`, linearly interpolated."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=float)
        self._ext = np.r_[self.values, self.values[0]]

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
                flex = -on_grid(tmpl.legs[s]["knee_angle"])
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
        self.legs = {s: {j: PhaseCurve(legd[s].get(j, 0.0) + (self._hip_flexion(s) if j == "hip_flexion" else
                                                             on_grid(tmpl.legs[s][j]) if j != "knee_valgus" else 0.0))
                         for j in ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle",
                                   "knee_valgus")} for s in SIDES}
        self.bodyd = {s: {j: PhaseCurve(v) for j, v in d.items()} for s, d in bodyd.items()}
        self.body = {b: PhaseCurve(on_grid(f)) for b, f in tmpl.body.items()}
        # the walking direction defines yaw 0: the source's constant pelvis rotation is removed (the trunk
        # keeps its world yaw), else every step would drift sideways
        yaw0 = tmpl.body["pelvis_rotation"].mean
        self.body["pelvis_rotation"] = PhaseCurve(on_grid(tmpl.body["pelvis_rotation"]) - yaw0)
        self.body["lumbar_rotation"] = PhaseCurve(on_grid(tmpl.body["lumbar_rotation"]) + yaw0)

    def _hip_flexion(self, side):
        return on_grid(self.t.legs[side]["hip_flexion"].scaled_about_mean(self.g))

    def _hip_extension_delta(self, side, m):
        """Hip-flexion change that keeps the thigh (tilt + hip flexion) from extending beyond its trough + m:
        a soft floor, thigh' = F + k·ln(1 + e^((thigh − F)/k)), F = trough + m, k = THIGH_FLOOR_SOFTNESS_DEG."""
        q = PHASE_GRID
        right = q if side == "right" else (q + self.t.left_heel_strike_phase) % 1.0
        thigh = self._hip_flexion(side) + self.t.body["pelvis_tilt"](right)
        floor, k = thigh.min() + m, THIGH_FLOOR_SOFTNESS_DEG
        return floor + k * np.logaddexp(0.0, (thigh - floor) / k) - thigh

    def __call__(self, ph_r, ph_l) -> dict:
        ph = {"right": np.asarray(ph_r, float) % 1.0, "left": np.asarray(ph_l, float) % 1.0}
        # pelvis/lumbar: half driven by each leg, ½ f(φ_R) + ½ f(φ_L + left HS phase), which is f(φ_R) exactly
        # when the steps are as in the source and follows each leg's timing when they are not
        shift = self.t.left_heel_strike_phase
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
