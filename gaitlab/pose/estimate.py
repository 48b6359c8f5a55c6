"""Pose estimation over a clip, following the walker and not a bystander.

MediaPipe's tracking mode follows whoever it locks onto first and never lists other people. So, in one
decoding pass:

1. **Search** every ``walker.search_interval_s`` (every ``idle_search_interval_s`` while nobody is
   tracked), on a fixed time grid so that parallel time chunks search at the same moments: mask the
   people already tracked, run static-mode pose on the frame, mask the person found, run again — up
   to ``walker.max_people`` people.
2. **Track** each person found with their own MediaPipe tracker running on a square crop around them
   (the crop follows the person, so a tracker cannot wander onto someone else standing elsewhere);
   landmarks are mapped back to the full frame. A person not found for ``walker.lost_after_s`` ends
   their track; the next search re-acquires them.
3. **Choose** the walker among the tracks (:func:`gaitlab.pose.walker.choose_walker`).

With one person in view this costs one tracker per frame plus a search every 2 s; crops are smaller
than the frame, which partly pays for the search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import cv2
import numpy as np

from ..model import LM, PoseSequence
from ..pipeline import PipelineConfig
from .mediapipe_backend import MediaPipePose
from .walker import Track, body_box, body_height_px, choose_walker, hip_centre, merge_tracks, PersonHint

ProgressFn = Callable[[int], None]


_REGIONS = ((LM["left_shoulder"], LM["right_shoulder"], LM["left_hip"], LM["right_hip"]),  # torso
            (LM["left_hip"], LM["right_hip"], LM["left_knee"], LM["right_knee"]))  # thighs


def _appearance(image: np.ndarray, lm_px: np.ndarray) -> np.ndarray | None:
    """Clothing colours: hue–saturation histograms (8×8) of the torso and of the thighs, each normalised,
    concatenated and halved (so the Bhattacharyya coefficient of two is the mean of the parts').
    Regions span the landmarks, at least a third as wide as tall, to keep the background out."""
    h, w = image.shape[:2]
    parts = []
    for region in _REGIONS:
        pts = lm_px[list(region), :2]
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) < 3:
            return None
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        half = max(x1 - x0, (y1 - y0) / 3) / 2
        cx = (x0 + x1) / 2
        xa, xb, ya, yb = int(max(0, cx - half)), int(min(w, cx + half)), int(max(0, y0)), int(min(h, y1))
        if xb - xa < 2 or yb - ya < 2:
            return None
        hsv = cv2.cvtColor(np.ascontiguousarray(image[ya:yb, xa:xb]), cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1], None, [8, 8], [0, 180, 0, 256]).ravel()
        if hist.sum() <= 0:
            return None
        parts.append(hist / hist.sum() / len(_REGIONS))
    return np.concatenate(parts)


_MIN_CROP_PX = 64.0  # smaller crops carry too few pixels for the landmark model (input 256 px)


def _square_crop(box, margin: float, w: int, h: int) -> tuple[int, int, int, int]:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1]) * (1 + 2 * margin)
    side = max(side, _MIN_CROP_PX)
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    return x0, y0, x1, y1


class _Tracker:
    def __init__(self, backend: MediaPipePose, track: Track) -> None:
        self.backend = backend
        self.track = track
        self.last_seen_t = -np.inf


class WalkerTracker:
    """Runs search + per-person tracking frame by frame; :meth:`finish` chooses the walker."""

    def __init__(self, cfg: PipelineConfig, backend_factory: Callable[[bool], MediaPipePose] | None = None):
        self.cfg = cfg
        self._factory = backend_factory or (lambda static: MediaPipePose(cfg.pose, static=static))
        self._searcher = self._factory(True)
        self._pool: list[MediaPipePose] = []
        self.active: list[_Tracker] = []
        self.tracks: list[Track] = []
        self.t_s: list[float] = []
        self._last_slot = -1  # searches happen on a fixed time grid, so time chunks search in step

    # -- per frame -------------------------------------------------------------------------
    def step(self, image: np.ndarray, t_s: float, scale: float = 1.0) -> None:
        """Process one upright RGB frame at real time ``t_s``; ``scale`` = image px per output px."""
        row = len(self.t_s)
        self.t_s.append(t_s)
        wcfg = self.cfg.walker
        h, w = image.shape[:2]
        for tr in list(self.active):
            lm = None
            box = body_box(tr.track.last) if tr.track.landmarks else None
            if box is not None:
                b = tuple(v * scale for v in box)
                x0, y0, x1, y1 = _square_crop(b, wcfg.crop_margin, w, h)
                found = tr.backend.process(image[y0:y1, x0:x1])
                if found is not None:
                    found[:, 0] += x0
                    found[:, 1] += y0
                    found[:, :3] /= scale
                    if self._plausible(tr, found, t_s):
                        lm = found
            if lm is not None:
                tr.track.add(row, lm)
                tr.last_seen_t = t_s
            elif t_s - tr.last_seen_t > wcfg.lost_after_s:
                self._retire(tr)
        self._drop_duplicates()
        slot = int(np.floor(t_s / wcfg.idle_search_interval_s + 1e-9))
        every = max(1, round(wcfg.search_interval_s / wcfg.idle_search_interval_s))
        due = slot // every != self._last_slot // every if self.active else slot != self._last_slot
        if due:
            self._last_slot = slot
            self._search(image, row, t_s, scale)

    def _plausible(self, tr: _Tracker, lm: np.ndarray, t_s: float) -> bool:
        """Reject a crop result that jumped (another person entered the crop)."""
        prev = tr.track.last
        hgt = body_height_px(prev)
        if not np.isfinite(hgt) or hgt <= 0:
            return True
        dt = max(t_s - tr.last_seen_t, 1e-3)
        jump = float(np.linalg.norm(hip_centre(lm) - hip_centre(prev)))
        return jump <= hgt * (self.cfg.walker.jump_slack_heights + self.cfg.walker.max_speed_heights_per_s * dt)

    def _retire(self, tr: _Tracker) -> None:
        self.active.remove(tr)
        tr.backend.reset()
        self._pool.append(tr.backend)

    def _drop_duplicates(self) -> None:
        for i, a in enumerate(self.active):
            for b in self.active[i + 1 :]:
                if not (a.track.landmarks and b.track.landmarks) or a.track.rows[-1] != b.track.rows[-1]:
                    continue
                hgt = body_height_px(a.track.last)
                if np.linalg.norm(hip_centre(a.track.last) - hip_centre(b.track.last)) < self.cfg.walker.duplicate_heights * hgt:
                    younger = b if b.track.rows[0] >= a.track.rows[0] else a
                    self._retire(younger)
                    return

    def _search(self, image: np.ndarray, row: int, t_s: float, scale: float) -> None:
        """Static-mode search for people not yet tracked: tracked people are masked out first."""
        wcfg = self.cfg.walker
        h, w = image.shape[:2]
        work = image.copy()
        fill = np.array(image.reshape(-1, 3).mean(axis=0), dtype=np.uint8)

        def mask(box_px) -> None:  # the body box grown by a fraction of its height on each side
            pad = wcfg.mask_pad_heights * (box_px[3] - box_px[1])
            x0, y0 = int(max(0, box_px[0] - pad)), int(max(0, box_px[1] - pad))
            work[y0 : int(min(h, box_px[3] + pad)), x0 : int(min(w, box_px[2] + pad))] = fill

        for tr in self.active:
            box = body_box(tr.track.last)
            if box is not None:
                mask(tuple(v * scale for v in box))
                if len(tr.track.appearance) < 8:
                    lm_img = tr.track.last.copy()
                    lm_img[:, :2] *= scale
                    hist = _appearance(image, lm_img)
                    if hist is not None:
                        tr.track.appearance.append(hist)
        for _ in range(wcfg.max_people - len(self.active)):
            lm = self._searcher.process(work)
            box = None if lm is None else body_box(lm)
            if box is None:
                break
            mask(box)
            hist = _appearance(image, lm)
            lm[:, :3] /= scale
            backend = self._pool.pop() if self._pool else self._factory(False)
            tr = _Tracker(backend, Track(len(self.tracks)))
            tr.track.add(row, lm)
            tr.last_seen_t = t_s
            if hist is not None:
                tr.track.appearance.append(hist)
            self.tracks.append(tr.track)
            self.active.append(tr)

    # -- end -------------------------------------------------------------------------------
    def close(self) -> None:
        """Release every MediaPipe graph (safe to call twice)."""
        backends = [self._searcher, *self._pool, *(tr.backend for tr in self.active)]
        self._searcher, self.active, self._pool = None, [], []
        for b in backends:
            if b is not None:
                b.close()

    def finish(self, hint: PersonHint | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(t_s, landmarks of the walker (T,33,4), warnings)."""
        self.close()
        t = np.asarray(self.t_s, dtype=float)
        chosen, warnings = choose_walker(t, self.tracks, self.cfg.walker, hint)
        return t, merge_tracks(len(t), chosen), warnings


def track_frames(frames: Iterable, cfg: PipelineConfig, progress: ProgressFn | None = None
                 ) -> tuple[WalkerTracker, np.ndarray]:
    """Step a :class:`WalkerTracker` over decoded frames (objects with ``image``, ``t_s``, ``index``,
    ``scale``); returns it closed, with the decoded frame index of every row."""
    tracker = WalkerTracker(cfg)
    index: list[int] = []
    try:
        for fr in frames:
            tracker.step(fr.image, fr.t_s, fr.scale)
            index.append(fr.index)
            if progress is not None:
                progress(1)
    finally:
        tracker.close()
    return tracker, np.asarray(index, dtype=int)


def estimate_pose(
    frames: Iterable,
    cfg: PipelineConfig,
    *,
    width_px: int,
    height_px: int,
    mirrored: bool = False,
    hint: PersonHint | None = None,
    progress: ProgressFn | None = None,
) -> PoseSequence:
    """Run search + tracking over decoded frames and return the walker's landmarks."""
    tracker, index = track_frames(frames, cfg, progress)
    t, lm, warnings = tracker.finish(hint)
    return PoseSequence(
        t_s=t, landmarks=lm, width_px=width_px, height_px=height_px, frame_index=index,
        mirrored=mirrored, backend="mediapipe", warnings=warnings,
    )
