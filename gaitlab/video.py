"""Video input and output: probe a clip, stream upright RGB frames with real-time stamps, write H.264.

- :func:`probe` checks the file signature, then inspects the clip in a killable child process
  (:mod:`gaitlab.video_probe`) and returns a :class:`VideoInfo`: display size after rotation
  metadata, mirroring, real duration, frame rate, variable frame rate, slow motion, HDR.
- :func:`iter_frames` streams :class:`Frame` objects (memory stays flat with clip length): the image
  is upright as a phone displays it, and ``t_s`` comes from presentation timestamps, never from
  ``index / fps``. A time range can be decoded on its own (for parallel chunked pose).
- :func:`open_writer` writes H.264 MP4 (optionally with rotation/mirror metadata, VFR timestamps).

Damaged files decode as far as they can; what was lost is reported in warnings, not hidden.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import av
import numpy as np

from .errors import ConfigError, VideoDecodeError
from .video_probe import HDR_TRC, VideoInfo, probe

__all__ = ["Frame", "FrameIterator", "VideoInfo", "VideoWriter", "iter_frames", "open_writer", "probe"]

# SMPTE ST 2084 (PQ) EOTF constants and peak luminance (cd/m²).
_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
_PQ_PEAK_NITS = 10000.0
# ITU-R BT.2100 HLG inverse OETF constants, nominal peak (cd/m²) and system gamma at that peak.
_HLG_A = 0.17883277
_HLG_B = 1 - 4 * _HLG_A
_HLG_C = 0.5 - _HLG_A * math.log(4 * _HLG_A)
_HLG_PEAK_NITS, _HLG_GAMMA = 1000.0, 1.2
#: ITU-R BT.1886 display gamma: SDR code value = relative luminance ** (1 / gamma).
_SDR_GAMMA = 2.4

#: Writer clock (ticks per second): exact for 24, 25, 30, 50, 60, 120, 240 and 30000/1001 fps.
_WRITER_TICKS = 90000
#: Fixed quantiser of the MPEG-4 Part 2 fallback encoder (2 = best … 31 = worst) and FFmpeg's
#: quantiser-to-lambda factor (FF_QP2LAMBDA).
_MPEG4_QSCALE = 3
_FF_QP2LAMBDA = 118
#: FFmpeg colour tag for BT.2020 primaries and non-constant-luminance matrix (AVCOL_PRI/SPC_BT2020*).
_BT2020 = 9
_MUXER_BY_SUFFIX = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``image`` is H×W×3 uint8 RGB, upright and mirrored as a phone shows it.

    ``t_s`` is real time in seconds since the first frame, ``(pts_s - start_pts_s) × time_scale``;
    ``pts_s`` the raw presentation timestamp (s). ``index`` is the frame's 0-based position in the
    whole clip in presentation order (the order a decoder outputs frames): the same in a full pass
    and in a chunk; a frame lost to damage leaves a gap. ``scale`` is image pixels per
    displayed-frame pixel (< 1 after downscaling).
    """

    index: int
    t_s: float
    pts_s: float
    image: np.ndarray
    scale: float


def _hdr_lut(transfer: str, reference_white_nits: float, knee: float) -> np.ndarray:
    """65536-entry table from a 16-bit non-linear HDR code value to an 8-bit SDR (BT.1886) code value.

    Linearises PQ (absolute cd/m²) or HLG (scene light through the BT.2100 OOTF at 1000 cd/m²),
    divides by ``reference_white_nits``, keeps values below ``knee`` and compresses highlights above
    it with a Reinhard shoulder that reaches SDR white asymptotically. Per channel; the BT.2020 →
    BT.709 gamut change is not applied (colours look slightly desaturated).
    """
    signal = np.arange(65536, dtype=np.float64) / 65535.0
    if transfer == "smpte2084":
        p = signal ** (1 / _PQ_M2)
        nits = _PQ_PEAK_NITS * (np.maximum(p - _PQ_C1, 0) / (_PQ_C2 - _PQ_C3 * p)) ** (1 / _PQ_M1)
    else:
        scene = np.where(signal <= 0.5, signal**2 / 3,
                         (np.exp((signal - _HLG_C) / _HLG_A) + _HLG_B) / 12)
        nits = _HLG_PEAK_NITS * scene**_HLG_GAMMA
    x = nits / reference_white_nits
    over = np.maximum(x - knee, 0)
    y = np.where(x <= knee, x, knee + (1 - knee) * over / (over + (1 - knee)))
    return np.round(255 * np.clip(y, 0, 1) ** (1 / _SDR_GAMMA)).astype(np.uint8)


