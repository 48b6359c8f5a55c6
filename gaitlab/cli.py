"""Command line: ``gaitlab analyze VIDEO``, ``gaitlab dictionary``, ``gaitlab --version``.

A user-caused error prints one line (``gaitlab: error: ...``) without a traceback and exits 2; an
internal error prints one line asking for a report and exits 1 (``--debug`` shows the traceback);
Ctrl-C exits 130 and leaves no output folder behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import ConfigError, GaitlabError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: same one-line style, exit 2
        self.print_usage(sys.stderr)
        self.exit(2, f"gaitlab: error: {message}\n")


def _positive(kind):
    def conv(text: str):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not v > 0:
            raise argparse.ArgumentTypeError(f"'{text}' must be positive")
        return v

    return conv


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gaitlab", description="Gait biomechanics from phone video.")
    p.add_argument("--version", action="version", version=f"gaitlab {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    a = sub.add_parser("analyze", help="analyse one walking video (or a side + front session)",
                       description="Analyse one walking video, or a side-view and a front-view clip of one session.")
    a.add_argument("video", nargs="*", help="video file (MP4, MOV, MKV, WebM, AVI); two files = side clip, front clip")
    a.add_argument("--session", metavar="FILE.toml", help="session file: side = \"side.mp4\", front = \"front.mp4\" "
                   "(paths relative to it), optional label and height_cm")
    a.add_argument("--out", help="output folder (default: results/<video name>/)")
    a.add_argument("--pipeline", help="pipeline TOML file or name in pipelines/ (default: default)")
    a.add_argument("--view", choices=["auto", "sagittal", "frontal"], default="auto",
                   help="force the view family when automatic detection is wrong")
    a.add_argument("--height-cm", type=_positive(float), help="walker's height, for metres (scale rule in CLINICAL.md §5)")
    a.add_argument("--belt-speed", type=_positive(float), metavar="M_S",
                   help="treadmill belt speed in m/s (a treadmill clip's speed and stride length come only from it)")
    a.add_argument("--keypoints", help="use these keypoints instead of running pose: a gaitlab landmarks.csv or an OpenPose BODY_25 JSON folder")
    a.add_argument("--person-hint", help="X,Y[@T]: the walker is near pixel (X, Y) of the upright frame at T seconds")
    a.add_argument("--capture-fps", type=_positive(float), help="capture frame rate of a slow-motion clip (e.g. 240)")
    a.add_argument("--time-scale", type=_positive(float), help="real seconds per second of playback (slow motion: playback fps / capture fps)")
    a.add_argument("--chunks", type=int, default=1, help="run pose on N time chunks in parallel processes "
                   "(long clips on an idle machine; default 1)")
    a.add_argument("--no-cache", action="store_true", help="re-run pose estimation even if cached")
    a.add_argument("--no-blur", action="store_true", help="do not pixelate faces in overlay.mp4 and the report's images")
    a.add_argument("--no-overlay", action="store_true", help="do not write overlay.mp4 (the report's key frames are still made)")
    a.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("dictionary", help="print the data dictionary (every output column, unit, definition)")
    c = sub.add_parser("compare", help="before/after comparison of two analysis folders",
                       description="Compare two gaitlab output folders (earlier, later): comparison.csv and .html.")
    c.add_argument("old", help="output folder of the earlier analysis")
    c.add_argument("new", help="output folder of the later analysis")
    c.add_argument("--out", help="folder for comparison.csv and comparison.html (default: the later folder)")

    from .synth.cli import add_synth_parser  # argparse only: cheap to import

    add_synth_parser(sub, _positive)
    from .validate.cli import add_validate_parser  # argparse only: cheap to import

    add_validate_parser(sub, _positive)
    from .batch.cli import add_batch_parser  # argparse only: cheap to import

    add_batch_parser(sub, _positive)
    from .web.cli import add_serve_parser, add_user_parser  # argparse only: cheap to import

    add_serve_parser(sub, _positive)
    add_user_parser(sub)
    return p


class _ProgressBar:
    """tqdm bar on stderr (frames/s and time left), created when pose reports its first frames."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="frame", desc="pose", file=sys.stderr, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                       "[{elapsed}<{remaining}, {rate_fmt}]")
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _analyze(args) -> int:
    from .analysis import analyze
    from .export import write_outputs

    videos = list(args.video or [])
    if len(videos) > 2:
        raise ConfigError("Give one video, or two (side clip, then front clip) for a session.")
    if args.session or len(videos) == 2:
        return _analyze_session(args, videos)
    video = videos[0] if videos else None
    if video is None and args.keypoints is None:
        raise ConfigError("Give a video file to analyse: gaitlab analyze clip.mp4 [--out results/clip]")
    source = video or args.keypoints
    out = Path(args.out) if args.out else Path("results") / Path(source).stem
    bar = None if args.quiet else _ProgressBar()
    try:
        result = analyze(
            video, pipeline=args.pipeline, view=args.view, height_cm=args.height_cm,
            belt_speed_m_s=args.belt_speed, keypoints=args.keypoints,
            person_hint=args.person_hint, capture_fps=args.capture_fps, time_scale=args.time_scale,
            use_cache=not args.no_cache, chunks=args.chunks, progress=bar,
        )
    finally:
        if bar is not None:
            bar.close()
    write_outputs(result, out, video_path=video, blur=not args.no_blur, overlay=not args.no_overlay)
    for w in result.warnings:
        print(f"gaitlab: warning: {w}", file=sys.stderr)
    print(result.text_summary())
    from .export import DATA_DICTIONARY

    print(f"Outputs written to {out}/ ({', '.join([*DATA_DICTIONARY, 'analysis.json'])}; every column is "
          "described by 'gaitlab dictionary')")
    print(f"Report: {out / 'report.html'} (open in a browser; prints to PDF)")
    return 0


