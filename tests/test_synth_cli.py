"""``gaitlab synth``: keypoints CSV + truth JSON from the 3D gait model, readable by ``gaitlab analyze``."""

from __future__ import annotations

import json

import pytest

from gaitlab.cli import main
from gaitlab.synth.patterns import CATALOGUE


def test_synth_writes_keypoints_and_truth_that_analyze_reads(tmp_path, capsys):
    out = tmp_path / "seq.csv"
    rc = main(["synth", "--keypoints", "--pattern", "antalgic", "--side", "left", "--magnitude", "8", "--view",
               "side", "--seconds", "20", "--seed", "1", "--fps", "30", "--speed", "1.2", "--height-cm", "175",
               "--out", str(out)])
    assert rc == 0
    truth = json.loads((tmp_path / "seq.truth.json").read_text())
    assert truth["patterns"] == [{"name": "antalgic", "side": "left", "magnitude": 8.0}]
    assert truth["params"]["turns"] >= 1 and truth["view"] == "side"
    assert len(truth["events"]) > 20 and {e[2] for e in truth["events"]} == {"HS", "TO"}
    s = truth["summary"]
    assert s["left"]["stance_s"] / s["right"]["stance_s"] == pytest.approx(0.92, abs=0.01)
    assert truth["strides"] and truth["true_passes"]

    from gaitlab.analysis import analyze

    result = analyze(keypoints=out)
    usable = [p for p in result.passes if p.usable]
    assert len(usable) >= 2 and {p.direction for p in usable} == {"left", "right"}
    assert {p.near_side for p in usable} == {"left", "right"}
    assert len(result.kinematics)


@pytest.mark.parametrize("extra", [["--treadmill", "--noise", "--view", "front"], ["--pattern", "crouch"]])
def test_synth_options(tmp_path, extra):
    out = tmp_path / "x.csv"
    assert main(["synth", "--keypoints", "--seconds", "6", "--fps", "25", "--out", str(out), *extra]) == 0
    truth = json.loads(out.with_name("x.truth.json").read_text())
    assert truth["noise"] == ("--noise" in extra)
    assert out.read_text().startswith("# gaitlab landmarks")


def test_list_patterns(capsys):
    assert main(["synth", "--list-patterns"]) == 0
    text = capsys.readouterr().out
    for name, info in CATALOGUE.items():
        assert name in text and info.unit in text


@pytest.mark.parametrize("args, message", [
    (["synth", "--out", "x.csv"], "for keypoints add --keypoints"),
    (["synth", "--out", "x.mp4", "--noise"], "apply to --keypoints only"),
    (["synth", "--keypoints", "--out", "x.csv", "--pattern", "limp", "--side", "left"], "valid patterns: antalgic"),
    (["synth", "--keypoints", "--out", "x.csv", "--pattern", "antalgic", "--side", "up"], "left or right"),
    (["synth", "--keypoints", "--out", "x.csv", "--pattern", "antalgic"], "needs --side"),
    (["synth", "--keypoints", "--out", "x.csv", "--pattern", "antalgic", "--side", "left", "--magnitude", "60"],
     "outside the range"),
])
def test_user_errors_exit_2_with_a_message(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message.lower() in capsys.readouterr().err.lower()
    assert not (tmp_path / "x.csv").exists()


def test_bad_view_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--keypoints", "--out", "x.csv", "--view", "top"])
    assert exc.value.code == 2
    assert "side-left" in capsys.readouterr().err
