"""Media in and out: probe a file, read frames, stream frames into a video.

The bundled ffmpeg has no ffprobe (FACTS.md), so ``probe`` parses the stream
summary ``ffmpeg -i`` prints. Frames are uint8 RGB ``(height, width, 3)``
numpy arrays. ``read_frames`` and ``VideoWriter`` stream through one ffmpeg
process each: memory stays flat however long the video is.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np
from pydantic import BaseModel, ConfigDict

from longcut.errors import InputError, MediaError
from longcut.tools.paths import atomic_output
from longcut.tools.runner import child_options, ffmpeg_exe, run_ffmpeg, stderr_tail

log = logging.getLogger(__name__)

# Inputs may come from users: ffmpeg may open local files only, and only with
# demuxers for plain media. Playlist and script demuxers (hls, concat, …)
# would otherwise follow paths written inside a file to anywhere on disk.
MEDIA_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpeg,mpegts,mp3,wav,aiff,aac,flac,ogg,"
    "image2,png_pipe,jpeg_pipe,webp_pipe,bmp_pipe,tiff_pipe,gif"
)
INPUT_OPTS: dict[str, str] = {"protocol_whitelist": "file", "format_whitelist": MEDIA_DEMUXERS}
INPUT_ARGS: list[str] = ["-protocol_whitelist", "file", "-format_whitelist", MEDIA_DEMUXERS]
# What every video we write looks like: H.264 yuv420p + AAC, playable anywhere.
VIDEO_CODEC_ARGS: dict[str, str | int] = {
    "c:v": "libx264", "preset": "veryfast", "crf": 18, "pix_fmt": "yuv420p",
    "movflags": "+faststart",
}
AUDIO_CODEC_ARGS: dict[str, str | int] = {"c:a": "aac", "b:a": "128k"}
AUDIO_RATE = 48000


class MediaInfo(BaseModel):
    """What ``probe`` found in a media file."""

    model_config = ConfigDict(frozen=True)

    path: Path
    duration: float
    """Container duration in seconds (0.0 for a still image)."""
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str = ""
    video_profile: str = ""
    """e.g. ``High``; clips joined by stream copy must agree on it."""
    pix_fmt: str = ""
    audio_codec: str = ""
    sample_rate: int = 0
    channels: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return self.width, self.height


_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM_RE = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE_RE = re.compile(r"(?:^|[ ,])(\d{1,5})x(\d{1,5})(?:[ ,]|$)")
_FPS_RE = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_IMAGE_CODECS = {"png", "mjpeg", "bmp", "tiff", "webp", "gif", "jpegls"}


def probe(path: Path, what: str | None = None) -> MediaInfo:
    """Duration, streams, size, fps and codecs of the local file ``path``.

    Raises ``InputError`` when it is missing, empty or not media ffmpeg can
    read, naming it as ``what`` (default: ``file 'NAME'``; a file the user
    typed is named by the string they typed).
    """
    path = Path(path)
    shown = what or f"file {path.name!r}"
    if not path.is_file():
        raise InputError(f"{shown} does not exist")
    st = path.stat()
    if st.st_size == 0:
        raise InputError(f"{shown} is empty (0 bytes)")
    # Starting ffmpeg costs ~30 ms; a file that has not changed is probed once.
    try:
        return _probe_cached(path, st.st_mtime_ns, st.st_size, st.st_ino)
    except _NotMedia as err:
        raise InputError(f"{shown} {err}") from None


class _NotMedia(Exception):
    """Why ffmpeg could not read a file as media (the message completes "file X …")."""


@functools.lru_cache(maxsize=4096)
def _probe_cached(path: Path, mtime_ns: int, size: int, inode: int) -> MediaInfo:
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *INPUT_ARGS, "-i", str(path)],
        capture_output=True, check=False, timeout=60, **child_options(),
    )
    text = proc.stderr.decode("utf-8", "replace")
    if "Input #0" not in text:
        reason = text.strip().splitlines()[-1] if text.strip() else "no output"
        raise _NotMedia(f"is not readable media ({reason})")
    return _parse_probe(path, text)


def _parse_probe(path: Path, text: str) -> MediaInfo:
    fields: dict[str, object] = {"path": path, "has_video": False, "has_audio": False}
    m = _DURATION_RE.search(text)
    duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else 0.0
    for kind, desc in _STREAM_RE.findall(text):
        parts = [p.strip() for p in re.split(r",(?![^(]*\))", desc)]
        codec = parts[0].split()[0] if parts and parts[0] else ""
        if kind == "Video" and not fields["has_video"] and "attached pic" not in desc:
            size = _SIZE_RE.search(desc)
            fps = _FPS_RE.search(desc)
            profile = re.match(r"\S+ \(([^)]*)\)", parts[0]) if parts else None
            fields.update(
                has_video=True, video_codec=codec, video_profile=profile.group(1) if profile else "",
                pix_fmt=parts[1].split("(")[0] if len(parts) > 1 else "",
                width=int(size.group(1)) if size else 0,
                height=int(size.group(2)) if size else 0,
                fps=(float(fps.group(1)) * (1000 if fps.group(2) else 1)) if fps else 0.0,
            )
        elif kind == "Audio" and not fields["has_audio"]:
            rate = re.search(r"(\d+) Hz", desc)
            fields.update(
                has_audio=True, audio_codec=codec,
                sample_rate=int(rate.group(1)) if rate else 0,
                channels=parts[2] if len(parts) > 2 else "",
            )
    if fields.get("video_codec") in _IMAGE_CODECS and duration <= 0.05:
        duration = 0.0  # a still image
    if not fields["has_video"] and not fields["has_audio"]:
        raise _NotMedia("has no video or audio stream")
    return MediaInfo(duration=duration, **fields)  # type: ignore[arg-type]


def count_frames(path: Path) -> int:
    """Exact number of video frames in ``path`` (reads the stream, decodes nothing)."""
    text = run_ffmpeg([*INPUT_ARGS, "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"],
                      f"count frames of {Path(path).name!r}")
    found = re.findall(r"frame=\s*(\d+)", text)
    if not found:
        raise MediaError(f"count frames of {Path(path).name!r}: ffmpeg reported no frames")
    return int(found[-1])


# ---------------------------------------------------------------- frames in


def read_frames(
    path: Path,
    *,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    start: float = 0.0,
    duration: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield the video's frames one by one as uint8 ``(h, w, 3)`` RGB arrays.

    ``size`` ``(w, h)`` scales, ``fps`` resamples, ``start``/``duration``
    (seconds) select a range. One frame is in memory at a time; closing the
    generator early stops ffmpeg.
    """
    info = probe(path)
    if not info.has_video:
        raise InputError(f"file {Path(path).name!r} has no video stream")
    w, h = size or info.size
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error"]
    if start > 0:
        args += ["-ss", f"{start:.6f}"]
    args += [*INPUT_ARGS, "-i", str(path)]
    if duration is not None:
        args += ["-t", f"{duration:.6f}"]
    filters = []
    if fps:
        filters.append(f"fps={float(fps):.6f}")
    if size:
        filters.append(f"scale={int(w)}:{int(h)}")
    if filters:
        args += ["-vf", ",".join(filters)]
    args += ["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    frame_bytes = w * h * 3
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file, **child_options())
        try:
            while True:
                buf = proc.stdout.read(frame_bytes) if proc.stdout else b""
                if len(buf) < frame_bytes:
                    break
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if rc != 0:
            err_file.seek(0)
            raise MediaError(f"read frames of {Path(path).name!r}: {stderr_tail(err_file.read())}")


