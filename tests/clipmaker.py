"""Small synthetic test clips written with :func:`gaitlab.video.open_writer`.

Every frame, *as displayed*, is dark grey with a white square in the top-left corner (so the
upright orientation can be checked after rotation/mirroring) and a grey bar whose position and
brightness change with the frame number (so frames can be told apart).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from gaitlab.video import open_writer

MARKER_PX = 16  # side of the white square, in displayed pixels
BACKGROUND = 40  # grey level of the background
BAR_PX = 6  # width of the moving bar


def displayed_frame(i: int, width: int, height: int) -> np.ndarray:
    """Frame ``i`` as it should be displayed: H×W×3 uint8 RGB."""
    img = np.full((height, width, 3), BACKGROUND, np.uint8)
    img[:MARKER_PX, :MARKER_PX] = 255
    x = MARKER_PX + (i * 2) % (width - MARKER_PX - BAR_PX)
    img[MARKER_PX:, x:x + BAR_PX] = 100 + (i * 5) % 120
    return img


def stored_frame(display: np.ndarray, rotation_deg: int, mirrored: bool) -> np.ndarray:
    """The frame to encode so that rotating it ``rotation_deg`` clockwise, then mirroring, shows ``display``."""
    if mirrored:
        display = display[:, ::-1]
    return np.ascontiguousarray(np.rot90(display, k=rotation_deg // 90))


def make_clip(
    path: Path,
    *,
    width: int = 160,
    height: int = 96,
    fps: float = 30.0,
    duration_s: float = 3.0,
    times_s: Sequence[float] | None = None,
    rotation_deg: int = 0,
    mirrored: bool = False,
    **writer_options: object,
) -> Path:
    """Write a clip whose *displayed* size is ``width``×``height`` px.

    Frames are evenly spaced at ``fps`` for ``duration_s`` seconds, or placed at ``times_s``
    (variable frame rate). ``writer_options`` go to :func:`~gaitlab.video.open_writer`.
    """
    times = list(times_s) if times_s is not None else [i / fps for i in range(round(duration_s * fps))]
    first = stored_frame(displayed_frame(0, width, height), rotation_deg, mirrored)
    with open_writer(path, fps, first.shape[1], first.shape[0], rotation_deg=rotation_deg, mirrored=mirrored,
                     **writer_options) as writer:
        for i, t in enumerate(times):
            writer.write(stored_frame(displayed_frame(i, width, height), rotation_deg, mirrored), t_s=t)
    return path
