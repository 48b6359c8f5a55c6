"""3D gait model with injectable compensatory patterns: ground truth for validating the pipeline.

World frame of :mod:`gaitlab.synth.camera` (metres; X along the walkway, Y the walker's left, Z up,
floor Z = 0). The walk is simulated in a straight *path frame* (x = distance walked along the path) and
then laid onto the path: straights walked out and back on one line, joined by keyhole turns.

* **Angles**: joint-angle templates (Fourier fits of OpenSim gait data, :mod:`.templates`) as functions
  of each leg's own phase; hip flexion is scaled about its mean by a gain solved so that the walk has
  the set speed; patterns (:mod:`.patterns`) add phase curves or change the timing, their internal
  amplitudes calibrated so that the CLINICAL §3 measure of their target equals the magnitude.
* **Timing**: a plan of heel strikes (steps with stride-to-stride variability) and toe-offs (stance
  fraction per side). Each leg's phase is a monotone cubic (PCHIP) warp through its heel strike, the
  other leg's toe-off and heel strike and its own toe-off, placed at the template's phases of these
  events, so the legs keep the template's relative configuration at every event.
* **Contacts**: from heel strike to toe-off a foot is planted and never slides: a hindfoot rolling over
  its heel (toe up) or over its ball with the toes flat (heel up), with a fixed yaw. The pelvis follows
  the planted foot (planted ankle − the template ankle relative to the pelvis); in double support it
  passes quickly from the trailing to the landing foot. A planted foot adapts its pitch (more heel rise,
  or toe lift while loading) so that its knee keeps the template angle; where that is not enough, the
  knee bends (two-link inverse kinematics in the template's knee plane) and the pelvis is lowered where
  a leg could not reach. The landing height is matched before contact by raising/lowering the pelvis
  in the other leg's late stance. The swing foot follows the template, with smooth corrections that
  take it off where it was planted and land its lowest point exactly on the floor, a lift that keeps
  ≥ 1 cm clearance in mid-swing (by knee flexion; by contralateral vaulting for a guarded knee).
  Heel strike and toe-off are thus the foot–floor contacts of the geometry (tests check the heights).
* **Treadmill**: the overground walk seen from a frame moving with the belt.

Public API: :class:`GaitParams`, :func:`simulate` → :class:`ModelWalk` (``camera``, ``project``,
``true_passes``, ``true_2d_angles``, ``summary``, ``truth_json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import numpy as np
from scipy.interpolate import PchipInterpolator

from ..model import LM, MIRROR_INDEX, N_LANDMARKS, Pass, PoseSequence
from . import patterns as pt
from .camera import Camera, to_pose_sequence
from .noise import apply_noise
from .templates import CROUCH, NORMAL, SIDES

TRUTH_SCHEMA = "gaitlab.synth.gaitmodel/1"
#: Camera height: hip height (CLINICAL §7), greater trochanter ≈ 0.53 × height (Winter 2009).
HIP_HEIGHT_FRACTION = 0.53
#: View of a straight pass from the angle between facing and the optical axis: |cos| below this →
#: sagittal (within ±20° of perpendicular, CLINICAL §7); above the other → frontal; between → oblique.
SAGITTAL_MAX_COS, FRONTAL_MIN_COS = float(np.sin(np.radians(20.0))), float(np.cos(np.radians(30.0)))
#: A walker counts as facing away from the camera (MediaPipe mirrors its labels) beyond 60° from side-on.
FACING_AWAY_COS = 0.5
#: Keyhole turn: veer this much, loop 180° + twice as much the other way, veer back (returns onto the line).
KEYHOLE_VEER_DEG = 60.0
KEYHOLE_REACH = 1.0 + float(np.sqrt(3.0))  # how far the loop reaches beyond the walkway, in radii
KEYHOLE_LOOP_M_PER_RADIUS = float(np.radians(4 * KEYHOLE_VEER_DEG + 180.0))  # path length of a turn, in radii
#: Walk ratio (step length / cadence, m per step/min) of healthy adults, nearly constant from slow to
#: fast speeds (Sekiya & Nagasaki 1998: ≈ 0.0064 in young men, mean height ≈ 1.70 m); scaled with
#: height here (step length scales with leg length — an assumption of this model).
WALK_RATIO_M_PER_STEP_MIN = 0.0064
WALK_RATIO_REF_HEIGHT_M = 1.70
#: Fractions of the swing over which the take-off correction fades out / the landing one fades in.
SWING_RAMP_FRACTION = 0.4
#: Gain of the step-placement feedback that keeps the footprints centred on the path line.
LATERAL_FEEDBACK = 0.5
#: The pelvis is lowered where a leg would otherwise have to straighten beyond this knee flexion.
MIN_KNEE_FLEXION_DEG = 1.0
REACH_GRID_S = 0.005
#: The pelvis passes from the trailing to the landing foot over this fraction of the double support: the
#: loading knee follows its template, the trailing leg adapts (knee, heel rise) in pre-swing.
HANDOVER_FRACTION = 0.25
#: Largest extra heel rise / toe lift (deg of hindfoot pitch) of a planted foot adapting to the pelvis.
MAX_EXTRA_HEEL_RISE_DEG, MAX_EXTRA_TOE_UP_DEG = 30.0, 25.0
#: ... and a hindfoot never pitches steeper than this (toes flat: ≈ the largest toe dorsiflexion in
#: push-off, ≈ 60–70°); beyond, the pelvis is lowered instead (_reach).
MAX_HEEL_PITCH_DEG = 65.0
ADAPT_TOL_M = 1e-5
#: Lowest point of the swing foot in mid-swing (real minimum toe clearance ≈ 1–2 cm, Winter 1992).
SWING_CLEARANCE_M = 0.01
#: ... and it leaves and approaches the floor at least this fast (m/s, vertically).
MIN_FOOT_VERTICAL_SPEED_M_S = 0.1
#: Double support and swing are kept above these fractions of the stride when variability is drawn.
MIN_DOUBLE_SUPPORT, MIN_SWING = 0.03, 0.25


@dataclass(frozen=True)
class Proportions:
    """Segment dimensions as fractions of body height (Winter 2009, *Biomechanics and Motor Control of
    Human Movement*, Fig. 4.1), unless marked otherwise."""

    thigh: float = 0.245  # hip joint → knee
    shank: float = 0.246  # knee → ankle
    foot_length: float = 0.152  # heel → toe tip
    ankle_height: float = 0.039  # floor → ankle joint
    heel_to_ankle: float = 0.25  # fraction of foot length from heel to below the ankle (assumption)
    heel_to_ball: float = 0.73  # fraction of foot length from heel to the metatarsal heads (assumption)
    hip_width: float = 0.11  # between hip joint centres (≈ 0.19 m at 1.75 m; assumption, cf. 0.191 hip breadth)
    trunk: float = 0.288  # mid-hip → mid-shoulder (shoulder 0.818 − hip 0.530)
    shoulder_width: float = 0.259
    upper_arm: float = 0.186
    forearm: float = 0.146
    hand: float = 0.108
    shoulder_to_ear: float = 0.107  # ear ≈ 0.925, shoulder 0.818 (eye 0.936)


@dataclass(frozen=True)
class GaitParams:
    """Everything that defines a simulated walk. Lengths m, times s, angles deg."""

    height_m: float = 1.75
    proportions: Proportions = Proportions()
    speed_m_s: float = 1.2
    #: None → walk-ratio relation (:func:`default_cadence`).
    cadence_steps_min: float | None = None
    #: None → the template's toe-off phase (normal 0.62, Perry & Burnfield).
    stance_fraction: float | None = None
    #: Coefficient of variation of the stride time (healthy adults ≈ 2–3 %, Hausdorff).
    stride_time_cv: float = 0.02
    seed: int = 0
    patterns: tuple[pt.PatternSpec, ...] = ()
    treadmill: bool = False
    #: Length of each straight of the walkway when ``turns`` > 0.
    walkway_m: float = 6.0
    #: Number of 180° turns (passes = turns + 1); after the last one the walk continues straight.
    turns: int = 0
    turn_radius_m: float = 0.4
    turn_side: str = "left"
    #: Lateral distance between the feet (ankle centres) in double support; healthy adults ≈ 0.08–0.12 m
    #: (Owings & Grabiner 2004). Realised by a constant hip abduction of both legs (calibrated).
    step_width_m: float = 0.10
    #: Backward walking: ((start_s, duration_s), ...) of the clip (time-reversed forward gait, a close
    #: kinematic approximation of backward walking, Thorstensson 1986).
    backward: tuple[tuple[float, float], ...] = ()
    #: Shoulder flexion/extension amplitude (±deg) and mean; elbow likewise. Free-speed arm swing spans
    #: ≈ 30–35° at the shoulder and ≈ 20° at the elbow (Murray, Sepic & Barnard 1967).
    arm_swing_deg: float = 16.0
    shoulder_mean_deg: float = -8.0
    elbow_mean_deg: float = 20.0
    elbow_swing_deg: float = 10.0
    #: Arms hang slightly abducted so the hands clear the hips (assumption).
    arm_abduction_deg: float = 8.0

    def __post_init__(self):
        if not (self.height_m > 0 and self.speed_m_s > 0 and 0 <= self.stride_time_cv < 0.2):
            raise ValueError("height_m and speed_m_s must be positive and stride_time_cv in [0, 0.2)")
        if self.turn_side not in ("left", "right"):
            raise ValueError(f"turn_side must be 'left' or 'right', not {self.turn_side!r}")
        if self.treadmill and (self.turns or self.backward):
            raise ValueError("a treadmill walk has no turns or backward segments")


def default_cadence(speed_m_s: float, height_m: float = 1.75) -> float:
    """Cadence (steps/min) from the walk ratio: v = W·c²/60 with W = 0.0064 · height/1.70 (see above)."""
    w = WALK_RATIO_M_PER_STEP_MIN * height_m / WALK_RATIO_REF_HEIGHT_M
    return float(np.sqrt(60.0 * speed_m_s / w))


# ------------------------------------------------------------------------------------- rotations
def _rot(axis: int, deg) -> np.ndarray:
    """(…, 3, 3) rotation about world axis 0/1/2 (x/y/z) by ``deg`` (right-hand rule)."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    R[..., axis, axis] = 1.0
    R[..., i, i] = R[..., j, j] = c
    R[..., i, j], R[..., j, i] = -s, s
    return R


