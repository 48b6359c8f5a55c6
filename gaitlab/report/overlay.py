"""One decoding pass over the clip that writes ``overlay.mp4`` and the key frames, faces pixelated.

The overlay shows the walker's skeleton (subject sides: left blue, right orange), live knee and
thigh angles of both legs (sagittal passes) or pelvic obliquity, trunk lean and knee FPPA (frontal
passes), heel-strike / toe-off markers at the foot for a moment after each event, and the pass
number and view (or why a stretch is excluded). H.264 yuv420p, even size, ≤ 1280×720 (≤ 720 px on
the short side), ``+faststart``; no metadata of the source is copied.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..model import LM
from .draw import SIDE_RGB, draw_angle, draw_skeleton, text_boxes
from .privacy import FaceDetector, pixelate, walker_head_boxes, with_face_boxes

#: Largest overlay size: long side ≤ MAX_LONG_PX and short side ≤ MAX_SHORT_PX (720p).
MAX_LONG_PX, MAX_SHORT_PX = 1280, 720
#: x264 settings of the overlay. Measured on the sample's overlay (330 frames, 720p, CPU s incl. RGB→YUV):
#: ultrafast 4.4 s / 2.9 MB, superfast 4.3 s / 2.2 MB, veryfast 5.4 s / 0.9 MB, faster 8.1 s / 1.0 MB.
OVERLAY_CRF, OVERLAY_PRESET = 26, "veryfast"
#: How long an event marker stays on screen (s).
EVENT_FLASH_S = 0.3
#: Key frames smaller than this height (px) after cropping to the walker are enlarged by a whole factor.
KEYFRAME_HEIGHT_PX = 480
#: Text colours on the dark panel (Okabe–Ito sky blue for left, orange for right: ≥ 7:1 on it).
TEXT_RGB = {"left": (86, 180, 233), "right": (230, 159, 0), "": (245, 245, 245)}

VIEW_WORDS = {"sagittal": "side view", "frontal_toward": "front view (toward the camera)",
              "frontal_away": "back view (walking away)", "oblique": "oblique view"}


@dataclass
class KeyFrameRequest:
    """A key frame to save: decoded ``frame`` index, the angle ``kind`` to draw (see
    :func:`gaitlab.report.draw.draw_angle`, "" = skeleton only) for ``side``, a caption."""

    name: str
    frame: int
    side: str
    kind: str
    caption: str


@dataclass
class RenderResult:
    keyframes: dict[str, Path] = field(default_factory=dict)
    overlay: Path | None = None
    frames: int = 0
    frames_with_faces: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def output_size(width: int, height: int) -> tuple[float, int]:
    """(scale, max_side_px for iter_frames) keeping the frame within 720p."""
    long, short = max(width, height), min(width, height)
    f = min(1.0, MAX_LONG_PX / long, MAX_SHORT_PX / short)
    return f, (int(math.floor(long * f)) if f < 1 else 0)


class _Lookup:
    """Per-frame access to landmarks, head boxes, angles, events and passes of an analysis."""

    def __init__(self, analysis) -> None:
        pose = analysis.pose_sides
        self.fps = float(analysis.pose.fps) if np.isfinite(analysis.pose.fps) else 30.0
        self.width_px = pose.width_px
        self.row = {int(f): i for i, f in enumerate(pose.frame_index)}
        self.lm = pose.landmarks
        self.head = walker_head_boxes(analysis.pose.landmarks, analysis.pose.t_s)
        self.frames = np.asarray(pose.frame_index, dtype=int)
        kin = analysis.kinematics
        self.kin = {} if kin.empty else {(int(r.frame), r.side): r for r in kin.drop_duplicates(["frame", "side"]).itertuples()}
        ev = analysis.events
        self.events = [] if ev.empty else list(zip(ev.frame.astype(int), ev.side, ev.event))
        self.flash = max(1, int(round(EVENT_FLASH_S * self.fps)))
        self.passes = []
        for p in analysis.passes:
            if p.end > p.start and p.end <= len(self.frames):
                self.passes.append((int(self.frames[p.start]), int(self.frames[p.end - 1]), p))

    def landmarks(self, frame: int) -> np.ndarray | None:
        i = self.row.get(frame)
        return None if i is None or not np.isfinite(self.lm[i, :, 0]).any() else self.lm[i]

    def head_box(self, frame: int) -> np.ndarray | None:
        i = self.row.get(frame)
        if i is None:  # a frame pose did not see: nearest pose row
            j = int(np.clip(np.searchsorted(self.frames, frame), 0, len(self.frames) - 1))
            i = j if abs(self.frames[j] - frame) <= self.fps * 0.5 else None
        return None if i is None or not np.isfinite(self.head[i]).all() else self.head[i]

    def pass_at(self, frame: int):
        for a, b, p in self.passes:
            if a <= frame <= b:
                return p
        return None


def _fmt(v, signed: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    v = round(float(v)) or 0  # no "−0"
    return f"{v:+d}°".replace("-", "−") if signed else f"{v:d}°".replace("-", "−")


def _panel(look: _Lookup, frame: int, size: int) -> list:
    p = look.pass_at(frame)
    if p is None:
        return [((8, 8), [("no walker tracked", TEXT_RGB[""])], size)]
    head = f"Pass {p.pass_id} · {VIEW_WORDS.get(p.view, 'view unknown')}"
    if not p.usable:
        return [((8, 8), [(head if p.view else f"Pass {p.pass_id}", TEXT_RGB[""]),
                          (f"not analysed: {p.reason}", TEXT_RGB[""])], size)]
    lines = [(f"{head} · walking {p.direction}", TEXT_RGB[""])]
    kl, kr = look.kin.get((frame, "left")), look.kin.get((frame, "right"))
    if p.view == "sagittal":
        for side, r in (("left", kl), ("right", kr)):
            leg = f" ({r.leg} leg)" if r is not None and r.leg else ""
            knee = _fmt(getattr(r, "knee_flexion_deg", np.nan))
            thigh = _fmt(getattr(r, "thigh_angle_deg", np.nan), signed=True)
            lines.append((f"{side.capitalize():<5}  knee {knee}  thigh {thigh}{leg}", TEXT_RGB[side]))
        r = kl if kl is not None else kr
        lines.append((f"trunk lean {_fmt(getattr(r, 'trunk_inclination_deg', np.nan), signed=True)}", TEXT_RGB[""]))
    elif p.view in ("frontal_toward", "frontal_away"):
        r = kl if kl is not None else kr
        lines.append((f"pelvic obliquity {_fmt(getattr(r, 'pelvic_obliquity_deg', np.nan), signed=True)}  "
                      f"trunk lean {_fmt(getattr(r, 'lateral_trunk_lean_deg', np.nan), signed=True)}", TEXT_RGB[""]))
        for side, r in (("left", kl), ("right", kr)):
            lines.append((f"{side.capitalize():<5}  knee FPPA {_fmt(getattr(r, 'knee_fppa_deg', np.nan), signed=True)}",
                          TEXT_RGB[side]))
    return [((8, 8), lines, size)]


def _events(look: _Lookup, img: np.ndarray, lm: np.ndarray | None, frame: int, scale: float, size: int) -> list:
    items = []
    for ev_frame, side, kind in look.events:
        age = frame - ev_frame
        if not 0 <= age < look.flash:
            continue
        word = "heel strike" if kind == "HS" else "toe off"
        if lm is not None:
            p = lm[LM[f"{side}_heel" if kind == "HS" else f"{side}_foot_index"], :2] * scale
            if np.isfinite(p).all():
                c = (int(p[0]), int(p[1]))
                r = int(size * (0.8 + 0.6 * age / look.flash))
                cv2.circle(img, c, r, (20, 20, 20), 5, cv2.LINE_AA)
                cv2.circle(img, c, r, SIDE_RGB[side], 3, cv2.LINE_AA)
                items.append(((c[0] - 3 * size, c[1] + r + 4), [(f"{kind} {side} {word}", TEXT_RGB[side])], size))
                continue
        items.append(((8, img.shape[0] - 3 * size), [(f"{kind} {side} {word}", TEXT_RGB[side])], size))
    return items


def _keyframe(img: np.ndarray, lm: np.ndarray | None, req: KeyFrameRequest, value: str) -> np.ndarray:
    """Skeleton, the measured angle with its value, cropped to the walker. Never downscaled; a crop lower
    than KEYFRAME_HEIGHT_PX is enlarged by a whole factor (≤ 4, nearest neighbour), so pixelation blocks
    stay ≥ 16 px."""
    out = img.copy()
    h, w = out.shape[:2]
    label_at = None
    if lm is not None:
        draw_skeleton(out, lm, emphasis=req.side)
        label_at = draw_angle(out, lm, req.kind, req.side)
    x0, y0 = 0, 0
    if lm is not None and np.isfinite(lm[:, :2]).all(axis=1).any():
        xy = lm[np.isfinite(lm[:, :2]).all(axis=1), :2]
        (ax, ay), (bx, by) = xy.min(axis=0), xy.max(axis=0)
        m = 0.3 * (by - ay)
        x0, x1 = max(0, int(ax - m - 0.2 * (by - ay))), min(w, int(bx + m + 0.2 * (by - ay)))
        y0, y1 = max(0, int(ay - m)), min(h, int(by + 0.5 * m))
        if x1 - x0 > 32 and y1 - y0 > 32:
            out = np.ascontiguousarray(out[y0:y1, x0:x1])
        else:
            x0 = y0 = 0
    k = int(min(4, max(1, np.ceil(KEYFRAME_HEIGHT_PX / out.shape[0]))))
    if k > 1:
        out = cv2.resize(out, (out.shape[1] * k, out.shape[0] * k), interpolation=cv2.INTER_NEAREST)
    size = max(13, out.shape[0] // 32)
    items = [((6, 6), [(req.caption, TEXT_RGB[""])] + ([(value, TEXT_RGB[""])] if value else []), size)]
    if value and label_at is not None:  # the number alone beside the arc
        number = value.rsplit(": ", 1)[-1]
        items.append((((label_at[0] - x0) * k + 6, (label_at[1] - y0) * k - size // 2), [(number, TEXT_RGB[""])], size))
    return text_boxes(out, items)


def write_png(img: np.ndarray, path: Path) -> None:
    """PNG without metadata chunks (OpenCV writes none)."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode {path.name}")
    path.write_bytes(buf.tobytes())


