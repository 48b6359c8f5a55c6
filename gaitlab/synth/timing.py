"""Timing plan of a simulated walk: heel strikes and toe-offs, and each leg's phase between them.

A plan of heel strikes (steps with stride-to-stride variability) and toe-offs (stance fraction per
side). Each leg's phase is a monotone cubic (PCHIP) warp through its heel strike, the other leg's
toe-off and heel strike and its own toe-off, placed at the template's phases of these events, so the
legs keep the template's relative configuration at every event. Times are *walking time* τ: real time
with the backward segments running backwards (:func:`walking_time`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from . import patterns as pt
from .params import GaitParams, default_cadence
from .templates import CROUCH, NORMAL, OTHER, SIDES

#: Double support and swing are kept above these fractions of the stride when variability is drawn.
MIN_DOUBLE_SUPPORT, MIN_SWING = 0.03, 0.25


@dataclass
class Timing:
    """Mean timing of a walk (the plan draws the variability around it)."""

    stride_s: float
    stance: dict  # side -> stance fraction
    step_fraction: dict  # side -> mean share of the stride of the step ending at that side's heel strike
    cv: float
    toe_off_phase: float  # template phase of toe-off


def plan_steps(tm: Timing, tau0: float, tau1: float, rng) -> dict:
    """Heel strikes and toe-offs (walking time τ) from ``tau0`` − 3 strides to ``tau1`` + 3 strides.

    Steps alternate (right first); each step's duration is its mean plus Gaussian noise with
    SD = CV·stride/√2 (a stride is two independent steps, so both sides' strides get the set CV), the
    noise standardised per side over the plan so that the mean cadence and the step SD are exact. Each
    toe-off lies at the side's stance fraction of its own stride, kept ≥ 3 % of the stride after the
    other heel strike and ≥ 25 % before the next own one.
    """
    T = tm.stride_s
    n = int(np.ceil((tau1 - tau0) / T * 2)) + 14
    side = np.array(["right" if j % 2 == 0 else "left" for j in range(n)])
    noise = rng.standard_normal(n)
    for par in (0, 1):  # exactly zero mean and the set SD over the plan, per side
        noise[par::2] = (noise[par::2] - noise[par::2].mean()) / max(noise[par::2].std(), 1e-12)
    noise *= tm.cv * T / np.sqrt(2.0)
    dur = np.array([tm.step_fraction[s] * T for s in side]) + noise
    dur = np.maximum(dur, 0.25 * T)
    hs = tau0 - 3 * T + np.concatenate([[0.0], np.cumsum(dur[1:])])
    to = np.full(n, np.nan)
    for j in range(n - 2):
        stride = hs[j + 2] - hs[j]
        to[j] = np.clip(hs[j] + tm.stance[side[j]] * stride, hs[j + 1] + MIN_DOUBLE_SUPPORT * stride,
                        hs[j + 2] - MIN_SWING * stride)
    phase = {}
    s0 = tm.toe_off_phase
    for s in SIDES:
        knots, vals = [], []
        for k, j in enumerate(np.flatnonzero((side == s) & np.isfinite(to))):
            # own HS, other's TO, other's HS, own TO at the template's phases of these events, so that both
            # legs are in the template's relative configuration at every event (e.g. step lengths)
            pts = ([(hs[j], k)] + ([(to[j - 1], k + s0 - 0.5)] if j >= 1 else [])
                   + [(hs[j + 1], k + 0.5), (to[j], k + s0)])
            knots += [a for a, _ in pts]
            vals += [b for _, b in pts]
        phase[s] = PchipInterpolator(knots, vals, extrapolate=True)
    return {"hs": hs[:-2], "to": to[:-2], "side": side[:-2], "phase": phase}


def walking_time(t, backward) -> np.ndarray:
    """Walking time: real time with the backward segments running backwards."""
    t = np.asarray(t, dtype=float)
    tau = t.copy()
    for b0, d in backward:
        tau -= 2.0 * np.clip(t - b0, 0.0, d)
    return tau


def stance_runs(plan, backward, t_lo, t_hi) -> list[dict]:
    """Stance intervals in real time over [t_lo, t_hi], per side, merged across direction changes."""
    cuts = sorted({t_lo, t_hi, *(c for b0, d in backward for c in (b0, b0 + d) if t_lo < c < t_hi)})
    runs = []
    for s in SIDES:
        m = plan["side"] == s
        a_tau, b_tau = plan["hs"][m], plan["to"][m]
        iv = []
        for u0, u1 in zip(cuts, cuts[1:]):
            ta, tb = walking_time([u0, u1], backward)
            sgn = 1.0 if tb >= ta else -1.0
            lo, hi = min(ta, tb), max(ta, tb)
            for a, b in zip(a_tau, b_tau):
                if b > lo and a < hi:
                    x, y = u0 + sgn * (max(a, lo) - ta), u0 + sgn * (min(b, hi) - ta)
                    iv.append([min(x, y), max(x, y)])
        iv.sort()
        merged = []
        for a, b in iv:
            if merged and a <= merged[-1][1] + 1e-9:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        runs += [dict(side=s, t_on=a, t_off=b, open_on=a <= t_lo + 1e-9, open_off=b >= t_hi - 1e-9)
                 for a, b in merged]
    runs.sort(key=lambda r: r["t_on"])
    for r in runs:  # double-support durations at both ends, for the pelvis blending weights
        others = [o for o in runs if o["side"] != r["side"]]
        on = [o for o in others if o["t_on"] <= r["t_on"] <= o["t_off"]]
        off = [o for o in others if o["t_on"] <= r["t_off"] <= o["t_off"]]
        r["d_on"] = on[0]["t_off"] - r["t_on"] if on and not r["open_on"] else 0.0
        r["d_off"] = r["t_off"] - off[0]["t_on"] if off and not r["open_off"] else 0.0
    return runs


def setup(p: GaitParams):
    """(resolved pattern specs, joint-angle template, :class:`Timing`) of a parameter set; ValueError for
    patterns that leave no double support or swing."""
    specs = pt.resolve(p.patterns)
    crouch = sum(sp.magnitude for sp in specs if sp.name == "crouch")
    tmpl = NORMAL.blend(CROUCH, crouch)
    T = 120.0 / (p.cadence_steps_min or default_cadence(p.speed_m_s, p.height_m))
    s = p.stance_fraction or tmpl.toe_off_phase
    stance = {side: s for side in SIDES}
    frac = {side: 0.5 for side in SIDES}
    cv = p.stride_time_cv
    for sp in specs:
        if sp.name == "antalgic":
            stance[sp.side] = s * (1.0 - sp.magnitude / 100.0)
        elif sp.name == "step_time_asymmetry":
            r = 1.0 + sp.magnitude / 100.0
            frac[sp.side], frac[OTHER[sp.side]] = r / (1 + r), 1 / (1 + r)
        elif sp.name == "irregular_stride_timing":
            cv = sp.magnitude / 100.0
    for side in SIDES:
        if stance[side] - frac[OTHER[side]] < MIN_DOUBLE_SUPPORT or stance[side] > 1 - MIN_SWING:
            raise ValueError("these patterns leave no double support or swing; lower the magnitudes")
    return specs, tmpl, Timing(T, stance, frac, cv, tmpl.contact_toe_off_phase)