def _flex(deg) -> np.ndarray:
    """OpenSim's rotation about the lateral (right) axis: + turns forward-pointing vectors up, hanging
    segments forward (hip flexion, ankle dorsiflexion; knee_angle < 0 = flexion)."""
    return _rot(1, -np.asarray(deg, dtype=float))


def _mv(R, v) -> np.ndarray:
    return (R @ np.asarray(v, dtype=float)[..., None])[..., 0]


def _ypr(R) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yaw, pitch (toe up +), roll (deg) of foot frames R = rot_z(yaw)·flex(pitch)·rot_x(roll)."""
    u = R[..., :, 0]
    yaw = np.degrees(np.arctan2(u[..., 1], u[..., 0]))
    pitch = np.degrees(np.arcsin(np.clip(u[..., 2], -1, 1)))
    Rr = np.swapaxes(_rot(2, yaw) @ _flex(pitch), -1, -2) @ R
    return yaw, pitch, np.degrees(np.arctan2(Rr[..., 2, 1], Rr[..., 1, 1]))


# ---------------------------------------------------------------------------------- timing plan
@dataclass
class _Timing:
    stride_s: float
    stance: dict  # side -> stance fraction
    step_fraction: dict  # side -> mean share of the stride of the step ending at that side's heel strike
    cv: float
    toe_off_phase: float  # template phase of toe-off


def _plan(tm: _Timing, tau0: float, tau1: float, rng) -> dict:
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


def _tau(t, backward) -> np.ndarray:
    """Walking time: real time with the backward segments running backwards."""
    t = np.asarray(t, dtype=float)
    tau = t.copy()
    for b0, d in backward:
        tau -= 2.0 * np.clip(t - b0, 0.0, d)
    return tau


def _real_runs(plan, backward, t_lo, t_hi) -> list[dict]:
    """Stance intervals in real time over [t_lo, t_hi], per side, merged across direction changes."""
    cuts = sorted({t_lo, t_hi, *(c for b0, d in backward for c in (b0, b0 + d) if t_lo < c < t_hi)})
    runs = []
    for s in SIDES:
        m = plan["side"] == s
        a_tau, b_tau = plan["hs"][m], plan["to"][m]
        iv = []
        for u0, u1 in zip(cuts, cuts[1:]):
            ta, tb = _tau([u0, u1], backward)
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


def _ramp(t, t0, d) -> np.ndarray:
    return pt.smootherstep((np.asarray(t) - t0) / d) if d > 0 else (np.asarray(t) >= t0).astype(float)


# ----------------------------------------------------------------------------------- simulation
class _Sim:
    """One simulated walk in the path frame (x forward along the path, y left, z up).

    The foot is a hindfoot (heel → ball, rigid with the ankle) and a toe segment (ball → toe tip) hinged
    at the ball: planted with the heel up, the foot rolls over the ball and the toes stay flat.
    """

    def __init__(self, p: GaitParams, ang: pt.PatternAngles, tm: _Timing, t_lo: float, t_hi: float, seed: int):
        self.p, self.ang, self.tm, self.t_lo, self.t_hi = p, ang, tm, t_lo, t_hi
        h, pr = p.height_m, p.proportions
        self.L1, self.L2, self.hw = pr.thigh * h, pr.shank * h, pr.hip_width * h
        self.Lf, self.ha, self.b = pr.foot_length * h, pr.ankle_height * h, pr.heel_to_ankle
        self.Lh = pr.heel_to_ball * self.Lf
        taus = _tau(np.concatenate([[t_lo, t_hi], [c for b0, d in p.backward for c in (b0, b0 + d)]]), p.backward)
        self.plan = _plan(tm, taus.min(), taus.max(), np.random.default_rng(seed))
        self.runs = _real_runs(self.plan, p.backward, t_lo, t_hi)
        self.pelvis_tables = []  # (times, metres) added to the pelvis height: _reach, _clearance (vaulting)
        self.reach = np.sqrt(self.L1 ** 2 + self.L2 ** 2
                             + 2 * self.L1 * self.L2 * np.cos(np.radians(MIN_KNEE_FLEXION_DEG)))
        self.vault_sides = {sp.side for sp in ang.specs if sp.name == "knee_guarding"}
        for s in SIDES:  # link each run to the previous one of the same side (its swing comes between)
            prev = None
            for r in (r for r in self.runs if r["side"] == s):
                r["prev"], prev = prev, r
        self._place()

    # --- kinematics relative to the pelvis origin (mid-hip), path-frame orientation
    def fk(self, t) -> dict:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        tau = _tau(t, self.p.backward)
        ph = {s: self.plan["phase"][s](tau) for s in SIDES}
        a = self.ang(ph["right"], ph["left"])
        b = a["body"]
        Rp = _flex(b["pelvis_tilt"]) @ _rot(0, b["pelvis_list"]) @ _rot(2, b["pelvis_rotation"])
        out = {"t": t, "phase": ph, "ang": a, "Rp": Rp}
        for s in SIDES:
            sg, L = (1.0 if s == "right" else -1.0), a[s]
            Rt = Rp @ _flex(L["hip_flexion"]) @ _rot(0, sg * L["hip_adduction"]) @ _rot(2, sg * L["hip_rotation"])
            Rs = Rt @ _rot(0, -sg * L["knee_valgus"]) @ _flex(L["knee_angle"])
            Rf = Rs @ _flex(L["ankle_angle"])
            hip = _mv(Rp, [0.0, -sg * self.hw / 2, 0.0])
            knee = hip + _mv(Rt, [0.0, 0.0, -self.L1])
            ankle = knee + _mv(Rs, [0.0, 0.0, -self.L2])
            yaw, pitch, roll = _ypr(Rf)
            out[s] = dict(hip=hip, knee=knee, ankle=ankle, Rf=Rf, yaw=yaw, pitch=pitch, roll=roll)
        return out

    def foot_points(self, ankle, Rf, mtp):
        """Heel, ball and toe tip (sole level) of feet: ankle positions, hindfoot frames, toe angles
        (deg, + = toes bent up relative to the hindfoot; the toes turn about the hindfoot's horizontal
        lateral axis, so they lie flat on the floor when the toe angle cancels the hindfoot pitch)."""
        heel = ankle + _mv(Rf, [-self.b * self.Lf, 0.0, -self.ha])
        ball = heel + _mv(Rf, [self.Lh, 0.0, 0.0])
        yaw, pitch, _ = _ypr(Rf)
        return heel, ball, ball + _mv(_rot(2, yaw) @ _flex(pitch + mtp), [self.Lf - self.Lh, 0.0, 0.0])

    def planted(self, r, pitch, roll, ankle_only=False):
        """(ankle, Rf, toe angle) of planted run ``r`` at template hindfoot pitch/roll: rolling over the heel
        (toe up) or the ball with the toes flat (heel up), from the flat-foot placement (heel ``r['H']``,
        yaw ``r['yaw']``; arrays of one per sample are accepted). ``ankle_only``: just the ankle."""
        pitch = np.asarray(pitch, dtype=float)
        yaw_deg = np.broadcast_to(np.asarray(r["yaw"], dtype=float), pitch.shape)
        yaw = np.radians(yaw_deg)
        cy, sy = np.cos(yaw), np.sin(yaw)
        ball_flat = r["H"] + self.Lh * np.stack([cy, sy, np.zeros_like(cy)], -1)
        if ankle_only:  # closed form of R·v for R = rot_z(yaw)·flex(pitch)·rot_x(roll), v = (x, 0, z)
            b, rl = np.radians(pitch), np.radians(roll)
            cb, sb, cr, sr = np.cos(b), np.sin(b), np.cos(rl), np.sin(rl)

            def rv(x, z):
                u = x * cb - z * cr * sb
                return np.stack([u * cy + z * sr * sy, u * sy - z * sr * cy, x * sb + z * cr * cb], -1)
            heel = np.where((pitch >= 0)[..., None], r["H"], ball_flat - rv(self.Lh, 0.0))
            return heel + rv(self.b * self.Lf, self.ha)
        Rf = _rot(2, yaw_deg) @ _flex(pitch) @ _rot(0, roll)
        heel = np.where((pitch >= 0)[..., None], r["H"], ball_flat - _mv(Rf, [self.Lh, 0.0, 0.0]))
        return heel + _mv(Rf, [self.b * self.Lf, 0.0, self.ha]), Rf, np.maximum(-pitch, 0.0)

    def _weight(self, r, t, f=1.0):
        """Blending weight of run ``r``: rises over the first ``f`` of its first double support, falls over
        the first ``f`` of its last one (the other foot's weight is the complement)."""
        w = np.ones_like(t) if r["open_on"] else _ramp(t, r["t_on"], f * r["d_on"])
        return w if r["open_off"] else w * (1.0 - _ramp(t, r["t_off"] - r["d_off"], f * r["d_off"]))

    def pelvis(self, k) -> np.ndarray:
        """Pelvis origin (n, 3) at the times of FK result ``k``: weighted demands of the planted feet, plus
        the pre-contact height match, the reach lowering and vaulting tables."""
        t = k["t"]
        t0, t1 = t.min() - 1e-9, t.max() + 1e-9
        num, den = np.zeros((len(t), 3)), np.zeros((len(t), 1))
        for r in self.runs:
            if r["t_on"] > t1 or r["t_off"] < t0:
                continue
            m = (t >= r["t_on"] - 1e-12) & (t <= r["t_off"] + 1e-12)
            if "H" in r and m.any():
                s = r["side"]
                w = self._weight(r, t[m], HANDOVER_FRACTION)[:, None]
                A = self.planted(r, k[s]["pitch"][m], k[s]["roll"][m], True)
                num[m] += w * (A - k[s]["ankle"][m])
                den[m] += w
        with np.errstate(invalid="ignore", divide="ignore"):
            P = num / den
        for r in self.runs:  # landing height matched before contact, handed over to the new foot after
            if (r.get("c", 0.0) and r["prev"] is not None and r["t_on"] - r["d_pre"] <= t1
                    and r["t_on"] + r["d_on"] >= t0):
                before = _ramp(t, r["t_on"] - r["d_pre"], r["d_pre"])
                after = 1.0 - _ramp(t, r["t_on"], HANDOVER_FRACTION * r["d_on"])
                P[:, 2] += r["c"] * np.where(t < r["t_on"], before, after)
        for tt, dz in self.pelvis_tables:
            if tt[0] <= t1 and tt[-1] >= t0:
                P[:, 2] += np.interp(t, tt, dz, left=0.0, right=0.0)
        return P

    def stance_pose(self, r, k, P, m):
        """(ankle, Rf, toe angle) of planted run ``r`` at samples ``m``. The foot's pitch is adapted (rolling
        further over the heel or the ball) so that the hip–ankle distance is the template's: the knee keeps
        its template angle and the ankle absorbs what the pelvis blending, height matching and vaulting ask.
        A loading foot (first double support) only rolls on its heel, a later one only rises on its ball."""
        s, ks = r["side"], k[r["side"]]
        pitch, roll = ks["pitch"][m], ks["roll"][m]
        hip = P[m] + ks["hip"][m]
        want = np.linalg.norm(ks["ankle"][m] - ks["hip"][m], axis=1)
        loading = ~np.asarray(r["open_on"]) & (k["t"][m] < np.asarray(r["t_on"]) + np.asarray(r["d_on"]))
        n = len(pitch)
        H, yaw = np.broadcast_to(r["H"], (n, 3)), np.broadcast_to(np.asarray(r["yaw"], dtype=float), (n,))
        lo = np.where(loading, np.minimum(pitch, 0.0),
                      np.minimum(pitch, np.maximum(pitch - MAX_EXTRA_HEEL_RISE_DEG, -MAX_HEEL_PITCH_DEG)))
        hi = np.where(loading, pitch + MAX_EXTRA_TOE_UP_DEG, np.maximum(pitch, 0.0))

        def err(b, sel):
            q = {"H": H[sel], "yaw": yaw[sel]}
            return np.linalg.norm(self.planted(q, b, roll[sel], True) - hip[sel], axis=1) - want[sel]
        ok = np.abs(err(pitch, slice(None))) > ADAPT_TOL_M
        pitch = pitch.copy()
        if ok.any():  # no root within the bounds: the nearer bound (the knee takes the rest, continuously)
            e_lo, e_hi = err(lo[ok], ok), err(hi[ok], ok)
            none = e_lo * e_hi > 0
            idx = np.flatnonzero(ok)[none]
            pitch[idx] = np.where(np.abs(e_lo[none]) < np.abs(e_hi[none]), lo[idx], hi[idx])
            ok[idx] = False
        if ok.any():
            a, b = lo[ok], hi[ok]
            fa = err(a, ok)
            for _ in range(16):  # bisection on the bracket (to ≈ 0.001°)
                mid = 0.5 * (a + b)
                fm = err(mid, ok)
                left = fa * fm <= 0
                a, b, fa = np.where(left, a, mid), np.where(left, mid, b), np.where(left, fa, fm)
            pitch[ok] = 0.5 * (a + b)
        return self.planted({"H": H, "yaw": yaw}, pitch, roll)

    def swing(self, nxt, k, P, m):
        """(ankle, Rf, toe angle) of the swing foot before run ``nxt`` at the FK samples ``m``: the template
        foot plus corrections fading out after toe-off (position, yaw, toes) and in before contact
        (landing on the floor, toes flattening for a forefoot contact), plus the clearance lift."""
        r, t, ks = nxt["prev"], k["t"][m], k[nxt["side"]]
        swing_s = nxt["t_on"] - r["t_off"] if r is not None else (1 - self.tm.stance[nxt["side"]]) * self.tm.stride_s
        d = SWING_RAMP_FRACTION * swing_s
        r_in = _ramp(t, nxt["t_on"] - d, d)
        r_out = 1.0 - _ramp(t, r["t_off"], d) if r is not None else np.zeros_like(t)
        # (during placement the take-off correction is not known yet, but it has faded out at contact)
        e_to, dyaw = (r.get("e_to", np.zeros(3)), r.get("dyaw", 0.0)) if r else (np.zeros(3), 0.0)
        ankle = P[m] + ks["ankle"][m] + r_out[:, None] * e_to + r_in[:, None] * nxt.get("e_hs", np.zeros(3))
        if "lift" in nxt:
            ankle[:, 2] += np.interp(t, nxt["lift_t"], nxt["lift"], left=0.0, right=0.0)
        dpitch, dmtp = (r.get("dpitch", 0.0), r.get("dmtp", 0.0)) if r else (0.0, 0.0)
        Rf = (_rot(2, ks["yaw"][m] + r_out * dyaw) @ _flex(ks["pitch"][m] + r_out * dpitch)
              @ _rot(0, ks["roll"][m]))
        # toes: flat on the floor at take-off (and at a forefoot contact), following the hindfoot between
        return ankle, Rf, (r_out + r_in) * np.maximum(-ks["pitch"][m], 0.0) + r_out * dmtp

    def _place(self) -> None:
        """Flat-foot placement of every run, in order of contact: where the corrected swing foot lands;
        then the take-off residuals and the swing clearance lifts."""
        for r in self.runs:
            k = self.fk(r["t_on"])
            s = r["side"]
            if r["open_on"]:
                k["t"] = np.array([r["t_on"]])
                P, others = np.zeros((1, 3)), []
                ankle, Rf, mtp = k[s]["ankle"], k[s]["Rf"], np.zeros(1)
            else:
                P = self.pelvis(k)
                others = [o for o in self.runs if "H" in o and o["side"] != s and o["t_on"] <= r["t_on"] <= o["t_off"]]
                ankle, Rf, mtp = self.swing(r, k, P, np.array([True]))
            heel, ball, toe = (v[0] for v in self.foot_points(ankle, Rf, mtp))
            dy = 0.0
            if others:  # keep the midpoint of consecutive footprints on the path line
                o = others[0]
                mid_other = o["H"][1] + 0.5 * self.Lf * np.sin(np.radians(o["yaw"]))
                dy = -LATERAL_FEEDBACK * 0.5 * (0.5 * (heel[1] + toe[1]) + mid_other)
            e = np.array([0.0, dy, -min(heel[2], ball[2], toe[2])])
            if not r["open_on"]:  # the pelvis takes the height difference before contact (see pelvis())
                r["c"] = e[2]
                r["d_pre"] = SWING_RAMP_FRACTION * (r["t_on"] - r["prev"]["t_off"] if r["prev"] else
                                                    (1 - self.tm.stance[s]) * self.tm.stride_s)
                r["e_hs"] = np.array([0.0, dy, 0.0])
            else:
                r["e_hs"] = e
            r["yaw"] = float(_ypr(Rf)[0][0])
            flat = self.Lh * np.array([np.cos(np.radians(r["yaw"])), np.sin(np.radians(r["yaw"])), 0.0])
            r["H"] = heel + e if k[s]["pitch"][0] >= 0 else ball + e - flat
            r["H"][2] = 0.0
        self._take_off()
        self._reach()
        for r in self.runs:
            if r["prev"] is not None and not r["open_on"]:
                self._clearance(r)

    def _take_off(self) -> None:
        """Take-off residuals of every run: actual planted foot − template foot at toe-off (position, yaw,
        pitch, toe angle), faded out over early swing."""
        ends = [r for r in self.runs if not r["open_off"]]
        for r in self.runs:
            r["e_to"], r["dyaw"], r["dpitch"], r["dmtp"] = np.zeros(3), 0.0, 0.0, 0.0
        if not ends:
            return
        k = self.fk(np.array([r["t_off"] for r in ends]))
        P = self.pelvis(k)
        for side in SIDES:  # all take-offs of a side at once
            idx = np.array([i for i, r in enumerate(ends) if r["side"] == side], dtype=int)
            if not idx.size:
                continue
            rs = [ends[i] for i in idx]
            group = {"side": side, "H": np.array([r["H"] for r in rs]), "yaw": np.array([r["yaw"] for r in rs]),
                     "t_on": np.array([r["t_on"] for r in rs]), "d_on": np.array([r["d_on"] for r in rs]),
                     "open_on": np.array([r["open_on"] for r in rs])}
            A, Rf, mtp = self.stance_pose(group, k, P, idx)
            yaw, pitch, _ = _ypr(Rf)
            for j, (i, r) in enumerate(zip(idx, rs)):
                r["e_to"] = A[j] - (P[i] + k[side]["ankle"][i])
                r["dyaw"], r["dpitch"] = r["yaw"] - float(k[side]["yaw"][i]), float(pitch[j] - k[side]["pitch"][i])
                r["dmtp"] = float(mtp[j] - max(-k[side]["pitch"][i], 0.0))

    def _reach(self, passes: int = 2) -> None:
        """Lower the pelvis smoothly wherever a leg could not reach its foot otherwise (the trailing knee
        then bends more in pre-swing, as it does in people): keeps every knee ≥ MIN_KNEE_FLEXION_DEG."""
        reach, T = self.reach, self.tm.stride_s
        t = np.arange(self.t_lo, self.t_hi, REACH_GRID_S)
        near = np.zeros(len(t), bool)  # only landing swing legs and loading legs can fall short
        for r in self.runs:
            if not r["open_on"]:
                near |= (t > r["t_on"] - 0.5 * T) & (t < r["t_on"] + r["d_on"] + 0.1 * T)
        for _ in range(passes):
            k = self.fk(t[near])
            P = self.pelvis(k)
            need = np.zeros(len(t))
            for side, (ankle, _, _, _) in self._legs(k, P).items():
                v = P + k[side]["hip"] - ankle
                dist = np.linalg.norm(v, axis=1)
                need[near] = np.maximum(need[near], (dist - reach) * dist / np.maximum(v[:, 2], 1e-3))
            pad = int(round(0.15 * T / REACH_GRID_S))
            short = np.convolve(need > 0, np.ones(2 * pad + 1), mode="same") > 0  # regions ± pad
            edges = np.flatnonzero(np.diff(np.r_[0, short.astype(int), 0]))
            for a, b in zip(edges[::2], edges[1::2]):
                a, b = max(a - 1, 0), min(b + 1, len(t))
                tt = t[a:b]
                low = _envelope(np.maximum(need[a:b], 0.0), min(0.25, 0.15 * T / max(tt[-1] - tt[0], 1e-9)), 0.0)
                self.pelvis_tables.append((tt, -low))
                for r in self.runs:  # the landing foot stays where it was placed
                    if not r["open_on"] and tt[0] < r["t_on"] < tt[-1]:
                        r["e_hs"] = r["e_hs"] + np.array([0.0, 0.0, np.interp(r["t_on"], tt, low)])
            self._take_off()

    def _clearance(self, nxt) -> None:
        """Smooth lift (m, added to the swing ankle; the knee takes it up) keeping the swing foot's lowest
        point ≥ SWING_CLEARANCE_M in mid-swing and leaving / approaching the floor no slower than
        MIN_FOOT_VERTICAL_SPEED_M_S (so the contact events are clean)."""
        t0, t1 = nxt["prev"]["t_off"], nxt["t_on"]
        t = np.linspace(t0, t1, 121)
        k = self.fk(t)
        ankle, Rf, mtp = self.swing(nxt, k, self.pelvis(k), np.ones(len(t), bool))
        low = np.min([p[:, 2] for p in self.foot_points(ankle, Rf, mtp)], axis=0)
        u = (t - t0) / (t1 - t0)
        floor = np.minimum(SWING_CLEARANCE_M, MIN_FOOT_VERTICAL_SPEED_M_S * (t1 - t0) * np.minimum(u, 1 - u))
        need = np.maximum(floor - low, 0.0)
        if need.max() <= 0:
            return
        lift = _envelope(need, 0.3)
        if nxt["side"] in self.vault_sides:  # stiff knee: the stance leg vaults (rises on its toes) instead
            self.pelvis_tables.append((t, lift))
            return
        nxt["lift_t"], nxt["lift"] = t, lift

    def _legs(self, k, P) -> dict:
        """side → (ankle, hindfoot frame, toe angle, in-stance mask) at the FK samples ``k``."""
        t, out = k["t"], {}
        for s in SIDES:
            ks = k[s]
            ankle, Rf, mtp = np.full((len(t), 3), np.nan), np.full((len(t), 3, 3), np.nan), np.zeros(len(t))
            st = np.zeros(len(t), bool)
            t0, t1 = t.min(), t.max()
            for r in (r for r in self.runs if r["side"] == s):
                prev_off = r["prev"]["t_off"] if r["prev"] is not None else -np.inf
                if r["t_off"] < t0 or prev_off > t1:
                    continue
                m = (t >= r["t_on"]) & (t <= r["t_off"])
                if m.any():
                    ankle[m], Rf[m], mtp[m] = self.stance_pose(r, k, P, m)
                st |= m
                if r["open_on"]:
                    continue
                gap = (t < r["t_on"]) & ((t > r["prev"]["t_off"]) if r["prev"] is not None else True)
                if gap.any():
                    ankle[gap], Rf[gap], mtp[gap] = self.swing(r, k, P, gap)
            out[s] = (ankle, Rf, mtp, st)
        return out

    def evaluate(self, t) -> dict:
        """Landmarks (n, 33, 3) in the path frame, pelvis origin and per-side contact state at times t."""
        k = self.fk(t)
        P = self.pelvis(k)
        lm = np.full((len(k["t"]), N_LANDMARKS, 3), np.nan)
        stance = {}
        for s, (ankle, Rf, mtp, st) in self._legs(k, P).items():
            hip = P + k[s]["hip"]
            knee = _two_link_knee(hip, ankle, P + k[s]["knee"], self.L1, self.L2)
            heel, _, toe = self.foot_points(ankle, Rf, mtp)
            for name, v in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel), ("foot_index", toe)):
                lm[:, LM[f"{s}_{name}"]] = v
            stance[s] = st
        self._upper_body(k, P, lm)
        return {"landmarks": lm, "pelvis": P, "stance": stance, "fk": k}

    def _upper_body(self, k, P, lm) -> None:
        p, h, b = self.p, self.p.height_m, k["ang"]["body"]
        pr, sc = p.proportions, p.height_m / 1.75  # face geometry measured on a 1.75 m adult
        Rtr = (_rot(1, b["trunk_forward_lean"]) @ _rot(0, -b["trunk_lean_left"]) @ k["Rp"]
               @ _flex(b["lumbar_extension"]) @ _rot(0, b["lumbar_bending"]) @ _rot(2, b["lumbar_rotation"]))
        mid = P + _mv(Rtr, [0.0, 0.0, pr.trunk * h])
        for s in SIDES:
            sg, a = (1.0 if s == "right" else -1.0), k["ang"][s]
            sh = mid + _mv(Rtr, [0.0, -sg * pr.shoulder_width * h / 2, 0.0])
            Ru = Rtr @ _flex(a["shoulder_flexion"]) @ _rot(0, np.full(len(P), -sg * p.arm_abduction_deg))
            el = sh + _mv(Ru, [0.0, 0.0, -pr.upper_arm * h])
            Rfa = Ru @ _flex(a["elbow_flexion"])
            wr = el + _mv(Rfa, [0.0, 0.0, -pr.forearm * h])
            lh = pr.hand * h
            for name, v in (("shoulder", sh), ("elbow", el), ("wrist", wr),
                            ("index", wr + _mv(Rfa, [0.01 * sc, 0.0, -0.8 * lh])),
                            ("thumb", wr + _mv(Rfa, [0.025 * sc, sg * 0.01 * sc, -0.45 * lh])),
                            ("pinky", wr + _mv(Rfa, [-0.02 * sc, -sg * 0.005 * sc, -0.7 * lh]))):
                lm[:, LM[f"{s}_{name}"]] = v
        ear_mid = mid + _mv(Rtr, [0.0, 0.0, pr.shoulder_to_ear * h])
        face = {"nose": (0.105, 0.0, -0.015)}
        for s, sg in (("left", 1.0), ("right", -1.0)):
            face.update({f"{s}_eye_inner": (0.09, sg * 0.015, 0.015), f"{s}_eye": (0.085, sg * 0.032, 0.015),
                         f"{s}_eye_outer": (0.08, sg * 0.048, 0.015), f"{s}_ear": (0.0, sg * 0.075, 0.0),
                         f"mouth_{s}": (0.085, sg * 0.022, -0.05)})
        for name, off in face.items():
            lm[:, LM[name]] = ear_mid + _mv(Rtr, sc * np.asarray(off))


