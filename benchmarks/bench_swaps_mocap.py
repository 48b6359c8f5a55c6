"""Left/right swap correction on real walking motion: the Qualisys motion-capture trial of ../shared/data,
projected through the synthetic side-view camera, with the pose-like noise model (swap runs injected).

    python benchmarks/bench_swaps_mocap.py [N_TRIALS]

Prints, per frame rate, the share of swapped frames restored and of clean frames changed (frames with the
knees < 0.1 leg length apart excluded, where the labels are indistinguishable).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from gaitlab.gait.passes import segment_passes
from gaitlab.mocap import markers_to_landmarks, read_c3d, to_world
from gaitlab.model import LM
from gaitlab.pipeline import load_pipeline
from gaitlab.pose.sides import correct_leg_swaps
from gaitlab.synth.camera import Camera, frame_times, to_pose_sequence
from gaitlab.synth.noise import NoiseModel, apply_noise

C3D = Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap" / "kineticstoolkit-c3d" / "Qualisys.c3d"


def main(n_trials: int = 80) -> None:
    if not C3D.exists():
        raise SystemExit(f"{C3D} not found (../shared/data is needed)")
    md = to_world(read_c3d(C3D))
    lm = markers_to_landmarks(md)
    cfg = load_pipeline()
    knee_l, knee_r = LM["left_knee"], LM["right_knee"]
    for fps in (30, 60):
        counts = np.zeros(4)  # swapped, restored, clean, clean changed
        for seed in range(n_trials):
            t = md.t_s[0] + frame_times(fps, md.t_s[-1] - md.t_s[0], phase_s=0.007 * seed, seed=seed)
            world = lm[np.clip(np.searchsorted(md.t_s, t), 0, len(md.t_s) - 1)]
            cam = Camera.side_view(distance_m=4.0, walk_center_x_m=float(np.nanmean(lm[:, 23, 0])),
                                   from_left=bool(seed % 2))
            clean = to_pose_sequence(world, t, cam)
            noisy, truth = apply_noise(clean, NoiseModel(swap_runs_per_10s=3.0, drop_fraction=0.0), seed=seed)
            passes, _ = segment_passes(noisy, cfg.passes)
            _, swapped = correct_leg_swaps(noisy, passes, cfg.sides)
            true = truth["swapped"]
            apart = np.abs(clean.landmarks[:, knee_l, 0] - clean.landmarks[:, knee_r, 0]) >= 0.1 * truth["leg_length_px"]
            counts += [true[apart].sum(), (swapped & true)[apart].sum(), (~true)[apart].sum(),
                       (swapped & ~true)[apart].sum()]
        print(f"{fps} fps, {n_trials} trials of {md.t_s[-1] - md.t_s[0]:.2f} s: {counts[0]:.0f} swapped frames, "
              f"restored {100 * counts[1] / max(counts[0], 1):.1f} %, clean frames changed {100 * counts[3] / counts[2]:.2f} %")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 80)
