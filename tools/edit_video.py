"""Edit tools that change a clip's pictures (and keep its sound in step).

Each tool: a pydantic argument model, a function ``(args, project) -> Path``
with a docstring the planner reads, one new file out. Durations come out
exact to the frame: every re-encode goes through ``filters.exact_video``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import ffmpeg
from pydantic import Field, model_validator

from longcut.errors import InputError
from longcut.tools import filters
from longcut.tools.edit_base import (
    IMAGE_SUFFIXES,
    ClipArgs,
    Color,
    Position,
    Seconds,
    Size,
    check_within,
    length_frames,
    load,
    output_file,
)
from longcut.tools.edit_join import concat_reencode
from longcut.tools.media import MediaInfo
from longcut.tools.overlay_text import OverlayText
from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import run_ffmpeg

StreamFn = Callable[[filters.Stream], filters.Stream]
MAX_REVERSE_SECONDS = 60.0  # ``reverse`` holds every frame in memory


def transform(project: ProjectFolder, args: ClipArgs, info: MediaInfo, stem: str, *,
              video: StreamFn | None = None, audio: StreamFn | None = None,
              seconds: float | None = None, keep_audio: bool = True,
              input_opts: dict | None = None) -> Path:
    """Re-encode ``info.path`` through ``video``/``audio`` filter chains to ``seconds`` long."""
    seconds = info.duration if seconds is None else seconds
    src = filters.open_input(info.path, **(input_opts or {}))
    v = src.video.filter("setpts", "PTS-STARTPTS")
    v = v if video is None else video(v)
    v = filters.exact_video(v, info.fps, length_frames(seconds, info.fps, f"the {stem} of {args.input!r}"),
                            info.width, info.height)
    a = None
    if info.has_audio and keep_audio:
        a = src.audio.filter("asetpts", "PTS-STARTPTS")
        a = filters.exact_audio(a if audio is None else audio(a), seconds)
    with output_file(project, args, stem) as (final, tmp):
        filters.encode(v, a, tmp, f"{stem} {args.input!r}")
    return final


# ------------------------------------------------------------------ trim


class TrimArgs(ClipArgs):
    """Keep the part of a clip between two times."""

    start: Seconds = Field(0.0, description="Start of the kept part, seconds from the clip start.")
    end: Seconds = Field(description="End of the kept part, seconds (must be > start).")

    @model_validator(mode="after")
    def _ordered(self) -> TrimArgs:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g}s) must be greater than start ({self.start:g}s)")
        return self


def trim(args: TrimArgs, project: ProjectFolder) -> Path:
    """Cut a clip to the range [start, end) seconds, frame-exact; sound is cut with it."""
    info = load(project, args.input)
    check_within(info, args.input, "end", args.end)
    seconds = args.end - args.start
    return transform(project, args, info, "trim", seconds=seconds,
                     input_opts={"ss": f"{args.start:.6f}", "t": f"{seconds + 0.5:.6f}"})


# ----------------------------------------------------------------- speed


class SpeedArgs(ClipArgs):
    """Play a clip faster or slower."""

    factor: float = Field(ge=0.25, le=4.0, description="Speed factor: 2 = twice as fast, 0.5 = half speed.")


def speed(args: SpeedArgs, project: ProjectFolder) -> Path:
    """Change playback speed; the clip lasts duration / factor and its sound keeps its pitch."""
    info = load(project, args.input)
    f = args.factor

    def tempo(a: filters.Stream) -> filters.Stream:
        rest = f
        while rest < 0.5:  # atempo takes 0.5..100 per instance
            a, rest = a.filter("atempo", 0.5), rest / 0.5
        return a.filter("atempo", rest)

    return transform(project, args, info, "speed", seconds=info.duration / f,
                     video=lambda v: v.filter("setpts", f"PTS/{f:.6f}"), audio=tempo)


# ---------------------------------------------------------------- resize


class ResizeArgs(ClipArgs):
    """Change a clip's frame size."""

    width: Size = Field(description="New width in pixels (16..4096; made even).")
    height: Size = Field(description="New height in pixels (16..4096; made even).")
    mode: str = Field("fit", pattern="^(fit|fill|stretch)$",
                      description="fit: scale inside and pad; fill: scale over and crop; stretch: distort.")
    color: Color = Field("black", description="Padding colour for mode=fit.")


def resize(args: ResizeArgs, project: ProjectFolder) -> Path:
    """Resize, pad or crop a clip to width×height (also upscales, with Lanczos)."""
    info = load(project, args.input)
    w, h = args.width // 2 * 2, args.height // 2 * 2
    resized = info.model_copy(update={"width": w, "height": h})
    return transform(project, args, resized, "resize",
                     video=lambda v: filters.fit(v, w, h, args.mode, args.color))


