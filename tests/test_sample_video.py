"""The synthetic sample video (gaitlab.synth.sample) and the committed sample_videos/walk_side.mp4."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from gaitlab.synth.sample import STANCE_FRACTION, make_sample_video

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "walk_side.mp4"
SAMPLE_TRUTH = ROOT / "sample_videos" / "walk_side.truth.json"


def _decode(path):
    with av.open(str(path)) as c:
        st = c.streams.video[0]
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(st)]
        return st.codec_context.name, st.average_rate, frames


def _seg_deg(a, b, d):
    """Segment angle to vertical in image pixels (y down), + = distal end ahead in direction d."""
    v = np.asarray(b) - np.asarray(a)
    return np.degrees(np.arctan2(d * v[..., 0], v[..., 1]))


def _arr(values):
    return np.array([[np.nan, np.nan] if v is None else v for v in values], float)


def test_make_sample_video_small(tmp_path):
    out = tmp_path / "tiny.mp4"
    truth = make_sample_video(out, seconds=2.0, fps=10, width=160, height=96, seed=3)
    codec, rate, frames = _decode(out)
    assert codec == "h264" and rate == 10
    assert len(frames) == truth["n_frames"] == 20
    assert frames[0][1].shape == (96, 160, 3)
    assert [round(t, 4) for t, _ in frames] == truth["frames"]["time_s"]
    on_disk = json.loads((tmp_path / "tiny.truth.json").read_text())
    assert on_disk == json.loads(json.dumps(truth))
    assert (truth["fps"], truth["width"], truth["height"], truth["seed"]) == (10, 160, 96, 3)
    assert [(p["direction"], p["near_side"]) for p in truth["passes"]] == [("right", "right"), ("left", "left")]
    assert all(len(v) == 20 for v in list(truth["landmarks_px"].values()) + list(truth["angles_deg"].values()))
    # the walker is mid-frame in both (short) passes, absent in the gap between them
    assert truth["frames"]["fully_visible"].count(True) >= 6
    gap = [i for i, p in enumerate(truth["frames"]["pass_index"]) if p is None]
    assert gap and all(truth["landmarks_px"]["right_knee"][i] is None for i in gap)
    for side, ev in truth["events"].items():
        for t in ev["heel_strike_s"] + ev["toe_off_s"]:
            assert any(p["start_s"] <= t < p["end_s"] for p in truth["passes"])
    # the scene texture depends on the seed, the truth does not
    other = make_sample_video(tmp_path / "other.mp4", seconds=2.0, fps=10, width=160, height=96, seed=4)
    assert other["landmarks_px"] == truth["landmarks_px"] and other["events"] == truth["events"]
    assert not np.array_equal(_decode(tmp_path / "other.mp4")[2][0][1], frames[0][1])


def test_make_sample_video_rejects_odd_size(tmp_path):
    with pytest.raises(ValueError):
        make_sample_video(tmp_path / "x.mp4", seconds=2.0, fps=10, width=161, height=96, seed=0)


@pytest.fixture(scope="module")
def sample_truth():
    if not SAMPLE_TRUTH.exists():
        pytest.skip("sample_videos/walk_side.truth.json not generated")
    return json.loads(SAMPLE_TRUTH.read_text())


def test_sample_truth_is_consistent(sample_truth):
    t = sample_truth
    assert SAMPLE.stat().st_size < 2.5e6
    lm, ang, fr = t["landmarks_px"], t["angles_deg"], t["frames"]
    # image angles from the true pixels equal the true angles (each side lies in a plane parallel to the image)
    for p in t["passes"]:
        d = 1 if p["direction"] == "right" else -1
        idx = [i for i, k in enumerate(fr["pass_index"]) if k == p["index"]]
        for s in ("right", "left"):
            hip, knee, ankle = (_arr(lm[f"{s}_{j}"])[idx] for j in ("hip", "knee", "ankle"))
            thigh, shank = _seg_deg(hip, knee, d), _seg_deg(knee, ankle, d)
            np.testing.assert_allclose(thigh, np.array(ang[f"{s}_thigh_deg"], float)[idx], atol=0.2)
            np.testing.assert_allclose(thigh - shank, np.array(ang[f"{s}_knee_flexion_deg"], float)[idx], atol=0.3)
    knee = np.array([v for v in ang["right_knee_flexion_deg"] if v is not None])
    assert 3 < knee.min() < 8 and 58 < knee.max() < 68
    # the stance foot is planted: toe still during late stance (< 1 cm)
    ppm = t["subject"]["px_per_m_near_hip"]
    for s, off in (("right", 0.0), ("left", 0.5)):
        q = np.array([np.nan if v is None else (v + off) % 1 for v in fr["right_phase"]])
        toe = _arr(lm[f"{s}_toe"])
        for hs in t["events"][s]["heel_strike_s"]:
            i0 = int(round(hs * t["fps"]))
            w = [i for i in range(i0, min(i0 + 25, len(q))) if 0.47 <= q[i] < STANCE_FRACTION - 0.01]
            if len(w) >= 2:
                assert np.ptp(toe[w, 0]) / ppm < 0.01


LANDMARK = {"right_knee": 26, "left_knee": 25, "right_hip": 24, "left_hip": 23, "right_ankle": 28, "left_ankle": 27}


@pytest.mark.slow
def test_committed_sample_is_detected(sample_truth):
    mp = pytest.importorskip("mediapipe")
    t = sample_truth
    codec, rate, frames = _decode(SAMPLE)
    assert codec == "h264" and rate == t["fps"] == 30
    assert len(frames) == t["n_frames"] and frames[0][1].shape == (t["height"], t["width"], 3)
    full = np.array(t["frames"]["fully_visible"])
    passes = t["passes"]
    assert [p["direction"] for p in passes] == ["right", "left"]
    for p in passes:  # each pass shows the whole walker for at least two strides
        assert p["fully_visible_s"][1] - p["fully_visible_s"][0] >= 2 * t["gait"]["stride_time_s"]
    W, H = t["width"], t["height"]
    detected, swapped, knee_err = [], [], []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False) as pose:
        for i, (_, rgb) in enumerate(frames):
            res = pose.process(rgb)
            if not full[i]:
                continue
            detected.append(res.pose_landmarks is not None)
            if res.pose_landmarks is None:
                continue
            L = {k: np.array([res.pose_landmarks.landmark[j].x * W, res.pose_landmarks.landmark[j].y * H])
                 for k, j in LANDMARK.items()}
            T = {k: np.array(t["landmarks_px"][k][i]) for k in LANDMARK}
            swapped.append(np.linalg.norm(L["right_knee"] - T["left_knee"])
                           < np.linalg.norm(L["right_knee"] - T["right_knee"]))
            p = passes[t["frames"]["pass_index"][i]]
            d, s = (1 if p["direction"] == "right" else -1), p["near_side"]
            kf = _seg_deg(L[f"{s}_hip"], L[f"{s}_knee"], d) - _seg_deg(L[f"{s}_knee"], L[f"{s}_ankle"], d)
            knee_err.append(kf - t["angles_deg"][f"{s}_knee_flexion_deg"][i])
    assert len(detected) >= 150
    assert np.mean(detected) >= 0.90
    # loose guards against a drawing regression (measured: ~5 % swaps, ~3 deg median error)
    assert np.mean(swapped) < 0.20
    assert np.median(np.abs(knee_err)) < 8.0
