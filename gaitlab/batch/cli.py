"""``gaitlab batch INPUT_DIR --out OUT_DIR``: the command-line face of :func:`gaitlab.batch.runner.run_batch`.

Exit codes: 0 all clips done, 3 some clip failed (listed in OUT_DIR/batch_errors.csv), 2 a user error
found before any work, 130 after Ctrl-C (run the same command again to resume).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def add_batch_parser(subparsers, positive) -> None:
    """Register ``gaitlab batch`` on the main parser's ``subparsers`` (argparse only: cheap to import)."""
    b = subparsers.add_parser(
        "batch", help="analyse every video under a folder (parallel, cached, resumable)",
        description="Analyse every walking video under INPUT_DIR (found by content, recursively) into a mirrored "
                    "folder tree under OUT_DIR, with batch_summary/strides/metrics/flags/errors.csv. Re-running the "
                    "same command skips finished clips; a changed analysis setting re-runs analysis, never pose.")
    b.add_argument("input_dir", help="folder of videos (searched recursively)")
    b.add_argument("--out", required=True, help="output folder (the input tree is mirrored under it)")
    b.add_argument("--pattern", help="only files whose relative path or name matches this glob (e.g. '*.mov')")
    b.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="parallel worker processes (default: the number of CPUs; 0 = in this process, for debugging)")
    b.add_argument("--pipeline", help="pipeline TOML file or name in pipelines/ (default: default)")
    dask = b.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    dask.add_argument("--dask-local", type=positive(int), metavar="N",
                      help="run on a local Dask cluster of N worker processes (one thread each)")
    b.add_argument("--manifest", metavar="FILE",
                   help="CSV of sessions (session_id, side_clip, front_clip, height_cm, belt_speed_m_s, notes; "
                        "clip paths relative to INPUT_DIR): each row is one side + front analysis")
    b.add_argument("--retry-failed", action="store_true", help="run again the clips that failed in an earlier run")
    b.add_argument("--no-blur", action="store_true", help="do not pixelate faces in overlay.mp4 and the report's images")
    b.add_argument("--no-overlay", action="store_true", help="do not write overlay.mp4 (faster; the report is still made)")
    b.add_argument("--quiet", action="store_true", help="no progress bar or log lines (only the final line)")


def run_batch_cli(args) -> int:
    """Run ``gaitlab batch``; returns the exit code. Raises GaitlabError for problems found before any work."""
    from .runner import BatchOptions, run_batch

    opts = BatchOptions(
        input_dir=Path(args.input_dir), out_dir=Path(args.out), pattern=args.pattern, workers=args.workers,
        pipeline=args.pipeline, scheduler=args.scheduler, dask_local=args.dask_local or 0,
        manifest=Path(args.manifest) if args.manifest else None, retry_failed=args.retry_failed,
        blur=not args.no_blur, overlay=not args.no_overlay)
    log = open(os.devnull, "w") if args.quiet else sys.stderr
    try:
        report = run_batch(opts, log=log)
    finally:
        if args.quiet:
            log.close()
    print(report.final_line(opts.out_dir))
    if report.counts["failed"] or report.counts["skipped"]:
        print(f"gaitlab batch: the failed clips and why are in {opts.out_dir}/batch_errors.csv"
              + ("" if not report.counts["skipped"] else "; --retry-failed runs the skipped ones again"), file=sys.stderr)
    return report.exit_code
