"""``gaitlab validate`` (issue 6 §5): the sweep's design, the docs section it writes, and the quick
sweep end to end (rendered clips → MediaPipe → gaitlab → scores against the truth)."""

from __future__ import annotations

import json

import pytest

from gaitlab.validate.report import DOC_BEGIN, DOC_END, check_targets, markdown, write_docs
from gaitlab.validate.sweep import PROTOCOL_PASSES, THRESHOLDS, build_sweep, simulate_clip, threshold_magnitudes


@pytest.fixture(scope="module")
def normal_summary():
    from gaitlab.validate.cli import _normal_summary

    return _normal_summary()


def test_threshold_magnitudes(normal_summary):
    assert threshold_magnitudes("step_time_asymmetry", normal_summary) == (10.0, 30.0, False)
    pos, mark, capped = threshold_magnitudes("antalgic", normal_summary)
    assert pos == pytest.approx(100 * (1 - 1 / 1.1), abs=0.01) and capped and mark < 16
    pos, mark, _ = threshold_magnitudes("foot_drop", normal_summary)
    base = normal_summary["left"]["late_swing_dorsiflexion_deg"]
    assert pos == pytest.approx(base + 5, abs=0.1) and mark == pytest.approx(1.5 * (base + 10), abs=0.1)


def test_sweep_covers_patterns_sides_views_and_normals(normal_summary):
    sweep = build_sweep(normal_summary=normal_summary)
    assert len(sweep) >= 60 and len({c.name for c in sweep}) == len(sweep)
    pats = {(c.patterns[0][0], c.patterns[0][1], c.view, c.level) for c in sweep if c.patterns}
    for name in THRESHOLDS:
        assert any(p[0] == name for p in pats), name
    assert ("pelvic_drop", "right", "front", "possible") in pats and ("foot_drop", "left", "side", "marked_x1.5") in pats
    normals = [c for c in sweep if not c.patterns]
    assert len(normals) >= 20
    assert {c.fps for c in normals} == {30.0, 60.0} and {c.view for c in normals} == {"side", "front"}
    assert min(c.speed_m_s for c in normals) == 0.8 and max(c.speed_m_s for c in normals) == 1.6
    assert len({c.height_m for c in normals}) >= 4 and len({c.camera_height_m for c in normals}) >= 3


def test_pattern_clips_walk_the_recording_protocol(normal_summary):
    """CLINICAL §7: passes each way with the whole walkway in view, so that §4's minimum strides can be met."""
    import numpy as np

    from gaitlab.model import LM

    sweep = build_sweep(normal_summary=normal_summary)
    for spec in (next(c for c in sweep if c.patterns and c.view == v) for v in ("side", "front")):
        walk, cam = simulate_clip(spec)
        seg = np.asarray(walk.segment)
        starts = np.flatnonzero((seg[1:] == "turn") & (seg[:-1] != "turn"))
        assert len(starts) == PROTOCOL_PASSES - 1 and seg[-1] == "straight", spec.name  # every pass completed
        pel = 0.5 * (walk.world_m[:, LM["left_hip"]] + walk.world_m[:, LM["right_hip"]])
        px = cam.project(pel)
        inside = (px[:, 0] >= 0) & (px[:, 0] < cam.width_px) & (seg == "straight")
        if spec.view == "side":  # ≥ 6.5 m of each straight in view, ≥ 250 px tall walker
            assert np.ptp(pel[inside, 0]) >= 6.5
            assert spec.distance_m and 1.75 / (spec.distance_m * 2 * np.tan(np.radians(cam.hfov_deg / 2)) * 9 / 16) * 720 >= 300
        else:  # the walker comes from beyond 8 m to within 4 m of the camera
            dist = px[inside, 2]
            assert dist.max() > 8.0 and dist.min() < 4.0


def test_write_docs_replaces_only_the_generated_section(tmp_path):
    doc = tmp_path / "validation.md"
    doc.write_text("# Hand-written\n\nmocap section\n")
    write_docs(doc, "table one")
    write_docs(doc, "table two")
    text = doc.read_text()
    assert text.startswith("# Hand-written\n\nmocap section\n")
    assert text.count(DOC_BEGIN) == 1 and text.count(DOC_END) == 1
    assert "table two" in text and "table one" not in text


def test_flag_sensitivity_counts_not_assessable_and_wrong_side_as_misses():
    from gaitlab.validate.report import pool

    def clip(pattern, side, flags, level="marked_x1.5"):
        return {"patterns": [(pattern, side, 1.0)] if pattern else [], "level": level, "view": "side", "flags": flags}

    def row(fid, side, status):
        return {"flag_id": fid, "side": side, "status": status}

    results = [clip("foot_drop", "left", [row("foot_drop", "left", "flagged")]),
               clip("foot_drop", "right", [row("foot_drop", "left", "flagged"), row("foot_drop", "right", "not_flagged")]),
               clip("antalgic", "left", [row("antalgic_stance", "left", "not_assessable")]),
               clip("antalgic", "right", [row("antalgic_stance", "right", "flagged")]),
               clip(None, None, [row("foot_drop", "left", "not_flagged")], "normal"),
               clip(None, None, [row("foot_drop", "left", "flagged")], "normal")]
    for r in results:
        r.update(detection={"detected": 1, "frames": 1, "detected_all": 1, "frames_all": 1}, fps=30.0, events={},
                 strides={k: [] for k in ("stride_time_s", "step_time_s", "stance_pct", "cadence_steps_min")},
                 cadence={"measured": float("nan"), "true": float("nan")}, angles={})
    P = pool(results)
    fd = P["flags"]["sensitivity"]["foot_drop|side|marked_x1.5"]
    assert (fd["n"], fd["hit"], fd["wrong"], fd["na"]) == (2, 1, 1, 0)
    assert P["flags"]["sensitivity"]["antalgic|side|marked_x1.5"]["na"] == 1
    assert P["flag_sens_marked_min_pct"] == 50.0 and P["flag_sens_marked_pct"] == 50.0
    assert P["normals_no_flag_pct"] == 50.0
    assert "| foot_drop | side | 1.5 × marked | 2 | 1 | 1 | 0 | 50 % | 50 % |" in markdown(P)


def test_targets_fail_on_missing_numbers():
    assert not any(ok for *_, ok in check_targets({}))


@pytest.mark.slow
def test_quick_sweep_end_to_end(tmp_path, capsys):
    from gaitlab.cli import main

    rc = main(["validate", "--quick", "--out", str(tmp_path), "--no-write-docs"])
    out = capsys.readouterr().out
    assert rc in (0, 1)  # 1 = a target missed on three short clips; the numbers below must still be sane
    assert "| side views |" in out and "| target | measured |" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_clips"] == 3
    assert summary["det_side_pct"] >= 95.0 and summary["det_front_all_pct"] >= 80.0
    assert summary["hs_mae_ms_30"] < 60.0
    assert summary["rmse knee_flexion_deg near"] < 12.0
    assert len(list((tmp_path / "results").glob("*.json"))) == 3