def read_frame(path: Path, t: float) -> np.ndarray:
    """The frame shown at time ``t`` seconds, as a uint8 ``(h, w, 3)`` array."""
    info = probe(path)
    if t < 0 or (info.duration and t >= info.duration):
        raise InputError(f"time {t}s is outside {Path(path).name!r} (duration {info.duration:.3f}s)")
    gen = read_frames(path, start=t)
    try:
        frame = next(gen, None)
    finally:
        gen.close()
    if frame is None:
        raise MediaError(f"no frame at {t}s in {Path(path).name!r}")
    return frame


# --------------------------------------------------------------- frames out


class VideoWriter:
    """Stream frames into an H.264 file through one ffmpeg process.

    ``with VideoWriter(path, fps=24, size=(w, h)) as out: out.write(frame)``
    takes uint8 ``(h, w, 3)`` RGB frames; memory does not grow with the
    number of frames. ``audio`` optionally muxes a local audio file (cut to
    the video's length). The file appears at ``path`` only when the writer
    closes without error.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int], audio: Path | None = None,
                 crf: int = 18) -> None:
        w, h = size
        if not (16 <= w <= 8192 and 16 <= h <= 8192):
            raise InputError(f"video size {w}x{h} is out of range (16..8192 per side)")
        if w % 2 or h % 2:
            raise InputError(f"video size {w}x{h} must be even on both sides for H.264 yuv420p")
        if not (0 < fps <= 240):
            raise InputError(f"fps {fps} is out of range (0 < fps <= 240)")
        self.path, self.fps, self.size, self.audio, self.crf = Path(path), fps, (w, h), audio, crf
        self.frames_written = 0
        self._atomic = atomic_output(self.path)
        self._proc: subprocess.Popen[bytes] | None = None
        self._err: object = None

    def __enter__(self) -> VideoWriter:
        tmp = self._atomic.__enter__()
        w, h = self.size
        args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{self.fps}",
                "-i", "pipe:0"]
        if self.audio is not None:
            args += [*INPUT_ARGS, "-i", str(self.audio), "-map", "0:v:0", "-map", "1:a:0",
                     "-c:a", "aac", "-shortest"]
        args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(self.crf),
                 "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(tmp)]
        self._err = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=self._err, **child_options())
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 ``(h, w, 3)`` RGB frame."""
        w, h = self.size
        if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
            raise InputError(
                f"frame has shape {frame.shape} dtype {frame.dtype}; expected ({h}, {w}, 3) uint8"
            )
        if self._proc is None or self._proc.stdin is None:
            raise InputError("VideoWriter.write called outside its `with` block")
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError as err:
            raise MediaError(f"write {self.path.name!r}: ffmpeg stopped: {self._stderr()}") from err
        self.frames_written += 1

    def _stderr(self) -> str:
        self._err.seek(0)  # type: ignore[attr-defined]
        return stderr_tail(self._err.read())  # type: ignore[attr-defined]

    def _finish(self) -> None:
        if self.frames_written == 0:
            raise InputError(f"no frames were written to {self.path.name!r}")
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()
        if self._proc is not None and self._proc.wait() != 0:
            raise MediaError(f"write {self.path.name!r}: ffmpeg failed: {self._stderr()}")

    def _abort(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        proc.wait()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self._finish()
        except BaseException as err:
            self._abort()
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        else:
            if exc_type is not None:
                self._abort()
            self._atomic.__exit__(exc_type, exc, tb)
        finally:
            self._err.close()  # type: ignore[attr-defined]


def read_audio(path: Path, rate: int = 16000) -> np.ndarray:
    """The whole sound track as mono float32 samples at ``rate`` Hz (empty if there is none)."""
    info = probe(path)
    if not info.has_audio:
        return np.zeros(0, np.float32)
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *INPUT_ARGS,
         "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"],
        capture_output=True, check=False, timeout=600, **child_options(),
    )
    if proc.returncode != 0:
        raise MediaError(f"read audio of {Path(path).name!r}: {stderr_tail(proc.stderr)}")
    return np.frombuffer(proc.stdout, np.float32)
