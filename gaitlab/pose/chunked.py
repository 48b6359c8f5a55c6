"""Pose over parallel time chunks of one clip (for long clips on an idle multi-core machine).

The clip is cut into ``n`` equal time chunks. Each chunk after the first starts decoding
``overlap_s`` earlier so that its trackers have locked on by the chunk's start; the warm-up rows
are used only to recognise which track continues which across the boundary, then discarded. The
walker is chosen on the stitched tracks exactly as in a sequential run.

Off inside batch and web workers (their pool already fills the cores: workers × chunks ≤ cores).
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..model import PoseSequence
from ..pipeline import PipelineConfig, WalkerConfig
from .walker import PersonHint, Track, body_height_px, choose_walker, hip_centre, merge_tracks


@dataclass
class _ChunkResult:
    start_s: float
    t_s: np.ndarray
    frame_index: np.ndarray
    tracks: list[Track]
    warnings: list[str]


def _run_chunk(args) -> _ChunkResult:
    info, cfg, start_s, end_s, decode_from_s = args
    from ..video import iter_frames
    from .estimate import track_frames

    frames = iter_frames(info, max_side_px=cfg.video.pose_max_side_px, start_s=decode_from_s, end_s=end_s)
    tracker, index = track_frames(frames, cfg)
    return _ChunkResult(start_s, np.asarray(tracker.t_s), index, tracker.tracks, list(frames.warnings))


def _same_person_in_overlap(prev: dict[int, np.ndarray], warmup: dict[int, np.ndarray], max_heights: float) -> bool:
    """Do two tracks (frame index → landmarks) follow the same person in the frames both cover?"""
    shared = [f for f in warmup if f in prev]
    if not shared:
        return False
    d = [np.linalg.norm(hip_centre(prev[f]) - hip_centre(warmup[f])) / body_height_px(prev[f]) for f in shared]
    return bool(np.nanmedian(d) < max_heights)


def stitch(chunks: list[_ChunkResult], cfg: WalkerConfig) -> tuple[np.ndarray, np.ndarray, list[Track], list[str]]:
    """Global (t_s, frame_index, tracks, warnings) from chunk results in time order.

    Rows of a chunk before its start (the warm-up) are dropped; a track whose warm-up rows coincide
    with a track of the previous chunk continues that track.
    """
    keeps, warnings = [], []
    for k, ch in enumerate(chunks):
        keeps.append(ch.t_s >= ch.start_s if k else np.ones(len(ch.t_s), bool))
        warnings += [w for w in ch.warnings if w not in warnings]
    t = np.concatenate([ch.t_s[kp] for ch, kp in zip(chunks, keeps)])
    frames = np.concatenate([ch.frame_index[kp] for ch, kp in zip(chunks, keeps)])
    row_of = {int(f): i for i, f in enumerate(frames)}
    tracks: list[Track] = []
    previous: list[tuple[Track, dict[int, np.ndarray]]] = []
    for ch, keep in zip(chunks, keeps):
        current = []
        for tr in ch.tracks:
            rows, lm = tr.as_arrays()
            kept = {int(ch.frame_index[r]): x for r, x in zip(rows, lm) if keep[r]}
            warm = {int(ch.frame_index[r]): x for r, x in zip(rows, lm) if not keep[r]}
            target = next((g for g, pf in previous if warm and _same_person_in_overlap(pf, warm, cfg.duplicate_heights)), None)
            if target is None:
                target = Track(len(tracks))
                tracks.append(target)
            for f, x in kept.items():
                target.add(row_of[f], x)
            target.appearance += tr.appearance
            current.append((target, kept))
        previous = current
    return t, frames, [tr for tr in tracks if tr.rows], warnings


def estimate_pose_chunked(info, cfg: PipelineConfig, *, n_chunks: int, overlap_s: float = 1.0,
                          hint: PersonHint | None = None) -> PoseSequence:
    """Pose of the walker computed in ``n_chunks`` processes. ``info`` is a probed :class:`VideoInfo`."""
    edges = np.linspace(0.0, info.duration_s, n_chunks + 1)
    edges[-1] = np.inf
    jobs = [(info, cfg, float(edges[k]), float(edges[k + 1]), float(max(0.0, edges[k] - overlap_s)) if k else 0.0)
            for k in range(n_chunks)]
    with ProcessPoolExecutor(n_chunks, mp_context=mp.get_context("spawn")) as pool:
        chunks = list(pool.map(_run_chunk, jobs))
    t, frames, tracks, warnings = stitch(chunks, cfg.walker)
    chosen, w = choose_walker(t, tracks, cfg.walker, hint)
    return PoseSequence(t_s=t, landmarks=merge_tracks(len(t), chosen), width_px=info.width_px,
                        height_px=info.height_px, frame_index=frames, mirrored=info.mirrored,
                        backend="mediapipe", warnings=list(info.warnings) + warnings + w)