def render_video(analysis, video_path: Path, out_dir: Path, requests: list[KeyFrameRequest], *, blur: bool = True,
                 overlay: bool = True, value_text=lambda req, frame: "") -> RenderResult:
    """Decode ``video_path`` once; write ``overlay.mp4`` (if ``overlay``) and ``keyframes/<name>.png``.

    ``blur`` pixelates the walker's head and every detected face before anything is drawn or saved.
    ``value_text(req, frame)`` gives the measured value shown on a key frame.
    """
    from ..video import iter_frames, open_writer, probe

    t0 = time.perf_counter()
    res = RenderResult()
    wanted: dict[int, list[KeyFrameRequest]] = {}
    for r in requests:
        wanted.setdefault(int(r.frame), []).append(r)
    if not overlay and not wanted:
        return res
    info = probe(video_path, analysis.config.video)
    _, max_side = output_size(info.width_px, info.height_px)
    look = _Lookup(analysis)
    frames = iter_frames(info, max_side_px=max_side)
    last = max(wanted) if wanted and not overlay else None
    writer = None
    detector = FaceDetector() if blur else None
    (out_dir / "keyframes").mkdir(parents=True, exist_ok=True)
    try:
        for fr, boxes in with_face_boxes(frames, detector, fps=info.avg_fps):
            img = fr.image if fr.image.flags.writeable else fr.image.copy()
            scale = img.shape[1] / look.width_px
            lm = look.landmarks(fr.index)
            lm_img = None if lm is None else np.concatenate([lm[:, :2] * scale, lm[:, 2:]], axis=1)
            if blur:
                head = look.head_box(fr.index)
                all_boxes = list(boxes) + ([tuple(int(round(v * scale)) for v in head)] if head is not None else [])
                pixelate(img, all_boxes)
                res.frames_with_faces += bool(boxes)
            for req in wanted.get(fr.index, []):
                path = out_dir / "keyframes" / f"{req.name}.png"
                write_png(_keyframe(img, lm_img, req, value_text(req, fr.index)), path)
                res.keyframes[req.name] = path
            if overlay:
                if writer is None:
                    writer = open_writer(out_dir / "overlay.mp4", info.avg_fps, img.shape[1], img.shape[0],
                                         crf=OVERLAY_CRF, preset=OVERLAY_PRESET)
                    t_first = fr.pts_s
                if lm_img is not None:
                    draw_skeleton(img, lm_img)
                size = max(14, img.shape[0] // 40)
                items = _panel(look, fr.index, size) + _events(look, img, lm, fr.index, scale, size)
                writer.write(text_boxes(img, items), t_s=fr.pts_s - t_first)
            res.frames += 1
            if last is not None and fr.index >= last:
                break
        if writer is not None:
            writer.close()
            res.overlay = out_dir / "overlay.mp4"
            res.warnings += writer.warnings
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        frames.close()
        if detector is not None:
            detector.close()
    missing = sorted({r.name for r in requests} - set(res.keyframes))
    if missing:
        res.warnings.append(f"{len(missing)} key frame(s) were not in the decoded video.")
    res.seconds = time.perf_counter() - t0
    return res
