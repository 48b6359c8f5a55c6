"""Motion-capture readers, world frame, marker → landmark mapping and event truth.

Real-data tests use ../shared/data/mocap and skip cleanly when it is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_file

from gaitlab import mocap
from gaitlab.model import LM

QUALISYS = "mocap/kineticstoolkit-c3d/Qualisys.c3d"
SUBJECT01 = "mocap/opensim-models/subject01_walk1.trc"
OPENCAP = "mocap/opencap-processing/walk.trc"

QUALISYS_EVENTS = [  # data README: LHS 3.590, RTO 3.685, RHS 4.050, LTO 4.160, LHS 4.535, RTO 4.650, RHS 5.030
    (3.590, "left", "HS"), (3.685, "right", "TO"), (4.050, "right", "HS"), (4.160, "left", "TO"),
    (4.535, "left", "HS"), (4.650, "right", "TO"), (5.030, "right", "HS"),
]


@pytest.fixture(scope="module")
def qualisys_world():
    md = mocap.read_c3d(shared_file(QUALISYS))
    return md, mocap.to_world(md)


def _frame(md, t):
    return int(np.argmin(np.abs(md.t_s - t)))


# --------------------------------------------------------------------------- Qualisys.c3d


@pytest.mark.shared
def test_qualisys_reads_markers_rate_offset_and_events(qualisys_world):
    md, _ = qualisys_world
    assert md.rate_hz == 200.0
    assert len(md.markers) == 55 and md.n_frames == 340
    assert md.t_s[0] == pytest.approx(3.52)  # first frame 704 (0-based) at 200 Hz
    assert np.diff(md.t_s) == pytest.approx(np.full(339, 0.005))
    assert md.up_axis == "z"
    assert [(s, k) for _, s, k in md.events] == [(s, k) for _, s, k in QUALISYS_EVENTS]
    assert [t for t, _, _ in md.events] == pytest.approx([t for t, _, _ in QUALISYS_EVENTS], abs=1e-6)
    heights = np.nanmean(md.markers["L_IAS"][:, 2])
    assert 0.7 < heights < 1.2  # mm → m


@pytest.mark.shared
def test_qualisys_world_frame(qualisys_world):
    _, w = qualisys_world
    pelvis = np.mean([w.markers[k] for k in ("L_IAS", "R_IAS", "L_IPS", "R_IPS")], axis=0)
    assert pelvis[-1, 0] - pelvis[0, 0] > 1.5  # travels +X (≈ 1.3 m/s over 1.7 s)
    assert abs(pelvis[-1, 1] - pelvis[0, 1]) < 0.2
    assert 0.8 < np.nanmean(pelvis[:, 2]) < 1.2  # Z up
    assert np.nanmean(w.markers["L_HDF"][:, 2]) > 1.4
    # walker's left is +Y (right-handed frame, not a mirror)
    assert np.nanmean(w.markers["L_IAS"][:, 1]) > np.nanmean(w.markers["R_IAS"][:, 1]) + 0.15
    feet = np.concatenate([w.markers[f"{s}_{m}"][:, 2] for s in "LR" for m in ("FCC", "FM1", "FM5")])
    assert abs(np.nanpercentile(feet, 1)) < 1e-6  # floor at Z = 0
    assert np.nanmin(feet) > -0.02


@pytest.mark.shared
def test_qualisys_heel_on_floor_at_hs_toe_at_to(qualisys_world):
    """The issue's acceptance: heel near the floor at HS, toe near the floor at TO."""
    _, w = qualisys_world
    lms = mocap.markers_to_landmarks(w)
    for t, side, kind in w.events:
        i = _frame(w, t)
        heel = lms[:, LM[f"{side}_heel"], 2]
        toe = lms[:, LM[f"{side}_foot_index"], 2]
        heel_h, toe_h = heel[i] - np.nanmin(heel), toe[i] - np.nanmin(toe)
        if kind == "HS":
            assert heel_h < 0.02, (t, side, heel_h)  # measured 0.3–1.1 cm
            assert heel_h < toe_h
        else:
            # toe landmark = mid FM1/FM5 (metatarsal heads, lifting at push-off): measured 3.1–5.2 cm,
            # while the heel is already 19–22 cm up
            assert toe_h < 0.06, (t, side, toe_h)
            assert heel[i] - np.nanmin(heel) > toe_h + 0.1


@pytest.mark.shared
def test_qualisys_event_truth_drops_edge_events(qualisys_world):
    md, _ = qualisys_world
    kept = mocap.event_truth(md)
    # 3.590 / 3.685 are < 0.3 s after the start (3.52), 5.030 < 0.3 s before the end (5.215)
    assert [(round(t, 3), s, k) for t, s, k in kept] == [
        (4.050, "right", "HS"), (4.160, "left", "TO"), (4.535, "left", "HS"), (4.650, "right", "TO")]
    assert len(mocap.event_truth(md, edge_s=0.0)) == 7