def _envelope(need, half_width, taper=0.0) -> np.ndarray:
    """Smooth upper envelope (≥ ``need`` ≥ 0 everywhere) of samples evenly spread over [0, 1]: the max of
    need(v)·cos²-bumps around each v, of half-width ``half_width`` narrowed near the ends so the envelope
    is 0 at u = 0 and 1; ``taper`` > 0 also fades it to 0 over that width at both ends."""
    u = np.linspace(0.0, 1.0, len(need))
    hw = np.maximum(np.minimum(half_width, np.minimum(u, 1 - u)), 1e-9)[None, :]
    x = np.clip(np.pi * (u[:, None] - u[None, :]) / (2 * hw), -np.pi / 2, np.pi / 2)
    env = np.max(need[None, :] * np.cos(x) ** 2, axis=1)
    return env * pt.smootherstep(u / taper) * pt.smootherstep((1 - u) / taper) if taper > 0 else env


def _two_link_knee(hip, ankle, knee_pole, L1, L2) -> np.ndarray:
    """Knee positions (n, 3) for thigh L1 and shank L2 joining ``hip`` and ``ankle``, in the plane of the
    template knee ``knee_pole``. Out of reach: the leg is straight toward the ankle (shank stretched)."""
    d = ankle - hip
    dist = np.linalg.norm(d, axis=1)
    u = d / dist[:, None]
    x = np.clip((L1 ** 2 - L2 ** 2 + dist ** 2) / (2 * dist), -L1, L1)
    hgt = np.sqrt(np.maximum(L1 ** 2 - x ** 2, 0.0))
    v = knee_pole - hip
    v = v - np.sum(v * u, axis=1)[:, None] * u
    v /= np.maximum(np.linalg.norm(v, axis=1), 1e-12)[:, None]
    return hip + x[:, None] * u + hgt[:, None] * v


