"""Shared fixtures. Real-data tests skip cleanly when ../shared/data is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE_VIDEOS = ROOT / "sample_videos"


def shared_file(rel: str) -> Path:
    """Path of a file in ../shared/data, or skip the test when it is absent."""
    p = SHARED_DATA / rel
    if not p.exists():
        pytest.skip(f"../shared/data/{rel} not available")
    return p


@pytest.fixture
def shared():
    return shared_file


@pytest.fixture(scope="session", autouse=True)
def _pose_cache_dir(tmp_path_factory):
    """Pose results are cached on disk per test session (``make test`` shares one folder between
    workers); never the user's own cache."""
    import os

    if not os.environ.get("GAITLAB_CACHE_DIR"):
        os.environ["GAITLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("gaitlab-cache"))


@pytest.fixture(scope="session")
def real_analysis():
    """``real_analysis("sports2d/demo4_2024_sagittal_walk.mp4")`` → GaitAnalysis of a real clip
    (pose computed once per session through the cache); skips when ../shared/data is absent."""
    from gaitlab.analysis import analyze

    memo = {}

    def run(rel: str, **kwargs):
        key = (rel, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = analyze(shared_file(f"videos/{rel}"), **kwargs)
        return memo[key]

    return run


@pytest.fixture(scope="session")
def real_pose(real_analysis):
    """The walker's PoseSequence (MediaPipe labels) of a real clip."""
    return lambda rel: real_analysis(rel).pose
