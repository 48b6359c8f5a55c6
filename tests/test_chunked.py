"""Stitching of parallel time chunks (pure; synthetic tracks)."""

import numpy as np

from gaitlab.pipeline import load_pipeline
from gaitlab.pose.chunked import _ChunkResult, stitch
from gaitlab.pose.walker import Track

from test_walker import person


def chunk(start_s, frames, people):
    """people: list of (x0, speed px/frame) walking from frame 0 of the clip."""
    frames = np.asarray(frames)
    tracks = []
    for k, (x0, v) in enumerate(people):
        tr = Track(k)
        for row, f in enumerate(frames):
            tr.add(row, person(x0 + v * f, phase=f / 5, stride=50))
        tracks.append(tr)
    return _ChunkResult(start_s, frames / 30.0, frames, tracks, [])


def test_warmup_rows_join_tracks_and_are_dropped():
    first = chunk(0.0, range(0, 60), [(100, 4), (1000, -3)])
    # the second chunk decodes from frame 30 (1 s warm-up) for a chunk starting at 2 s; people listed in another order
    second = chunk(2.0, range(30, 120), [(1000, -3), (100, 4)])
    t, frames, tracks, _ = stitch([first, second], load_pipeline().walker)
    assert list(frames) == list(range(120)) and np.allclose(t, np.arange(120) / 30)
    assert len(tracks) == 2
    for tr in tracks:
        rows, lm = tr.as_arrays()
        assert list(rows) == list(range(120))  # continuous, no duplicated overlap rows
        x = lm[:, 23, 0]
        assert np.allclose(np.diff(x), np.diff(x)[0])  # one person throughout


def test_a_person_appearing_after_the_boundary_is_a_new_track():
    first = chunk(0.0, range(0, 60), [(100, 4)])
    second = chunk(2.0, range(30, 120), [(100, 4), (1500, -5)])
    second.tracks[1].rows = [r for r in second.tracks[1].rows if r >= 40]
    second.tracks[1].landmarks = second.tracks[1].landmarks[40:]
    _, _, tracks, _ = stitch([first, second], load_pipeline().walker)
    assert sorted(len(tr.rows) for tr in tracks) == [120 - 70, 120]