@pytest.mark.shared
def test_qualisys_landmarks_complete_and_plausible(qualisys_world):
    _, w = qualisys_world
    assert mocap.detect_mapping(w) == "qualisys"
    lms = mocap.markers_to_landmarks(w)
    assert lms.shape == (340, 33, 3)
    used = [LM[n] for n in ("nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip",
                            "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
                            "right_heel", "left_foot_index", "right_foot_index")]
    assert np.isfinite(lms[:, used]).all()
    assert np.isnan(lms[:, LM["left_eye"]]).all()  # not derivable → NaN, never 0
    seg = mocap.segment_lengths(lms)
    for side in ("left", "right"):
        assert 0.30 < seg[f"{side}_thigh_m"] < 0.55
        assert 0.30 < seg[f"{side}_shank_m"] < 0.50
    hip_w = np.linalg.norm(lms[:, LM["left_hip"]] - lms[:, LM["right_hip"]], axis=1)
    assert 0.12 < np.median(hip_w) < 0.25
    # ordering along the vertical: shoulder > hip > knee > ankle
    z = np.full(33, np.nan)
    z[used] = np.mean(lms[:, used, 2], axis=0)
    for s in ("left", "right"):
        assert z[LM[f"{s}_shoulder"]] > z[LM[f"{s}_hip"]] > z[LM[f"{s}_knee"]] > z[LM[f"{s}_ankle"]]


# --------------------------------------------------------------------------- OpenSim / OpenCap text files


@pytest.mark.shared
def test_read_trc_opensim_mm():
    md = mocap.read_trc(shared_file(SUBJECT01))
    assert md.n_frames == 151 and len(md.markers) == 41 and md.rate_hz == 60.0
    assert md.t_s[0] == 0.0 and md.t_s[-1] == pytest.approx(2.5, abs=0.02)
    assert md.up_axis == "y"
    assert md.markers["R.ASIS"].shape == (151, 3)
    assert 0.9 < np.nanmean(md.markers["R.ASIS"][:, 1]) < 1.2  # mm → m
    w = mocap.to_world(md)  # treadmill: X from the feet (pelvis hardly travels)
    assert np.nanmean(w.markers["L.ASIS"][:, 1]) > np.nanmean(w.markers["R.ASIS"][:, 1]) + 0.15
    toe_ahead = np.nanmean(w.markers["R.Toe.Tip"][:, 0] - w.markers["R.Heel"][:, 0])
    assert toe_ahead > 0.1
    lms = mocap.markers_to_landmarks(w)
    assert mocap.detect_mapping(w) == "opensim_subject01"
    assert np.isfinite(lms[:, [LM["left_hip"], LM["right_heel"], LM["left_foot_index"]]]).all()
    assert np.isnan(lms[:, LM["left_knee"]]).all()  # no knee markers in this set


@pytest.mark.shared
def test_read_trc_opencap_metres_and_hip_centres():
    md = mocap.read_trc(shared_file(OPENCAP))
    assert md.n_frames == 222 and len(md.markers) == 63 and md.up_axis == "y"
    w = mocap.to_world(md)
    assert mocap.detect_mapping(w) == "opencap"
    lms = mocap.markers_to_landmarks(w)
    seg = mocap.segment_lengths(lms)  # subject 1.86 m
    for side in ("left", "right"):
        assert 0.30 < seg[f"{side}_thigh_m"] < 0.55
        assert 0.30 < seg[f"{side}_shank_m"] < 0.50
    # Harrington regression vs OpenCap's own hip joint centre markers
    for side, name in (("left", "LHJC_study"), ("right", "RHJC_study")):
        err = np.linalg.norm(lms[:, LM[f"{side}_hip"]] - w.markers[name], axis=1)
        assert np.nanmedian(err) < 0.05
    pelvis_x = lms[:, LM["left_hip"], 0]
    assert pelvis_x[-1] - pelvis_x[0] > 3.0


@pytest.mark.shared
def test_read_mot_ik_and_opencap():
    df = mocap.read_mot(shared_file("mocap/opensim-models/subject01_walk1_ik.mot"))
    assert df.shape == (73, 24) and df.columns[0] == "time"
    assert {"pelvis_tilt", "hip_flexion_r", "knee_angle_l", "ankle_angle_r"} <= set(df.columns)
    assert df.attrs["in_degrees"] is True
    assert df["knee_angle_r"].abs().max() > 30  # degrees, not radians
    df2 = mocap.read_mot(shared_file("mocap/opencap-processing/walk.mot"))
    assert len(df2) == 222 and df2.attrs["in_degrees"] is True
    assert df2["time"].iloc[1] == pytest.approx(1 / 60, abs=1e-6)


# --------------------------------------------------------------------------- pure unit tests


