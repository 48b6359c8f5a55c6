"""3D gait model with injectable compensatory patterns: ground truth for validating the pipeline.

World frame of :mod:`gaitlab.synth.camera` (metres; X along the walkway, Y the walker's left, Z up,
floor Z = 0). The walk is simulated in a straight *path frame* (x = distance walked along the path) and
then laid onto the path: straights walked out and back on one line, joined by keyhole turns.

* **Angles**: joint-angle templates (Fourier fits of OpenSim gait data, :mod:`.templates`) as functions
  of each leg's own phase; hip flexion is scaled about its mean by a gain solved so that the walk has
  the set speed; patterns (:mod:`.patterns`) add phase curves or change the timing, their internal
  amplitudes calibrated so that the CLINICAL §3 measure of their target equals the magnitude.
* **Timing** (:mod:`.timing`): a plan of heel strikes (steps with stride-to-stride variability) and
  toe-offs (stance fraction per side); each leg's phase is warped through these events so the legs keep
  the template's relative configuration at every event.
* **Contacts** (:mod:`.bodymodel`; segment frames in :mod:`.kinematics3d`): from heel strike to toe-off
  a foot is planted and never slides; the pelvis follows the planted feet, and the swing foot leaves and
  lands exactly on the floor with ≥ 1 cm clearance in mid-swing. Heel strike and toe-off are thus the
  foot–floor contacts of the geometry (tests check the heights).
* **Path** (:mod:`.walkpath`): the straight walk laid onto straights joined by keyhole turns.
* **Calibration** (:mod:`.calibration`): hip gain and pattern amplitudes per parameter set (cached), on
  the §3 measures of :mod:`.measures`.
* **Treadmill**: the overground walk seen from a frame moving with the belt.

Public API: :class:`GaitParams`, :func:`simulate` → :class:`ModelWalk` (``camera``, ``project``,
``true_passes``, ``true_2d_angles``, ``summary``, ``truth_json``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..model import LM, MIRROR_INDEX, N_LANDMARKS, Pass, PoseSequence
from . import measures as ms
from . import patterns as pt
from .bodymodel import BodySim
from .calibration import calibrate
from .camera import Camera, to_pose_sequence
from .kinematics3d import components
from .noise import apply_noise
from .params import GaitParams, Proportions, default_cadence
from .templates import SIDES
from .timing import setup, walking_time
from .walkpath import KEYHOLE_LOOP_M_PER_RADIUS, KEYHOLE_REACH, WalkPath

__all__ = ["GaitParams", "Proportions", "ModelWalk", "simulate", "default_cadence", "KEYHOLE_LOOP_M_PER_RADIUS"]

TRUTH_SCHEMA = "gaitlab.synth.gaitmodel/1"
#: Camera height: hip height (CLINICAL §7), greater trochanter ≈ 0.53 × height (Winter 2009).
HIP_HEIGHT_FRACTION = 0.53
#: View of a straight pass from the angle between facing and the optical axis: |cos| below this →
#: sagittal (within ±20° of perpendicular, CLINICAL §7); above the other → frontal; between → oblique.
SAGITTAL_MAX_COS, FRONTAL_MIN_COS = float(np.sin(np.radians(20.0))), float(np.cos(np.radians(30.0)))
#: A walker counts as facing away from the camera (MediaPipe mirrors its labels) beyond 60° from side-on.
FACING_AWAY_COS = 0.5


@dataclass
class ModelWalk:
    """A simulated walk and its ground truth.

    ``world_m`` (T, 33, 3): landmarks in the world frame (MediaPipe layout, true subject sides);
    ``path_m``: the same in the straight path frame (x = distance along the path, overground even on a
    treadmill); ``events``: true (time_s, side, "HS"/"TO") contact events in ``t_s``'s range (for
    backward walking: contact start/end); ``strides``: per-stride truth DataFrame
    (:func:`gaitlab.synth.measures.stride_table`); ``joint_angles_3d``: per-frame 3D joint angles
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
    _path: WalkPath = field(default=None, repr=False)

    def straight_ranges(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of the stretches walked forward on a straight."""
        ok = np.r_[False, self.segment == "straight", False].astype(int)
        d = np.diff(ok)
        return [(self.t_s[a], self.t_s[b - 1]) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]

    def summary(self) -> dict:
        """Truth of the CLINICAL §3/§5/§6 quantities over the straight forward strides (see
        :func:`gaitlab.synth.measures.walk_summary`)."""
        return ms.walk_summary(self)

    # ---- cameras and projection
    def camera(self, view: str = "side", *, distance_m: float | None = None, height_m: float | None = None,
               **kw) -> Camera:
        """A camera for ``view`` ("side", "side-left", "front", "back", "oblique", "oblique-left") placed as
        CLINICAL.md §7 recommends: tripod at hip height (0.53 × height), level; side views perpendicular
        to the middle of the walkway, 4 m from the walking line; front/back views on the walking line 2 m
        beyond the walkway's end/start (beyond the turns' loops; portrait); oblique 45° at 5 m. ``height_m``: camera
        height instead of hip height (still level unless ``pitch_deg`` is given). ``kw`` goes to the
        :class:`~gaitlab.synth.camera.Camera` constructor (width_px, hfov_deg, roll_deg, mirrored, ...)."""
        p = self.params
        h = HIP_HEIGHT_FRACTION * p.height_m if height_m is None else float(height_m)
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
    specs, tmpl, tm = setup(params)
    key = replace(params, seed=0, backward=(), turns=0, treadmill=False, stride_time_cv=0.0)
    g, amps = calibrate(key)
    ang = pt.PatternAngles(tmpl, specs, g, dict(amps), params)
    T = tm.stride_s
    sim = BodySim(params, ang, tm, t[0] - 2 * T, t[-1] + 2 * T)
    ev = sim.evaluate(t)
    path_lm = ev["landmarks"]
    x0 = ev["pelvis"][0, 0]
    path_lm[..., 0] -= x0
    path = WalkPath(params)
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
    tau_rate = np.gradient(walking_time(t, params.backward), t)
    kinds = np.array([path.pieces[i][2] for i in path.piece(s_pelvis)])
    segment = np.where(tau_rate < 0, "backward", kinds)
    walk = ModelWalk(params=params, t_s=t, world_m=world, path_m=path_lm, events=events, segment=segment,
                     stance=np.stack([ev["stance"]["left"], ev["stance"]["right"]], 1),
                     heading_rad=path.heading(s_pelvis), hip_gain=g, amplitudes=dict(amps), stride_time_s=T,
                     stance_fraction=dict(tm.stance), belt_speed_m_s=belt, _path=path)
    hs_t = np.array([e[0] for e in events if e[2] == "HS"])
    at_hs = sim.evaluate(hs_t)["landmarks"] if len(hs_t) else np.zeros((0, N_LANDMARKS, 3))
    at_hs[..., 0] -= x0
    walk.strides = ms.stride_table(walk, at_hs)
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
    fx, fy, fz = components(0.5 * (lm[:, LM["left_shoulder"]] + lm[:, LM["right_shoulder"]]) - pel)  # trunk
    rows = []
    for s in SIDES:
        hip, knee, ankle = (lm[:, LM[f"{s}_{j}"]] for j in ("hip", "knee", "ankle"))
        heel, toe = lm[:, LM[f"{s}_heel"]], lm[:, LM[f"{s}_foot_index"]]
        # thigh in the pelvis frame (x fwd, y left, z up)
        tx, ty, tz = components(np.einsum("nji,nj->ni", Rp, knee - hip))
        medial = ty if s == "right" else -ty
        rows.append(pd.DataFrame({
            "time_s": t, "side": s,
            "hip_flexion_deg": np.degrees(np.arctan2(tx, -tz)),
            "hip_adduction_deg": np.degrees(np.arctan2(medial, -tz)),
            "knee_flexion_deg": _angle_deg(knee - hip, ankle - knee),
            "ankle_dorsiflexion_deg": _angle_deg(ankle - knee, toe - heel) - 90.0,
            "pelvic_tilt_deg": -b["pelvis_tilt"], "pelvic_obliquity_deg": -b["pelvis_list"],
            "pelvic_rotation_deg": b["pelvis_rotation"],
            "trunk_forward_lean_deg": np.degrees(np.arctan2(fx, fz)),
            "trunk_lateral_lean_deg": np.degrees(np.arctan2(-fy, fz)),
        }))
    return pd.concat(rows, ignore_index=True).sort_values(["time_s", "side"], kind="stable").reset_index(drop=True)