# ----------------------------------------------------------------------------------------- path
class _Path:
    """Walking path: straights of ``walkway_m`` walked out and back on the same line, joined by keyhole
    turns (veer 60° one way, loop 300° the other way, veer 60° back onto the line; radius
    ``turn_radius_m``), starting at the world origin heading +X; the first straight extends backwards
    and the last forwards. :meth:`to_world` moves the body rigidly with the pelvis: exact on the
    straights; in turns the whole body turns about the pelvis (planted feet may twist and slide there)."""

    def __init__(self, p: GaitParams):
        self.pieces = []  # (s0, s1, kind, start xy, start heading rad, curvature 1/m)
        s, xy, hd = 0.0, np.zeros(2), 0.0
        loop = 1.0 if p.turn_side == "left" else -1.0
        veer = np.radians(KEYHOLE_VEER_DEG)
        for i in range(p.turns):
            self.pieces.append((-np.inf if i == 0 else s, s + p.walkway_m, "straight", xy, hd, 0.0))
            s, xy = s + p.walkway_m, xy + p.walkway_m * np.array([np.cos(hd), np.sin(hd)])
            for ang, k in ((veer, -loop), (np.pi + 2 * veer, loop), (veer, -loop)):
                length = ang * p.turn_radius_m
                self.pieces.append((s, s + length, "turn", xy, hd, k / p.turn_radius_m))
                xy, hd = self._at(xy, hd, k / p.turn_radius_m, length)
                s += length
        self.pieces.append((-np.inf if not p.turns else s, np.inf, "straight", xy, hd, 0.0))

    @staticmethod
    def _at(xy, hd, k, u):
        """Position (…, 2) and heading after arc length u from (xy, hd) with curvature k."""
        u = np.asarray(u, dtype=float)
        if k == 0:
            return xy + u[..., None] * np.array([np.cos(hd), np.sin(hd)]), hd + 0.0 * u
        th = hd + k * u
        return xy + np.stack([np.sin(th) - np.sin(hd), np.cos(hd) - np.cos(th)], -1) / k, th

    def piece(self, s) -> np.ndarray:
        starts = np.array([a for a, *_ in self.pieces])
        return np.searchsorted(starts, np.asarray(s, dtype=float), side="right") - 1

    def frame(self, s):
        """Path point (n, 2) and heading (n,) (rad, counter-clockwise from +X) at path positions s."""
        s = np.asarray(s, dtype=float)
        pos, hd = np.zeros(s.shape + (2,)), np.zeros(s.shape)
        for a, b, kind, xy, h0, k in self.pieces:
            m = (s >= a) & (s < b)
            pos[m], hd[m] = self._at(xy, h0, k, s[m] - (a if np.isfinite(a) else 0.0))
        return pos, hd

    def heading(self, s) -> np.ndarray:
        return self.frame(s)[1]

    def to_world(self, pts, s_ref) -> np.ndarray:
        """Path-frame points (n, K, 3) → world, each frame turned rigidly about its pelvis at s_ref (n,)."""
        pos, hd = self.frame(s_ref)
        c, sn = np.cos(hd)[:, None], np.sin(hd)[:, None]
        dx, dy = pts[..., 0] - np.asarray(s_ref)[:, None], pts[..., 1]
        return np.stack([pos[:, None, 0] + c * dx - sn * dy, pos[:, None, 1] + sn * dx + c * dy, pts[..., 2]], -1)


