"""Synthetic walker videos: the 3D gait model (:mod:`.gaitmodel`) rendered through a camera
(:mod:`.camera`), encoded as H.264 with its ground truth beside it.

What the frames look like follows the feasibility probe of issue 6 (MediaPipe found such a figure in
every frame): shaded, tapered, human-proportioned limbs with thin dark outlines, shoes with a distinct
heel and toe, a textured room, slight blur and sensor noise (:mod:`.render_body`, :mod:`.render_paint`,
:mod:`.render_scene`). Frames are rendered at the walk's own times ``walk.t_s`` (variable frame rate
included: the encoder gets the real presentation times), for any camera: portrait clips are stored
landscape with rotation metadata as phones do, mirrored cameras get the flip in the display matrix,
and a hand-held shake turns the camera frame by frame.

``<stem>.truth.json`` (:func:`video_truth`): the walk's :meth:`~.gaitmodel.ModelWalk.truth_json` (model
parameters, patterns with side and magnitude, events, strides, summary) plus the camera, the render
settings, per-frame times, true 2D landmark positions with the subject's sides (pixels of the upright,
displayed image) and the true CLINICAL §3 2D angles per frame and side.

Public API: :class:`RenderOptions`, :class:`WalkerRenderer`, :func:`render_video`, :func:`video_truth`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from ..model import LANDMARK_NAMES
from .camera import Camera, handheld_shake
from .render_body import Appearance, draw_contact_shadows, draw_walker
from .render_paint import Painter
from .render_scene import Room, render_background, shake_homography, shaken_camera

RENDER_SCHEMA = "gaitlab.synth.render/1"
#: Lengths in pixels are given for a 720-line image and scaled with the shorter image side.
REF_LINES = 720.0
#: Extra background rendered around the frame (fraction of the longer side) when the camera shakes.
SHAKE_MARGIN = 0.08
#: Sensor noise is drawn from a pre-computed field larger than the frame by this many pixels, at a random
#: offset per frame (cheap, and not visibly repetitive).
NOISE_PAD_PX = 64
#: Extra pixels blurred around the figure (the background is blurred once, when it is made).
BLUR_PAD_PX = 4
#: Decimals in the truth file: pixels 0.1 px, angles 0.01°, times 0.1 µs.
PX_DECIMALS, DEG_DECIMALS, TIME_DECIMALS = 1, 2, 7


@dataclass(frozen=True)
class RenderOptions:
    """How a walk is rendered and encoded. ``seed`` draws the appearance, the room, the sensor noise and
    the shake unless ``appearance`` / ``room`` are given."""

    seed: int = 0
    appearance: Appearance | None = None
    room: Room | None = None
    #: Sensor noise SD (0–255 scale); 0 = none.
    noise_sd: float = 2.5
    #: Optical blur of the figure (Gaussian SD, px at 720 lines); 0 = none.
    blur_px: float = 0.6
    #: Hand-held camera: RMS rotation per axis (deg) of :func:`~.camera.handheld_shake`; 0 = tripod.
    shake_deg: float = 0.0
    #: x264 constant rate factor (0 lossless … 51 worst) and speed preset.
    crf: int = 23
    preset: str = "medium"
    #: Clockwise display rotation written as metadata; None → 90 for portrait cameras (stored landscape,
    #: as phones do), else 0.
    rotation_deg: int | None = None
    #: Soft contact shadows under the feet.
    shadows: bool = True
    #: x264 encoder threads (None: the encoder's choice; 1: the same bytes on any machine with the same
    #: FFmpeg/x264 build). Not part of the truth: it changes only the encoding.
    threads: int | None = None

    def __post_init__(self):
        if self.noise_sd < 0 or self.blur_px < 0 or self.shake_deg < 0:
            raise ValueError("noise_sd, blur_px and shake_deg must be ≥ 0")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in [0, 51], got {self.crf}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be ≥ 1 or None, got {self.threads}")
        if self.rotation_deg is not None and self.rotation_deg not in (0, 90, 180, 270):
            raise ValueError(f"rotation_deg must be 0, 90, 180 or 270, got {self.rotation_deg}")


class WalkerRenderer:
    """Renders the frames of ``walk`` seen by ``camera``: ``frame(i)`` → upright RGB uint8 (H, W, 3) as
    displayed (mirrored if the camera is). The room is rendered once; per frame only the figure is drawn."""

    def __init__(self, walk, camera: Camera, options: RenderOptions | None = None):
        self.walk, self.camera = walk, camera
        self.opt = opt = options or RenderOptions()
        self.appearance = opt.appearance or Appearance.from_seed(opt.seed)
        self.room = opt.room or Room.from_seed(opt.seed)
        self.scale = min(camera.width_px, camera.height_px) / REF_LINES
        t = np.asarray(walk.t_s, float)
        self.shake = (handheld_shake(t, amplitude_deg=opt.shake_deg, seed=opt.seed)
                      if opt.shake_deg > 0 else None)
        self.margin_px = int(math.ceil(SHAKE_MARGIN * max(camera.width_px, camera.height_px))) if self.shake else 0
        self.background = render_background(camera, walk.world_m, self.room, margin_px=self.margin_px)
        rng = np.random.default_rng([opt.seed, 1])
        self._rng = rng
        noise_shape = (camera.height_px + NOISE_PAD_PX, camera.width_px + NOISE_PAD_PX, 3)
        self._noise = rng.normal(0.0, opt.noise_sd, noise_shape).astype(np.float32) if opt.noise_sd > 0 else None
        p = walk.params
        H, pr = p.height_m, p.proportions
        Lf = pr.foot_length * H
        self.height_m = H
        self.foot_m = dict(length=Lf, ankle_height=pr.ankle_height * H, heel_to_ankle=pr.heel_to_ankle * Lf,
                           heel_to_ball=pr.heel_to_ball * Lf)

    def __len__(self) -> int:
        return len(self.walk.t_s)

    def camera_at(self, i: int) -> Camera:
        """The camera of frame ``i`` (turned by the shake, if any)."""
        if self.shake is None:
            return self.camera
        return shaken_camera(self.camera, *(s[i] for s in self.shake))

    def background_at(self, i: int) -> np.ndarray:
        """The empty room of frame ``i`` (float32 RGB 0–255, before the walker, shadows and noise)."""
        W, H, m = self.camera.width_px, self.camera.height_px, self.margin_px
        if self.shake is None:
            return self.background[m:m + H, m:m + W].copy()
        cam = self.camera_at(i)
        # our pixel coordinates have pixel centres at +0.5, OpenCV's at 0; the canvas is offset by the margin
        to_cv = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]], float)
        from_canvas = np.array([[1, 0, 0.5 - m], [0, 1, 0.5 - m], [0, 0, 1]], float)
        Hm = to_cv @ shake_homography(self.camera, cam) @ from_canvas
        return cv2.warpPerspective(self.background, Hm, (W, H), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT)

    def frame(self, i: int) -> np.ndarray:
        cam = self.camera_at(i)
        img = self.background_at(i)
        lm = np.asarray(self.walk.world_m[i], float)
        if self.opt.shadows:
            draw_contact_shadows(img, lm, cam)
        painter = Painter(img, outline_px=max(0.8, self.scale), seed=self.opt.seed)
        draw_walker(painter, lm, cam, self.appearance, self.height_m, self.foot_m)
        x0, y0, x1, y1 = painter.bbox
        if self.opt.blur_px > 0 and x1 > x0:
            p = BLUR_PAD_PX
            x0, y0 = max(int(x0) - p, 0), max(int(y0) - p, 0)
            x1, y1 = min(int(x1) + p, img.shape[1]), min(int(y1) + p, img.shape[0])
            img[y0:y1, x0:x1] = cv2.GaussianBlur(img[y0:y1, x0:x1], (0, 0), self.opt.blur_px * self.scale)
        if self._noise is not None:
            oy, ox = self._rng.integers(0, NOISE_PAD_PX, 2)
            img += self._noise[oy:oy + img.shape[0], ox:ox + img.shape[1]]
        return np.clip(img + 0.5, 0, 255).astype(np.uint8)

    def __iter__(self):
        return (self.frame(i) for i in range(len(self)))


def _stored(display: np.ndarray, rotation_deg: int, mirrored: bool) -> np.ndarray:
    """The frame to encode so that rotating it ``rotation_deg`` clockwise, then mirroring, shows ``display``."""
    if mirrored:
        display = display[:, ::-1]
    if rotation_deg:
        display = np.rot90(display, k=rotation_deg // 90)
    return np.ascontiguousarray(display)


def render_video(walk, camera: Camera, path, options: RenderOptions | None = None, *, view: str | None = None,
                 progress=None) -> dict:
    """Render ``walk`` through ``camera`` to ``path`` (H.264 MP4, yuv420p) and write ``<stem>.truth.json``
    beside it; returns the truth. Frame i is shown at ``walk.t_s[i] − walk.t_s[0]`` (real presentation
    times, so variable frame rates survive). ``view``: a label stored in the truth. ``progress(i, n)``
    is called after each frame."""
    from ..video import open_writer

    opt = options or RenderOptions()
    r = WalkerRenderer(walk, camera, opt)
    rot = opt.rotation_deg if opt.rotation_deg is not None else (90 if camera.height_px > camera.width_px else 0)
    W, H = camera.width_px, camera.height_px
    sw, sh = (H, W) if rot in (90, 270) else (W, H)
    t = np.asarray(walk.t_s, float)
    fps = 1.0 / float(np.median(np.diff(t)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_writer(path, fps, sw, sh, crf=opt.crf, preset=opt.preset, rotation_deg=rot, mirrored=camera.mirrored,
                     threads=opt.threads, metadata={"comment": "gaitlab synthetic walker (gaitlab.synth.render)"}) as wr:
        for i in range(len(r)):
            wr.write(_stored(r.frame(i), rot, camera.mirrored), t_s=float(t[i] - t[0]))
            if progress:
                progress(i + 1, len(r))
    truth = video_truth(walk, camera, shake=r.shake, view=view, options=opt, appearance=r.appearance,
                        room=r.room, rotation_deg=rot, video_name=path.name)
    write_truth(truth, path.with_name(path.stem + ".truth.json"))
    return truth


def video_truth(walk, camera: Camera, *, shake=None, view: str | None = None, options: RenderOptions | None = None,
                appearance: Appearance | None = None, room: Room | None = None, rotation_deg: int = 0,
                video_name: str | None = None) -> dict:
    """The truth of a rendered clip (see the module doc); JSON-ready, rounded (0.1 px, 0.01°)."""
    opt = options or RenderOptions()
    truth = walk.truth_json()
    pose = walk.project(camera, labels="true", shake=shake)
    ang = walk.true_2d_angles(pose, camera)
    t = np.asarray(walk.t_s, float)
    lm = np.round(pose.landmarks[..., :2], PX_DECIMALS)
    tracked = np.isfinite(lm).all(-1)
    landmarks = {name: [[float(x), float(y)] if ok else None for (x, y), ok in zip(lm[:, k], tracked[:, k])]
                 for k, name in enumerate(LANDMARK_NAMES)}
    angles = {}
    for col in ang.columns:
        v = ang[col]
        if col == "time_s":
            continue
        if v.dtype.kind == "f":
            angles[col] = [None if not math.isfinite(x) else round(float(x), DEG_DECIMALS) for x in v]
        elif v.dtype.kind in "iu":
            angles[col] = [int(x) for x in v]
        else:
            angles[col] = [str(x) for x in v]
    dt = np.diff(t)
    truth.update({
        "render_schema": RENDER_SCHEMA, "video": video_name, "view": view,
        "render_conventions": "landmarks_px: true 2D positions with the subject's sides in the displayed (upright, "
                              "mirrored if the camera is) image, x right, y down, pixel centres at +0.5, null where "
                              "the walker is out of view; angles_2d: CLINICAL §3 2D angles of those positions per "
                              "frame and side (camera roll and shake included); frame i of the video is shown at "
                              "frames.time_s[i] - frames.video_time_offset_s",
        "camera": {k: getattr(camera, k) for k in ("width_px", "height_px", "focal_px", "position_m",
                                                   "yaw_deg", "pitch_deg", "roll_deg", "mirrored")},
        "display": {"rotation_deg": rotation_deg, "mirrored": camera.mirrored},
        "render": {"seed": opt.seed, "noise_sd": opt.noise_sd, "blur_px": opt.blur_px,
                   "shake_deg": opt.shake_deg, "crf": opt.crf, "preset": opt.preset, "shadows": opt.shadows,
                   "appearance": asdict(appearance) if appearance else None, "room": asdict(room) if room else None},
        "frames": {"n": len(t), "fps_nominal": 1.0 / float(np.median(dt)), "vfr": bool(np.ptp(dt) > 1e-6),
                   "video_time_offset_s": float(t[0]), "time_s": [round(float(x), TIME_DECIMALS) for x in t],
                   "walker_in_view": [bool(x) for x in tracked.any(1)]},
        "true_passes": [dict(p.__dict__) for p in walk.true_passes(camera)],
        "shake_deg": ({k: [round(float(x), 3) for x in s] for k, s in zip(("yaw", "pitch", "roll"), shake)}
                      if shake is not None else None),
        "landmarks_px": landmarks,
        "angles_2d": angles,
    })
    return truth


def _finite(o):
    """JSON-ready: NaN/inf → None, numpy scalars/arrays → Python, tuples → lists (recursively)."""
    if isinstance(o, dict):
        return {str(k): _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, np.ndarray):
        return _finite(o.tolist())
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def write_truth(truth: dict, path) -> None:
    """Write ``truth`` compactly: one top-level key per line, no spaces inside (strict JSON)."""
    clean = _finite(truth)
    body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'), allow_nan=False)}"
                      for k, v in clean.items())
    Path(path).write_text("{\n" + body + "\n}\n", encoding="utf-8")
