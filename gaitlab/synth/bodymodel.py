"""The body of the gait model: forward kinematics and foot contacts in the path frame.

The path frame is straight: x forward along the path (distance walked), y the walker's left, z up,
floor z = 0. From heel strike to toe-off a foot is planted and never slides: a hindfoot rolling over
its heel (toe up) or over its ball with the toes flat (heel up), with a fixed yaw. The pelvis follows
the planted foot (planted ankle − the template ankle relative to the pelvis); in double support it
passes quickly from the trailing to the landing foot. A planted foot adapts its pitch (more heel rise,
or toe lift while loading) so that its knee keeps the template angle; where that is not enough, the
knee bends (two-link inverse kinematics in the template's knee plane) and the pelvis is lowered where
a leg could not reach. The landing height is matched before contact by raising/lowering the pelvis in
the other leg's late stance. The swing foot follows the template, with smooth corrections that take
it off where it was planted and land its lowest point exactly on the floor, a lift that keeps ≥ 1 cm
clearance in mid-swing (by knee flexion; by contralateral vaulting for a guarded knee).
"""

from __future__ import annotations

import numpy as np

from ..model import LM, N_LANDMARKS
from . import patterns as pt
from .kinematics3d import components, flex, leg_chain, mv, pelvis_frame, rot, two_link_knee, upper_body, ypr
from .params import GaitParams
from .templates import SIDES
from .timing import Timing, plan_steps, stance_runs, walking_time

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


def _ramp(t, t0, d) -> np.ndarray:
    """0 → 1 smoothly over [t0, t0 + d] (a step at t0 where d = 0); t0, d scalars or one per sample."""
    t = np.asarray(t)
    if np.ndim(d) == 0:
        return pt.smootherstep((t - t0) / d) if d > 0 else (t >= t0).astype(float)
    pos = d > 0
    return np.where(pos, pt.smootherstep((t - t0) / np.where(pos, d, 1.0)), (t >= t0).astype(float))


class _PlantedFeet:
    """Planted feet at fixed flat-foot heel placements ``H``, yaws and template hindfoot rolls (deg), one
    per sample of ``shape``: the trigonometry that stays fixed while the pitch is solved for."""

    def __init__(self, H, yaw, roll, shape, Lh):
        yaw = np.radians(np.broadcast_to(np.asarray(yaw, dtype=float), shape))
        rl = np.radians(roll)
        self.cy, self.sy, self.cr, self.sr = np.cos(yaw), np.sin(yaw), np.cos(rl), np.sin(rl)
        self.H = np.moveaxis(np.broadcast_to(H, shape + (3,)), -1, 0)
        self.ball_flat = (self.H[0] + Lh * self.cy, self.H[1] + Lh * self.sy, self.H[2] + Lh * 0.0)

    def take(self, sel) -> "_PlantedFeet":
        out = object.__new__(_PlantedFeet)
        out.cy, out.sy, out.cr, out.sr = self.cy[sel], self.sy[sel], self.cr[sel], self.sr[sel]
        out.H, out.ball_flat = self.H[:, sel], tuple(c[sel] for c in self.ball_flat)
        return out


def _take(k: dict, sel) -> dict:
    """The samples ``sel`` of an FK result (nested dicts of per-sample arrays)."""
    return {key: _take(v, sel) if isinstance(v, dict) else v[sel] for key, v in k.items()}


def _per_sample(side: str, runs: list, counts) -> dict:
    """Planted runs of one side as a run with one value per sample (``counts`` samples of each run), for
    :meth:`BodySim.stance_pose`."""
    def rep(key):
        return np.repeat(np.array([r[key] for r in runs]), counts, axis=0)
    return {"side": side, "H": rep("H"), "yaw": rep("yaw"), "t_on": rep("t_on"), "d_on": rep("d_on"),
            "open_on": rep("open_on")}