def _synthetic(lab_rot: np.ndarray, up_axis: str) -> mocap.MarkerData:
    """A stick walker moving +X in world coordinates, expressed in a lab frame world→lab."""
    t = np.arange(100) / 100.0
    x = 1.2 * t
    one = np.ones_like(t)
    world = {
        "L.ASIS": np.c_[x + 0.1, 0.12 * one, 1.0 * one], "R.ASIS": np.c_[x + 0.1, -0.12 * one, 1.0 * one],
        "L.PSIS": np.c_[x - 0.1, 0.05 * one, 1.05 * one], "R.PSIS": np.c_[x - 0.1, -0.05 * one, 1.05 * one],
        "Top.Head": np.c_[x, 0 * one, 1.8 * one],
        "L.Heel": np.c_[x - 0.05, 0.1 * one, 0.02 * one], "R.Heel": np.c_[x - 0.05, -0.1 * one, 0.02 * one],
        "L.Toe": np.c_[x + 0.15, 0.1 * one, 0.02 * one], "R.Toe": np.c_[x + 0.15, -0.1 * one, 0.02 * one],
    }
    return mocap.MarkerData(t, {k: v @ lab_rot.T + [3.0, 0.5, -2.0] for k, v in world.items()},
                            100.0, up_axis)


def test_to_world_recovers_forward_left_up_from_a_y_up_lab():
    # lab: Y up, walking along -Z; lab = R @ world with world X→lab -Z, world Z→lab Y, world Y→lab -X
    rot = np.array([[0, -1, 0], [0, 0, 1], [-1, 0, 0]], float)
    assert np.linalg.det(rot) == pytest.approx(1)
    md = _synthetic(rot, "y")
    assert mocap._detect_up_axis(md.markers, "z") == "y"
    w = mocap.to_world(md)
    la, ra = w.markers["L.ASIS"], w.markers["R.ASIS"]
    assert la[-1, 0] - la[0, 0] == pytest.approx(1.2 * 0.99)
    assert la[0, 1] > ra[0, 1]
    assert np.min([w.markers[k][:, 2] for k in ("L.Heel", "L.Toe")]) == pytest.approx(0, abs=1e-9)
    assert w.markers["Top.Head"][0, 2] == pytest.approx(1.78)
    assert w.up_axis == "z"


def test_hip_joint_centres_harrington_geometry():
    lasi, rasi = np.array([[0.0, 0.12, 1.0]]), np.array([[0.0, -0.12, 1.0]])
    lpsi, rpsi = np.array([[-0.16, 0.05, 1.0]]), np.array([[-0.16, -0.05, 1.0]])
    left, right = mocap.hip_joint_centres(lasi, rasi, lpsi, rpsi)
    pw, pd_ = 240.0, 160.0  # mm
    assert left[0] == pytest.approx([(-0.24 * pd_ - 9.9) / 1e3, (0.33 * pw + 7.3) / 1e3,
                                     1.0 - (0.30 * pw + 10.9) / 1e3], abs=1e-9)
    assert right[0, 1] == pytest.approx(-left[0, 1])


def test_unknown_marker_set_names_missing_markers():
    md = mocap.MarkerData(np.zeros(3), {"FOO": np.zeros((3, 3))}, 100.0)
    with pytest.raises(mocap.MocapError, match="L_IAS.*R_IAS.*L.ASIS_study"):
        mocap.markers_to_landmarks(md)
    with pytest.raises(mocap.MocapError, match="unknown mapping"):
        mocap.markers_to_landmarks(md, mapping="vicon")


def test_read_trc_blank_cells_are_nan_and_mm_scaled(tmp_path):
    p = tmp_path / "x.trc"
    p.write_text(
        "PathFileType\t4\t(X/Y/Z)\tx.trc\n"
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
        "100\t100\t2\t2\tmm\t100\t1\t2\n"
        "Frame#\tTime\tHead\t\t\tHeel\t\t\n"
        "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n\n"
        "1\t0.00\t0\t1700\t0\t10\t20\t30\n"
        "2\t0.01\t\t\t\t10\t20\t30\n")
    md = mocap.read_trc(p)
    assert md.rate_hz == 100 and md.up_axis == "y"
    assert md.markers["Head"][0] == pytest.approx([0, 1.7, 0])
    assert np.isnan(md.markers["Head"][1]).all()
    assert md.markers["Heel"][1] == pytest.approx([0.01, 0.02, 0.03])


def test_parse_event_labels():
    assert mocap._parse_event("Foot Strike", "Left") == ("left", "HS")
    assert mocap._parse_event("Foot Off", "Right") == ("right", "TO")
    assert mocap._parse_event("RHS", "") == ("right", "HS")
    assert mocap._parse_event("LTO", "") == ("left", "TO")
    assert mocap._parse_event("Event", "General") is None
