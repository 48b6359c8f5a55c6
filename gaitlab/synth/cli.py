"""``gaitlab synth``: synthetic walking videos or keypoints with ground truth, from the 3D gait model.

    gaitlab synth --pattern antalgic --side left --view side --seconds 8 --seed 1 --out clip.mp4

renders the walker (:mod:`gaitlab.synth.render`) to ``clip.mp4`` (H.264) and writes ``clip.truth.json``
beside it (parameters, patterns with side and magnitude, true events, strides and summary, camera,
per-frame true 2D landmarks and angles). Video options: ``--width/--height`` (default: the view's
camera, portrait for front/back views), ``--hfov``, ``--crf``, ``--shake-deg``, ``--mirrored``,
``--vfr-jitter``.

    gaitlab synth --keypoints --pattern antalgic --side left --magnitude 8 --view side --seconds 20 \\
        --seed 1 --fps 30 --speed 1.2 --height-cm 175 [--noise] [--treadmill] [--turns N] --out seq.csv

writes ``seq.csv`` (a gaitlab landmarks CSV: ``gaitlab analyze --keypoints seq.csv``) and
``seq.truth.json`` beside it instead. ``--list-patterns`` prints the pattern catalogue.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import ConfigError

VIEWS = ("side", "side-left", "front", "back", "oblique")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv")  # containers gaitlab.video.open_writer writes


def add_synth_parser(subparsers, positive) -> None:
    """Register ``gaitlab synth`` on the main parser's ``subparsers``; ``positive(kind)`` is the CLI's
    converter factory for numbers that must be > 0."""
    s = subparsers.add_parser(
        "synth", help="synthetic walking video (or keypoints) with ground truth (3D gait model, injectable patterns)",
        description="Simulate a walker with the 3D gait model and render it as a video seen by a virtual camera "
                    "(or write its keypoints with --keypoints), with the ground truth beside it "
                    "(<out stem>.truth.json).")
    s.add_argument("--keypoints", action="store_true", help="write keypoints (landmarks CSV) instead of a video")
    s.add_argument("--out", help="output video (.mp4, .mov, .m4v, .mkv) or, with --keypoints, landmarks CSV; "
                                 "the truth goes to <stem>.truth.json beside it")
    s.add_argument("--list-patterns", action="store_true", help="print the pattern catalogue and exit")
    s.add_argument("--pattern", action="append", default=[], metavar="NAME",
                   help="inject a compensatory pattern (repeat for several; see --list-patterns)")
    s.add_argument("--side", action="append", default=[], metavar="SIDE",
                   help="subject side of each --pattern: left or right (once for all, or once per pattern)")
    s.add_argument("--magnitude", action="append", default=[], type=float, metavar="X",
                   help="magnitude of each --pattern in its catalogue unit (default: the catalogue's)")
    s.add_argument("--view", choices=VIEWS, default="side", help="camera placement (default: side)")
    s.add_argument("--seconds", type=positive(float), default=20.0, help="clip length (default 20)")
    s.add_argument("--fps", type=positive(float), default=30.0, help="frame rate (default 30)")
    s.add_argument("--seed", type=int, default=0, help="seed of the stride variability and noise (default 0)")
    s.add_argument("--speed", type=positive(float), default=1.2, help="walking speed m/s (default 1.2)")
    s.add_argument("--cadence", type=positive(float), help="steps/min (default: from the speed, walk-ratio relation)")
    s.add_argument("--height-cm", type=positive(float), default=175.0, help="walker's height (default 175)")
    s.add_argument("--stride-cv", type=float, default=2.0, help="stride-time CV %% (default 2)")
    s.add_argument("--noise", action="store_true",
                   help="--keypoints only: add pose-estimation-like noise, drops and swaps")
    s.add_argument("--treadmill", action="store_true", help="walk on a treadmill (the belt moves at --speed)")
    s.add_argument("--turns", type=int, help="180° turns on the walkway (default: as many as the clip allows)")
    s.add_argument("--walkway-m", type=positive(float), default=6.0, help="length of each straight (default 6)")
    s.add_argument("--vfr-jitter", type=float, default=0.0, help="relative SD of frame intervals (phones: 0.05–0.15)")
    s.add_argument("--labels", choices=("mediapipe", "mediapipe-mirror-back", "true"), default="mediapipe",
                   help="--keypoints only: left/right labelling of the keypoints (default: mediapipe)")
    v = s.add_argument_group("video (default mode)")
    v.add_argument("--width", type=positive(int), help="image width px as displayed (default: the view's camera)")
    v.add_argument("--height", type=positive(int), help="image height px as displayed (default: the view's camera)")
    v.add_argument("--hfov", type=positive(float), help="horizontal field of view, deg (default 60)")
    v.add_argument("--crf", type=int, default=23, help="x264 quality, 0 lossless … 51 worst (default 23)")
    v.add_argument("--shake-deg", type=float, default=0.0,
                   help="hand-held camera: RMS rotation per axis in degrees (default 0 = tripod)")
    v.add_argument("--mirrored", action="store_true", help="mirrored (selfie) clip: flip in the display matrix")
    v.add_argument("--encoder-threads", type=positive(int), metavar="N",
                   help="x264 threads (default: the encoder's choice; 1 gives the same bytes on any machine)")


def _patterns(args):
    from .patterns import CATALOGUE, PatternSpec

    names, sides, mags = args.pattern, args.side, args.magnitude
    for name in names:
        if name not in CATALOGUE:
            raise ConfigError(f"Unknown pattern '{name}'. Valid patterns: {', '.join(CATALOGUE)} "
                              "(gaitlab synth --list-patterns describes them).")
    for side in sides:
        if side not in ("left", "right"):
            raise ConfigError(f"--side must be left or right, not '{side}'.")
    for opt, vals in (("--side", sides), ("--magnitude", mags)):
        if len(vals) > 1 and len(vals) != len(names):
            raise ConfigError(f"Give {opt} once (for all patterns) or once per --pattern "
                              f"({len(names)} patterns, {len(vals)} {opt} values).")
        if vals and not names:
            raise ConfigError(f"{opt} needs a --pattern.")
    specs = []
    for i, name in enumerate(names):
        side = sides[i] if len(sides) > 1 else (sides[0] if sides else None)
        if CATALOGUE[name].sided and side is None:
            raise ConfigError(f"Pattern '{name}' needs --side left or --side right.")
        mag = mags[i] if len(mags) > 1 else (mags[0] if mags else None)
        specs.append(PatternSpec(name, side or "both", mag))
    return tuple(specs)


def _list_patterns() -> int:
    from .patterns import CATALOGUE

    print(f"{'pattern':<24} {'unit':<11} {'default':>7}  target / expected flag (CLINICAL.md §6)")
    for p in CATALOGUE.values():
        print(f"{p.name:<24} {p.unit:<11} {p.default_magnitude:>7g}  {p.target}")
        print(f"{'':<24} {'':<11} {'':>7}  → {p.expected_flag}{'' if p.sided else '  [no --side]'}")
    return 0


def run_synth(args) -> int:
    """Run ``gaitlab synth``; returns the exit code. Raises ConfigError for wrong options."""
    if args.list_patterns:
        return _list_patterns()
    if not args.out:
        raise ConfigError("Give the output file: gaitlab synth --out clip.mp4 (or --keypoints --out seq.csv)")
    if not args.keypoints:
        if Path(args.out).suffix.lower() not in VIDEO_SUFFIXES:
            raise ConfigError(f"The video must end in {', '.join(VIDEO_SUFFIXES)}; for keypoints add --keypoints.")
        if args.noise or args.labels != "mediapipe":
            raise ConfigError("--noise and --labels apply to --keypoints only (a video is analysed by MediaPipe).")
        if not 0 <= args.crf <= 51 or args.shake_deg < 0:
            raise ConfigError("--crf must be in [0, 51] and --shake-deg ≥ 0.")
    if not 0 <= args.stride_cv < 20 or not 0 <= args.vfr_jitter <= 0.5:
        raise ConfigError("--stride-cv must be in [0, 20) % and --vfr-jitter in [0, 0.5].")
    if args.turns is not None and args.turns < 0:
        raise ConfigError("--turns must be 0 or more.")
    if args.treadmill and args.turns:
        raise ConfigError("A treadmill walk has no turns: drop --turns or --treadmill.")

    from .camera import frame_times
    from .gaitmodel import KEYHOLE_LOOP_M_PER_RADIUS, GaitParams, simulate
    from .noise import NoiseModel
    from ..pose.importers import write_landmarks_csv

    turns = args.turns
    if turns is None:  # back and forth on the walkway for the whole clip
        p0 = GaitParams()
        lap = args.walkway_m + KEYHOLE_LOOP_M_PER_RADIUS * p0.turn_radius_m
        turns = 0 if args.treadmill else max(0, math.ceil(args.seconds * args.speed / lap) - 1)
    try:
        params = GaitParams(height_m=args.height_cm / 100.0, speed_m_s=args.speed, cadence_steps_min=args.cadence,
                            stride_time_cv=args.stride_cv / 100.0, seed=args.seed, patterns=_patterns(args),
                            treadmill=args.treadmill, walkway_m=args.walkway_m, turns=turns)
        t = frame_times(args.fps, args.seconds, vfr_jitter=args.vfr_jitter, seed=args.seed)
        walk = simulate(params, t)
    except ValueError as exc:
        raise ConfigError(f"Cannot simulate this walk: {exc}.") from None
    if not args.keypoints:
        return _render(args, walk)
    camera = walk.camera(args.view)
    noise = NoiseModel() if args.noise else None
    pose = walk.project(camera, noise=noise, seed=args.seed, labels=args.labels)
    if not pose.tracked().any():
        raise ConfigError("The walker is never in view of this camera; use a longer clip or --turns.")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_landmarks_csv(pose, out)
    truth = walk.truth_json()
    truth.update({
        "keypoints": out.name, "view": args.view, "labels": args.labels, "noise": bool(args.noise),
        "camera": {k: getattr(camera, k) for k in ("width_px", "height_px", "focal_px", "position_m", "yaw_deg",
                                                   "pitch_deg", "roll_deg", "mirrored")},
        "frames": len(pose), "fps": args.fps,
        "true_passes": [dict(p.__dict__) for p in walk.true_passes(camera)],
    })
    tp = out.with_name(out.stem + ".truth.json")
    tp.write_text(json.dumps(_finite(truth), indent=1, default=_json_default, allow_nan=False) + "\n",
                  encoding="utf-8")
    s = truth["summary"]
    print(f"{out}: {len(pose)} frames, {100 * pose.tracked().mean():.0f} % with the walker in view; "
          f"{len(walk.events)} true events; cadence {s.get('cadence_steps_min', float('nan')):.1f} steps/min, "
          f"speed {s.get('speed_m_s', float('nan')):.2f} m/s")
    print(f"truth: {tp}")
    return 0


def _render(args, walk) -> int:
    """Video mode: render ``walk`` with the CLI's camera and render options."""
    from .render import RenderOptions, render_video

    kw = {k: v for k, v in (("width_px", args.width), ("height_px", args.height), ("hfov_deg", args.hfov)) if v}
    try:
        camera = walk.camera(args.view, mirrored=args.mirrored, **kw)
    except ValueError as exc:
        raise ConfigError(f"Cannot place this camera: {exc}.") from None
    if camera.width_px % 2 or camera.height_px % 2:
        raise ConfigError("--width and --height must be even (H.264 yuv420p).")
    if not walk.project(camera).tracked().any():
        raise ConfigError("The walker is never in view of this camera; use a longer clip or --turns.")
    opt = RenderOptions(seed=args.seed, crf=args.crf, shake_deg=args.shake_deg, threads=args.encoder_threads)
    out = Path(args.out)
    truth = render_video(walk, camera, out, opt, view=args.view)
    s = truth["summary"]
    seen = sum(truth["frames"]["walker_in_view"])
    print(f"{out}: {truth['frames']['n']} frames ({camera.width_px}×{camera.height_px}), walker in view in {seen}; "
          f"{len(walk.events)} true events; cadence {s.get('cadence_steps_min', float('nan')):.1f} steps/min, "
          f"speed {s.get('speed_m_s', float('nan')):.2f} m/s; {out.stat().st_size / 1e6:.2f} MB")
    print(f"truth: {out.with_name(out.stem + '.truth.json')}")
    return 0


def _finite(o):
    """NaN/inf → None (strict JSON), recursively."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    try:
        import numpy as np

        if isinstance(o, np.floating):
            return _finite(float(o))
        if isinstance(o, np.ndarray):
            return _finite(o.tolist())
    except ImportError:  # pragma: no cover
        pass
    return o


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