# ---------------------------------------------------------------------------------- calibration
#: Calibration walks: strides simulated (the first and last are not measured) and sampling interval (s).
QUICK_STRIDES, QUICK_GRID_S = 4.5, 0.005
SIM_LEVEL = ("step_length_asymmetry", "circumduction", "knee_guarding", "foot_drop", "reduced_hip_extension")
SPEED_EXEMPT = ("reduced_hip_extension",)
CYCLE_LEVEL = ("pelvic_drop", "hip_hiking", "lateral_trunk_lean", "knee_valgus")


def _setup(p: GaitParams):
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
            frac[sp.side], frac[pt.OTHER[sp.side]] = r / (1 + r), 1 / (1 + r)
        elif sp.name == "irregular_stride_timing":
            cv = sp.magnitude / 100.0
    for side in SIDES:
        if stance[side] - frac[pt.OTHER[side]] < MIN_DOUBLE_SUPPORT or stance[side] > 1 - MIN_SWING:
            raise ValueError("these patterns leave no double support or swing; lower the magnitudes")
    return specs, tmpl, _Timing(T, stance, frac, cv, tmpl.contact_toe_off_phase)


def _cycle_targets(ang: pt.PatternAngles, tm: _Timing, p: GaitParams) -> dict:
    """§3 measures of the cycle-level patterns over one symmetric template cycle (phase grid)."""
    q = pt.PHASE_GRID
    shift = ang.t.left_heel_strike_phase
    a = ang(q, q - shift)
    b = a["body"]
    Rp = _flex(b["pelvis_tilt"]) @ _rot(0, b["pelvis_list"]) @ _rot(2, b["pelvis_rotation"])
    Rtr = _rot(1, b["trunk_forward_lean"]) @ _rot(0, -b["trunk_lean_left"]) @ Rp @ _flex(b["lumbar_extension"])
    h, pr = p.height_m, p.proportions
    lm = np.full((len(q), N_LANDMARKS, 3), np.nan)
    for side in SIDES:
        sg, L = (1.0 if side == "right" else -1.0), a[side]
        Rt = Rp @ _flex(L["hip_flexion"]) @ _rot(0, sg * L["hip_adduction"]) @ _rot(2, sg * L["hip_rotation"])
        Rs = Rt @ _rot(0, -sg * L["knee_valgus"]) @ _flex(L["knee_angle"])
        hip = _mv(Rp, [0.0, -sg * pr.hip_width * h / 2, 0.0])
        lm[:, LM[f"{side}_hip"]] = hip
        lm[:, LM[f"{side}_knee"]] = hip + _mv(Rt, [0.0, 0.0, -pr.thigh * h])
        lm[:, LM[f"{side}_ankle"]] = lm[:, LM[f"{side}_knee"]] + _mv(Rs, [0.0, 0.0, -pr.shank * h])
        lm[:, LM[f"{side}_shoulder"]] = _mv(Rtr, [0.0, -sg * pr.shoulder_width * h / 2, pr.trunk * h])
    fr = pt.ortho_angles(lm, "frontal")
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


