"""Fit the Fourier-series gait templates of :mod:`gaitlab.synth.templates` to the OpenSim example data.

    python benchmarks/fit_gait_templates.py [DATA_DIR]

DATA_DIR defaults to ``../shared/data/mocap/opensim-models`` (beside the project). It reads
``normal_gait.mot`` and ``crouch_gait.mot`` (OpenSim models repository, gait2392 example data, Delp et
al.; one gait cycle of joint angles each), fits every column with a least-squares Fourier series over the
cycle and prints:

* the coefficient tables as Python literals, ready to paste into ``gaitlab/synth/templates.py``
  (``[a0, a1, b1, a2, b2, ...]``, value = a0 + Σ aₙ cos 2πnφ + bₙ sin 2πnφ, φ = cycle phase 0–1, degrees);
* the fit RMS and maximum error per column (degrees);
* the phase of the contralateral heel strike (cross-correlation of the left and right hip and knee
  curves), and per leg the curve features that place heel strike and toe-off (see
  :func:`phase_evidence`).

The cycle starts at right heel strike in both files (hip flexion near its maximum, knee nearly straight
and about to flex into loading response); the fit uses the file's own time column, scaled to 0–1.
The data themselves are *not* copied into the project: only these coefficients are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gaitlab.mocap import read_mot

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "mocap" / "opensim-models"

#: Harmonics per template: the fewest giving < 0.5° RMS on every column used.
HARMONICS = {"normal_gait": 8, "crouch_gait": 12}
LEG_COLUMNS = ("hip_flexion", "hip_adduction", "hip_rotation", "knee_angle", "ankle_angle")
BODY_COLUMNS = ("pelvis_tilt", "pelvis_list", "pelvis_rotation", "lumbar_extension", "lumbar_bending",
                "lumbar_rotation")


def design(phase: np.ndarray, n_harm: int) -> np.ndarray:
    cols = [np.ones_like(phase)]
    for n in range(1, n_harm + 1):
        cols += [np.cos(2 * np.pi * n * phase), np.sin(2 * np.pi * n * phase)]
    return np.stack(cols, axis=1)


def fourier_fit(phase: np.ndarray, y: np.ndarray, n_harm: int) -> tuple[np.ndarray, float, float]:
    A = design(phase, n_harm)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - A @ coef
    return coef, float(np.sqrt(np.mean(r ** 2))), float(np.max(np.abs(r)))


def evaluate(coef: np.ndarray, phase) -> np.ndarray:
    phase = np.asarray(phase, dtype=float)
    return design(phase.ravel(), (len(coef) - 1) // 2).dot(coef).reshape(phase.shape)


def left_offset(phase: np.ndarray, df) -> float:
    """Phase (of the right cycle) of the left heel strike: shift maximising the match of left and
    right hip-flexion and knee curves (left(φ) ≈ right(φ − shift))."""
    shifts = np.linspace(0.3, 0.7, 401)
    fine = np.linspace(0, 1, 1000, endpoint=False)
    err = np.zeros_like(shifts)
    for col in ("hip_flexion", "knee_angle"):
        cr, _, _ = fourier_fit(phase, df[f"{col}_r"].to_numpy(), 12)
        cl, _, _ = fourier_fit(phase, df[f"{col}_l"].to_numpy(), 12)
        right, left = evaluate(cr, fine), None
        for i, s in enumerate(shifts):
            left = evaluate(cl, (fine + s) % 1.0)
            err[i] += np.mean((left - right) ** 2)
    return float(shifts[np.argmin(err)])


def phase_evidence(coefs: dict, side: str) -> dict[str, float]:
    """Phases (own cycle) of the curve features that locate heel strike and toe-off: knee flexion at
    phase 0, the loading-response and swing knee-flexion peaks, the knee flexion reaching 40° (knee
    flexion at toe-off ≈ 40°, Perry & Burnfield), the hip-extension peak (late stance) and the ankle's
    plantarflexion peak at the end of push-off (just after toe-off, Winter)."""
    q = np.linspace(0, 1, 2000, endpoint=False)
    knee = -evaluate(coefs[f"knee_angle_{side}"], q)
    ankle = evaluate(coefs[f"ankle_angle_{side}"], q)
    early = q < 0.3
    hip = evaluate(coefs[f"hip_flexion_{side}"], q)
    swing_peak = float(q[np.argmax(np.where(q > 0.6, knee, -np.inf))])
    rising = np.flatnonzero((q > 0.4) & (q < swing_peak) & (knee >= 40.0))
    return {"knee_at_0": float(knee[0]), "lr_peak": float(q[early][np.argmax(knee[early])]),
            "lr_peak_deg": float(knee[early].max()), "swing_peak": swing_peak, "swing_peak_deg": float(knee.max()),
            "knee_40": float(q[rising[0]]) if rising.size else float("nan"),
            "hip_min": float(q[np.argmin(hip)]),
            "ankle_min": float(q[np.argmin(np.where((q > 0.4) & (q < 0.8), ankle, np.inf))])}


def main(data_dir: Path) -> None:
    print(f"# source: {data_dir}")
    for stem, n_harm in HARMONICS.items():
        df = read_mot(data_dir / f"{stem}.mot")
        t = df["time"].to_numpy()
        phase = (t - t[0]) / (t[-1] - t[0])
        coefs, stats = {}, {}
        for col in [c for c in df.columns if c != "time" and not c.startswith("pelvis_t")] + ["pelvis_tilt"]:
            if col not in df.columns:
                continue
            coefs[col], rms, mx = fourier_fit(phase, df[col].to_numpy(), n_harm)
            stats[col] = (rms, mx)
        # left heel strike: rounded to the data's sampling (the normal file's left side is its right side
        # shifted by exactly half a cycle); left columns are refitted on their own cycle (0 = left HS)
        step = float(np.median(np.diff(phase)))
        off = round(left_offset(phase, df) / step) * step
        for col in (f"{c}_l" for c in LEG_COLUMNS):
            coefs[col], rms, mx = fourier_fit((phase - off) % 1.0, df[col].to_numpy(), n_harm)
        print(f"\n# ---- {stem}.mot: {len(t)} samples, {n_harm} harmonics")
        print(f"# left heel strike at right phase {off:.3f}")
        for side in ("r", "l"):
            ev = phase_evidence(coefs, side)
            print(f"# {side}: knee flexion at phase 0 {ev['knee_at_0']:.1f}°, loading-response peak "
                  f"{ev['lr_peak_deg']:.1f}° at {ev['lr_peak']:.3f}, swing peak {ev['swing_peak_deg']:.1f}° at "
                  f"{ev['swing_peak']:.3f}, knee reaches 40° at {ev['knee_40']:.3f}, hip extension peak at "
                  f"{ev['hip_min']:.3f}, end of ankle push-off at {ev['ankle_min']:.3f}")
        print("# fit RMS / max error (deg):")
        for col, (rms, mx) in stats.items():
            print(f"#   {col:<18} {rms:5.2f} / {mx:5.2f}")
        name = stem.split("_")[0].upper()
        print(f"{name}_COEFFICIENTS = {{")
        for col in (*(f"{c}_r" for c in LEG_COLUMNS), *(f"{c}_l" for c in LEG_COLUMNS), *BODY_COLUMNS):
            vals = ", ".join(f"{v:.4f}" for v in coefs[col])
            print(f'    "{col}": [{vals}],')
        print("}")
        print(f"{name}_FIT_RMS_DEG = {{" + ", ".join(f'"{c}": {stats[c][0]:.2f}' for c in
                                                    (*(f"{c}_r" for c in LEG_COLUMNS), *(f"{c}_l" for c in LEG_COLUMNS),
                                                     *BODY_COLUMNS)) + "}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
