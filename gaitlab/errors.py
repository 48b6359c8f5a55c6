"""User-facing errors.

Every failure a user can cause (bad file, no person in view, wrong option) raises a subclass of
:class:`GaitlabError`. Its message is one or two sentences that say what went wrong *and what to do*.
The CLI prints it without a traceback and exits with :attr:`GaitlabError.exit_code`.
"""

from __future__ import annotations


class GaitlabError(Exception):
    """Base class of all errors a user can cause. ``str(err)`` is the message to show."""

    exit_code = 2


class NotAVideoError(GaitlabError):
    """The file is not a video (a photo, a GIF, text, no video stream, too short)."""


class VideoDecodeError(GaitlabError):
    """The file looks like a video but nothing could be decoded."""


class UnsupportedVideoError(GaitlabError):
    """A codec or pixel format this installation cannot decode."""


class NoPersonError(GaitlabError):
    """Pose estimation found nobody, or nobody walking, in the clip."""


class AmbiguousWalkerError(GaitlabError):
    """Two or more people walk alike; the user must point at the walker (``--person-hint``)."""


class ConfigError(GaitlabError):
    """A pipeline file or a command-line option is wrong."""


class KeypointFileError(GaitlabError):
    """An imported keypoint file (landmarks CSV, OpenPose JSON folder) is unreadable or inconsistent."""