class PadAspectArgs(ClipArgs):
    """Pad a clip to an aspect ratio."""

    aspect: str = Field(pattern=r"^\d{1,3}:\d{1,3}$", description="Target aspect ratio, e.g. '16:9' or '9:16'.")
    color: Color = Field("black", description="Colour of the bars.")


def pad_aspect(args: PadAspectArgs, project: ProjectFolder) -> Path:
    """Add bars so the clip has the given aspect ratio, keeping all of its picture."""
    aw, ah = (int(p) for p in args.aspect.split(":"))
    if aw == 0 or ah == 0 or not (1 / 10 <= aw / ah <= 10):
        raise InputError(f"aspect {args.aspect!r} is not allowed: use W:H with a ratio between 1:10 and 10:1")
    info = load(project, args.input)
    w, h = info.width, info.height
    if w / h < aw / ah:
        w = round(h * aw / ah)
    else:
        h = round(w * ah / aw)
    w, h = (w + 1) // 2 * 2, (h + 1) // 2 * 2
    if max(w, h) > 4096:
        raise InputError(f"padding {args.input!r} to {args.aspect} would make {w}x{h}, over 4096")
    padded = info.model_copy(update={"width": w, "height": h})
    return transform(project, args, padded, "pad",
                     video=lambda v: filters.fit(v, w, h, "fit", args.color))


# ---------------------------------------------------------------- colour


class ColorArgs(ClipArgs):
    """Adjust brightness, contrast and saturation."""

    brightness: float = Field(0.0, ge=-1.0, le=1.0, description="Added brightness, -1..1 (0 = unchanged).")
    contrast: float = Field(1.0, ge=0.0, le=3.0, description="Contrast factor, 0..3 (1 = unchanged).")
    saturation: float = Field(1.0, ge=0.0, le=3.0, description="Saturation factor, 0..3 (0 = grey, 1 = unchanged).")


def color(args: ColorArgs, project: ProjectFolder) -> Path:
    """Adjust a clip's brightness, contrast and saturation."""
    info = load(project, args.input)
    return transform(project, args, info, "color", video=lambda v: v.filter(
        "eq", brightness=args.brightness, contrast=args.contrast, saturation=args.saturation))


# ------------------------------------------------------- reverse and loop


def reverse(args: ClipArgs, project: ProjectFolder) -> Path:
    """Play a clip (and its sound) backwards; clips up to 60 s."""
    info = load(project, args.input)
    if info.duration > MAX_REVERSE_SECONDS:
        raise InputError(
            f"{args.input!r} is {info.duration:.1f}s long; reverse takes clips up to "
            f"{MAX_REVERSE_SECONDS:g}s (trim it first)")
    return transform(project, args, info, "reverse", video=lambda v: v.filter("reverse"),
                     audio=lambda a: a.filter("areverse"))


class LoopArgs(ClipArgs):
    """Repeat a clip."""

    times: int = Field(ge=2, le=100, description="How many times the clip plays in total (2..100).")


def loop(args: LoopArgs, project: ProjectFolder) -> Path:
    """Play a clip several times in a row."""
    info = load(project, args.input)
    if info.duration * args.times > 3 * 3600:
        raise InputError(f"looping {args.input!r} {args.times} times would last over 3 hours")
    # Each repeat is its own input, cut to exact frames (-stream_loop drifts by a
    # frame at each wrap when the sound outlasts the picture).
    with output_file(project, args, "loop") as (final, tmp):
        concat_reencode([info] * args.times, tmp)
    return final


# ------------------------------------------------------------------- fade


class FadeArgs(ClipArgs):
    """Fade a clip in from black and/or out to black (and its sound from/to silence)."""

    fade_in: Seconds = Field(0.0, description="Seconds of fade-in at the start (0 = none).")
    fade_out: Seconds = Field(0.0, description="Seconds of fade-out at the end (0 = none).")
    video: bool = Field(True, description="Fade the picture from/to black.")
    audio: bool = Field(True, description="Fade the sound from/to silence.")

    @model_validator(mode="after")
    def _something(self) -> FadeArgs:
        if self.fade_in == 0 and self.fade_out == 0:
            raise ValueError("give fade_in or fade_out (seconds > 0)")
        if not (self.video or self.audio):
            raise ValueError("video and audio are both false: nothing to fade")
        return self


