"""Filtergraph building blocks of the timeline render.

Graphs are built with ffmpeg-python, whose three-layer escaping (value,
option, filtergraph) is verified in FACTS.md; no graph string is ever
formatted from user text. Text reaches ``drawtext`` only through a
``textfile=`` with ``expansion=none``. Numbers in expressions are ours,
formatted from validated floats.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import ffmpeg

from longcut.tools.media import AUDIO_CODEC_ARGS, AUDIO_RATE, INPUT_OPTS, VIDEO_CODEC_ARGS
from longcut.tools.overlay_text import fit_text, font_for_text
from longcut.tools.runner import ProgressCallback, ffmpeg_exe, run_ffmpeg, run_ffmpeg_progress

log = logging.getLogger(__name__)

Stream = Any  # an ffmpeg-python stream (it ships no type hints)

# Seconds decoded past a cut point; the exact cut happens in the graph. Each
# use of a file in one graph also gets a slightly different limit, so that
# ffmpeg-python never merges two identical uses into one node (it would then
# need a ``split``).
DECODE_SLACK = 0.5

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)

# Named positions: (x, y) drawtext/overlay expressions over the frame (W, H)
# and the thing placed (w, h), with a margin of 4% of the frame height.
MARGIN = 0.04
POSITIONS: dict[str, tuple[str, str]] = {
    "center": ("(W-w)/2", "(H-h)/2"),
    "top": ("(W-w)/2", "H*0.04"),
    "bottom": ("(W-w)/2", "H-h-H*0.04"),
    "top-left": ("H*0.04", "H*0.04"),
    "top-right": ("W-w-H*0.04", "H*0.04"),
    "bottom-left": ("H*0.04", "H-h-H*0.04"),
    "bottom-right": ("W-w-H*0.04", "H-h-H*0.04"),
}


@functools.cache
def font_file() -> Path:
    """A TrueType font drawtext can use: DejaVu Sans if installed, else Pillow's embedded font."""
    env = os.environ.get("LONGCUT_FONT")
    if env and Path(env).is_file():
        return Path(env)
    for cand in _FONT_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    from PIL import ImageFont

    font = ImageFont.load_default(size=12)
    data = font.path.getvalue()  # type: ignore[union-attr]  # BytesIO of the embedded TTF
    target = Path(tempfile.gettempdir()) / f"longcut-default-font-{os.getuid()}.ttf"
    if not target.is_file() or target.read_bytes() != data:
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    log.info("no system font found; using Pillow's embedded font at %s", target)
    return target


def check_drawable(text: str) -> str:
    """``text`` if an installed font can draw every character of it (``overlay_text.font_for_text``).

    Titles and captions are checked when they are set, not only when the video
    is rendered after its shots were generated.
    """
    font_for_text(text, font_file())
    return text


def between(start: float, end: float) -> str:
    """A timeline ``enable=`` expression, true for ``start <= t < end`` (seconds)."""
    return f"between(t,{float(start):.6f},{float(end) - 1e-6:.6f})"


def open_input(path: Path, **opts: Any) -> Stream:
    """An ffmpeg-python input for a local file, limited to the ``file`` protocol."""
    return ffmpeg.input(str(path), **INPUT_OPTS, **opts)


def fit(stream: Stream, width: int, height: int, mode: str = "fit", color: str = "black") -> Stream:
    """Scale to ``width``×``height``: ``fit`` pads, ``fill`` crops, ``stretch`` distorts."""
    if mode == "stretch":
        stream = stream.filter("scale", width, height, flags="lanczos")
    elif mode == "fill":
        stream = stream.filter("scale", width, height, force_original_aspect_ratio="increase",
                               flags="lanczos").filter("crop", width, height)
    else:
        stream = stream.filter("scale", width, height, force_original_aspect_ratio="decrease",
                               force_divisible_by=2, flags="lanczos")
        stream = stream.filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color=color)
    return stream.filter("setsar", 1)


def exact_video(stream: Stream, fps: float, frames: int, width: int, height: int,
                mode: str = "fit") -> Stream:
    """Resample to ``fps`` and cut/pad (repeating the last frame) to exactly ``frames`` frames.

    The size is rounded down to even numbers, as H.264 yuv420p needs.
    """
    width, height = max(2, width - width % 2), max(2, height - height % 2)
    stream = stream.filter("setpts", "PTS-STARTPTS").filter("fps", fps)
    stream = stream.filter("tpad", stop_mode="clone", stop=2)
    stream = stream.filter("trim", end_frame=frames).filter("setpts", "PTS-STARTPTS")
    # One timebase everywhere (concat outputs AVTB; xfade wants its inputs alike).
    return fit(stream, width, height, mode).filter("format", "yuv420p").filter("settb", "AVTB")


def exact_audio(stream: Stream, duration: float) -> Stream:
    """48 kHz stereo, cut or padded with silence to exactly ``duration`` seconds."""
    stream = stream.filter("asetpts", "PTS-STARTPTS").filter("aresample", AUDIO_RATE)
    stream = stream.filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
    return stream.filter("apad").filter("atrim", duration=duration).filter("asetpts", "PTS-STARTPTS")


