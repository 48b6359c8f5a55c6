"""Probe an uploaded clip by content in a child process with a time, CPU and memory limit.

FFmpeg's demuxers are an attack surface: the child (``python -m gaitlab.web.probe FILE``) first
lowers its own limits (address space, CPU seconds, file size), then runs
:func:`gaitlab.video_probe.probe`, whose own decoding child inherits those limits. It answers with one
JSON line: the clip's facts or the user-facing error message.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

#: Wall-clock seconds the probe may take in all.
PROBE_TIMEOUT_S = 60.0
#: CPU seconds and address space (bytes) of the probing processes.
PROBE_CPU_S = 60
PROBE_MEMORY_BYTES = 2 * 1024**3
#: Largest file the probing processes may write (they write none; stdout may be a file).
PROBE_FILE_BYTES = 1024**2
#: Probes running at once (more uploads wait): bounds memory and CPU under many simultaneous uploads.
MAX_PARALLEL_PROBES = 2
_slots = threading.BoundedSemaphore(MAX_PARALLEL_PROBES)


class ProbeRejected(Exception):
    """The upload is not a usable video; ``str()`` says why and what to do."""


def probe_clip(path: Path, shown_name: str) -> dict:
    """Facts of the clip at ``path`` (a :class:`gaitlab.video.VideoInfo` as a dict), or
    :class:`ProbeRejected` with a message that names the clip as ``shown_name``."""
    cmd = [sys.executable, "-m", "gaitlab.web.probe", str(path)]
    try:
        with _slots:
            done = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ProbeRejected(f"Reading {shown_name} took too long and was stopped; re-export it as MP4 (H.264) "
                            "and try again.") from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError):
        answer = {"error": f"{shown_name} could not be read as a video (the reader stopped); re-export it as "
                           "MP4 (H.264) and try again."}
    if "error" in answer:
        raise ProbeRejected(answer["error"].replace(path.name, shown_name).replace(str(path), shown_name))
    return answer["info"]


def _limit_self() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (PROBE_MEMORY_BYTES, PROBE_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (PROBE_CPU_S, PROBE_CPU_S))
    resource.setrlimit(resource.RLIMIT_FSIZE, (PROBE_FILE_BYTES, PROBE_FILE_BYTES))


def _main(path: str) -> dict:
    _limit_self()
    from gaitlab.errors import GaitlabError
    from gaitlab.pipeline import load_pipeline
    from gaitlab.video_probe import probe

    try:
        info = probe(path, load_pipeline(None).video)
    except GaitlabError as exc:
        return {"error": str(exc)}
    return {"info": json.loads(json.dumps(info.as_dict(), default=str))}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_main(sys.argv[1])) + "\n")
