"""gaitlab: gait biomechanics from phone video.

``gaitlab.analyze(source, ...)`` is the one entry point; the CLI, batch runner and web worker call it.
"""

__version__ = "0.1.0"

from .errors import GaitlabError  # noqa: E402


def analyze(*args, **kwargs):
    """Analyse one walking clip; see :func:`gaitlab.analysis.analyze` (imported lazily: it loads SciPy)."""
    from .analysis import analyze as _analyze

    return _analyze(*args, **kwargs)


__all__ = ["GaitlabError", "analyze", "__version__"]
