"""The sample videos of ``sample_videos/``: each one a ``gaitlab synth`` command (issue 6 §4).

    python -m gaitlab.synth.samples sample_videos/ [--only NAME ...] [--encoder-threads N]

renders every sample (video + ``<name>.truth.json``) into the folder; ``--list`` prints the commands.
The clips are deterministic: the truth depends only on the arguments, and the same FFmpeg/x264 build
with ``--encoder-threads 1`` (the default here) gives the same bytes on any machine.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

#: Every sample: 8 s at 30 fps (the size limit of the folder: ≤ 2 MB each, ≤ 12 MB in all).
SECONDS, FPS = 8.0, 30.0
#: Side views: a 4 m walkway with one turn, so both directions (both legs near the camera) fit in 8 s.
SIDE_ARGS = ("--walkway-m", "4", "--turns", "1")
#: Front views: toward the camera (7 m → 3 m), a turn, and away again, all within 7 m (MediaPipe's person
#: detector, run on the whole portrait frame, misses a walker farther than ≈ 7 m); portrait, 40° wide.
FRONT_ARGS = ("--walkway-m", "4", "--turns", "1", "--hfov", "40")


@dataclass(frozen=True)
class Sample:
    name: str
    view: str
    #: (pattern, side or None, magnitude) in the units of :data:`gaitlab.synth.patterns.CATALOGUE`.
    patterns: tuple = ()
    seed: int = 0
    #: What a physiotherapist should see (the sample table of sample_videos/README.md).
    look_for: str = ""

    def synth_args(self, out_dir: Path, threads: int | None = 1) -> list[str]:
        """The ``gaitlab synth`` arguments that make this sample in ``out_dir``."""
        args = ["synth", "--view", self.view,
                "--seconds", f"{SECONDS:g}", "--fps", f"{FPS:g}", "--seed", str(self.seed),
                *(SIDE_ARGS if self.view.startswith("side") else FRONT_ARGS)]
        for name, side, mag in self.patterns:
            args += ["--pattern", name, "--magnitude", f"{mag:g}"]
        sides = [side for _, side, _ in self.patterns]
        if any(sides):
            args += [a for side in sides for a in ("--side", side or "left")]
        if threads is not None:
            args += ["--encoder-threads", str(threads)]
        return args + ["--out", str(Path(out_dir) / f"{self.name}.mp4")]


SAMPLES: tuple[Sample, ...] = (
    Sample("normal_side", "side", (), 11,
           "Normal gait from the side: heel-first contact, knee ≈ 17° in loading response and ≈ 62° in swing, "
           "thigh ≈ +26° … −19°, upright trunk, arms swinging opposite to the legs; left = right."),
    Sample("normal_front", "front", (), 12,
           "Normal gait toward the camera, a turn, and away: level pelvis (≤ 4° drop), upright trunk, knees over the feet, "
           "feet ≈ 10 cm apart; left = right."),
    Sample("antalgic_left_side", "side", (("antalgic", "left", 14.0),), 13,
           "Antalgic (painful) left leg: the left stance is short (stance-time ratio R/L ≈ 1.17), the right "
           "leg swings through fast; step times stay equal, so the rhythm sounds even."),
    Sample("knee_guarding_right_side", "side", (("knee_guarding", "right", 14.0),), 14,
           "Knee guarding on the right: the right knee stays nearly straight in loading response (≈ 3° "
           "instead of ≈ 17°) and bends only ≈ 47° in swing; the left knee is normal."),
    Sample("forward_trunk_lean_side", "side", (("forward_trunk_lean", None, 22.0),), 15,
           "Forward trunk lean: the trunk is inclined ≈ 22° forward throughout the walk (marked: > 20°)."),
    Sample("pelvic_drop_right_front", "front", (("pelvic_drop", "right", 13.0), ("lateral_trunk_lean", "right", 8.0)),
           16, "Weak right hip abductors (Trendelenburg) seen from the front: in right single support the "
               "left side of the pelvis drops ≈ 13° and the trunk leans ≈ 8° toward the right (stance) leg; seen "
               "walking toward and away from the camera."),
    Sample("foot_drop_left_side", "side", (("foot_drop", "left", 15.0),), 17,
           "Left foot drop with steppage: the left foot hangs ≈ 12° plantarflexed in late swing and lands "
           "flat / toe-first; the left thigh (≈ 37° vs 27°) and knee (≈ 73° vs 62°) lift higher in swing."),
)
BY_NAME = {s.name: s for s in SAMPLES}


def make_sample(sample: Sample, out_dir, threads: int | None = 1) -> int:
    """Render one sample into ``out_dir`` with ``gaitlab synth``; returns its exit code."""
    from ..cli import main

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return main(sample.synth_args(Path(out_dir), threads))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gaitlab.synth.samples", description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?", default="sample_videos")
    ap.add_argument("--only", nargs="+", choices=sorted(BY_NAME), help="render only these samples")
    ap.add_argument("--encoder-threads", type=int, default=1, help="x264 threads (default 1: reproducible bytes)")
    ap.add_argument("--list", action="store_true", help="print the gaitlab synth command of each sample")
    a = ap.parse_args(argv)
    chosen = [BY_NAME[n] for n in a.only] if a.only else list(SAMPLES)
    for s in chosen:
        if a.list:
            print("gaitlab " + " ".join(s.synth_args(Path(a.out_dir), a.encoder_threads)))
            continue
        rc = make_sample(s, a.out_dir, a.encoder_threads)
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
