"""The clips of the end-to-end video sweep: which walks, seen how, and rendering them (cached on disk).

Pattern clips: every catalogue pattern with a CLINICAL.md §6 flag, on both sides, in each view where
its flag is valid, at the *possible* threshold and at 1.5 × the *marked* threshold (magnitudes from
:func:`threshold_magnitudes`; capped at what the gait model can realise). Normal clips: speeds 0.8–1.6
m/s, heights 1.55–1.95 m, clothing and rooms (render seeds), camera distance and height, 30 and 60 fps.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Sagittal patterns (side views), frontal patterns (front views), both ("any with heel strikes").
SAGITTAL = ("antalgic", "step_length_asymmetry", "knee_guarding", "reduced_hip_extension", "foot_drop",
            "forward_trunk_lean")
FRONTAL = ("pelvic_drop", "lateral_trunk_lean", "knee_valgus", "circumduction", "hip_hiking")
ANY_VIEW = ("step_time_asymmetry", "irregular_stride_timing")
#: Patterns without a §6 flag of their own (not swept).
NOT_SWEPT = ("crouch",)
#: Normal value of a pattern's §3 measure in the gait model's truth summary (per side), for the flags
#: whose thresholds are absolute (not a change): key in ``ModelWalk.summary()[side]``.
NORMAL_KEY = {"knee_guarding": "loading_knee_flexion_deg", "reduced_hip_extension": "peak_thigh_extension_deg",
              "foot_drop": "late_swing_dorsiflexion_deg"}
#: §6 thresholds (possible, marked) in the flag's own measure, ≤ 30 fps values.
THRESHOLDS = {
    "antalgic": (1.10, 1.20), "step_time_asymmetry": (1.10, 1.20), "step_length_asymmetry": (1.10, 1.20),
    "knee_guarding": (10.0, 5.0), "reduced_hip_extension": (5.0, 0.0), "forward_trunk_lean": (10.0, 20.0),
    "foot_drop": (-5.0, -10.0), "pelvic_drop": (8.0, 12.0), "lateral_trunk_lean": (5.0, 10.0),
    "knee_valgus": (10.0, 15.0), "circumduction": (0.5, 0.8), "hip_hiking": (4.0, 7.0),
    "irregular_stride_timing": (6.0, 10.0),
}
SIDE_WALK = {"walkway_m": 4.0, "turns": 1}   # --quick: both directions in view within 4 s
FRONT_WALK = {"walkway_m": 6.0, "turns": 0, "hfov_deg": 40.0}  # --quick: one pass toward the camera
#: The sweep's walks follow the recording protocol (CLINICAL §7): passes each way with the walkway in view, so
#: that the flags' minimum strides (§4) can be met. 4 passes (2 each way; the protocol asks ≥ 3 each way, which
#: would double the render time) give ≈ 6–8 near-leg strides per side at 7 m in view.
PROTOCOL_PASSES = 4
#: Side cameras: a phone's main camera in 16:9 landscape (26 mm equivalent ≈ 70° wide), 5 m from the walking
#: line for the pattern clips (7 m of walkway in view, the walker ≈ 320 px tall at 720p).
SIDE_HFOV_DEG = 70.0
SIDE_DISTANCE_M = 5.0
#: Longest walkway (CLINICAL §7: 6–8 m); a straight runs ≈ 0.5 m beyond each side of the view when it fits.
MAX_WALKWAY_M = 8.0
#: Front clips: toward the camera from ≈ 9 m to 3 m and away again (portrait, 40° wide).
FRONT_PROTOCOL_WALK = {"walkway_m": 6.0, "turns": PROTOCOL_PASSES - 1, "hfov_deg": 40.0}
#: Height seen per metre of distance by the side camera (1280×720): 2·tan(hfov/2)·9/16.
SIDE_VIEW_HEIGHT_PER_M = 2 * math.tan(math.radians(SIDE_HFOV_DEG / 2)) * 9 / 16
#: Front-view detection is scored within this distance of the camera (the target's range).
FRONT_MAX_DISTANCE_M = 8.0
CLIP_SCHEMA = 2  # 2: protocol walks (4 passes), 70° side cameras, x264 "veryfast"


@dataclass(frozen=True)
class ClipSpec:
    name: str
    view: str  # "side" or "front"
    patterns: tuple = ()  # ((name, side, magnitude), ...)
    level: str = "normal"  # "normal", "possible", "marked_x1.5"
    speed_m_s: float = 1.2
    height_m: float = 1.75
    seed: int = 0
    fps: float = 30.0
    seconds: float = 8.0
    distance_m: float | None = None
    camera_height_m: float | None = None
    walk: dict = field(default_factory=dict)

    def key(self) -> str:
        from .. import __version__
        from ..synth.render import RENDER_SCHEMA

        blob = json.dumps({"spec": asdict(self), "schema": CLIP_SCHEMA, "render": RENDER_SCHEMA,
                           "version": __version__}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def threshold_magnitudes(name: str, normal: dict) -> tuple[float, float, bool]:
    """(magnitude at the possible threshold, at 1.5 × the marked one, capped?) in the catalogue unit.

    Ratios (1 + x): 1.5 × the marked excess (1.20 → 1.30). Absolute thresholds below a normal value
    (knee guarding, reduced hip extension, foot drop): 1.5 × the marked distance from the model's normal
    value. ``normal``: the truth summary of a normal walk (:meth:`ModelWalk.summary`)."""
    from ..synth.patterns import CATALOGUE

    lo_ok, hi_ok = CATALOGUE[name].valid_range
    pos, mark = THRESHOLDS[name]
    if name in ("step_time_asymmetry", "step_length_asymmetry"):
        m = (100 * (pos - 1), 100 * 1.5 * (mark - 1))
    elif name == "antalgic":  # stance ratio other/side = 1 / (1 − m/100)
        m = (100 * (1 - 1 / pos), 100 * (1 - 1 / (1 + 1.5 * (mark - 1))))
    elif name in NORMAL_KEY:
        base = 0.5 * (normal["left"][NORMAL_KEY[name]] + normal["right"][NORMAL_KEY[name]])
        m = (base - pos, 1.5 * (base - mark))
    else:
        m = (pos, 1.5 * mark)
    hi = feasible_max(name, min(m[1], hi_ok))
    return round(max(m[0], lo_ok), 2), round(hi, 2), hi < m[1]


def feasible_max(name: str, m: float, step: float = 0.5) -> float:
    """``m``, lowered in ``step``s until the gait model accepts it at 1.2 m/s (e.g. antalgic above ≈ 14 %
    leaves no double support)."""
    from ..synth.gaitmodel import GaitParams
    from ..synth.patterns import CATALOGUE, PatternSpec
    from ..synth.timing import setup

    side = "left" if CATALOGUE[name].sided else "both"
    while m > step:
        try:
            setup(GaitParams(patterns=(PatternSpec(name, side, m),), **SIDE_WALK))
            return m
        except ValueError:
            m -= step
    return m


def side_protocol_walk(distance_m: float) -> dict:
    """A side-view protocol walk for a camera ``distance_m`` from the walking line: the straights span the
    view plus 0.5 m each side (at most :data:`MAX_WALKWAY_M`), :data:`PROTOCOL_PASSES` passes."""
    view_m = 2 * distance_m * math.tan(math.radians(SIDE_HFOV_DEG / 2))
    return {"walkway_m": round(min(MAX_WALKWAY_M, view_m + 1.0), 1), "turns": PROTOCOL_PASSES - 1,
            "hfov_deg": SIDE_HFOV_DEG}


def walk_seconds(walk: dict, speed_m_s: float) -> float:
    """Clip length that holds every pass of ``walk`` (walked from the start of the walkway) and its turns."""
    from ..synth.params import GaitParams
    from ..synth.walkpath import KEYHOLE_LOOP_M_PER_RADIUS

    turns = walk.get("turns", 0)
    path_m = (turns + 1) * walk["walkway_m"] + turns * KEYHOLE_LOOP_M_PER_RADIUS * GaitParams.turn_radius_m
    return round(path_m / speed_m_s + 0.5, 1)


def _views(name: str) -> tuple[str, ...]:
    return ("side",) if name in SAGITTAL else ("front",) if name in FRONTAL else ("side", "front")


def build_sweep(*, quick: bool = False, normal_summary: dict | None = None) -> list[ClipSpec]:
    """The full sweep (pattern clips, then ≥ 20 normals) or, with ``quick``, three short clips."""
    if quick:
        return [ClipSpec("quick_normal_side", "side", seconds=4.0, seed=101, walk=dict(SIDE_WALK)),
                ClipSpec("quick_antalgic_left_side", "side", (("antalgic", "left", 14.0),), "marked_x1.5",
                         seconds=4.0, seed=102, walk=dict(SIDE_WALK)),
                ClipSpec("quick_normal_front", "front", seconds=4.0, seed=103, walk=dict(FRONT_WALK))]
    from ..synth.patterns import CATALOGUE

    clips, seed = [], 1000
    for name, info in CATALOGUE.items():
        if name in NOT_SWEPT:
            continue
        m_pos, m_mark, _ = threshold_magnitudes(name, normal_summary)
        for view in _views(name):
            for side in (("left", "right") if info.sided else (None,)):
                for level, mag in (("possible", m_pos), ("marked_x1.5", m_mark)):
                    seed += 1
                    tag = f"{name}_{side}" if side else name
                    walk = side_protocol_walk(SIDE_DISTANCE_M) if view == "side" else dict(FRONT_PROTOCOL_WALK)
                    clips.append(ClipSpec(f"{tag}_{level}_{view}", view, ((name, side, mag),), level, seed=seed,
                                          seconds=walk_seconds(walk, 1.2), distance_m=SIDE_DISTANCE_M
                                          if view == "side" else None, walk=walk))
    # normals: speed, height, clothing/room (seed), camera distance/height, frame rate
    speeds = (0.8, 1.0, 1.2, 1.4, 1.6)
    heights = (1.55, 1.65, 1.75, 1.85, 1.95)
    for i in range(22):
        view = "front" if i % 3 == 2 else "side"
        fps = 60.0 if i % 4 == 3 else 30.0
        sp, h = speeds[i % 5], heights[(2 * i + 1) % 5]
        dist = (3.0, 4.0, 5.0, 6.0)[i % 4] if view == "side" else None  # front: the walk ends 2 m away
        if dist is not None and dist * SIDE_VIEW_HEIGHT_PER_M < 1.15 * h:  # the whole body must fit the frame
            dist = round(1.15 * h / SIDE_VIEW_HEIGHT_PER_M + 0.25, 1)
        cam_h = (None, 0.75, 1.1, 1.3)[(i // 2) % 4]
        walk = side_protocol_walk(dist) if view == "side" else dict(FRONT_PROTOCOL_WALK)
        clips.append(ClipSpec(f"normal{i:02d}_{view}_{sp:g}ms_{fps:g}fps", view, (), "normal", speed_m_s=sp,
                              height_m=h, seed=2000 + i, fps=fps, seconds=walk_seconds(walk, sp),
                              distance_m=dist, camera_height_m=cam_h, walk=walk))
    # 1.5 × marked clips interleaved with the normals, then the possible-threshold clips: a partial sweep
    # (``--clips N``) still covers every pattern's sensitivity and the specificity
    groups: dict = {}
    for c in clips:
        if c.level == "marked_x1.5":
            groups.setdefault(c.patterns[0][0], []).append(c)
    pat = [g[i] for i in range(max(map(len, groups.values()))) for g in groups.values() if i < len(g)]
    nor = [c for c in clips if not c.patterns]
    k = max(1, round(len(pat) / max(len(nor), 1)))
    first = [c for i in range(len(nor) + 1) for c in (*pat[i * k:(i + 1) * k], *nor[i:i + 1])] + pat[(len(nor) + 1) * k:]
    return first + [c for c in clips if c.level == "possible"]


def simulate_clip(spec: ClipSpec):
    """(walk, camera) of a clip."""
    from ..synth.camera import frame_times
    from ..synth.gaitmodel import HIP_HEIGHT_FRACTION, GaitParams, simulate
    from ..synth.patterns import PatternSpec

    w = spec.walk
    pats = tuple(PatternSpec(n, s or "both", m) for n, s, m in spec.patterns)
    params = GaitParams(height_m=spec.height_m, speed_m_s=spec.speed_m_s, seed=spec.seed, patterns=pats,
                        walkway_m=w.get("walkway_m", 6.0), turns=w.get("turns", 0))
    walk = simulate(params, frame_times(spec.fps, spec.seconds))
    kw = {"hfov_deg": w["hfov_deg"]} if "hfov_deg" in w else {}
    if spec.camera_height_m is not None:  # tilt to look at hip height in the middle of the walk
        dist = spec.distance_m or (4.0 if spec.view == "side" else 8.0)
        kw["pitch_deg"] = math.degrees(math.atan2(spec.camera_height_m - HIP_HEIGHT_FRACTION * spec.height_m, dist))
    camera = walk.camera(spec.view, distance_m=spec.distance_m, height_m=spec.camera_height_m, **kw)
    return walk, camera


def clips_dir(out: str | Path | None) -> Path:
    """Where clips go: ``out/clips`` or the gaitlab cache (so a re-run only re-analyses)."""
    if out is not None:
        return Path(out) / "clips"
    root = Path(os.environ.get("GAITLAB_CACHE_DIR") or Path.home() / ".cache" / "gaitlab")
    return root / "validate_clips"


def render_clip(spec: ClipSpec, folder: Path) -> tuple[Path, object, object]:
    """Render ``spec`` into ``folder`` unless already there; returns (video path, walk, camera)."""
    from ..synth.render import RenderOptions, render_video

    walk, camera = simulate_clip(spec)
    path = Path(folder) / f"{spec.name}-{spec.key()}.mp4"
    if not path.exists():
        # "veryfast": a quarter of the "medium" encode time; clips stay at CRF 23 like a phone's
        render_video(walk, camera, path, RenderOptions(seed=spec.seed, threads=1, preset="veryfast"), view=spec.view)
    return path, walk, camera