def _quick_targets(p, specs, tmpl, tm, g, amps) -> dict:
    """Speed and sim-level pattern measures of a short walk without variability."""
    T = tm.stride_s  # no variability: every stride alike, two measured strides are enough
    sim = _Sim(replace(p, backward=(), turns=0, treadmill=False), pt.PatternAngles(tmpl, specs, g, amps, p), tm,
               0.0, QUICK_STRIDES * T, 0)
    runs = [r for r in sim.runs if not r["open_on"] and T < r["t_on"] < (QUICK_STRIDES - 1) * T]
    x = {s: [r["H"][0] for r in runs if r["side"] == s] for s in SIDES}
    out = {"speed": np.mean([np.mean(np.diff(v)) for v in x.values()]) / T}
    if any(sp.name in SIM_LEVEL for sp in specs):
        t = np.arange(T, (QUICK_STRIDES - 1) * T, QUICK_GRID_S)
        ev = sim.evaluate(t)
        hs = np.array([r["t_on"] for r in runs])
        heels = sim.evaluate(hs)["landmarks"]
        events = [(r["t_on"], r["side"], "HS") for r in runs] + [(r["t_off"], r["side"], "TO") for r in runs]
        sgn = np.array([1.0 if r["side"] == "left" else -1.0 for r in runs])
        step = sgn * (heels[:, LM["left_heel"], 0] - heels[:, LM["right_heel"], 0])  # landing heel ahead
        sag = pt.ortho_angles(ev["landmarks"], "sagittal")
        met = {side: pt.sagittal_stride_metrics(t, {
            "knee_flexion": sag["knee_flexion_deg"][:, i], "thigh": sag["thigh_angle_deg"][:, i],
            "ankle_dorsiflexion": sag["ankle_dorsiflexion_deg"][:, i],
            "trunk_inclination": sag["trunk_inclination_deg"][:, i]}, events, side) for i, side in enumerate(SIDES)}
        for side in SIDES:
            mine, o = np.array([r["side"] == side for r in runs]), met[pt.OTHER[side]]
            out[("step_length_asymmetry", side)] = 100.0 * (step[mine].mean() / step[~mine].mean() - 1.0)
            out[("circumduction", side)] = pt.lateral_swing_excursion_hw(
                t, ev["landmarks"][:, LM[f"{side}_ankle"], :2], sim.hw, events, side).mean()
            for key, name in (("knee_guarding", "peak_swing_knee_flexion_deg"),
                              ("foot_drop", "late_swing_dorsiflexion_deg"),
                              ("reduced_hip_extension", "peak_thigh_extension_deg")):
                out[(key, side)] = np.mean(o[name]) - np.mean(met[side][name])
    return out


def _solve(f, x0, dx, tol, lo, hi, n=12) -> float:
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
def _calibrate(p: GaitParams) -> tuple[float, tuple]:
    """(hip-flexion gain for the set speed, internal pattern amplitudes) of a walk; cached.

    Coordinate-wise root finding, repeated (at most 3 rounds) until a round changes nothing: the
    amplitudes interact weakly (e.g. a longer step needs a smaller hip gain)."""
    specs, tmpl, tm = _setup(p)
    base = replace(p, patterns=())
    g = _calibrate(base)[0] if p.patterns else 1.0  # the unpatterned gain is a good start
    amps: dict = {}
    cyc = [pt.PatternSpec("step_width", "both", p.step_width_m)] + [sp for sp in specs if sp.name in CYCLE_LEVEL]
    sim = [sp for sp in specs if sp.name in SIM_LEVEL]
    # reduced hip extension shortens the other side's step: the walk is slower, not the other leg changed
    speed_specs = [sp for sp in specs if sp.name not in SPEED_EXEMPT]
    for _ in range(3):
        moved = False

        def solve(f, x0, dx, tol, lo, hi):
            nonlocal moved
            x = _solve(f, x0, dx, tol, lo, hi)
            moved |= x != x0
            return x
        for sp in cyc:
            key = (sp.name, sp.side)
            tol, x0 = (1e-4, 0.0) if sp.name == "step_width" else (0.01, sp.magnitude)
            amps[key] = solve(lambda a: _cycle_targets(pt.PatternAngles(tmpl, specs, g, {**amps, key: a}, p), tm,
                                                       p)[key] - sp.magnitude, amps.get(key, x0), 1.0, tol, -40.0, 60.0)
        g = solve(lambda x: _quick_targets(p, speed_specs, tmpl, tm, x, amps)["speed"] - p.speed_m_s, g, 0.05,
                  1e-4, 0.2, 3.0)
        for sp in sim:
            key = (sp.name, sp.side)
            guess = {"step_length_asymmetry": 0.2 * sp.magnitude, "circumduction": 10.0 * sp.magnitude}.get(
                sp.name, sp.magnitude)
            amps[key] = solve(lambda a: _quick_targets(p, specs, tmpl, tm, g, {**amps, key: a})[key]
                              - sp.magnitude, amps.get(key, guess), 1.0, 0.002 * max(1.0, sp.magnitude), -20.0, 40.0)
        if not moved:
            break
    return g, tuple(sorted(amps.items()))