class FrameIterator:
    """Streaming decoder returned by :func:`iter_frames`; iterate it for :class:`Frame` objects.

    Attributes:
        frames_decoded: frames yielded so far.
        skipped: damaged packets/frames and frames without usable timestamps that were skipped.
        warnings: warnings raised by this pass (also added to ``info.warnings``), set when
            iteration ends: truncation ("file ends at …") and skipped data.
    """

    def __init__(self, info: VideoInfo, max_side_px: int, start_s: float | None, end_s: float | None) -> None:
        if max_side_px < 0:
            raise ConfigError(f"max_side_px must be 0 (no downscale) or a positive size in pixels, got {max_side_px}.")
        if start_s is not None and end_s is not None and end_s <= start_s:
            raise ConfigError(f"end_s ({end_s}) must be after start_s ({start_s}).")
        if info.config is None:
            raise ConfigError("VideoInfo has no pipeline configuration; create it with gaitlab.video.probe().")
        self.info, self.start_s, self.end_s = info, start_s, end_s
        self.frames_decoded = 0
        self.skipped = 0
        self.warnings: list[str] = []
        self._pending: list[int] = []  # heap: pts of demuxed packets whose frame has not been output yet
        self._rank = 0  # presentation-order index of the next frame
        cfg = info.config
        # Size before rotation (non-square pixels made square), then the downscale factor.
        w = round(info.coded_width_px * info.pixel_aspect)
        h = info.coded_height_px
        longest = max(w, h)
        factor = min(1.0, max_side_px / longest) if max_side_px else 1.0
        self._size = (max(1, round(w * factor)), max(1, round(h * factor)))
        self.scale = max(self._size) / longest
        self._lut = (_hdr_lut(info.hdr_transfer, cfg.hdr_reference_white_nits, cfg.hdr_knee)
                     if info.hdr_transfer and cfg.hdr_tonemap else None)
        self._gen = self._run()

    def __iter__(self) -> FrameIterator:
        return self

    def __next__(self) -> Frame:
        return next(self._gen)

    def close(self) -> None:
        """Stop decoding and release the file (also done when iteration ends)."""
        self._gen.close()

    def __enter__(self) -> FrameIterator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _image(self, frame: av.VideoFrame) -> np.ndarray:
        """RGB uint8, resized with area averaging, rotated and mirrored for display."""
        width, height = self._size
        # threads=1: swscale's own threads compete with the decoder's (measured 2× slower on 2 cores).
        if self._lut is None:
            img = frame.to_ndarray(width=width, height=height, format="rgb24", interpolation="AREA", threads=1)
        else:
            img = self._lut[frame.to_ndarray(width=width, height=height, format="rgb48le", interpolation="AREA",
                                             threads=1)]
        turns = self.info.rotation_deg // 90
        if turns:
            img = np.rot90(img, k=-turns)
        if self.info.mirrored:
            img = img[:, ::-1]
        return np.ascontiguousarray(img) if (turns or self.info.mirrored) else img

    def _decoded(self, container: Any, stream: Any) -> Iterator[av.VideoFrame]:
        """Decoded frames; damaged packets are counted and skipped, a demuxing error ends the stream."""
        try:
            for packet in container.demux(stream):
                if packet.pts is not None:
                    heapq.heappush(self._pending, packet.pts)
                try:
                    yield from stream.decode(packet)
                except av.error.FFmpegError:
                    self.skipped += 1
        except av.error.FFmpegError:
            try:  # the container ends early: drain what the decoder still holds
                yield from stream.decode(None)
            except av.error.FFmpegError:
                self.skipped += 1

    def _index(self, pts: int) -> int:
        """Presentation-order index of the frame with timestamp ``pts`` (frames must come in pts order).

        Packets demuxed with a smaller pts whose frame never came out (damaged) still count.
        """
        pending = self._pending
        while pending and pending[0] < pts:
            heapq.heappop(pending)
            self._rank += 1
        if pending and pending[0] == pts:
            heapq.heappop(pending)
        self._rank += 1
        return self._rank - 1

    def _count_before(self, pts: int) -> int:
        """Number of packets of the clip presented before ``pts``: demuxes from the start without decoding,
        up to the first packet decoded after ``pts`` (every later one is also presented later)."""
        with av.open(str(self.info.path)) as container:
            stream = container.streams[self.info.stream_index]
            count = 0
            try:
                for packet in container.demux(stream):
                    order = packet.dts if packet.dts is not None else packet.pts
                    if order is not None and order > pts:
                        break
                    count += packet.pts is not None and packet.pts < pts
            except av.error.FFmpegError:
                pass  # the file ends here; the packets counted so far are all there are
        return count

    def _from(self, container: Any, stream: Any, tb: float) -> Iterator[av.VideoFrame]:
        """Frames from the keyframe before ``start_s`` on; seeks further back until the first frame is early enough.

        After a seek, the index of the first frame is found by counting the packets before it.
        """
        info = self.info
        if not self.start_s or self.start_s <= 0:
            return self._decoded(container, stream)
        target_s = info.start_pts_s + self.start_s / info.time_scale
        margin_s = 1.0 / info.avg_fps
        while True:
            seek_s = target_s - margin_s
            if seek_s <= info.start_pts_s:
                container.seek(0)
                self._pending = []
                return self._decoded(container, stream)
            container.seek(int(seek_s / tb), stream=stream, backward=True)
            self._pending = []
            frames = self._decoded(container, stream)
            first = next(frames, None)
            if first is not None and first.pts is not None and first.pts * tb <= target_s:
                self._rank = self._count_before(first.pts)
                self._pending = [p for p in self._pending if p >= first.pts]  # already counted
                heapq.heapify(self._pending)
                return _chain(first, frames)
            margin_s *= 2

    def _run(self) -> Iterator[Frame]:
        info = self.info
        name = info.path.name
        try:
            container = av.open(str(info.path))
        except av.error.FFmpegError as exc:
            raise VideoDecodeError(f"{name} can no longer be opened ({exc}); check that the file is complete.") from None
        with container:
            stream = container.streams[info.stream_index]
            stream.thread_type = "AUTO"
            tb = float(stream.time_base)
            last_pts: int | None = None
            any_decoded = reached_end = False
            for frame in self._from(container, stream, tb):
                any_decoded = True
                if frame.pts is None or (last_pts is not None and frame.pts <= last_pts):
                    self.skipped += 1
                    continue
                last_pts = frame.pts
                index = self._index(frame.pts)
                if frame.is_corrupt:
                    self.skipped += 1
                    continue
                t_s = (last_pts * tb - info.start_pts_s) * info.time_scale
                if self.start_s is not None and t_s < self.start_s:
                    continue
                if self.end_s is not None and t_s >= self.end_s:
                    reached_end = True
                    break
                yield Frame(index, t_s, last_pts * tb, self._image(frame), self.scale)
                self.frames_decoded += 1
        if not any_decoded:
            raise VideoDecodeError(
                f"Nothing in {name} could be decoded; the file is damaged or incomplete — copy it again from the "
                "phone or re-export it as MP4 (H.264)."
            )
        if self.skipped:
            self._warn(f"{self.skipped} damaged or untimed frames/packets were skipped; if results look wrong, copy "
                       "the file again from the phone.")
        last_pts_s = last_pts * tb if last_pts is not None else info.start_pts_s
        decoded_until_s = (last_pts_s + 1 / info.avg_fps - info.start_pts_s) * info.time_scale
        if not reached_end and info.duration_s - decoded_until_s > info.config.truncation_tolerance_s:
            self._warn(f"file ends at {max(decoded_until_s, 0.0):.1f} of {info.duration_s:.1f} s; analysing what decodes "
                       "(copy the complete file again if this is unexpected).")

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
        self.info.warn(message)


