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