def _analyze_session(args, videos: list[str]) -> int:
    from .export import write_outputs
    from .session import analyze_session, read_session_file

    if args.keypoints or args.view != "auto":
        raise ConfigError("--keypoints and --view apply to one clip; a session takes its views as side, front.")
    kw = read_session_file(args.session) if args.session else {"side": videos[0], "front": videos[1]}
    if args.session and videos:
        raise ConfigError("Give either two videos or --session FILE.toml, not both.")
    if args.height_cm:
        kw["height_cm"] = args.height_cm
    out = Path(args.out) if args.out else Path("results") / Path(args.session or videos[0]).stem
    bar = None if args.quiet else _ProgressBar()
    try:
        result = analyze_session(pipeline=args.pipeline, use_cache=not args.no_cache, progress=bar,
                                 person_hint=args.person_hint, capture_fps=args.capture_fps, **kw)
    finally:
        if bar is not None:
            bar.close()
    write_outputs(result, out, video_path=kw["side"], blur=not args.no_blur, overlay=not args.no_overlay,
                  front_video_path=kw["front"])
    for w in result.warnings:
        print(f"gaitlab: warning: {w}", file=sys.stderr)
    print("Session: side clip (sagittal, temporal) + front clip (frontal; single support "
          f"{result.session['single_support_window_pct']} % of the stride, {result.session['single_support_source']}).")
    print(result.text_summary())
    print(f"Outputs written to {out}/ (the front clip's own outputs in {out}/front_clip/)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "compare":
            from .compare import compare_outputs

            df = compare_outputs(args.old, args.new, args.out or args.new)
            print(f"{(df.flag_change == '').sum()} metrics and {(df.flag_change != '').sum()} flag changes compared; "
                  f"written to {args.out or args.new}/comparison.csv and comparison.html")
            return 0
        if args.command == "dictionary":
            from .export import data_dictionary_markdown

            print(data_dictionary_markdown())
            return 0
        if args.command == "synth":
            from .synth.cli import run_synth

            return run_synth(args)
        if args.command == "validate":
            from .validate.cli import run_validate

            return run_validate(args)
        if args.command == "batch":
            from .batch.cli import run_batch_cli

            return run_batch_cli(args)
        if args.command in ("serve", "user"):
            from .web.cli import run as run_web

            return run_web(args)
        parser.print_help()
        return 2
    except GaitlabError as exc:
        print(f"gaitlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gaitlab: interrupted; no output was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
        if args.debug:
            raise
        print(f"gaitlab: internal error: {type(exc).__name__}: {exc}. Please report it with the command you ran "
              "(add --debug for the traceback).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