# ----------------------------------------------------------------------------------- simulation
class BodySim:
    """One simulated walk in the path frame (x forward along the path, y left, z up).

    The foot is a hindfoot (heel → ball, rigid with the ankle) and a toe segment (ball → toe tip) hinged
    at the ball: planted with the heel up, the foot rolls over the ball and the toes stay flat.
    """

    def __init__(self, p: GaitParams, ang: pt.PatternAngles, tm: Timing, t_lo: float, t_hi: float):
        self.p, self.ang, self.tm, self.t_lo, self.t_hi = p, ang, tm, t_lo, t_hi
        h, pr = p.height_m, p.proportions
        self.L1, self.L2, self.hw = pr.thigh * h, pr.shank * h, pr.hip_width * h
        self.Lf, self.ha, self.b = pr.foot_length * h, pr.ankle_height * h, pr.heel_to_ankle
        self.Lh = pr.heel_to_ball * self.Lf
        ends = [c for b0, d in p.backward for c in (b0, b0 + d)]
        taus = walking_time(np.concatenate([[t_lo, t_hi], ends]), p.backward)
        self.plan = plan_steps(tm, taus.min(), taus.max(), np.random.default_rng(p.seed))
        self.runs = stance_runs(self.plan, p.backward, t_lo, t_hi)
        self.pelvis_tables = []  # (times, metres) added to the pelvis height: _reach, _clearance (vaulting)
        self.reach = np.sqrt(self.L1 ** 2 + self.L2 ** 2
                             + 2 * self.L1 * self.L2 * np.cos(np.radians(MIN_KNEE_FLEXION_DEG)))
        self.vault_sides = {sp.side for sp in ang.specs if sp.name == "knee_guarding"}
        self._k_off = None  # FK at the toe-offs (_take_off)
        self._lifted = False  # swing clearance lifts computed (only the landmarks need them: evaluate())
        for s in SIDES:  # link each run to the previous one of the same side (its swing comes between)
            prev = None
            for r in (r for r in self.runs if r["side"] == s):
                r["prev"], prev = prev, r
        self._place()

    # --- kinematics relative to the pelvis origin (mid-hip), path-frame orientation
    def fk(self, t) -> dict:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        tau = walking_time(t, self.p.backward)
        ph = {s: self.plan["phase"][s](tau) for s in SIDES}
        a = self.ang(ph["right"], ph["left"])
        Rp = pelvis_frame(a["body"])
        out = {"t": t, "phase": ph, "ang": a, "Rp": Rp}
        for s in SIDES:
            Rs, hip, knee, ankle = leg_chain(Rp, a[s], s, self.hw, self.L1, self.L2)
            Rf = Rs @ flex(a[s]["ankle_angle"])
            yaw, pitch, roll = ypr(Rf)
            out[s] = dict(hip=hip, knee=knee, ankle=ankle, Rf=Rf, yaw=yaw, pitch=pitch, roll=roll)
        return out

    def foot_points(self, ankle, Rf, mtp):
        """Heel, ball and toe tip (sole level) of feet: ankle positions, hindfoot frames, toe angles
        (deg, + = toes bent up relative to the hindfoot; the toes turn about the hindfoot's horizontal
        lateral axis, so they lie flat on the floor when the toe angle cancels the hindfoot pitch)."""
        heel = ankle + mv(Rf, [-self.b * self.Lf, 0.0, -self.ha])
        ball = heel + mv(Rf, [self.Lh, 0.0, 0.0])
        yaw, pitch, _ = ypr(Rf)
        return heel, ball, ball + mv(rot(2, yaw) @ flex(pitch + mtp), [self.Lf - self.Lh, 0.0, 0.0])

    def planted(self, r, pitch, roll, ankle_only=False):
        """(ankle, Rf, toe angle) of planted run ``r`` at template hindfoot pitch/roll: rolling over the heel
        (toe up) or the ball with the toes flat (heel up), from the flat-foot placement (heel ``r['H']``,
        yaw ``r['yaw']``; arrays of one per sample are accepted). ``ankle_only``: just the ankle."""
        pitch = np.asarray(pitch, dtype=float)
        if ankle_only:
            return np.stack(self._planted_ankle(_PlantedFeet(r["H"], r["yaw"], roll, pitch.shape, self.Lh), pitch), -1)
        yaw_deg = np.broadcast_to(np.asarray(r["yaw"], dtype=float), pitch.shape)
        yaw = np.radians(yaw_deg)
        ball_flat = r["H"] + self.Lh * np.stack([np.cos(yaw), np.sin(yaw), np.zeros(pitch.shape)], -1)
        Rf = rot(2, yaw_deg) @ flex(pitch) @ rot(0, roll)
        heel = np.where((pitch >= 0)[..., None], r["H"], ball_flat - mv(Rf, [self.Lh, 0.0, 0.0]))
        return heel + mv(Rf, [self.b * self.Lf, 0.0, self.ha]), Rf, np.maximum(-pitch, 0.0)

    def _planted_ankle(self, f: "_PlantedFeet", pitch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ankle components (x, y, z) of planted feet ``f`` at hindfoot pitch: the closed form of R·v for
        R = rot_z(yaw)·flex(pitch)·rot_x(roll) and v = (x, 0, z)."""
        b = np.radians(pitch)
        cb, sb = np.cos(b), np.sin(b)

        def rv(x, z):
            u = x * cb - z * f.cr * sb
            return u * f.cy + z * f.sr * f.sy, u * f.sy - z * f.sr * f.cy, x * sb + z * f.cr * cb
        up = pitch >= 0
        heel = [np.where(up, h, b0 - d) for h, b0, d in zip(f.H, f.ball_flat, rv(self.Lh, 0.0))]
        return tuple(h + d for h, d in zip(heel, rv(self.b * self.Lf, self.ha)))

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
        for s in SIDES:  # (a sample has at most one planted run per side: the sums do not depend on the order)
            runs, rows, w = [], [], []
            for r in self.runs:
                if r["side"] != s or "H" not in r or r["t_on"] > t1 or r["t_off"] < t0:
                    continue
                i = np.flatnonzero((t >= r["t_on"] - 1e-12) & (t <= r["t_off"] + 1e-12))
                if i.size:
                    runs.append(r)
                    rows.append(i)
                    w.append(self._weight(r, t[i], HANDOVER_FRACTION))
            if runs:
                i = np.concatenate(rows)
                A = self.planted(_per_sample(s, runs, [len(j) for j in rows]), k[s]["pitch"][i], k[s]["roll"][i], True)
                w = np.concatenate(w)[:, None]
                num[i] += w * (A - k[s]["ankle"][i])
                den[i] += w
        with np.errstate(invalid="ignore", divide="ignore"):
            P = num / den
        # (the additions below are exactly 0 outside their windows)
        for r in self.runs:  # landing height matched before contact, handed over to the new foot after
            if (r.get("c", 0.0) and r["prev"] is not None and r["t_on"] - r["d_pre"] <= t1
                    and r["t_on"] + r["d_on"] >= t0):
                i = np.flatnonzero((t >= r["t_on"] - r["d_pre"]) & (t <= r["t_on"] + HANDOVER_FRACTION * r["d_on"]))
                ti = t[i]
                before = _ramp(ti, r["t_on"] - r["d_pre"], r["d_pre"])
                after = 1.0 - _ramp(ti, r["t_on"], HANDOVER_FRACTION * r["d_on"])
                P[i, 2] += r["c"] * np.where(ti < r["t_on"], before, after)
        for tt, dz in self.pelvis_tables:
            if tt[0] <= t1 and tt[-1] >= t0:
                i = np.flatnonzero((t >= tt[0]) & (t <= tt[-1]))
                P[i, 2] += np.interp(t[i], tt, dz, left=0.0, right=0.0)
        return P

    def stance_pose(self, r, k, P, m):
        """(ankle, Rf, toe angle) of planted run ``r`` at samples ``m``. The foot's pitch is adapted (rolling
        further over the heel or the ball) so that the hip–ankle distance is the template's: the knee keeps
        its template angle and the ankle absorbs what the pelvis blending, height matching and vaulting ask.
        A loading foot (first double support) only rolls on its heel, a later one only rises on its ball."""
        ks = k[r["side"]]
        pitch, roll = ks["pitch"][m], ks["roll"][m]
        hip = P[m] + ks["hip"][m]
        want = np.linalg.norm(ks["ankle"][m] - ks["hip"][m], axis=1)
        loading = ~np.asarray(r["open_on"]) & (k["t"][m] < np.asarray(r["t_on"]) + np.asarray(r["d_on"]))
        n = len(pitch)
        H, yaw = np.broadcast_to(r["H"], (n, 3)), np.broadcast_to(np.asarray(r["yaw"], dtype=float), (n,))
        lo = np.where(loading, np.minimum(pitch, 0.0),
                      np.minimum(pitch, np.maximum(pitch - MAX_EXTRA_HEEL_RISE_DEG, -MAX_HEEL_PITCH_DEG)))
        hi = np.where(loading, pitch + MAX_EXTRA_TOE_UP_DEG, np.maximum(pitch, 0.0))
        feet, hip_xyz = _PlantedFeet(H, yaw, roll, (n,), self.Lh), components(hip)

        def err(b, f, hip_c, want_c):  # hip–ankle distance − the template's (norm as np.linalg.norm sums)
            dx, dy, dz = (a - h for a, h in zip(self._planted_ankle(f, b), hip_c))
            return np.sqrt((dx * dx + dy * dy) + dz * dz) - want_c
        ok = np.abs(err(pitch, feet, hip_xyz, want)) > ADAPT_TOL_M
        pitch = pitch.copy()
        if ok.any():  # no root within the bounds: the nearer bound (the knee takes the rest, continuously)
            sub = (feet.take(ok), [c[ok] for c in hip_xyz], want[ok])
            e_lo, e_hi = err(lo[ok], *sub), err(hi[ok], *sub)
            none = e_lo * e_hi > 0
            idx = np.flatnonzero(ok)[none]
            pitch[idx] = np.where(np.abs(e_lo[none]) < np.abs(e_hi[none]), lo[idx], hi[idx])
            ok[idx] = False
        if ok.any():
            sub = (feet.take(ok), [c[ok] for c in hip_xyz], want[ok])
            a, b = lo[ok], hi[ok]
            fa = err(a, *sub)
            for _ in range(16):  # bisection on the bracket (to ≈ 0.001°)
                mid = 0.5 * (a + b)
                fm = err(mid, *sub)
                left = fa * fm <= 0
                a, b, fa = np.where(left, a, mid), np.where(left, mid, b), np.where(left, fa, fm)
            pitch[ok] = 0.5 * (a + b)
        return self.planted({"H": H, "yaw": yaw}, pitch, roll)

    def _swing_s(self, r) -> float:
        """Duration of the swing before run ``r`` (the nominal one before the first run of a side)."""
        prev = r["prev"]
        return r["t_on"] - prev["t_off"] if prev is not None else (1 - self.tm.stance[r["side"]]) * self.tm.stride_s

    def swing(self, nxt, k, P, m):
        """(ankle, Rf, toe angle) of the swing foot before run ``nxt`` at the FK samples ``m``: the template
        foot plus corrections fading out after toe-off (position, yaw, toes) and in before contact
        (landing on the floor, toes flattening for a forefoot contact), plus the clearance lift."""
        i = np.arange(len(k["t"]))[m]
        return self._swings(nxt["side"], [nxt], [i], k, P)

    def _swings(self, side, runs, rows, k, P):
        """:meth:`swing` before each of ``runs`` (one side) at its FK sample indices ``rows``, at once."""
        i = np.concatenate(rows)
        t, ks, counts = k["t"][i], k[side], [len(j) for j in rows]

        def per_sample(f, zero=0.0):
            return np.repeat(np.array([f(r) if r["prev"] is not None else zero for r in runs]), counts, axis=0)
        d = np.repeat(np.array([SWING_RAMP_FRACTION * self._swing_s(r) for r in runs]), counts)
        t_on = np.repeat(np.array([r["t_on"] for r in runs]), counts)
        r_in = _ramp(t, t_on - d, d)
        has_prev = per_sample(lambda r: True, False)
        r_out = np.where(has_prev, 1.0 - _ramp(t, per_sample(lambda r: r["prev"]["t_off"]), d), 0.0)
        # (during placement the take-off correction is not known yet, but it has faded out at contact)
        e_to = per_sample(lambda r: r["prev"].get("e_to", np.zeros(3)), np.zeros(3))
        e_hs = np.repeat(np.array([r.get("e_hs", np.zeros(3)) for r in runs]), counts, axis=0)
        ankle = P[i] + ks["ankle"][i] + r_out[:, None] * e_to + r_in[:, None] * e_hs
        at = 0
        for r, n in zip(runs, counts):
            if "lift" in r:
                ankle[at:at + n, 2] += np.interp(t[at:at + n], r["lift_t"], r["lift"], left=0.0, right=0.0)
            at += n
        dyaw, dpitch, dmtp = (per_sample(lambda r, key=key: r["prev"].get(key, 0.0))
                              for key in ("dyaw", "dpitch", "dmtp"))
        Rf = (rot(2, ks["yaw"][i] + r_out * dyaw) @ flex(ks["pitch"][i] + r_out * dpitch)
              @ rot(0, ks["roll"][i]))
        # toes: flat on the floor at take-off (and at a forefoot contact), following the hindfoot between
        return ankle, Rf, (r_out + r_in) * np.maximum(-ks["pitch"][i], 0.0) + r_out * dmtp

    def _place(self) -> None:
        """Flat-foot placement of every run, in order of contact: where the corrected swing foot lands;
        then the take-off residuals and the pelvis lowering where a leg could not reach."""
        k_on = self.fk(np.array([r["t_on"] for r in self.runs]))
        for i, r in enumerate(self.runs):
            k = _take(k_on, [i])
            s = r["side"]
            if r["open_on"]:
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
                r["d_pre"] = SWING_RAMP_FRACTION * self._swing_s(r)
                r["e_hs"] = np.array([0.0, dy, 0.0])
            else:
                r["e_hs"] = e
            r["yaw"] = float(ypr(Rf)[0][0])
            flat = self.Lh * np.array([np.cos(np.radians(r["yaw"])), np.sin(np.radians(r["yaw"])), 0.0])
            r["H"] = heel + e if k[s]["pitch"][0] >= 0 else ball + e - flat
            r["H"][2] = 0.0
        self._take_off()
        self._reach()

    def _take_off(self) -> None:
        """Take-off residuals of every run: actual planted foot − template foot at toe-off (position, yaw,
        pitch, toe angle), faded out over early swing."""
        ends = [r for r in self.runs if not r["open_off"]]
        for r in self.runs:
            r["e_to"], r["dyaw"], r["dpitch"], r["dmtp"] = np.zeros(3), 0.0, 0.0, 0.0
        if not ends:
            return
        if self._k_off is None:
            self._k_off = self.fk(np.array([r["t_off"] for r in ends]))
        k = self._k_off
        P = self.pelvis(k)
        for side in SIDES:  # all take-offs of a side at once
            idx = np.array([i for i, r in enumerate(ends) if r["side"] == side], dtype=int)
            if not idx.size:
                continue
            rs = [ends[i] for i in idx]
            A, Rf, mtp = self.stance_pose(_per_sample(side, rs, np.ones(len(rs), int)), k, P, idx)
            yaw, pitch, _ = ypr(Rf)
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
        k = self.fk(t[near])
        for _ in range(passes):
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
                low = envelope(np.maximum(need[a:b], 0.0), min(0.25, 0.15 * T / max(tt[-1] - tt[0], 1e-9)), 0.0)
                self.pelvis_tables.append((tt, -low))
                for r in self.runs:  # the landing foot stays where it was placed
                    if not r["open_on"] and tt[0] < r["t_on"] < tt[-1]:
                        r["e_hs"] = r["e_hs"] + np.array([0.0, 0.0, np.interp(r["t_on"], tt, low)])
            self._take_off()

    def _clearance(self, n: int = 121) -> None:
        """Smooth lifts (m, added to the swing ankle; the knee takes it up) keeping each swing foot's lowest
        point ≥ SWING_CLEARANCE_M in mid-swing and leaving / approaching the floor no slower than
        MIN_FOOT_VERTICAL_SPEED_M_S (so the contact events are clean); ``n`` samples per swing."""
        swings = [r for r in self.runs if r["prev"] is not None and not r["open_on"]]
        # all swings at once, unless a leg vaults: that raises the pelvis for the swings after it
        for batch in ([r] for r in swings) if self.vault_sides else [swings] if swings else []:
            ts = [np.linspace(r["prev"]["t_off"], r["t_on"], n) for r in batch]
            k = self.fk(np.concatenate(ts))
            P = self.pelvis(k)
            side_rows = {s: [(r, np.arange(i * n, (i + 1) * n)) for i, r in enumerate(batch) if r["side"] == s]
                         for s in SIDES}
            low = np.full(len(k["t"]), np.nan)
            for s, rr in side_rows.items():
                if rr:
                    runs, rows = zip(*rr)
                    feet = self.foot_points(*self._swings(s, list(runs), list(rows), k, P))
                    low[np.concatenate(rows)] = np.min([p[:, 2] for p in feet], axis=0)
            for i, (r, t) in enumerate(zip(batch, ts)):
                self._lift(r, t, low[i * n:(i + 1) * n])

    def _lift(self, nxt, t, low) -> None:
        """The clearance lift of the swing before run ``nxt`` from its foot's lowest point ``low`` at ``t``."""
        t0, t1 = t[0], t[-1]
        u = (t - t0) / (t1 - t0)
        floor = np.minimum(SWING_CLEARANCE_M, MIN_FOOT_VERTICAL_SPEED_M_S * (t1 - t0) * np.minimum(u, 1 - u))
        need = np.maximum(floor - low, 0.0)
        if need.max() <= 0:
            return
        lift = envelope(need, 0.3)
        if nxt["side"] in self.vault_sides:  # stiff knee: the stance leg vaults (rises on its toes) instead
            self.pelvis_tables.append((t, lift))
            return
        nxt["lift_t"], nxt["lift"] = t, lift

    def _legs(self, k, P) -> dict:
        """side → (ankle, hindfoot frame, toe angle, in-stance mask) at the FK samples ``k``."""
        t, out = k["t"], {}
        for s in SIDES:
            ankle, Rf, mtp = np.full((len(t), 3), np.nan), np.full((len(t), 3, 3), np.nan), np.zeros(len(t))
            st = np.zeros(len(t), bool)
            t0, t1 = t.min(), t.max()
            planted, rows, swinging, gaps = [], [], [], []  # all stance / swing samples of a side at once
            for r in (r for r in self.runs if r["side"] == s):
                prev_off = r["prev"]["t_off"] if r["prev"] is not None else -np.inf
                if r["t_off"] < t0 or prev_off > t1:
                    continue
                m = (t >= r["t_on"]) & (t <= r["t_off"])
                if m.any():
                    planted.append(r)
                    rows.append(np.flatnonzero(m))
                st |= m
                if r["open_on"]:
                    continue
                gap = np.flatnonzero((t < r["t_on"]) & ((t > r["prev"]["t_off"]) if r["prev"] is not None else True))
                if gap.size:
                    swinging.append(r)
                    gaps.append(gap)
            if swinging:
                idx = np.concatenate(gaps)
                ankle[idx], Rf[idx], mtp[idx] = self._swings(s, swinging, gaps, k, P)
            if planted:
                idx = np.concatenate(rows)
                group = _per_sample(s, planted, np.array([len(i) for i in rows]))
                ankle[idx], Rf[idx], mtp[idx] = self.stance_pose(group, k, P, idx)
            out[s] = (ankle, Rf, mtp, st)
        return out

    def evaluate(self, t) -> dict:
        """Landmarks (n, 33, 3) in the path frame, pelvis origin and per-side contact state at times t."""
        if not self._lifted:
            self._clearance()
            self._lifted = True
        k = self.fk(t)
        P = self.pelvis(k)
        lm = np.full((len(k["t"]), N_LANDMARKS, 3), np.nan)
        stance = {}
        for s, (ankle, Rf, mtp, st) in self._legs(k, P).items():
            hip = P + k[s]["hip"]
            knee = two_link_knee(hip, ankle, P + k[s]["knee"], self.L1, self.L2)
            heel, _, toe = self.foot_points(ankle, Rf, mtp)
            for name, v in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel), ("foot_index", toe)):
                lm[:, LM[f"{s}_{name}"]] = v
            stance[s] = st
        upper_body(self.p, k, P, lm)
        return {"landmarks": lm, "pelvis": P, "stance": stance, "fk": k}


def envelope(need, half_width, taper=0.0) -> np.ndarray:
    """Smooth upper envelope (≥ ``need`` ≥ 0 everywhere) of samples evenly spread over [0, 1]: the max of
    need(v)·cos²-bumps around each v, of half-width ``half_width`` narrowed near the ends so the envelope
    is 0 at u = 0 and 1; ``taper`` > 0 also fades it to 0 over that width at both ends."""
    u = np.linspace(0.0, 1.0, len(need))
    hw = np.maximum(np.minimum(half_width, np.minimum(u, 1 - u)), 1e-9)[None, :]
    x = np.clip(np.pi * (u[:, None] - u[None, :]) / (2 * hw), -np.pi / 2, np.pi / 2)
    env = np.max(need[None, :] * np.cos(x) ** 2, axis=1)
    return env * pt.smootherstep(u / taper) * pt.smootherstep((1 - u) / taper) if taper > 0 else env