def fade(args: FadeArgs, project: ProjectFolder) -> Path:
    """Fade in from black / out to black, and the sound in from / out to silence."""
    info = load(project, args.input)
    if not args.video and not info.has_audio:
        raise InputError(f"{args.input!r} has no audio stream to fade")
    d = info.duration
    if args.fade_in + args.fade_out > d + 1e-3:
        raise InputError(f"fade_in + fade_out ({args.fade_in + args.fade_out:g}s) is longer than "
                         f"{args.input!r} ({d:.3f}s)")

    def chain(s: filters.Stream, name: str) -> filters.Stream:
        if args.fade_in > 0:
            s = s.filter(name, t="in", st=0, d=args.fade_in)
        if args.fade_out > 0:
            s = s.filter(name, t="out", st=d - args.fade_out, d=args.fade_out)
        return s

    return transform(project, args, info, "fade",
                     video=(lambda v: chain(v, "fade")) if args.video else None,
                     audio=(lambda a: chain(a, "afade")) if args.audio else None)


# ---------------------------------------------------------- extract frame


class ExtractFrameArgs(ClipArgs):
    """Save one frame of a clip as an image."""

    time: Seconds = Field(description="Time of the frame, seconds from the clip start.")


def extract_frame(args: ExtractFrameArgs, project: ProjectFolder) -> Path:
    """Write the frame shown at `time` as a PNG (or JPEG) image."""
    info = load(project, args.input)
    if args.time >= info.duration:
        raise InputError(f"time {args.time:g}s is past the end of {args.input!r} "
                         f"(duration {info.duration:.3f}s)")
    with output_file(project, args, "frame", IMAGE_SUFFIXES) as (final, tmp):
        out = filters.open_input(info.path, ss=f"{args.time:.6f}").video
        cmd = ffmpeg.output(out, str(tmp), vframes=1).compile(overwrite_output=True)[1:]
        run_ffmpeg(cmd, f"extract frame of {args.input!r}")
    return final


# -------------------------------------------------------------- overlays


class OverlayTimes(ClipArgs):
    """When an overlay shows and where."""

    start: Seconds = Field(0.0, description="When the overlay appears, seconds.")
    end: Seconds = Field(description="When it disappears, seconds (> start).")
    position: Position = Field("center", description="Where it sits, unless x and y are given.")
    x: int | None = Field(None, ge=0, le=4096, description="Left edge in pixels (overrides position).")
    y: int | None = Field(None, ge=0, le=4096, description="Top edge in pixels (overrides position).")

    @model_validator(mode="after")
    def _ordered(self) -> OverlayTimes:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g}s) must be greater than start ({self.start:g}s)")
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y, or neither")
        return self


class TextOverlayArgs(OverlayTimes):
    """Draw text over a clip for a time range."""

    text: OverlayText = Field(min_length=1, max_length=10_000,
                              description="The text, shown as given (newlines break lines).")
    font_size: int = Field(32, ge=6, le=512, description="Font size in pixels.")
    color: Color = Field("white", description="Text colour: a name or #RRGGBB, optional @opacity.")
    box: bool = Field(False, description="Draw a box behind the text.")
    box_color: Color = Field("black@0.5", description="Box colour.")


def text_overlay(args: TextOverlayArgs, project: ProjectFolder) -> Path:
    """Show text over a clip from `start` to `end` seconds, at a position, size and colour."""
    info = load(project, args.input)
    check_within(info, args.input, "end", args.end)
    with tempfile.TemporaryDirectory(prefix="longcut-text-") as tmp_dir:
        return transform(project, args, info, "text", video=lambda v: filters.draw_text(
            v, args.text, Path(tmp_dir), frame=(info.width, info.height), size=args.font_size,
            color=args.color, position=args.position,
            x=args.x, y=args.y, box=args.box, box_color=args.box_color,
            start=args.start, end=args.end))


class ImageOverlayArgs(OverlayTimes):
    """Place an image over a clip for a time range."""

    image: str = Field(description="The image file (PNG/JPEG), relative to the project folder.")
    width: Size | None = Field(None, description="Scale the image to this width (keeps its aspect).")


def image_overlay(args: ImageOverlayArgs, project: ProjectFolder) -> Path:
    """Show an image (e.g. a logo) over a clip from `start` to `end` seconds."""
    info = load(project, args.input)
    check_within(info, args.input, "end", args.end)
    image = load(project, args.image, what="image", need_duration=False)
    img = filters.open_input(image.path).video
    if args.width:
        img = img.filter("scale", args.width, -2)

    def place(v: filters.Stream) -> filters.Stream:
        return filters.overlay_image(v, img, position=args.position, x=args.x, y=args.y,
                                     start=args.start, end=args.end)

    return transform(project, args, info, "overlay", video=place)
