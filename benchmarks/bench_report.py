"""Cost of the report relative to pose on one clip: pose (MediaPipe, no cache), the HTML report alone,
and report + overlay + key frames with and without face pixelation.

    python benchmarks/bench_report.py [VIDEO]          # default: sample_videos/walk_side.mp4

Prints wall and CPU seconds (this process and its children) per stage and the ratio to pose. On a
shared machine compare CPU seconds: wall time includes waiting for the cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn):
    w, c = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - w, _cpu() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(ROOT / "sample_videos" / "walk_side.mp4"))
    args = ap.parse_args()
    video = Path(args.video)
    os.environ.setdefault("GAITLAB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-report-cache-"))
    from gaitlab.analysis import analyze
    from gaitlab.report import write_report_files

    analysis, pose_w, pose_c = _timed(lambda: analyze(video, use_cache=False))
    n = len(analysis.pose)
    rows = [("pose + analysis (MediaPipe, no cache)", pose_w, pose_c)]
    with tempfile.TemporaryDirectory() as tmp:
        for label, kw in (("report.html only (no video)", {"video_path": None}),
                          ("report + key frames, --no-overlay --no-blur", {"video_path": video, "overlay": False, "blur": False}),
                          ("report + overlay + key frames, --no-blur", {"video_path": video, "blur": False}),
                          ("report + overlay + key frames, faces pixelated (default)", {"video_path": video})):
            out = Path(tmp) / label.split()[0]
            out.mkdir(exist_ok=True)
            names, w, c = _timed(lambda: write_report_files(analysis, out, **kw))
            size = sum((out / nm).stat().st_size for nm in names) / 1e6
            rows.append((f"{label} [{size:.1f} MB]", w, c))
    print(f"{video.name}: {n} frames, {analysis.pose.width_px}×{analysis.pose.height_px}, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'stage':<72} {'wall s':>7} {'cpu s':>7} {'cpu / pose':>10}")
    for label, w, c in rows:
        print(f"{label:<72} {w:7.2f} {c:7.2f} {c / pose_c:10.2f}")


if __name__ == "__main__":
    main()