def _chain(first: av.VideoFrame, rest: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
    yield first
    yield from rest


def iter_frames(
    info: VideoInfo, *, max_side_px: int = 0, start_s: float | None = None, end_s: float | None = None
) -> FrameIterator:
    """Decode the clip described by ``info`` into upright RGB :class:`Frame` objects, one at a time.

    Args:
        info: from :func:`probe`.
        max_side_px: downscale (area averaging) so that the longer side is at most this many
            pixels; 0 keeps the display size.
        start_s, end_s: real-time range ``[start_s, end_s)`` in seconds of ``Frame.t_s``; decoding
            seeks to the keyframe before ``start_s``. ``None`` = from the start / to the end.

    Returns:
        A :class:`FrameIterator` (exposes ``warnings``, ``frames_decoded``, ``skipped``).

    Raises:
        VideoDecodeError: (during iteration) when no frame at all could be decoded.
    """
    return FrameIterator(info, max_side_px, start_s, end_s)


class VideoWriter:
    """H.264 (yuv420p, ``+faststart``) writer; use through :func:`open_writer` as a context manager.

    The file is written under a temporary name and renamed on a clean close, so a crash never
    leaves a half-written file at ``path``. ``warnings`` notes an encoder fallback.
    """

    def __init__(
        self, path: str | Path, fps: float, width: int, height: int, *, crf: int, preset: str, gop: int | None,
        rotation_deg: int, mirrored: bool, bit_depth: int, hdr_transfer: str | None, metadata: dict[str, str] | None,
        threads: int | None = None,
    ) -> None:
        if rotation_deg % 90 or not 0 <= rotation_deg < 360:
            raise ValueError(f"rotation_deg must be 0, 90, 180 or 270, got {rotation_deg}")
        if fps <= 0 or width <= 0 or height <= 0:
            raise ValueError(f"fps, width and height must be positive, got {fps}, {width}, {height}")
        self.path = Path(path)
        self.width, self.height = width, height
        self.warnings: list[str] = []
        self.n_frames = 0
        self._step = Fraction(fps).limit_denominator(1001)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix}")
        muxer = _MUXER_BY_SUFFIX.get(self.path.suffix.lower())
        options = {"movflags": "+faststart+use_metadata_tags" if metadata else "+faststart"} if muxer in (
            "mp4", "mov") else {}
        self._container = av.open(str(self._tmp), "w", format=muxer, options=options)
        self._container.metadata.update(metadata or {})
        try:
            av.codec.Codec("libx264", "w")
            codec, stream_options = "libx264", {"crf": str(crf), "preset": preset}
            if threads is not None:
                stream_options["threads"] = str(threads)
        except av.codec.codec.UnknownCodecError:
            codec, stream_options = "mpeg4", {}
            self.warnings.append("libx264 is not available in this FFmpeg build; wrote MPEG-4 Part 2 video instead.")
        self.codec = codec
        stream = self._container.add_stream(codec, rate=self._step, options=stream_options)
        stream.width, stream.height = width + width % 2, height + height % 2
        stream.pix_fmt = "yuv420p10le" if bit_depth == 10 else "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, _WRITER_TICKS)
        if gop is not None:
            stream.codec_context.gop_size = gop
        if codec == "mpeg4":
            stream.codec_context.qscale = True
            stream.codec_context.global_quality = _MPEG4_QSCALE * _FF_QP2LAMBDA
        if hdr_transfer is not None:
            trc = {v: k for k, v in HDR_TRC.items()}[hdr_transfer]
            stream.codec_context.color_trc = trc
            stream.codec_context.color_primaries = stream.codec_context.colorspace = _BT2020
        if rotation_deg or mirrored:
            stream.set_display_rotation((-rotation_deg) % 360, hflip=mirrored)  # PyAV takes counter-clockwise
        self._stream = stream
        self._last_pts = -1

    def write(self, image: np.ndarray, t_s: float | None = None) -> None:
        """Append one H×W×3 uint8 RGB frame (as stored, before display rotation).

        ``t_s`` is the presentation time in seconds (for variable frame rate); ``None`` places the
        frame one nominal interval after the previous one.
        """
        if image.shape != (self.height, self.width, 3) or image.dtype != np.uint8:
            raise ValueError(f"expected a ({self.height}, {self.width}, 3) uint8 image, got {image.shape} {image.dtype}")
        if self.width % 2 or self.height % 2:
            image = np.pad(image, ((0, self.height % 2), (0, self.width % 2), (0, 0)), mode="edge")
        if t_s is None:
            pts = self._last_pts + round(_WRITER_TICKS / self._step) if self.n_frames else 0
        else:
            pts = round(t_s * _WRITER_TICKS)
        if pts <= self._last_pts:
            raise ValueError(f"frame times must increase: t_s={t_s} is not after the previous frame")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts, frame.time_base = pts, Fraction(1, _WRITER_TICKS)
        self._container.mux(self._stream.encode(frame))
        self._last_pts = pts
        self.n_frames += 1

    def close(self) -> None:
        """Flush the encoder, finish the file and move it to ``path``."""
        if self._container is None:
            return
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._container = None
        self._tmp.replace(self.path)

    def abort(self) -> None:
        """Close without keeping the file."""
        if self._container is not None:
            self._container.close()
            self._container = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_writer(
    path: str | Path, fps: float, width: int, height: int, *, crf: int = 23, preset: str = "medium",
    gop: int | None = None, rotation_deg: int = 0, mirrored: bool = False, bit_depth: int = 8,
    hdr_transfer: str | None = None, metadata: dict[str, str] | None = None, threads: int | None = None,
) -> VideoWriter:
    """Open an H.264 video file for writing (libx264; MPEG-4 Part 2 with a warning if unavailable).

    Args:
        path: output file; ``.mp4``/``.mov``/``.m4v`` get ``movflags=+faststart``.
        fps: nominal frame rate (frames/s) for frames written without ``t_s``.
        width, height: size in pixels of the images passed to ``write`` (odd sizes are padded by
            one edge pixel: H.264 yuv420p needs even sizes).
        crf: x264 constant rate factor (0 lossless … 51 worst; 23 default).
        preset: x264 speed preset ("ultrafast" … "veryslow").
        gop: at most this many frames between keyframes (``None``: encoder default).
        rotation_deg: clockwise display rotation written as metadata (0/90/180/270).
        mirrored: also write a left–right flip (applied after the rotation) into the display matrix.
        bit_depth: 8 (yuv420p) or 10 (yuv420p10le, High 10 profile).
        hdr_transfer: tag the stream as HDR ("smpte2084" or "arib-std-b67", BT.2020); pixels are not
            converted (for test clips).
        metadata: container tags, e.g. ``{"com.android.capture.fps": "240"}`` (MP4/MOV: written
            as QuickTime metadata keys).
        threads: encoder threads (``None``: the encoder's choice; 1 makes libx264's output independent of
            the machine's core count).
    """
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be ≥ 1 or None, got {threads}")
    if bit_depth not in (8, 10):
        raise ValueError(f"bit_depth must be 8 or 10, got {bit_depth}")
    if hdr_transfer is not None and hdr_transfer not in HDR_TRC.values():
        raise ValueError(f"hdr_transfer must be one of {sorted(HDR_TRC.values())} or None, got {hdr_transfer!r}")
    return VideoWriter(path, fps, width, height, crf=crf, preset=preset, gop=gop, rotation_deg=rotation_deg,
                       mirrored=mirrored, bit_depth=bit_depth, hdr_transfer=hdr_transfer, metadata=metadata,
                       threads=threads)