def silence(duration: float, tag: int = 0) -> Stream:
    """``duration`` seconds of 48 kHz stereo silence (``tag`` keeps several apart in one graph)."""
    limit = duration + DECODE_SLACK + tag * 1e-6
    src = ffmpeg.input(f"anullsrc=r={AUDIO_RATE}:cl=stereo", f="lavfi", t=f"{limit:.6f}")
    return exact_audio(src.audio, duration)


def draw_text(stream: Stream, text: str, folder: Path, *, frame: tuple[int, int], size: int, color: str,
              position: str, x: int | None, y: int | None, box: bool, box_color: str,
              start: float, end: float) -> Stream:
    """Draw ``text`` from ``start`` to ``end`` (seconds, stream time) on a ``frame`` (width, height) picture.

    The font is one that has every character (``overlay_text.font_for_text``),
    and the text is fitted inside the frame's margins, box included
    (``overlay_text.fit_text``: a smaller font, then line breaks). It reaches
    drawtext through a file in ``folder`` (``textfile=``, no expansion).
    """
    width, height = frame
    font = font_for_text(text, font_file())
    border = max(2, size // 5) if box else 0
    margin = round(height * MARGIN)
    room_w = (width - 2 * margin if x is None else width - x - margin) - 2 * border
    room_h = (height - 2 * margin if y is None else height - y - margin) - 2 * border
    text, size = fit_text(text, font, size, max(room_w, 1), max(room_h, 1))
    px, py = POSITIONS[position]
    px, py = px.replace("w", "text_w").replace("W", "w"), py.replace("h", "text_h").replace("H", "h")
    kwargs: dict[str, Any] = dict(
        textfile=str(write_text_file(text, folder)), expansion="none", fontfile=str(font), fontsize=size,
        fontcolor=color, x=px if x is None else x, y=py if y is None else y,
        enable=between(start, end),
    )
    if "\n" in text and x is None and position in ("center", "top", "bottom"):
        kwargs["text_align"] = "C"  # wrapped lines centred under each other
    if box:
        kwargs.update(box=1, boxcolor=box_color, boxborderw=max(2, size // 5))
    return stream.filter("drawtext", **kwargs)


def write_text_file(text: str, folder: Path) -> Path:
    """Write overlay text verbatim (UTF-8, no expansion) for drawtext's ``textfile=``."""
    fd, name = tempfile.mkstemp(prefix="text-", suffix=".txt", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    return Path(name)


def overlay_image(base: Stream, image: Stream, *, position: str, x: int | None, y: int | None,
                  start: float, end: float) -> Stream:
    """Place ``image`` over ``base`` from ``start`` to ``end`` (seconds, stream time)."""
    px, py = POSITIONS[position]
    return ffmpeg.filter([base, image], "overlay", x=px if x is None else x,
                         y=py if y is None else y, enable=between(start, end),
                         eof_action="repeat", format="auto")


def encode(video: Stream | None, audio: Stream | None, out: Path, what: str, *,
           total_seconds: float = 0.0, on_progress: ProgressCallback | None = None,
           extra: dict[str, Any] | None = None, subtitles: Path | None = None) -> None:
    """Encode a video and/or an audio stream into ``out`` with the project's codecs.

    ``subtitles``: an ASS file muxed as the MP4's soft subtitle track (mov_text).
    """
    streams, opts = [], {}
    if video is not None:
        streams.append(video)
        opts.update(VIDEO_CODEC_ARGS)
    if audio is not None:
        streams.append(audio)
        opts.update(AUDIO_CODEC_ARGS)
    if subtitles is not None:
        streams.append(ffmpeg.input(str(subtitles), protocol_whitelist="file", format_whitelist="ass")["s"])
        opts.update({"scodec": "mov_text", "metadata:s:s:0": "language=eng"})
    opts.update(extra or {})
    args = ffmpeg.output(*streams, str(out), **opts).compile(cmd=ffmpeg_exe(), overwrite_output=True)[1:]
    if on_progress is not None:
        run_ffmpeg_progress(args, what, total_seconds, on_progress)
    else:
        run_ffmpeg(args, what)


def xfade(a: Stream, b: Stream, kind: str, duration: float, offset: float) -> Stream:
    """``b`` starts ``offset`` seconds into ``a`` with an xfade ``kind`` lasting ``duration``."""
    return ffmpeg.filter([a, b], "xfade", transition=kind, duration=f"{duration:.6f}",
                         offset=f"{offset:.6f}")


def tempo(audio: Stream, factor: float) -> Stream:
    """Play ``audio`` ``factor`` times as fast, keeping its pitch (one ``atempo`` takes 0.5..100)."""
    rest = factor
    while rest < 0.5:
        audio, rest = audio.filter("atempo", 0.5), rest / 0.5
    return audio.filter("atempo", rest)


def acrossfade(a: Stream, b: Stream, duration: float) -> Stream:
    """Overlap the end of ``a`` and the start of ``b`` by ``duration`` seconds."""
    return ffmpeg.filter([a, b], "acrossfade", d=f"{duration:.6f}")
