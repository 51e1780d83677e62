"""What the timeline's fields and sources share: field types and input checks.

The field types (colours, seconds, sizes, positions, xfade kinds) validate
what a timeline may say before any of it reaches a filtergraph; ``load`` resolves a source inside the project
and probes it, and ``length_frames`` refuses lengths shorter than a frame.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from longcut.errors import InputError
from longcut.tools.media import MediaInfo, probe
from longcut.tools.paths import ProjectFolder

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
