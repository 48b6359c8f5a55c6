"""Two-clip sessions (side + front camera of one gait-model walk) and before/after comparison."""

from __future__ import annotations

import functools
import json

import pandas as pd
import pytest

from gaitlab.analysis import analyze
from gaitlab.cli import main
from gaitlab.compare import COMPARISON_COLUMNS, compare_outputs
from gaitlab.errors import ConfigError
from gaitlab.export import undocumented_columns, write_outputs
from gaitlab.session import analyze_session, read_session_file
from gaitlab.synth.gaitmodel import GaitParams, simulate
from gaitlab.synth.patterns import PatternSpec


@functools.lru_cache(maxsize=None)
def _walk(patterns=(), speed=1.2):
    return simulate(GaitParams(turns=5, walkway_m=8.0, seed=1, speed_m_s=speed,
                               patterns=tuple(PatternSpec(*p) for p in patterns)), fps=30, seconds=60)


def _front(w):
    return w.project(w.camera("front", width_px=1440, height_px=2560))


@functools.lru_cache(maxsize=None)
def _session(patterns=()):
    w = _walk(patterns)
    return analyze_session(side_pose=w.project(w.camera("side")), front_pose=_front(w))


def test_crouch_session_gives_one_flag_list_from_both_views():
    a = _session((("crouch", "both", 1.0),))
    raised = {(r.flag_id, r.side, r.severity) for r in a.flags[a.flags.status == "flagged"].itertuples()}
    # sagittal flags from the side clip, frontal ones from the front clip, in one table
    assert {("reduced_hip_extension", "left", "marked"), ("knee_valgus", "right", "marked")} <= raised
    valgus = a.flags[(a.flags.flag_id == "knee_valgus") & (a.flags.side == "right")].iloc[0]
    assert valgus.evidence_strides.startswith("front clip: ")
    fppa = a.metrics[(a.metrics.metric == "knee_fppa_deg") & (a.metrics.side == "right")].iloc[0]
    assert fppa.measurable and fppa.value == valgus.value
    assert a.metrics[a.metrics.metric == "knee_flex_loading_deg"].measurable.all()


def test_session_uses_side_timing_and_reports_agreement():
    a = _session()
    assert set(a.flags.status) <= {"not_flagged", "not_assessable"}  # normal walker: no flag
    s = a.session
    lo, hi = s["single_support_window_pct"]
    assert s["single_support_source"] == "from side clip" and 10 < lo < 25 and 40 < hi < 55
    assert (a.front.strides.support_phase == "from side clip").all()
    cad = [r for r in s["temporal_agreement"] if r["metric"] == "cadence_steps_min" and r["side"] == "both"]
    assert cad and cad[0]["agree"] is True and abs(cad[0]["difference"]) < 3.0


def test_session_outputs_and_session_file(tmp_path):
    out = write_outputs(_session(), tmp_path / "res")
    doc = json.loads((out / "analysis.json").read_text())
    assert "session" in doc and (out / "front_clip" / "metrics.csv").exists()
    p = tmp_path / "s.toml"
    p.write_text('side = "a.mp4"\nfront = "b.mp4"\nlabel = "P01"\n')
    assert read_session_file(p) == {"side": str(tmp_path / "a.mp4"), "front": str(tmp_path / "b.mp4"), "label": "P01"}
    p.write_text('side = "a.mp4"\nback = "b.mp4"\n')
    with pytest.raises(ConfigError, match="back"):
        read_session_file(p)
    with pytest.raises(ConfigError):
        analyze_session(side_pose=None, front_pose=None)


def test_compare_before_after(tmp_path, capsys):
    before = _walk((("knee_guarding", "right", 16.0),), speed=1.0)
    after = _walk()
    write_outputs(analyze(pose=before.project(before.camera("side"))), tmp_path / "old")
    write_outputs(analyze(pose=after.project(after.camera("side"))), tmp_path / "new")
    assert main(["compare", str(tmp_path / "old"), str(tmp_path / "new"), "--out", str(tmp_path / "cmp")]) == 0
    df = pd.read_csv(tmp_path / "cmp" / "comparison.csv", keep_default_na=False, na_values=[""])
    assert list(df.columns) == list(COMPARISON_COLUMNS) and undocumented_columns("comparison.csv", list(df.columns)) == []
    assert df.metric.iloc[0].startswith("speed_")  # speed first
    sp = df[(df.metric == "speed_ll_s") & (df.side == "left")].iloc[0]
    assert sp.change > 0 and sp.change_ci_low > 0 and sp.outside_within_session_variability and sp.method == "strides"
    kg = df[(df.metric == "knee_guarding") & (df.side == "right")].iloc[0]
    assert kg.flag_change.startswith("resolved")
    page = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "<script" not in page and "outside within-session variability" in page and "resolved" in page
    # the same folder twice: nothing changes outside the within-session variability
    same = compare_outputs(tmp_path / "new", tmp_path / "new", tmp_path / "same")
    assert not same.outside_within_session_variability.fillna(False).astype(bool).any()
    with pytest.raises(ConfigError, match="analysis.json"):
        compare_outputs(tmp_path, tmp_path / "new", tmp_path / "x")


def test_cli_session_arguments(tmp_path, capsys):
    assert main(["analyze", "a.mp4", "b.mp4", "c.mp4"]) == 2
    assert "one video, or two" in capsys.readouterr().err
    p = tmp_path / "s.toml"
    p.write_text('side = "a.mp4"\nfront = "b.mp4"\n')
    assert main(["analyze", "x.mp4", "--session", str(p)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["analyze", "--session", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
