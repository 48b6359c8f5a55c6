"""Real motion capture, projected through the synthetic camera, through the foundation's passes, sides
and kinematics (issue 4 acceptance, the part that needs no gait model)."""

import numpy as np
import pytest

from conftest import shared_file
from gaitlab.analysis import analyze
from gaitlab.model import LM, PoseSequence
from gaitlab.pose.importers import write_landmarks_csv


@pytest.fixture(scope="module")
def qualisys_world():
    from gaitlab.mocap import markers_to_landmarks, read_c3d, to_world

    md = to_world(read_c3d(shared_file("mocap/kineticstoolkit-c3d/Qualisys.c3d")))
    return md, markers_to_landmarks(md)


def _knee_deg(xy: np.ndarray, side: str, forward: float) -> np.ndarray:
    def seg(a, b):
        d = xy[:, LM[f"{side}_{b}"]] - xy[:, LM[f"{side}_{a}"]]
        return np.degrees(np.arctan2(forward * d[:, 0], d[:, 1]))
    return seg("hip", "knee") - seg("knee", "ankle")


@pytest.mark.parametrize("from_left", [False, True])
@pytest.mark.parametrize("fps", [30, 60])
def test_projected_mocap_side_views(qualisys_world, from_left, fps, tmp_path):
    from gaitlab.synth.camera import Camera, frame_times, to_pose_sequence

    md, lm = qualisys_world
    t = md.t_s[0] + frame_times(fps, md.t_s[-1] - md.t_s[0], phase_s=0.013, seed=fps)
    world = lm[np.clip(np.searchsorted(md.t_s, t), 0, len(md.t_s) - 1)]
    cam = Camera.side_view(distance_m=4.0, height_m=1.0, walk_center_x_m=float(np.nanmean(lm[:, 23, 0])),
                           from_left=from_left)
    pose = to_pose_sequence(world, t, cam)
    csv = tmp_path / "mocap.csv"
    write_landmarks_csv(PoseSequence(t_s=pose.t_s, landmarks=pose.landmarks, width_px=pose.width_px,
                                     height_px=pose.height_px, backend="mocap"), csv)
    res = analyze(keypoints=csv)
    good = [p for p in res.passes if p.usable]
    direction = "left" if from_left else "right"
    near = "left" if from_left else "right"  # the camera sees the walker's left side from +Y
    assert [(p.view, p.direction, p.facing, p.near_side) for p in good] == [("sagittal", direction, direction, near)]
    # sides kept (the projected labels are the true ones) and knee angles follow the unfiltered truth
    assert np.allclose(res.pose_sides.landmarks[:, :, :2], pose.landmarks[:, :, :2], equal_nan=True)
    kin = res.kinematics
    forward = -1.0 if from_left else 1.0
    for side in ("left", "right"):
        rows = kin[kin.side == side]
        true = _knee_deg(pose.landmarks[:, :, :2], side, forward)[rows.frame.to_numpy()]
        err = rows.knee_flexion_deg.to_numpy() - true
        assert np.sqrt(np.nanmean(err ** 2)) < 3.0, side  # 6 Hz filtering of a 1.7 s trial, no pose noise