# ---------------------------------------------------------------------------------------- output
@dataclass
class ModelWalk:
    """A simulated walk and its ground truth.

    ``world_m`` (T, 33, 3): landmarks in the world frame (MediaPipe layout, true subject sides);
    ``path_m``: the same in the straight path frame (x = distance along the path, overground even on a
    treadmill); ``events``: true (time_s, side, "HS"/"TO") contact events in ``t_s``'s range (for
    backward walking: contact start/end); ``strides``: per-stride truth DataFrame
    (:func:`gaitlab.synth.patterns.stride_table`); ``joint_angles_3d``: per-frame 3D joint angles
    (DataFrame, long form by side); ``segment`` (T,): "straight", "turn" or "backward" per frame;
    ``stance`` (T, 2) bool [left, right]; ``heading_rad`` (T,) walking direction in the world.
    """

    params: GaitParams
    t_s: np.ndarray
    world_m: np.ndarray
    path_m: np.ndarray
    events: list
    segment: np.ndarray
    stance: np.ndarray
    heading_rad: np.ndarray
    hip_gain: float
    amplitudes: dict
    stride_time_s: float
    stance_fraction: dict
    #: Treadmill belt speed (m/s; NaN overground): the walk's mean speed over the clip.
    belt_speed_m_s: float = float("nan")
    strides: object = None
    joint_angles_3d: object = None
    _path: _Path = field(default=None, repr=False)

    def straight_ranges(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of the stretches walked forward on a straight."""
        ok = np.r_[False, self.segment == "straight", False].astype(int)
        d = np.diff(ok)
        return [(self.t_s[a], self.t_s[b - 1]) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]

    def summary(self) -> dict:
        """Truth of the CLINICAL §3/§5/§6 quantities over the straight forward strides (see
        :func:`gaitlab.synth.patterns.walk_summary`)."""
        return pt.walk_summary(self)

    # ---- cameras and projection
    def camera(self, view: str = "side", *, distance_m: float | None = None, **kw) -> Camera:
        """A camera for ``view`` ("side", "side-left", "front", "back", "oblique", "oblique-left") placed as
        CLINICAL.md §7 recommends: tripod at hip height (0.53 × height), level; side views perpendicular
        to the middle of the walkway, 4 m from the walking line; front/back views on the walking line 2 m
        beyond the walkway's end/start (beyond the turns' loops; portrait); oblique 45° at 5 m. ``kw`` goes to the
        :class:`~gaitlab.synth.camera.Camera` constructor (width_px, hfov_deg, roll_deg, mirrored, ...)."""
        p = self.params
        h = HIP_HEIGHT_FRACTION * p.height_m
        pel = 0.5 * (self.world_m[:, LM["left_hip"]] + self.world_m[:, LM["right_hip"]])
        if p.turns:  # the keyhole loop reaches (1 + √3)·R beyond each end of the walkway
            cx, cy = p.walkway_m / 2, 0.0
            x0, x1 = -KEYHOLE_REACH * p.turn_radius_m, p.walkway_m + KEYHOLE_REACH * p.turn_radius_m
        else:
            cx, cy = float(np.median(pel[:, 0])), 0.0
            x0, x1 = float(pel[0, 0]), float(pel[-1, 0]) if not p.treadmill else cx + 1.0
        if view in ("side", "side-left"):
            return Camera.side_view(distance_m=distance_m or 4.0, height_m=h, walk_center_x_m=cx,
                                    walk_y_m=cy, from_left=view == "side-left", **kw)
        if view in ("front", "back"):
            d = distance_m or 8.0
            kw = {"width_px": 720, "height_px": 1280, **kw}
            if view == "front":
                return Camera.front_view(distance_m=d, height_m=h, walk_center_x_m=x1 + 2.0 - d, walk_y_m=cy, **kw)
            return Camera.front_view(distance_m=d, height_m=h, walk_center_x_m=x0 - 2.0 + d, walk_y_m=cy,
                                     toward=False, **kw)
        if view in ("oblique", "oblique-left"):
            return Camera.oblique(angle_deg=45.0, distance_m=distance_m or 5.0, height_m=h, walk_center_x_m=cx,
                                  walk_y_m=cy, from_left=view == "oblique-left", **kw)
        raise ValueError(f"unknown view {view!r}; valid views: side, side-left, front, back, oblique, oblique-left")

    def facing(self) -> np.ndarray:
        """(T, 2) unit horizontal direction the walker faces (world)."""
        a = self.heading_rad + np.where(self.segment == "backward", np.pi, 0.0)
        return np.stack([np.cos(a), np.sin(a)], 1)

    def project(self, camera: Camera, *, noise=None, seed: int = 0, labels: str = "mediapipe",
                hide_offscreen: bool = True, shake=None) -> PoseSequence:
        """The walk as a pose estimator would report it through ``camera``.

        ``hide_offscreen``: frames where no landmark falls inside the image are not tracked (NaN), like a
        detector that sees nobody. ``noise``: a :class:`~gaitlab.synth.noise.NoiseModel` (seeded by
        ``seed``). ``labels``: "true" keeps the subject's sides (what :meth:`true_2d_angles` needs);
        "mediapipe" (default) mirrors them in a mirrored (selfie) clip, as MediaPipe judges sides from the
        image — back views keep the subject's sides, as :mod:`gaitlab.gait.passes` expects of real
        MediaPipe output; "mediapipe-mirror-back" also mirrors the frames where the walker faces away from
        the camera (the convention of CLINICAL.md §3 and ``tests/gaitgen.py``).
        """
        if labels not in ("true", "mediapipe", "mediapipe-mirror-back"):
            raise ValueError(f"labels must be 'true', 'mediapipe' or 'mediapipe-mirror-back', not {labels!r}")
        pose = to_pose_sequence(self.world_m, self.t_s, camera, shake=shake, backend="gaitlab-synth")
        lm = pose.landmarks.copy()
        if hide_offscreen:
            x, y = lm[..., 0], lm[..., 1]
            inside = (x >= 0) & (x < camera.width_px) & (y >= 0) & (y < camera.height_px)
            lm[~inside.any(axis=1)] = np.nan
        pose = pose.with_landmarks(lm)
        if noise is not None:
            pose, _ = apply_noise(pose, noise, seed=seed)
        if labels != "true":
            axis = camera.optical_axis[:2] / np.linalg.norm(camera.optical_axis[:2])
            away = (self.facing() @ axis > FACING_AWAY_COS) if labels == "mediapipe-mirror-back" else False
            flip = np.broadcast_to(np.asarray(away) ^ camera.mirrored, (len(self.t_s),))
            lm = pose.landmarks.copy()
            lm[flip] = lm[flip][:, MIRROR_INDEX]
            pose = pose.with_landmarks(lm)
        return pose

    def true_passes(self, camera: Camera) -> list[Pass]:
        """The walk's passes as :func:`gaitlab.gait.passes.segment_passes` should find them: one usable pass
        per straight stretch walked forward (frames of the whole stretch; the pipeline's passes are
        shorter where the walker is out of view), view and direction from the camera geometry, near side =
        the side whose hip is nearer the camera; backward stretches as excluded passes."""
        axis = camera.optical_axis[:2] / np.linalg.norm(camera.optical_axis[:2])
        out, seg = [], self.segment
        change = np.flatnonzero(seg[1:] != seg[:-1]) + 1
        for a, b in zip(np.r_[0, change], np.r_[change, len(seg)]):
            if seg[a] == "turn":
                continue
            m = (a + b) // 2
            c = float(self.facing()[m] @ axis)
            view = ("sagittal" if abs(c) < SAGITTAL_MAX_COS else "frontal_toward" if c <= -FRONTAL_MIN_COS
                    else "frontal_away" if c >= FRONTAL_MIN_COS else "oblique")
            hips = camera.project(self.world_m[m, [LM["left_hip"], LM["right_hip"]]])
            if view.startswith("frontal"):
                facing = direction = view.split("_")[1]
            else:
                pel = 0.5 * (self.world_m[m, LM["left_hip"]] + self.world_m[m, LM["right_hip"]])
                f = np.r_[self.facing()[m], 0.0]
                dx = camera.project(np.stack([pel, pel + 0.1 * f]))[:, 0]
                facing = "right" if dx[1] > dx[0] else "left"
                direction = facing if seg[a] != "backward" else {"left": "right", "right": "left"}[facing]
            if self.params.treadmill:
                direction = "none"
            near = ("left", "right")[int(np.argmin(hips[:, 2]))] if view == "sagittal" else ""
            back = seg[a] == "backward"
            out.append(Pass(pass_id=len(out) + 1, start=int(a), end=int(b), start_s=float(self.t_s[a]),
                            end_s=float(self.t_s[b - 1]), direction=direction, facing=facing, view=view,
                            treadmill=self.params.treadmill, usable=not back,
                            reason="backward walking" if back else "", near_side=near))
        return out

    def true_2d_angles(self, pose: PoseSequence, camera: Camera | None = None, passes=None):
        """CLINICAL §3 per-frame 2D angles of ``pose`` (the noiseless projection with the subject's true
        sides: ``project(camera, labels="true")``), computed by
        :func:`gaitlab.gait.kinematics.compute_kinematics` (no roll, no filtering) over ``passes``
        (default :meth:`true_passes` of ``camera``). Returns its DataFrame."""
        from ..gait.kinematics import compute_kinematics
        from ..pipeline import load_pipeline

        passes = self.true_passes(camera) if passes is None else passes
        return compute_kinematics(pose.t_s, pose.landmarks, passes, 0.0, load_pipeline().kinematics,
                                  frame_index=pose.frame_index)

    def truth_json(self) -> dict:
        """Everything a validation needs, JSON-serialisable (see ``gaitlab synth``)."""
        p = self.params
        params = {k: v for k, v in asdict(p).items() if k not in ("patterns", "proportions")}
        return {
            "schema": TRUTH_SCHEMA, "generator": "gaitlab.synth.gaitmodel",
            "conventions": "world frame m: X along the walkway, Y walker's left, Z up, floor Z=0; times s; "
                           "sides are the subject's; events (time_s, side, HS|TO) from foot-floor contact",
            "params": params, "proportions": asdict(p.proportions),
            "patterns": [asdict(sp) for sp in pt.resolve(p.patterns)],
            "nominal": {"cadence_steps_min": 120.0 / self.stride_time_s, "stride_time_s": self.stride_time_s,
                        "stance_fraction": self.stance_fraction, "belt_speed_m_s": self.belt_speed_m_s},
            "calibration": {"hip_flexion_gain": self.hip_gain,
                            "pattern_amplitudes_deg": {f"{n}:{s}": v for (n, s), v in self.amplitudes.items()}},
            "straight_ranges_s": [list(r) for r in self.straight_ranges()],
            "events": [[t, s, k] for t, s, k in self.events],
            "strides": self.strides.to_dict(orient="records"),
            "summary": self.summary(),
        }


def simulate(params: GaitParams, t_s=None, *, fps: float | None = None, seconds: float | None = None) -> ModelWalk:
    """Simulate ``params`` at frame times ``t_s`` (s, increasing), or at ``fps`` for ``seconds`` (from 0).

    Raises ValueError for unknown patterns or sides, magnitudes out of range, or patterns that leave no
    double support.
    """
    if t_s is None:
        from .camera import frame_times

        t_s = frame_times(fps or 60.0, seconds if seconds is not None else 20.0)
    t = np.asarray(t_s, dtype=float)
    if t.ndim != 1 or len(t) < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("t_s must be increasing, with at least two frames")
    specs, tmpl, tm = _setup(params)
    key = replace(params, seed=0, backward=(), turns=0, treadmill=False, stride_time_cv=0.0)
    g, amps = _calibrate(key)
    ang = pt.PatternAngles(tmpl, specs, g, dict(amps), params)
    T = tm.stride_s
    sim = _Sim(params, ang, tm, t[0] - 2 * T, t[-1] + 2 * T, params.seed)
    ev = sim.evaluate(t)
    path_lm = ev["landmarks"]
    x0 = ev["pelvis"][0, 0]
    path_lm[..., 0] -= x0
    path = _Path(params)
    s_pelvis = ev["pelvis"][:, 0] - x0
    world = path.to_world(path_lm, s_pelvis)
    belt = float("nan")
    if params.treadmill:  # the belt runs at the walk's mean speed over the clip (the walker stays in place)
        belt = float(np.polyfit(t - t[0], s_pelvis, 1)[0]) if len(t) > 2 else params.speed_m_s
        world[..., 0] -= belt * (t - t[0])[:, None]
    events = sorted([(r["t_on"], r["side"], "HS") for r in sim.runs
                     if not r["open_on"] and t[0] <= r["t_on"] <= t[-1]]
                    + [(r["t_off"], r["side"], "TO") for r in sim.runs
                       if not r["open_off"] and t[0] <= r["t_off"] <= t[-1]])
    tau_rate = np.gradient(_tau(t, params.backward), t)
    kinds = np.array([path.pieces[i][2] for i in path.piece(s_pelvis)])
    segment = np.where(tau_rate < 0, "backward", kinds)
    walk = ModelWalk(params=params, t_s=t, world_m=world, path_m=path_lm, events=events, segment=segment,
                     stance=np.stack([ev["stance"]["left"], ev["stance"]["right"]], 1),
                     heading_rad=path.heading(s_pelvis), hip_gain=g, amplitudes=dict(amps), stride_time_s=T,
                     stance_fraction=dict(tm.stance), belt_speed_m_s=belt, _path=path)
    hs_t = np.array([e[0] for e in events if e[2] == "HS"])
    at_hs = sim.evaluate(hs_t)["landmarks"] if len(hs_t) else np.zeros((0, N_LANDMARKS, 3))
    at_hs[..., 0] -= x0
    walk.strides = pt.stride_table(walk, at_hs)
    walk.joint_angles_3d = _joint_angles_3d(t, path_lm, ev["fk"])
    return walk


def _angle_deg(u, v) -> np.ndarray:
    cos = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _joint_angles_3d(t, lm, k):
    """Per frame and side, from the final 3D landmarks: hip flexion/adduction (thigh in the pelvis frame),
    knee flexion (angle between thigh and shank), ankle dorsiflexion (shank to heel→toe line − 90°, the
    CLINICAL §3 definition in 3D); pelvis tilt (anterior +), obliquity (right hip up +), rotation (to the
    left +) and the trunk's forward and lateral (toward the right +) lean, the same on both rows."""
    import pandas as pd

    Rp = k["Rp"]
    b = k["ang"]["body"]
    pel = 0.5 * (lm[:, LM["left_hip"]] + lm[:, LM["right_hip"]])
    trunk = 0.5 * (lm[:, LM["left_shoulder"]] + lm[:, LM["right_shoulder"]]) - pel
    rows = []
    for s in SIDES:
        hip, knee, ankle = (lm[:, LM[f"{s}_{j}"]] for j in ("hip", "knee", "ankle"))
        heel, toe = lm[:, LM[f"{s}_heel"]], lm[:, LM[f"{s}_foot_index"]]
        th = np.einsum("nji,nj->ni", Rp, knee - hip)  # thigh in the pelvis frame (x fwd, y left, z up)
        medial = th[:, 1] if s == "right" else -th[:, 1]
        rows.append(pd.DataFrame({
            "time_s": t, "side": s,
            "hip_flexion_deg": np.degrees(np.arctan2(th[:, 0], -th[:, 2])),
            "hip_adduction_deg": np.degrees(np.arctan2(medial, -th[:, 2])),
            "knee_flexion_deg": _angle_deg(knee - hip, ankle - knee),
            "ankle_dorsiflexion_deg": _angle_deg(ankle - knee, toe - heel) - 90.0,
            "pelvic_tilt_deg": -b["pelvis_tilt"], "pelvic_obliquity_deg": -b["pelvis_list"],
            "pelvic_rotation_deg": b["pelvis_rotation"],
            "trunk_forward_lean_deg": np.degrees(np.arctan2(trunk[:, 0], trunk[:, 2])),
            "trunk_lateral_lean_deg": np.degrees(np.arctan2(-trunk[:, 1], trunk[:, 2])),
        }))
    return pd.concat(rows, ignore_index=True).sort_values(["time_s", "side"], kind="stable").reset_index(drop=True)
