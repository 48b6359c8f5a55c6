"""gaitlab: gait biomechanics from phone video.

``gaitlab.analyze(source, ...)`` is the one entry point; the CLI, batch runner and web worker call it.
"""

__version__ = "0.1.0"

from .errors import GaitlabError  # noqa: E402

__all__ = ["GaitlabError", "__version__"]
