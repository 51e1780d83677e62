"""The editing tools the planner may call, and their registry.

Every tool is ``def op(args: OpArgs, project: ProjectFolder) -> Path``: a
pydantic argument model (fields with descriptions and bounds, extra fields
forbidden), a docstring the planner reads, and one new file written inside
the project. ``EDIT_TOOLS`` maps tool names to ``(args model, function)``;
``register_edit_tools`` adds them all to a ``ToolRegistry`` (context:
``project``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from longcut.errors import InputError
from longcut.tools.edit_audio import AddAudioArgs, VolumeArgs, add_audio, mute, set_volume
from longcut.tools.edit_base import ClipArgs
from longcut.tools.edit_join import ConcatArgs, TransitionArgs, concat, transition
from longcut.tools.edit_video import (
    ColorArgs,
    ExtractFrameArgs,
    FadeArgs,
    ImageOverlayArgs,
    LoopArgs,
    PadAspectArgs,
    ResizeArgs,
    SpeedArgs,
    TextOverlayArgs,
    TrimArgs,
    color,
    extract_frame,
    fade,
    image_overlay,
    loop,
    pad_aspect,
    resize,
    reverse,
    speed,
    text_overlay,
    trim,
)
from longcut.tools.paths import ProjectFolder

EditTool = Callable[[Any, ProjectFolder], Path]

EDIT_TOOLS: dict[str, tuple[type[BaseModel], EditTool]] = {
    "trim": (TrimArgs, trim),
    "concat": (ConcatArgs, concat),
    "transition": (TransitionArgs, transition),
    "text_overlay": (TextOverlayArgs, text_overlay),
    "image_overlay": (ImageOverlayArgs, image_overlay),
    "add_audio": (AddAudioArgs, add_audio),
    "set_volume": (VolumeArgs, set_volume),
    "mute": (ClipArgs, mute),
    "fade": (FadeArgs, fade),
    "speed": (SpeedArgs, speed),
    "resize": (ResizeArgs, resize),
    "pad_aspect": (PadAspectArgs, pad_aspect),
    "color": (ColorArgs, color),
    "extract_frame": (ExtractFrameArgs, extract_frame),
    "reverse": (ClipArgs, reverse),
    "loop": (LoopArgs, loop),
}


def run_edit(name: str, arguments: dict[str, Any], project: ProjectFolder) -> Path:
    """Validate ``arguments`` for the tool ``name`` and run it; bad input raises ``InputError``."""
    if name not in EDIT_TOOLS:
        raise InputError(f"unknown edit tool {name!r}; available: {', '.join(sorted(EDIT_TOOLS))}")
    model, fn = EDIT_TOOLS[name]
    try:
        args = model.model_validate(arguments)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()
        )
        raise InputError(f"{name}: {problems}") from err
    return fn(args, project)


def register_edit_tools(registry: Any) -> None:
    """Add every edit tool to a ``longcut.tools.registry.ToolRegistry``."""
    for name, (_, fn) in EDIT_TOOLS.items():
        registry.register(fn, name=name)
