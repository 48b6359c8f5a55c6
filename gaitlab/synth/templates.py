"""Joint-angle templates of one gait cycle as Fourier series, fitted to OpenSim example data.

Source: the OpenSim models repository (opensim-org/opensim-models), gait2392 example motions
``normal_gait.mot`` and ``crouch_gait.mot`` (Delp et al., one gait cycle of joint angles each; OpenSim
example data, licence unstated). The data are *not* in this project: only the Fourier coefficients
below, produced by ``python benchmarks/fit_gait_templates.py`` (least squares over the file's cycle,
φ = 0 at right heel strike; value = a0 + Σₙ aₙ cos 2πnφ + bₙ sin 2πnφ, degrees).

Fit RMS (degrees): normal ≤ 0.23 for every column used (8 harmonics); crouch ≤ 0.43 (12 harmonics;
maximum errors up to 2.6° on the crouch left hip rotation, whose curve has a sharp kink, and ≈ 1.7° at
the crouch file's cycle seam, which is not quite periodic). Per column: ``fit_rms_deg``.

Conventions (OpenSim gait2392, kept as is): hip flexion, knee angle (negative = flexion), ankle angle
(+ = dorsiflexion), hip adduction (+), hip rotation (+ = internal); pelvis tilt (rotation about the
pelvis' lateral axis, + = posterior), list (about the forward axis, + = the right side down), rotation
(about the vertical, + = turning to the left); lumbar extension (+ = trunk backward), bending, rotation.

Heel strike and toe-off of the templates (printed as evidence by the fit script): both files start at
right heel strike (knee nearly straight, hip near maximum flexion, loading-response knee flexion
follows). Normal: left heel strike at φ = 0.50 (the file's left columns are its right columns shifted
by half a cycle, so the left leg uses the right curves); toe-off at 0.62, where the knee reaches 40° of
flexion (its value at toe-off, Perry & Burnfield) just before the ankle's plantarflexion peak (0.64).
Crouch: left heel strike at 0.50 (cross-correlation of the left and right hip and knee curves), each leg
has its own curves (the subject is asymmetric); toe-off at 0.60, between the hip-extension peak
(0.57) and the end of the ankle push-off (0.62 right, 0.66 left).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}
LEG_JOINTS = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")
BODY_ANGLES = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "lumbar_extension", "lumbar_bending",
               "lumbar_rotation")

# fmt: off
#: normal_gait.mot, 8 harmonics, [a0, a1, b1, a2, b2, ...] in degrees over the right leg's cycle.
NORMAL_COEFFICIENTS = {
    "hip_flexion_r": [7.6892, 20.7088, -3.7969, -3.6890, -0.9516, 0.0787, 1.5637, -0.1095, -0.1414, -0.1797, 0.1985, 0.0989, 0.0377, -0.0255, -0.0248, 0.0273, -0.0003],
    "hip_adduction_r": [1.7047, 0.5258, 4.0642, 0.1575, -0.6874, -1.2128, 0.3793, 0.0822, 0.0167, -0.1456, -0.1872, -0.0226, 0.0305, 0.0416, -0.0381, -0.0045, -0.0005],
    "hip_rotation_r": [0.0019, -0.4384, 2.3299, 0.1945, 2.1447, 0.1442, 0.6221, 0.1271, -0.2242, -0.6498, -0.1224, 0.0055, -0.0601, -0.3139, -0.3547, -0.2368, 0.0607],
    "knee_angle_r": [-20.3088, 1.8075, 19.3823, 13.8296, -8.2887, -0.0134, -4.5079, 0.6959, -0.5005, 0.3334, -0.8149, -0.2427, -0.1477, 0.0027, 0.0149, -0.0732, -0.0304],
    "ankle_angle_r": [1.1358, -2.2740, 5.0181, 0.9324, -5.8077, -3.5547, 0.5205, 1.8781, -0.0543, -0.3517, -1.0831, 0.3882, 0.3862, 0.4542, -0.5008, -0.0390, -0.0321],
    "pelvis_tilt": [-1.9950, 0.1241, -0.0042, -0.0021, 0.4592, 0.0054, -0.0146, -0.0480, 0.0241, 0.0093, 0.0136, -0.0085, -0.0455, 0.0030, 0.0056, 0.0007, -0.0097],
    "pelvis_list": [0.2289, -1.6354, -2.6253, 0.0303, -0.0960, 1.0794, -0.2627, 0.0136, -0.0519, 0.0431, 0.0738, 0.0038, -0.0171, 0.0036, -0.0115, -0.0012, -0.0163],
    "pelvis_rotation": [-0.6967, 1.5754, 2.6699, -0.0456, 0.2261, 0.5823, -0.1200, -0.0092, 0.1732, 0.2224, 0.1433, -0.0088, 0.0928, -0.0057, 0.1227, -0.0009, 0.0613],
    "lumbar_extension": [1.9950, -0.1241, 0.0042, 0.0021, -0.4592, -0.0054, 0.0146, 0.0480, -0.0241, -0.0093, -0.0136, 0.0085, 0.0455, -0.0030, -0.0056, -0.0007, 0.0097],
    "lumbar_bending": [-0.2289, 1.6354, 2.6253, -0.0303, 0.0960, -1.0794, 0.2627, -0.0136, 0.0519, -0.0431, -0.0738, -0.0038, 0.0171, -0.0036, 0.0115, 0.0012, 0.0163],
    "lumbar_rotation": [0.6967, -1.5754, -2.6699, 0.0456, -0.2261, -0.5823, 0.1200, 0.0092, -0.1732, -0.2224, -0.1433, 0.0088, -0.0928, 0.0057, -0.1227, 0.0009, -0.0613],
}
NORMAL_FIT_RMS_DEG = {"hip_flexion_r": 0.03, "hip_adduction_r": 0.02, "hip_rotation_r": 0.08, "knee_angle_r": 0.06, "ankle_angle_r": 0.23, "pelvis_tilt": 0.01, "pelvis_list": 0.05, "pelvis_rotation": 0.18, "lumbar_extension": 0.01, "lumbar_bending": 0.05, "lumbar_rotation": 0.18}

#: crouch_gait.mot, 12 harmonics; left columns over the left leg's own cycle (0 = left heel strike).
CROUCH_COEFFICIENTS = {
    "hip_flexion_r": [38.3137, 17.9003, 5.3653, -1.2198, -1.4005, -1.3838, -0.2314, 0.4176, -0.2194, 0.1491, 0.0380, -0.0684, -0.0309, -0.1460, 0.0310, -0.1139, 0.0583, 0.0371, -0.0012, 0.0162, 0.0694, -0.0839, 0.0211, 0.0953, 0.0104],
    "hip_adduction_r": [12.7365, -4.2922, 3.9188, 0.3708, 2.1566, 2.1681, 1.4882, 1.1785, -0.4092, 0.0564, -0.3228, 0.0280, 0.0246, -0.0390, -0.0040, -0.0524, -0.0471, 0.0609, -0.0762, -0.0510, -0.1555, -0.1463, -0.0658, -0.0844, -0.0050],
    "hip_rotation_r": [13.3394, -4.4613, 0.5548, 1.0170, 3.2036, 2.9654, 2.3742, 2.1503, -1.7749, 0.0642, -1.4205, 0.1315, -0.2990, -0.7011, 0.0664, 0.2267, 0.1566, 0.1601, 0.1479, -0.0054, -0.0426, 0.1285, -0.1349, -0.0690, -0.1027],
    "knee_angle_r": [-64.4071, 1.4104, -1.9514, 0.5545, 0.9316, 1.7675, -1.6407, 0.6532, -1.2605, 0.1011, -0.9952, -0.1208, -0.2443, 0.0087, 0.1581, 0.1999, -0.0966, 0.0506, 0.0469, 0.0792, -0.0509, 0.0768, -0.0788, -0.0449, -0.0357],
    "ankle_angle_r": [23.7539, -4.1897, 6.5312, -2.8840, -3.3407, -2.3779, 2.2022, 0.3933, -0.2214, -0.6738, -0.1121, 0.1033, 0.1216, -0.2151, -0.0115, -0.1143, 0.0033, -0.0785, 0.1470, -0.0024, 0.0503, -0.0802, 0.1652, -0.0230, 0.0404],
    "hip_flexion_l": [46.5886, 13.9115, 3.0830, -1.2089, -2.3392, -0.9587, 0.1025, -0.2318, -0.0175, -0.0439, -0.0667, 0.1703, 0.0042, -0.0283, -0.0642, 0.0758, -0.0229, -0.2233, 0.0145, -0.0155, -0.0508, -0.0701, -0.0634, 0.0172, -0.0078],
    "hip_adduction_l": [-3.9814, 0.7812, 5.5245, 1.3661, 0.5099, -0.0765, 0.1415, 0.6223, 0.7526, 0.1231, 0.3692, 0.0408, 0.2888, -0.1426, 0.1235, 0.2217, -0.0647, -0.1503, -0.0068, -0.0385, -0.0269, -0.0166, -0.0111, -0.0100, -0.0144],
    "hip_rotation_l": [13.7216, -3.2839, 0.0887, 1.3186, -0.2689, 1.1383, 0.6195, -1.5188, -0.0806, 1.0313, 0.3175, -0.0320, 0.7196, -0.2053, -1.3274, 0.8262, 0.1854, -0.6976, -0.0536, 0.3291, -0.8425, -0.0619, 0.0122, -0.1728, -0.3529],
    "knee_angle_l": [-67.7995, 5.5301, 8.2264, 2.8053, -5.0749, 1.6110, -0.5850, 0.5010, -1.0799, 0.7226, -0.3282, -0.1589, -0.2060, 0.1996, -0.2313, -0.0021, -0.0361, -0.0884, 0.0537, 0.0553, -0.1477, -0.0630, 0.1403, -0.0632, -0.1058],
    "ankle_angle_l": [20.2566, -7.1351, 2.0230, -1.4164, -2.7238, -3.0054, 0.5117, -0.1050, 0.7902, -0.3506, -0.7785, -0.5708, 0.1740, 0.2498, -0.1194, -0.1822, -0.2102, -0.0308, -0.1793, -0.0411, -0.1754, 0.0989, -0.0119, 0.0771, -0.0547],
    "pelvis_tilt": [-7.1839, 0.7728, 1.6516, 3.6876, -2.7143, 0.4935, -0.1104, -0.2915, -0.0879, -0.3272, -0.2062, -0.1522, -0.1616, -0.0077, -0.1385, 0.0034, -0.0589, -0.0645, -0.1230, -0.0496, -0.0641, -0.0166, -0.0480, -0.0740, -0.0222],
    "pelvis_list": [-6.0093, -1.9513, 0.9287, 1.0975, -0.8033, 0.3731, 0.3580, -0.0726, 0.3783, -0.1393, 0.0551, -0.0732, 0.2282, -0.0927, 0.1403, 0.0467, 0.1898, -0.0807, 0.1217, -0.0262, 0.1202, 0.1401, 0.0570, 0.0264, 0.0093],
    "pelvis_rotation": [6.2290, 0.4876, 0.1074, -0.6341, 3.6820, -0.0039, -2.2631, -0.0021, 0.0105, -0.0239, 0.4766, 0.0495, -0.1784, -0.0211, -0.1718, 0.0249, -0.1513, -0.0497, -0.1185, 0.0666, -0.0492, -0.0246, -0.0345, 0.0686, -0.0784],
    "lumbar_extension": [-12.8161, -0.7728, -1.6516, -3.6876, 2.7143, -0.4935, 0.1104, 0.2915, 0.0879, 0.3272, 0.2062, 0.1522, 0.1616, 0.0077, 0.1385, -0.0034, 0.0589, 0.0645, 0.1230, 0.0496, 0.0641, 0.0166, 0.0480, 0.0740, 0.0222],
    "lumbar_bending": [6.0093, 1.9513, -0.9287, -1.0975, 0.8033, -0.3731, -0.3580, 0.0726, -0.3783, 0.1393, -0.0551, 0.0732, -0.2282, 0.0927, -0.1403, -0.0467, -0.1898, 0.0807, -0.1217, 0.0262, -0.1202, -0.1401, -0.0570, -0.0264, -0.0093],
    "lumbar_rotation": [-6.2290, -0.4876, -0.1074, 0.6341, -3.6820, 0.0039, 2.2631, 0.0021, -0.0105, 0.0239, -0.4766, -0.0495, 0.1784, 0.0211, 0.1718, -0.0249, 0.1513, 0.0497, 0.1185, -0.0666, 0.0492, 0.0246, 0.0345, -0.0686, 0.0784],
}
CROUCH_FIT_RMS_DEG = {"hip_flexion_r": 0.04, "hip_adduction_r": 0.08, "hip_rotation_r": 0.10, "knee_angle_r": 0.08, "ankle_angle_r": 0.09, "hip_flexion_l": 0.06, "hip_adduction_l": 0.05, "hip_rotation_l": 0.43, "knee_angle_l": 0.16, "ankle_angle_l": 0.13, "pelvis_tilt": 0.12, "pelvis_list": 0.12, "pelvis_rotation": 0.25, "lumbar_extension": 0.12, "lumbar_bending": 0.12, "lumbar_rotation": 0.25}
# fmt: on


@dataclass(frozen=True)
class FourierSeries:
    """f(φ) = a0 + Σₙ aₙ cos 2πnφ + bₙ sin 2πnφ, φ in cycles (periodic, any real value)."""

    coef: tuple[float, ...]

    @property
    def n_harmonics(self) -> int:
        return (len(self.coef) - 1) // 2

    def __call__(self, phase) -> np.ndarray:
        phi = 2.0 * np.pi * np.asarray(phase, dtype=float)
        c = np.asarray(self.coef)
        arg = phi[..., None] * np.arange(1, self.n_harmonics + 1)
        # (elementwise products and sums: a BLAS dot product's result depends on the memory alignment)
        return c[0] + (np.cos(arg) * c[1::2]).sum(-1) + (np.sin(arg) * c[2::2]).sum(-1)

    @property
    def mean(self) -> float:
        return float(self.coef[0])

    def scaled_about_mean(self, gain: float) -> "FourierSeries":
        """The same curve with its excursion from the cycle mean multiplied by ``gain``."""
        return FourierSeries((self.coef[0], *(gain * c for c in self.coef[1:])))

    def blend(self, other: "FourierSeries", w: float) -> "FourierSeries":
        """(1 − w)·self + w·other (coefficient-wise; the shorter series is padded with zeros)."""
        n = max(len(self.coef), len(other.coef))
        a = np.pad(np.asarray(self.coef), (0, n - len(self.coef)))
        b = np.pad(np.asarray(other.coef), (0, n - len(other.coef)))
        return FourierSeries(tuple(((1.0 - w) * a + w * b).tolist()))


@dataclass(frozen=True)
class GaitTemplate:
    """Joint angles of one gait cycle.

    ``legs[side][joint]`` is a function of that leg's own phase (0 = its heel strike, toe-off at
    ``toe_off_phase``); ``body[name]`` (pelvis, lumbar) a function of the right leg's phase in the
    source, whose left heel strike is at ``left_heel_strike_phase``.
    """

    name: str
    source: str
    legs: dict[str, dict[str, FourierSeries]]
    body: dict[str, FourierSeries]
    toe_off_phase: float
    left_heel_strike_phase: float = 0.5
    #: Template phase that the gait model maps onto the real toe-off: where, with the model's segment
    #: proportions and a foot rolling over its ball, the trailing foot can leave the floor without its leg
    #: being over-stretched (found by simulation; a little earlier than the source's toe-off).
    contact_toe_off_phase: float = 0.0
    fit_rms_deg: dict[str, float] = field(default_factory=dict)

    def leg(self, side: str, joint: str, phase) -> np.ndarray:
        return self.legs[side][joint](phase)

    def blend(self, other: "GaitTemplate", w: float) -> "GaitTemplate":
        """Coefficient-wise mix (1 − w)·self + w·other (timing parameters mixed linearly)."""
        if w == 0.0:
            return self
        return GaitTemplate(
            name=f"{self.name}+{w:g}·{other.name}", source=f"{self.source}; {other.source}",
            legs={s: {j: self.legs[s][j].blend(other.legs[s][j], w) for j in LEG_JOINTS} for s in SIDES},
            body={b: self.body[b].blend(other.body[b], w) for b in BODY_ANGLES},
            toe_off_phase=(1 - w) * self.toe_off_phase + w * other.toe_off_phase,
            contact_toe_off_phase=(1 - w) * self.contact_toe_off_phase + w * other.contact_toe_off_phase,
            left_heel_strike_phase=(1 - w) * self.left_heel_strike_phase + w * other.left_heel_strike_phase,
            fit_rms_deg={k: max(self.fit_rms_deg.get(k, 0.0), other.fit_rms_deg.get(k, 0.0))
                         for k in {*self.fit_rms_deg, *other.fit_rms_deg}})


def _series(coefs: dict, key: str) -> FourierSeries:
    return FourierSeries(tuple(float(v) for v in coefs[key]))


def _template(name, coefs, rms, toe_off, contact_toe_off, left_hs, symmetric) -> GaitTemplate:
    legs = {s: {j: _series(coefs, f"{j}_{'r' if symmetric or s == 'right' else 'l'}") for j in LEG_JOINTS}
            for s in SIDES}
    return GaitTemplate(name=name, source=f"OpenSim models repository, {name}_gait.mot (Delp et al., gait2392 "
                                          "example data), Fourier fit",
                        legs=legs, body={b: _series(coefs, b) for b in BODY_ANGLES}, toe_off_phase=toe_off,
                        contact_toe_off_phase=contact_toe_off,
                        left_heel_strike_phase=left_hs, fit_rms_deg=dict(rms))


#: Normal adult gait (both legs use the right curves; see the module docstring).
NORMAL = _template("normal", NORMAL_COEFFICIENTS, NORMAL_FIT_RMS_DEG, toe_off=0.62, contact_toe_off=0.59, left_hs=0.5,
                   symmetric=True)
#: Crouch gait (pathological; bilateral knee flexion ≥ 55°, trunk 20° forward).
CROUCH = _template("crouch", CROUCH_COEFFICIENTS, CROUCH_FIT_RMS_DEG, toe_off=0.60, contact_toe_off=0.58, left_hs=0.5,
                   symmetric=False)
