"""Calibration of a parameter set: the hip-flexion gain that gives the set speed, and the internal
amplitudes of the patterns that make the CLINICAL §3 measure of each pattern's target equal its
magnitude (see :mod:`gaitlab.synth.patterns`)."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from ..model import LM, N_LANDMARKS
from . import measures as ms
from . import patterns as pt
from .bodymodel import BodySim
from .kinematics3d import leg_chain, mv, pelvis_frame, trunk_frame
from .params import GaitParams
from .templates import OTHER, SIDES
from .timing import Timing, setup

#: Calibration walks: strides simulated (the first and last are not measured) and sampling interval (s).
QUICK_STRIDES, QUICK_GRID_S = 4.5, 0.005
SIM_LEVEL = ("step_length_asymmetry", "circumduction", "knee_guarding", "foot_drop", "reduced_hip_extension")
SPEED_EXEMPT = ("reduced_hip_extension",)
CYCLE_LEVEL = ("pelvic_drop", "hip_hiking", "lateral_trunk_lean", "knee_valgus")


def cycle_targets(ang: pt.PatternAngles, tm: Timing, p: GaitParams) -> dict:
    """§3 measures of the cycle-level patterns over one symmetric template cycle (phase grid)."""
    q = pt.PHASE_GRID
    shift = ang.t.left_heel_strike_phase
    a = ang(q, q - shift)
    Rp = pelvis_frame(a["body"])
    Rtr = trunk_frame(a["body"], Rp, lumbar_sideways=False)  # (the walk also bends and turns the lumbar spine)
    h, pr = p.height_m, p.proportions
    lm = np.full((len(q), N_LANDMARKS, 3), np.nan)
    for side in SIDES:
        sg = 1.0 if side == "right" else -1.0
        _, *joints = leg_chain(Rp, a[side], side, pr.hip_width * h, pr.thigh * h, pr.shank * h)
        for name, v in zip(("hip", "knee", "ankle"), joints):
            lm[:, LM[f"{side}_{name}"]] = v
        lm[:, LM[f"{side}_shoulder"]] = mv(Rtr, [0.0, -sg * pr.shoulder_width * h / 2, pr.trunk * h])
    fr = ms.ortho_angles(lm, "frontal")
    obl, lean = fr["pelvic_obliquity_deg"][:, 0], fr["lateral_trunk_lean_deg"][:, 0]
    dy = lm[:, LM["left_ankle"], 1] - lm[:, LM["right_ankle"], 1]
    out = {("step_width", "both"): 0.5 * (dy[0] + dy[int(round(shift * len(q)))])}  # at both heel strikes
    for side, i in (("left", 0), ("right", 1)):
        roll = (lambda x, o=(shift if side == "left" else 0.0): np.roll(x, -int(round(o * len(q)))))
        up = 1.0 if side == "right" else -1.0
        own_obl, oth_obl = roll(obl), np.roll(roll(obl), -len(q) // 2)
        w40 = q < 0.4
        out[("pelvic_drop", side)] = np.max(up * (own_obl[w40] - own_obl[0]))
        out[("hip_hiking", side)] = np.max(up * (oth_obl[w40] - oth_obl[0]))
        toward = up * roll(lean)
        out[("lateral_trunk_lean", side)] = np.max(toward[q < tm.stance[side]]) - toward.mean()
        knee = -roll(a[side]["knee_angle"])
        early = np.flatnonzero(q < 0.2 * tm.stance[side])
        out[("knee_valgus", side)] = roll(fr["knee_fppa_deg"][:, i])[early[np.argmax(knee[early])]]
    return out


class QuickWalks:
    """Short walks without variability (:data:`QUICK_STRIDES` strides) of one parameter set, by angle model
    (patterns, hip gain, amplitudes), and their speed and sim-level pattern measures. Memoised: the
    rounds of the root finding come back to walks already simulated (a last round that moves nothing
    evaluates every target again)."""

    def __init__(self, p: GaitParams, tmpl, tm: Timing):
        self.p, self.tmpl, self.tm = replace(p, backward=(), turns=0, treadmill=False), tmpl, tm
        self._walks: dict = {}

    def targets(self, specs, g: float, amps: dict, patterns: bool = True) -> dict:
        """Speed and (``patterns``) the sim-level pattern measures of the walk."""
        key = (tuple(specs), g, tuple(sorted(amps.items())))
        if key not in self._walks:
            T = self.tm.stride_s
            sim = BodySim(self.p, pt.PatternAngles(self.tmpl, specs, g, amps, self.p), self.tm, 0.0, QUICK_STRIDES * T)
            # no variability: every stride alike, two measured strides are enough
            runs = [r for r in sim.runs if not r["open_on"] and T < r["t_on"] < (QUICK_STRIDES - 1) * T]
            x = {s: [r["H"][0] for r in runs if r["side"] == s] for s in SIDES}
            self._walks[key] = (sim, runs, {"speed": np.mean([np.mean(np.diff(v)) for v in x.values()]) / T})
        sim, runs, out = self._walks[key]
        if patterns and any(sp.name in SIM_LEVEL for sp in specs) and len(out) == 1:
            out.update(self._pattern_measures(sim, runs))
        return out

    def _pattern_measures(self, sim: BodySim, runs: list) -> dict:
        T, out = self.tm.stride_s, {}
        t = np.arange(T, (QUICK_STRIDES - 1) * T, QUICK_GRID_S)
        ev = sim.evaluate(t)
        hs = np.array([r["t_on"] for r in runs])
        heels = sim.evaluate(hs)["landmarks"]
        events = [(r["t_on"], r["side"], "HS") for r in runs] + [(r["t_off"], r["side"], "TO") for r in runs]
        sgn = np.array([1.0 if r["side"] == "left" else -1.0 for r in runs])
        step = sgn * (heels[:, LM["left_heel"], 0] - heels[:, LM["right_heel"], 0])  # landing heel ahead
        sag = ms.ortho_angles(ev["landmarks"], "sagittal")
        met = {side: ms.sagittal_stride_metrics(t, {
            "knee_flexion": sag["knee_flexion_deg"][:, i], "thigh": sag["thigh_angle_deg"][:, i],
            "ankle_dorsiflexion": sag["ankle_dorsiflexion_deg"][:, i],
            "trunk_inclination": sag["trunk_inclination_deg"][:, i]}, events, side) for i, side in enumerate(SIDES)}
        for side in SIDES:
            mine, o = np.array([r["side"] == side for r in runs]), met[OTHER[side]]
            out[("step_length_asymmetry", side)] = 100.0 * (step[mine].mean() / step[~mine].mean() - 1.0)
            out[("circumduction", side)] = ms.lateral_swing_excursion_hw(
                t, ev["landmarks"][:, LM[f"{side}_ankle"], :2], sim.hw, events, side).mean()
            for key, name in (("knee_guarding", "peak_swing_knee_flexion_deg"),
                              ("foot_drop", "late_swing_dorsiflexion_deg"),
                              ("reduced_hip_extension", "peak_thigh_extension_deg")):
                out[(key, side)] = np.mean(o[name]) - np.mean(met[side][name])
        return out


def solve_root(f, x0, dx, tol, lo, hi, n=12) -> float:
    """Root of f near x0 in [lo, hi]: secant steps kept inside the bounds, bisection once bracketed."""
    f0 = f(x0)
    if abs(f0) < tol:
        return float(x0)
    xs = [x0, float(np.clip(x0 + dx, lo, hi))]
    fs = [f0, f(xs[1])]
    for _ in range(n):
        if abs(fs[-1]) < tol:
            break
        (xa, fa), (xb, fb) = (xs[-2], fs[-2]), (xs[-1], fs[-1])
        if fa * fb < 0:
            x = 0.5 * (xa + xb) if abs(fa - fb) < 1e-12 else xb - fb * (xb - xa) / (fb - fa)
            if not min(xa, xb) < x < max(xa, xb):
                x = 0.5 * (xa + xb)
        else:
            x = xb - fb * (xb - xa) / (fb - fa) if fb != fa else xb + dx
        x = float(np.clip(x, lo, hi))
        fx = f(x)
        if fa * fb < 0 and fa * fx < 0:  # keep the bracket
            xs, fs = [xa, x], [fa, fx]
        else:
            xs, fs = [xb, x], [fb, fx]
    return xs[-1]


@lru_cache(maxsize=128)
def calibrate(p: GaitParams) -> tuple[float, tuple]:
    """(hip-flexion gain for the set speed, internal pattern amplitudes) of a walk; cached.

    Coordinate-wise root finding, repeated (at most 3 rounds) until a round changes nothing: the
    amplitudes interact weakly (e.g. a longer step needs a smaller hip gain)."""
    specs, tmpl, tm = setup(p)
    base = replace(p, patterns=())
    g = calibrate(base)[0] if p.patterns else 1.0  # the unpatterned gain is a good start
    amps: dict = {}
    cyc = [pt.PatternSpec("step_width", "both", p.step_width_m)] + [sp for sp in specs if sp.name in CYCLE_LEVEL]
    sim = [sp for sp in specs if sp.name in SIM_LEVEL]
    # reduced hip extension shortens the other side's step: the walk is slower, not the other leg changed
    speed_specs = [sp for sp in specs if sp.name not in SPEED_EXEMPT]
    walks = QuickWalks(p, tmpl, tm)
    for _ in range(3):
        moved = False

        def solve(f, x0, dx, tol, lo, hi):
            nonlocal moved
            x = solve_root(f, x0, dx, tol, lo, hi)
            moved |= x != x0
            return x
        for sp in cyc:
            key = (sp.name, sp.side)
            tol, x0 = (1e-4, 0.0) if sp.name == "step_width" else (0.01, sp.magnitude)
            amps[key] = solve(lambda a: cycle_targets(pt.PatternAngles(tmpl, specs, g, {**amps, key: a}, p), tm,
                                                       p)[key] - sp.magnitude, amps.get(key, x0), 1.0, tol, -40.0, 60.0)
        g = solve(lambda x: walks.targets(speed_specs, x, amps, False)["speed"] - p.speed_m_s, g, 0.05, 1e-4, 0.2, 3.0)
        for sp in sim:
            key = (sp.name, sp.side)
            guess = {"step_length_asymmetry": 0.2 * sp.magnitude, "circumduction": 10.0 * sp.magnitude}.get(
                sp.name, sp.magnitude)
            amps[key] = solve(lambda a: walks.targets(specs, g, {**amps, key: a})[key] - sp.magnitude,
                              amps.get(key, guess), 1.0, 0.002 * max(1.0, sp.magnitude), -20.0, 40.0)
        if not moved:
            break
    return g, tuple(sorted(amps.items()))

