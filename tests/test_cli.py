"""The command line as a user meets it: exit codes, one-line errors, no tracebacks, atomic outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from gaitlab import __version__
from gaitlab.cli import main


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gaitlab.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def assert_clean_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "gaitlab: error:" in proc.stderr
    for w in words:
        assert w.lower() in proc.stderr.lower(), proc.stderr


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_unknown_option_and_bad_values():
    assert_clean_error(run_cli("analyze", "x.mp4", "--colour", "red"), "unrecognized arguments")
    assert_clean_error(run_cli("analyze", "x.mp4", "--view", "top"), "invalid choice")
    assert_clean_error(run_cli("analyze", "x.mp4", "--height-cm", "-3"), "must be positive")


def test_missing_video(tmp_path):
    assert_clean_error(run_cli("analyze", str(tmp_path / "nope.mp4")), "nope.mp4")


def test_text_file_named_mp4_is_not_a_video(tmp_path):
    f = tmp_path / "notes.mp4"
    f.write_text("this is not a video\n" * 50)
    out = tmp_path / "out"
    proc = run_cli("analyze", str(f), "--out", str(out))
    assert_clean_error(proc, "not a video")
    assert not out.exists()
    assert not list(tmp_path.glob(".out*")), "no partial output folder may be left behind"


def test_photo_is_not_a_video(tmp_path):
    import cv2

    f = tmp_path / "photo.mp4"
    ok, png = cv2.imencode(".png", np.zeros((64, 64, 3), np.uint8))
    f.write_bytes(png.tobytes())
    assert_clean_error(run_cli("analyze", str(f)), "not a video")


def test_bad_pipeline_key(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[filter]\ncutof_hz = 3\n")
    assert_clean_error(run_cli("analyze", "x.mp4", "--pipeline", str(p)), "filter.cutof_hz")


def test_bad_person_hint(tmp_path):
    assert_clean_error(run_cli("analyze", "x.mp4", "--person-hint", "the tall one"), "--person-hint")


def test_dictionary_lists_every_file():
    proc = run_cli("dictionary")
    assert proc.returncode == 0
    for f in ("landmarks.csv", "passes.csv", "kinematics.csv", "knee_flexion_deg"):
        assert f in proc.stdout


def test_main_returns_codes_in_process(capsys):
    assert main(["analyze"]) == 2
    assert "Give a video file" in capsys.readouterr().err
