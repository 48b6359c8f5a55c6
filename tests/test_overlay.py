"""overlay.mp4 plays everywhere (H.264 yuv420p, even size, ≤ 720p, moov before mdat) and the key
frames reach the report; --no-overlay / --no-blur reach write_report_files."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import pandas as pd
import pytest

from gaitlab.report import FLAG_COLUMNS, write_report_files
from gaitlab.report.overlay import output_size

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "walk_side.mp4"


def _top_level_boxes(path: Path) -> list[str]:
    """Types of the top-level MP4 boxes in file order."""
    out, data, pos = [], path.read_bytes(), 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        out.append(kind.decode("latin-1"))
        pos += size
    return out


@pytest.fixture(scope="module")
def analysis():
    from gaitlab.analysis import analyze

    a = analyze(SAMPLE)
    row = dict.fromkeys(FLAG_COLUMNS, "")
    row.update(flag_id="reduced_hip_extension", name="Reduced hip extension", side="left", status="flagged",
               severity="possible", metric="peak_thigh_ext_deg", value=3.2, ci_low=1.0, ci_high=4.6, n=3, unit="deg",
               threshold_possible=5.0, threshold_marked=0.0, normal_low=10.0, normal_high=20.0, mechanisms="M2",
               explanation="test row", evidence_strides="pass 7 left stride 0", evidence_frames="230-260", key_frame=245)
    a.flags = pd.DataFrame([row], columns=list(FLAG_COLUMNS))
    return a


@pytest.fixture(scope="module")
def written(analysis, tmp_path_factory):
    out = tmp_path_factory.mktemp("overlay")
    names = write_report_files(analysis, out, video_path=SAMPLE)
    return out, names


@pytest.mark.slow
def test_overlay_is_browser_safe_h264(written):
    out, names = written
    assert "overlay.mp4" in names
    path = out / "overlay.mp4"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and s.codec_context.pix_fmt == "yuv420p"
        assert s.width % 2 == 0 and s.height % 2 == 0
        assert max(s.width, s.height) <= 1280 and min(s.width, s.height) <= 720
        n = sum(1 for _ in c.decode(video=0))
    with av.open(str(SAMPLE)) as c:
        assert n == sum(1 for _ in c.decode(video=0))  # every frame, once
    boxes = _top_level_boxes(path)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")  # +faststart


@pytest.mark.slow
def test_key_frames_are_in_the_report(written):
    out, names = written
    assert {"keyframes/reduced_hip_extension_left.png", "keyframes/tracking_check.png"} <= set(names)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 2
    assert "Key frame for Reduced hip extension (left)" in html
    assert "faces pixelated" in html


@pytest.mark.slow
def test_no_overlay_still_makes_key_frames(analysis, tmp_path):
    names = write_report_files(analysis, tmp_path, video_path=SAMPLE, blur=False, overlay=False)
    assert not (tmp_path / "overlay.mp4").exists() and "keyframes/tracking_check.png" in names
    assert "--no-overlay" in (tmp_path / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("size,expected", [((1280, 720), (1280, 720)), ((1920, 1080), (1280, 720)),
                                           ((1080, 1920), (720, 1280)), ((3840, 2160), (1280, 720)),
                                           ((640, 480), (640, 480)), ((1440, 2560), (720, 1280))])
def test_output_size_stays_within_720p(size, expected):
    f, max_side = output_size(*size)
    got = (round(size[0] * f), round(size[1] * f))
    assert got == expected
    assert max_side == (max(expected) if f < 1 else 0)


def test_cli_options_reach_the_parser():
    from gaitlab.cli import build_parser

    args = build_parser().parse_args(["analyze", "clip.mp4", "--no-blur", "--no-overlay"])
    assert args.no_blur and args.no_overlay
    args = build_parser().parse_args(["analyze", "clip.mp4"])
    assert not args.no_blur and not args.no_overlay
