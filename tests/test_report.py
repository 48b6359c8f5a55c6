"""report.html: self-contained, no JavaScript, intended use, flags with the values of flags.csv,
not-assessable reasons, accessible colours. Uses the gait model's keypoints (no video, no MediaPipe)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gaitlab.analysis import analyze
from gaitlab.export import write_outputs
from gaitlab.report import empty_flags, write_report_files
from gaitlab.report.html import INTENDED_USE, TEXT_COLOURS, fmt, range_mark
from gaitlab.synth.gaitmodel import GaitParams, simulate
from gaitlab.synth.patterns import PatternSpec


@pytest.fixture(scope="module")
def flagged():
    """A side-view model walker with marked knee guarding (right) and forward trunk lean."""
    w = simulate(GaitParams(turns=5, walkway_m=8.0, seed=1, patterns=(
        PatternSpec("knee_guarding", "right", 16.0), PatternSpec("forward_trunk_lean", "both", 30.0))),
        fps=30.0, seconds=60)
    a = analyze(pose=w.project(w.camera("side")))
    a.source["file_name"] = "Jane_Doe_knee_2026-11-30.mp4"  # an upload name must never reach the report
    return a


@pytest.fixture(scope="module")
def written(flagged, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    write_outputs(flagged, out)
    return out, (out / "report.html").read_text(encoding="utf-8")


def test_report_is_self_contained_without_script(written):
    _, html = written
    assert "<script" not in html.lower()
    assert not re.search(r"\bon[a-z]+\s*=", html)  # no inline event handlers
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    for url in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html):
        assert url.startswith(("data:image/", "#")), url
    assert "@import" not in html and "url(" not in html


def test_intended_use_and_subject_label(written, flagged):
    _, html = written
    assert INTENDED_USE in html
    assert "not a diagnostic device" in html
    assert "Jane_Doe" not in html and "2026-11-30" not in html
    assert "Gait screening report – Subject" in html


def test_every_flagged_flag_shows_its_flags_csv_value(written):
    out, html = written
    flags = pd.read_csv(out / "flags.csv")
    flagged = flags[flags.status == "flagged"]
    assert len(flagged) >= 2
    for r in flagged.itertuples():
        block = html[html.index(f'id="flag-{r.flag_id}-{r.side}"'):]
        block = block[:block.index("</article>")]
        assert f"<strong>{fmt(r.value)}</strong>" in block
        assert f"CI {fmt(r.ci_low)} to {fmt(r.ci_high)}, n = {r.n}" in block
        assert r.explanation in html.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    # marked before possible
    pos = {s: [html.index(f'id="flag-{r.flag_id}-{r.side}"') for r in flagged[flagged.severity == s].itertuples()]
           for s in ("marked", "possible")}
    if pos["marked"] and pos["possible"]:
        assert max(pos["marked"]) < min(pos["possible"])
    assert "M1 – Knee pain" in html  # knee guarding carries M1


def test_not_assessable_reasons_and_no_video_note(written):
    out, html = written
    flags = pd.read_csv(out / "flags.csv", keep_default_na=False)
    for r in flags[flags.status == "not_assessable"].itertuples():
        assert r.reason.replace("<", "&lt;") in html
    assert "No video was available" in html
    assert not (out / "overlay.mp4").exists()


def test_plots_and_their_tables(written):
    _, html = written
    assert html.count("data:image/svg+xml;base64,") >= 3  # curves, timeline, symmetry
    assert "Data table: sagittal angle curves" in html and "Data table: gait events" in html


def test_report_without_flags_module_still_renders(flagged, tmp_path):
    a = flagged
    saved = a.flags
    try:
        a.flags = empty_flags()
        write_report_files(a, tmp_path, video_path=None)
    finally:
        a.flags = saved
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "flags were not computed" in html and INTENDED_USE in html


def _luminance(hex_rgb: str) -> float:
    c = np.array([int(hex_rgb[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


@pytest.mark.parametrize("name", sorted(TEXT_COLOURS))
def test_text_colours_meet_wcag_aa(name, written):
    fg, bg = TEXT_COLOURS[name]
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    assert (hi + 0.05) / (lo + 0.05) >= 4.5
    assert fg.lower() in written[1].lower() and bg.lower() in written[1].lower()


def test_range_mark_uses_symbol_and_words():
    assert range_mark(130.0, 100.0, 120.0)[:2] == ("▲", "above normal range")
    assert range_mark(90.0, 100.0, 120.0)[:2] == ("▼", "below normal range")
    assert range_mark(110.0, 100.0, 120.0)[:2] == ("✓", "within normal range")
    assert range_mark(1.0, float("nan"), float("nan"))[1] == "no published range"


def test_session_header_names_both_clips_and_the_label(flagged, tmp_path):
    import dataclasses

    clip = {"duration_s": 12.0, "width_px": 1280, "height_px": 720, "avg_fps": 30.0, "file_name": "secret_name.mp4"}
    a = dataclasses.replace(flagged, source={**flagged.source, "subject_label": "P-017"},
                            session={"clips": {"side": clip, "front": {**clip, "duration_s": 9.0}}})
    write_report_files(a, tmp_path, video_path=None)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Gait screening report – P-017" in html
    assert "side clip: 12.0 s" in html and "front clip: 9.0 s" in html and "secret_name" not in html


def test_front_clip_flags_of_a_session_take_no_key_frame_from_the_side_video(flagged):
    from gaitlab.report import FRONT_CLIP_PREFIX, _requests
    from gaitlab.session import FRONT_PREFIX

    assert FRONT_CLIP_PREFIX == FRONT_PREFIX
    flags = flagged.flags.copy()
    hit = flags.index[flags.status == "flagged"][0]
    names = {r.name for r in _requests(flagged, flags)[0]}
    key = f"{flags.at[hit, 'flag_id']}_{flags.at[hit, 'side']}"
    assert key in names
    flags.at[hit, "evidence_strides"] = FRONT_PREFIX + str(flags.at[hit, "evidence_strides"])
    assert key not in {r.name for r in _requests(flagged, flags)[0]}
