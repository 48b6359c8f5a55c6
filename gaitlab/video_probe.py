"""Video probing (re-exported by :mod:`gaitlab.video`): file signatures, display matrices, and
:func:`probe`, which inspects a clip in a killable child process.

The child runs this very file as a script (``python -c <bootstrap> video_probe.py <path> <scan_s>``)
and answers with one JSON object on stdout: the raw facts of the file (container, first video
stream, first decoded frame, timestamp statistics) or an ``error`` key. So that the child starts
fast and outside the package, module-level imports are standard library only; ``av`` and gaitlab's
own modules are imported inside the functions that need them. :func:`probe` turns the facts into a
:class:`VideoInfo` (slow motion, HDR, orientation, warnings) or a user error that says what to do.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
from dataclasses import dataclass, field, fields
from fractions import Fraction
from pathlib import Path
from subprocess import TimeoutExpired
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

if TYPE_CHECKING:
    from .pipeline import VideoConfig

#: Bytes read from the start of a file to recognise its format (two MPEG-TS/M2TS sync bytes fit).
HEAD_BYTES = 256

#: Android writes the real capture rate of slow-motion / time-lapse clips under this key.
_ANDROID_CAPTURE_FPS = "com.android.capture.fps"
#: Apple marks slow-motion originals (stored at the capture rate, real-time stamps) with value "0".
_APPLE_PLAYBACK_INTENT = "com.apple.quicktime.full-frame-rate-playback-intent"
#: Transfer characteristics (FFmpeg ``color_trc``) of HDR video: SMPTE ST 2084 (PQ) and ARIB STD-B67 (HLG).
HDR_TRC = {16: "smpte2084", 18: "arib-std-b67"}

#: MPEG transport stream packet sizes (plain TS, and M2TS/AVCHD with a 4-byte timecode prefix).
_TS_PACKET = 188
_M2TS_PACKET = 192

#: ISO-BMFF major brands of still images (HEIF/HEIC/AVIF) and of audio-only files (iTunes M4A/M4B/M4P).
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
#: Top-level QuickTime atoms that may open a .mov written without an ``ftyp`` box.
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


class Sniffed(NamedTuple):
    """What the first bytes of a file say about it."""

    kind: str  # short format name ("mp4", "png", "text", ...)
    description: str  # for messages: "a PNG image"
    is_video: bool  # False: certainly not a video; True: a video container (still to be probed)


#: Signatures recognised by their first bytes alone.
_PREFIXES = [
    (b"\x89PNG\r\n\x1a\n", Sniffed("png", "a PNG image", False)),
    (b"\xff\xd8\xff", Sniffed("jpeg", "a JPEG image", False)),
    (b"GIF87a", Sniffed("gif", "a GIF image", False)),
    (b"GIF89a", Sniffed("gif", "a GIF image", False)),
    (b"II*\x00", Sniffed("tiff", "a TIFF image", False)),
    (b"MM\x00*", Sniffed("tiff", "a TIFF image", False)),
    (b"%PDF", Sniffed("pdf", "a PDF document", False)),
    (b"PK\x03\x04", Sniffed("zip", "a ZIP archive", False)),
    (b"fLaC", Sniffed("flac", "a FLAC audio file", False)),
    (b"ID3", Sniffed("mp3", "an MP3 audio file", False)),
    (b"FLV", Sniffed("flv", "an FLV video", True)),
    (b"OggS", Sniffed("ogg", "an Ogg file", True)),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", Sniffed("asf", "a Windows Media video", True)),
    (b"\x00\x00\x01\xba", Sniffed("mpeg", "an MPEG program stream", True)),
]
#: RIFF files by their form type (bytes 8–12).
_RIFF_FORMS = {
    b"AVI ": Sniffed("avi", "an AVI video", True),
    b"WEBP": Sniffed("webp", "a WebP image", False),
    b"WAVE": Sniffed("wav", "a WAV audio file", False),
}


def sniff(head: bytes) -> Sniffed | None:
    """Recognise a file from its first bytes (at least :data:`HEAD_BYTES` if the file has them).

    Returns ``None`` for an unknown binary signature: FFmpeg may still read it, so the caller
    probes it. Images, audio files, documents, archives, text and empty files are recognised as
    not-a-video; MP4/MOV (``ftyp``), Matroska/WebM (EBML), AVI, MPEG-TS/PS, FLV, ASF and Ogg as
    video containers.
    """
    if not head:
        return Sniffed("empty", "an empty file", False)
    for prefix, sniffed in _PREFIXES:
        if head.startswith(prefix):
            return sniffed
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_FORMS:
        return _RIFF_FORMS[head[8:12]]
    if head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00":
        return Sniffed("bmp", "a BMP image", False)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return Sniffed("heif", "a HEIC/AVIF photo", False)
        if brand in _AUDIO_BRANDS:
            return Sniffed("m4a", "an M4A audio file", False)
        return Sniffed("mov", "a QuickTime video", True) if brand == b"qt  " else Sniffed("mp4", "an MP4 video", True)
    if head[4:8] in _QT_ATOMS:
        return Sniffed("mov", "a QuickTime video", True)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("webm", "a WebM video", True) if b"webm" in head else Sniffed("matroska", "a Matroska video", True)
    if (len(head) > _TS_PACKET and head[0] == head[_TS_PACKET] == 0x47) or (
            len(head) > _M2TS_PACKET + 4 and head[4] == head[_M2TS_PACKET + 4] == 0x47):
        return Sniffed("mpegts", "an MPEG transport stream", True)
    if _looks_like_text(head):
        if head.lstrip().startswith(b"<"):
            return Sniffed("text", "an HTML/XML text file (a web page, not the video itself)", False)
        return Sniffed("text", "a text file", False)
    return None


def _looks_like_text(head: bytes) -> bool:
    """True when the bytes are printable UTF-8 (a truncated multi-byte character at the end is allowed)."""
    if b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="ignore")
    return len(text) >= len(head) - 3 and all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)


def display_orientation(matrix: Sequence[int]) -> tuple[int, bool]:
    """Decompose an FFmpeg/QuickTime display matrix into ``(rotation_deg, mirrored)``.

    ``matrix`` is the 3×3 matrix as 9 integers (16.16 fixed point for the 2×2 part), mapping a
    decoded pixel ``(x, y)`` (y down) to its displayed position ``x' = a·x + c·y``,
    ``y' = b·x + d·y`` with ``(a, b, c, d) = matrix[0], matrix[1], matrix[3], matrix[4]``.
    The display is: rotate the decoded image clockwise by ``rotation_deg`` (0/90/180/270), then,
    if ``mirrored``, flip it left–right. (An iPhone portrait clip, ``[0, 65536, 0, -65536, 0, …]``,
    gives ``(90, False)``; PyAV's ``VideoFrame.rotation`` is ``-rotation_deg`` for unmirrored clips.)
    """
    a, b, c, d = (float(matrix[i]) for i in (0, 1, 3, 4))
    mirrored = a * d - b * c < 0
    if mirrored:  # undo the final horizontal flip, which negates the x' column
        a, c = -a, -c
    if a == 0 and b == 0:
        return 0, mirrored
    clockwise = math.degrees(math.atan2(b, a))
    return int(round(clockwise / 90.0)) % 4 * 90, mirrored


def _rational(value: Any) -> list[int] | None:
    return None if value is None else [value.numerator, value.denominator]


def _timestamp_stats(stamps: list[int], complete: bool) -> dict[str, Any]:
    """Summary of a stream's packet timestamps (in stream time-base units)."""
    stamps = sorted(set(stamps))
    steps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    return {
        "n": len(stamps),
        "first": stamps[0] if stamps else None,
        "last": stamps[-1] if stamps else None,
        "min_step": steps[0] if steps else None,
        "median_step": steps[len(steps) // 2] if steps else None,
        "max_step": steps[-1] if steps else None,
        "complete": complete,
    }


def raw_probe(path: str, scan_s: float) -> dict[str, Any]:
    """Open ``path`` with PyAV and report its raw facts as a JSON-serialisable dict.

    Decodes only the first frame of the first video stream (for pixel format, colour tags and the
    display matrix). Timestamps come from the container index when it lists every frame (MP4/MOV),
    otherwise from demuxing packets, without decoding, for up to ``scan_s`` seconds of stream time.
    Errors are returned as ``{"error": kind, "detail": message}``.
    """
    import av  # imported here so the module loads fast and without av where only sniff() is needed

    try:
        container = av.open(path)
    except av.error.FFmpegError as exc:
        return {"error": "open", "detail": str(exc)}
    with container:
        streams = list(container.streams)
        videos = [s for s in streams if s.type == "video"]
        moving = [s for s in videos if not s.disposition & av.stream.Disposition.attached_pic]
        out: dict[str, Any] = {
            "format": container.format.name,
            "duration_us": container.duration,
            "metadata": dict(container.metadata),
            "stream_types": [s.type for s in streams],
            "attached_picture_only": bool(videos) and not moving,
        }
        if not moving:
            return out
        stream = moving[0]
        ctx = stream.codec_context
        if ctx is None:  # PyAV leaves it unset when FFmpeg has no decoder for the codec
            out["no_decoder"] = True
            return out
        out["video"] = {
            "index": stream.index,
            "codec": ctx.name,
            "width": ctx.width,
            "height": ctx.height,
            "sar": _rational(stream.sample_aspect_ratio),
            "time_base": _rational(stream.time_base),
            "average_rate": _rational(stream.average_rate),
            "guessed_rate": _rational(stream.guessed_rate),
            "duration": stream.duration,
            "frames": stream.frames,
            "still_image": bool(stream.disposition & av.stream.Disposition.still_image),
            "metadata": dict(stream.metadata),
        }
        out["first_frame"], out["first_frame_error"] = _first_frame(av, container, stream)
        index = stream.index_entries
        if stream.frames > 1 and len(index) >= stream.frames:
            out["timestamps"] = _timestamp_stats([e.timestamp for e in index], complete=True)
        else:
            container.seek(0)
            out["timestamps"] = _scan_packets(av, container, stream, scan_s)
        return out


def _first_frame(av: Any, container: Any, stream: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Decode the first frame; return its facts, or ``None`` and the last decoder error."""
    error = None
    try:
        for packet in container.demux(stream):
            try:
                frames = stream.decode(packet)
            except av.error.FFmpegError as exc:
                error = str(exc)
                continue
            if frames:
                frame = frames[0]
                matrix = None
                for side in frame.side_data:
                    if side.type == av.sidedata.sidedata.Type.DISPLAYMATRIX:
                        matrix = list(struct.unpack("=9i", bytes(side)))
                return {
                    "pts": frame.pts,
                    "format": frame.format.name,
                    "bits": frame.format.components[0].bits,
                    "color_trc": frame.color_trc,
                    "display_matrix": matrix,
                }, None
    except av.error.FFmpegError as exc:
        error = str(exc)
    return None, error or "no frame could be decoded"


def _scan_packets(av: Any, container: Any, stream: Any, scan_s: float) -> dict[str, Any]:
    """Packet timestamps from demuxing (no decoding) up to ``scan_s`` seconds of stream time."""
    limit = scan_s / float(stream.time_base) if stream.time_base else math.inf
    stamps: list[int] = []
    complete = True
    try:
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            stamps.append(packet.pts)
            if packet.pts - stamps[0] > limit:
                complete = False
                break
    except av.error.FFmpegError:
        complete = True  # the file ends (damaged or truncated) here
    return _timestamp_stats(stamps, complete)


@dataclass
class VideoInfo:
    """What :func:`probe` learnt about a clip. Sizes in pixels, times in seconds, rates in 1/s.

    ``width_px``/``height_px`` are as displayed (after rotation metadata and non-square pixels);
    ``coded_*`` as stored. ``rotation_deg`` is the clockwise display rotation and ``mirrored`` a
    left–right flip applied after it. ``duration_s`` is real time; ``avg_fps`` counts frames per
    *presentation* second, ``time_scale`` is real seconds per presentation second (0.125 for a
    240-fps capture played at 30 fps) and :attr:`real_fps` frames per real second.
    ``warnings`` grows when frames are decoded (truncation, damaged packets).
    """

    path: Path
    container: str
    codec: str
    pix_fmt: str
    bit_depth: int
    width_px: int
    height_px: int
    coded_width_px: int
    coded_height_px: int
    rotation_deg: int
    mirrored: bool
    duration_s: float
    n_frames: int
    avg_fps: float
    vfr: bool
    capture_fps: float | None
    time_scale: float
    hdr_transfer: str | None
    stream_index: int
    start_pts_s: float  # presentation time of the first frame; t_s counts from here
    pixel_aspect: float  # sample aspect ratio (1.0 = square pixels)
    warnings: list[str] = field(default_factory=list)
    config: VideoConfig | None = field(default=None, repr=False, compare=False)

    @property
    def real_fps(self) -> float:
        """Frames per real second (the capture rate of a slow-motion clip)."""
        return self.avg_fps / self.time_scale

    def warn(self, message: str) -> None:
        """Record a warning once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready facts for provenance: every field except ``path`` (a local path can name the
        patient; record the file name instead) and ``config`` (recorded with the pipeline)."""
        return {f.name: getattr(self, f.name) if f.name != "warnings" else list(self.warnings)
                for f in fields(self) if f.name not in ("path", "config")}


def probe(
    path: str | Path, cfg: VideoConfig, *, capture_fps: float | None = None, time_scale: float | None = None
) -> VideoInfo:
    """Check that ``path`` is a usable walking video and describe it.

    Args:
        path: video file.
        cfg: the ``[video]`` pipeline section.
        capture_fps: real capture rate (frames/s) of a slow-motion clip whose metadata was lost.
        time_scale: real seconds per presentation second; overrides ``capture_fps`` and metadata.

    Raises:
        NotAVideoError: an image, audio, text or other non-video file, no video stream, a single
            still frame, or a clip shorter than ``cfg.min_duration_s`` / ``cfg.min_frames``.
        VideoDecodeError: a video container that cannot be opened or decoded, or a probe that took
            longer than ``cfg.probe_timeout_s``.
        UnsupportedVideoError: no decoder for the codec in this installation.
        ConfigError: ``capture_fps`` or ``time_scale`` not a positive number.
    """
    from .errors import ConfigError, NotAVideoError, VideoDecodeError  # package-only: see the module docstring

    path = Path(path)
    name = path.name
    for key, value, example in (("capture_fps", capture_fps, "the slow-motion capture rate, e.g. 240"),
                                ("time_scale", time_scale, "real seconds per played second, e.g. 0.125")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value <= 0):
            raise ConfigError(f"{key} must be a positive number ({example}), got {value!r}.")
    if not path.is_file():
        raise NotAVideoError(f"{path} does not exist or is not a file; check the file name and folder.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise VideoDecodeError(f"{name} cannot be read ({exc.strerror}); check that the file is accessible.") from None
    kind = sniff(head)
    if kind is not None and not kind.is_video:
        raise NotAVideoError(f"{name} is not a video (looks like {kind.description}); export the clip as MP4/MOV.")
    try:
        raw = run_probe(path, cfg.probe_timeout_s, cfg.timestamp_scan_s)
    except TimeoutExpired:
        raise VideoDecodeError(
            f"Reading {name} took longer than {cfg.probe_timeout_s:g} s and was stopped; the file may be damaged "
            "— re-export it as MP4 (H.264) and try again."
        ) from None
    except RuntimeError as exc:
        raise VideoDecodeError(
            f"The video decoder crashed on {name} ({exc}); re-export the clip as MP4 (H.264) and try again."
        ) from None
    return _interpret(path, raw, kind.kind if kind else None, cfg, capture_fps, time_scale)


def _interpret(
    path: Path, raw: dict[str, Any], sniffed: str | None, cfg: VideoConfig,
    capture_fps: float | None, time_scale: float | None,
) -> VideoInfo:
    """Turn the child's raw facts into a :class:`VideoInfo`, or the right user error."""
    from .errors import NotAVideoError, UnsupportedVideoError, VideoDecodeError

    name = path.name
    if "error" in raw or (sniffed and not raw["stream_types"]):
        if sniffed:
            raise VideoDecodeError(
                f"{name} looks like a video but cannot be read ({raw.get('detail', 'no streams found')}); it is "
                "probably incomplete or damaged — copy it again from the phone or re-export it as MP4/MOV."
            )
        raise NotAVideoError(f"{name} is not a video FFmpeg can read ({raw['detail']}); export the clip as MP4/MOV.")
    if raw.get("no_decoder"):
        raise UnsupportedVideoError(
            f"{name} uses a video codec this installation cannot decode; re-export the clip as MP4 (H.264 or HEVC)."
        )
    if "video" not in raw:
        what = "only a cover picture" if raw["attached_picture_only"] else "no video stream"
        audio = " (it looks like an audio file)" if "audio" in raw["stream_types"] else ""
        raise NotAVideoError(f"{name} has {what}{audio}; record or export the walk as a video clip (MP4/MOV).")
    video, first, stamps = raw["video"], raw["first_frame"], raw["timestamps"]
    if first is None:
        raise VideoDecodeError(
            f"No frame of {name} could be decoded ({video['codec']}: {raw['first_frame_error']}); the file is "
            "damaged or incomplete — copy it again from the phone or re-export it as MP4 (H.264)."
        )
    tb = Fraction(*video["time_base"])
    pres_duration_s = _presentation_duration(video, raw["duration_us"], stamps, tb)
    avg_fps = _average_fps(video, stamps, tb, pres_duration_s)
    if not avg_fps > 0:
        raise VideoDecodeError(f"{name} has no usable frame timing; re-export it as MP4 (H.264).")
    n_frames = video["frames"] if video["frames"] > 0 else (
        stamps["n"] if stamps["complete"] else round(pres_duration_s * avg_fps))
    if n_frames <= 1 or video["still_image"]:
        raise NotAVideoError(f"{name} holds a single still image, not a video; record a video clip of the walk.")
    metadata = {**raw["metadata"], **video["metadata"]}
    capture, scale, warnings = _timing(avg_fps, metadata, capture_fps, time_scale, cfg)
    duration_s = pres_duration_s * scale
    if duration_s < cfg.min_duration_s:
        raise NotAVideoError(
            f"{name}: clip is {duration_s:.1f} s long; gaitlab needs at least {cfg.min_duration_s:g} s of walking "
            "— record a longer clip with several strides."
        )
    if n_frames < cfg.min_frames:
        raise NotAVideoError(
            f"{name} has only {n_frames} frames; gaitlab needs at least {cfg.min_frames} — record at 30 fps or "
            "more for the whole walk."
        )
    rotation, mirrored = display_orientation(first["display_matrix"]) if first["display_matrix"] else (0, False)
    sar = Fraction(*video["sar"]) if video["sar"] and video["sar"][0] > 0 else Fraction(1)
    shown_w, shown_h = round(video["width"] * sar), video["height"]
    if rotation in (90, 270):
        shown_w, shown_h = shown_h, shown_w
    hdr = HDR_TRC.get(first["color_trc"])
    if hdr:
        done = "tone-mapped to SDR" if cfg.hdr_tonemap else "colours converted without tone mapping"
        warnings.append(f"HDR clip ({hdr}): {done}; record in SDR (HDR video off) for best pose accuracy.")
    steps = [stamps["min_step"], stamps["median_step"], stamps["max_step"]]
    vfr = None not in steps and max(steps[2] - steps[1], steps[1] - steps[0]) > cfg.vfr_tolerance * steps[1]
    return VideoInfo(
        path=path, container=sniffed or raw["format"].split(",")[0], codec=video["codec"], pix_fmt=first["format"],
        bit_depth=first["bits"], width_px=shown_w, height_px=shown_h, coded_width_px=video["width"],
        coded_height_px=video["height"], rotation_deg=rotation, mirrored=mirrored, duration_s=duration_s,
        n_frames=n_frames, avg_fps=avg_fps, vfr=bool(vfr), capture_fps=capture, time_scale=scale, hdr_transfer=hdr,
        stream_index=video["index"], start_pts_s=float(first["pts"] * tb) if first["pts"] is not None else 0.0,
        pixel_aspect=float(sar), warnings=warnings, config=cfg,
    )


def _average_fps(video: dict[str, Any], stamps: dict[str, Any], tb: Fraction, duration_s: float) -> float:
    """Frames per presentation second: frame count / duration from the stream header, else from the
    scanned timestamps, else the header's rate (NaN if none)."""
    if video["frames"] > 0 and video["duration"]:
        return video["frames"] / duration_s
    if stamps["n"] >= 2 and stamps["last"] > stamps["first"]:
        return (stamps["n"] - 1) / float((stamps["last"] - stamps["first"]) * tb)
    rate = video["average_rate"] or video["guessed_rate"]
    return rate[0] / rate[1] if rate and rate[1] else math.nan


def _presentation_duration(video: dict[str, Any], duration_us: int | None, stamps: dict[str, Any], tb: Fraction) -> float:
    """Stream duration in presentation seconds (stream header, else container, else timestamps)."""
    if video["duration"]:
        return float(video["duration"] * tb)
    if duration_us:
        return duration_us / 1e6
    if stamps["n"] >= 2:
        return float((stamps["last"] - stamps["first"] + stamps["median_step"]) * tb)
    return 0.0


def _timing(
    avg_fps: float, metadata: dict[str, str], capture_fps: float | None, time_scale: float | None, cfg: VideoConfig
) -> tuple[float | None, float, list[str]]:
    """Resolve ``(capture_fps, time_scale, warnings)``: explicit ``time_scale`` wins, then ``capture_fps``,
    then slow-motion metadata (Android capture rate; Apple slow-motion originals keep real-time stamps)."""
    if time_scale is not None:
        return capture_fps or (avg_fps / time_scale if time_scale != 1 else None), float(time_scale), []
    if capture_fps is not None:
        return float(capture_fps), avg_fps / capture_fps, []
    try:
        tagged = float(metadata.get(_ANDROID_CAPTURE_FPS, "nan"))
    except ValueError:
        tagged = math.nan
    if math.isfinite(tagged) and tagged > 0 and abs(tagged / avg_fps - 1) > cfg.slowmo_rate_tolerance:
        kind = "slow-motion" if tagged > avg_fps else "time-lapse"
        scale = avg_fps / tagged
        return tagged, scale, [
            f"{kind} clip: captured at {tagged:g} fps, stored at {avg_fps:.3g} fps; times are converted to real "
            f"seconds (×{scale:.4g})."
        ]
    if metadata.get(_APPLE_PLAYBACK_INTENT) == "0":
        return avg_fps, 1.0, [
            f"slow-motion clip recorded at {avg_fps:.3g} fps; its timestamps are real time, so it is analysed at "
            "normal speed."
        ]
    return None, 1.0, []


#: Run in the child: drop the current directory from sys.path, then run this file as __main__.
_BOOTSTRAP = ("import runpy, sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
              "sys.argv[:1] = []; runpy.run_path(sys.argv[0], run_name='__main__')")


def run_probe(path: Path, timeout_s: float, scan_s: float) -> dict[str, Any]:
    """Run :func:`raw_probe` in a child Python process, killed after ``timeout_s`` seconds.

    Raises :class:`subprocess.TimeoutExpired` on timeout and :class:`RuntimeError` when the child
    dies without an answer (e.g. FFmpeg crashed).
    """
    cmd = [sys.executable, "-c", _BOOTSTRAP, str(Path(__file__).resolve()), str(path), repr(float(scan_s))]
    done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    lines = done.stdout.decode("utf-8", errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"probe process exited with code {done.returncode}: {' '.join(tail)}")
    return json.loads(lines[-1])


if __name__ == "__main__":
    sys.stdout.write(json.dumps(raw_probe(sys.argv[1], float(sys.argv[2]))) + "\n")
