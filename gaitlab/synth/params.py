"""Parameters of a simulated walk (:class:`GaitParams`) and the body's proportions (:class:`Proportions`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import patterns as pt

#: Walk ratio (step length / cadence, m per step/min) of healthy adults, nearly constant from slow to
#: fast speeds (Sekiya & Nagasaki 1998: ≈ 0.0064 in young men, mean height ≈ 1.70 m); scaled with
#: height here (step length scales with leg length — an assumption of this model).
WALK_RATIO_M_PER_STEP_MIN = 0.0064
WALK_RATIO_REF_HEIGHT_M = 1.70


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
    """Cadence (steps/min) from the walk ratio: v = W·c²/60 with W = 0.0064 · height/1.70
    (:data:`WALK_RATIO_M_PER_STEP_MIN`)."""
    w = WALK_RATIO_M_PER_STEP_MIN * height_m / WALK_RATIO_REF_HEIGHT_M
    return float(np.sqrt(60.0 * speed_m_s / w))
