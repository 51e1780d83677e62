"""What every edit tool shares: argument base models, field types, input checks, output.

An edit tool is ``def op(args: OpArgs, project: ProjectFolder) -> Path``: it
reads local files inside the project, writes one new file (never modifies its
inputs) and returns its path. Bad input raises ``InputError`` naming what was
wrong; an ffmpeg failure raises ``MediaError`` with ffmpeg's stderr tail.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from longcut.errors import InputError
from longcut.tools.media import MediaInfo, probe
from longcut.tools.paths import ProjectFolder, atomic_output

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_SIZE = 4096
MIN_SIZE = 16

_NAMED_COLORS = {
    "black", "white", "red", "green", "blue", "yellow", "orange", "purple", "pink", "brown",
    "gray", "grey", "cyan", "magenta", "navy", "teal", "olive", "maroon", "gold", "silver",
    "lime", "transparent",
}
_HEX_RE = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")
_ALPHA_RE = re.compile(r"(0(\.\d{1,3})?|1(\.0{1,3})?)")


def _check_color(value: str) -> str:
    name, sep, alpha = value.strip().partition("@")
    ok_name = name.lower() in _NAMED_COLORS or _HEX_RE.fullmatch(name)
    if not ok_name or (sep and not _ALPHA_RE.fullmatch(alpha)):
        raise ValueError(
            f"colour {value!r} is not allowed: use a name ({', '.join(sorted(_NAMED_COLORS))}) "
            "or #RRGGBB, optionally with @opacity between 0 and 1 (e.g. 'black@0.5')"
        )
    return f"{name.lower() if not name.startswith('#') else name}{sep}{alpha}"


Color = Annotated[str, AfterValidator(_check_color)]
Seconds = Annotated[float, Field(ge=0.0, le=24 * 3600, allow_inf_nan=False)]
Size = Annotated[int, Field(ge=MIN_SIZE, le=MAX_SIZE)]
Position = Literal["center", "top", "bottom", "top-left", "top-right", "bottom-left",
                   "bottom-right"]

XFADE_KINDS = (
    "fade", "dissolve", "fadeblack", "fadewhite", "wipeleft", "wiperight", "wipeup", "wipedown",
    "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright",
    "circleopen", "circleclose", "radial", "pixelize", "distance",
)
TransitionKind = Literal[XFADE_KINDS]  # type: ignore[valid-type]


class EditArgs(BaseModel):
    """Base of every edit tool's arguments."""

    model_config = ConfigDict(extra="forbid")

    output: str | None = Field(
        None, description="Where to write the result, relative to the project folder. "
                          "Default: a new file under edits/.")


class ClipArgs(EditArgs):
    """Arguments of a tool that edits one video file."""

    input: str = Field(description="The video file to edit, relative to the project folder.")


def load(project: ProjectFolder, user_path: str, *, what: str = "input",
         need_video: bool = True, need_duration: bool = True) -> MediaInfo:
    """Resolve ``user_path`` inside the project and probe it, with clear errors."""
    info = probe(project.resolve(user_path))
    if need_video and not info.has_video:
        raise InputError(f"{what} {user_path!r} has no video stream")
    if need_duration and info.duration <= 0:
        raise InputError(f"{what} {user_path!r} has zero length")
    if need_video and info.fps <= 0:
        raise InputError(f"{what} {user_path!r}: cannot tell its frame rate")
    return info


def load_many(project: ProjectFolder, user_paths: list[str], what: str) -> list[MediaInfo]:
    """``load`` several files, probing up to four at a time (each probe is an ffmpeg start)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda ip: load(project, ip[1], what=f"{what}[{ip[0]}]"),
                             enumerate(user_paths)))


def check_within(info: MediaInfo, user_path: str, name: str, t: float) -> None:
    """Raise if time ``t`` (seconds) is past the end of the clip."""
    if t > info.duration + 1e-3:
        raise InputError(
            f"{name} {t:g}s is past the end of {user_path!r} (duration {info.duration:.3f}s)"
        )


def frames_for(seconds: float, fps: float) -> int:
    """Whole number of frames closest to ``seconds`` at ``fps``, halves rounded up (at least 1)."""
    return max(1, math.floor(seconds * fps + 0.5 + 1e-9))


def length_frames(seconds: float, fps: float, what: str) -> int:
    """``frames_for`` of a length the user asked for, which must last at least one frame.

    Shorter lengths are refused rather than rounded up to a frame nobody asked for.
    """
    if not seconds * fps >= 1 - 1e-6:
        raise InputError(f"{what} lasts {seconds:g}s, shorter than one frame at {fps:g} fps "
                         f"({1 / fps:.4g}s); make it at least one frame long")
    return frames_for(seconds, fps)


@contextlib.contextmanager
def output_file(project: ProjectFolder, args: EditArgs, stem: str,
                suffixes: tuple[str, ...] = VIDEO_SUFFIXES) -> Iterator[tuple[Path, Path]]:
    """Yield ``(final, tmp)``: write to ``tmp``; it is renamed to ``final`` on success."""
    if args.output is not None:
        if Path(args.output).suffix.lower() not in suffixes:  # before project.output makes its folder
            raise InputError(
                f"output {args.output!r} must end with one of {', '.join(suffixes)}"
            )
        final = project.output(args.output)
    else:
        final = project.new_output(stem, suffixes[0])
    with atomic_output(final) as tmp:
        yield final, tmp
