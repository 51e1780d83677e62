"""Generation tools: a clip or an image from a prompt, streamed to disk.

These are what the planner (and the graph's shot nodes) call; they talk to
the model only through the ``VideoModel`` protocol. A clip is written chunk
by chunk through the streaming writer, so a ten-minute shot never sits in
memory; its latent ``History`` is saved next to it so a later shot can
continue it (``continue_from``) without decoding and re-encoding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from longcut.errors import InputError
from longcut.models.backends.base import ClipRequest, History, VideoModel, history_path_for
from longcut.tools.images import read_rgb_array
from longcut.tools.media import VideoWriter
from longcut.tools.paths import ProjectFolder, atomic_output

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (frames done, frames total)


class GenerateClipArgs(BaseModel):
    """A clip to generate."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000, description="what the clip shows, in the model's vocabulary")
    seconds: float = Field(gt=0, le=600, description="length of the clip in seconds")
    seed: int = Field(0, ge=0, lt=2**31)
    refs: list[str] = Field(default_factory=list, max_length=7, description="reference images (project paths)")
    continue_from: str | None = Field(None, description="a clip made by generate_clip to extend seamlessly")
    out: str = Field(description="output .mp4 path inside the project")


class ClipResult(BaseModel):
    """What ``generate_clip`` wrote."""

    file: str
    history: str
    frames: int
    fps: int
    chunks: int
    chunk_frames: int


def load_reference(project: ProjectFolder, user_path: str) -> np.ndarray:
    """A reference image from the project as uint8 (h, w, 3); a non-image is a clear error."""
    return read_rgb_array(project.resolve(user_path), f"reference {user_path!r}")


def generate_clip(
    args: GenerateClipArgs, project: ProjectFolder, model: VideoModel, on_progress: Progress | None = None
) -> ClipResult:
    """Generate a clip from a prompt (optionally continuing another clip) and write it as MP4."""
    info = model.info
    out = project.output(args.out)
    if out.suffix.lower() != ".mp4":
        raise InputError(f"clip output {args.out!r} must end in .mp4")
    refs = tuple(load_reference(project, r) for r in args.refs)
    request = ClipRequest(prompt=args.prompt, seconds=args.seconds, seed=args.seed, references=refs)
    request.check_refs(info)
    history = None
    if args.continue_from is not None:
        source = project.resolve(args.continue_from)
        hist_file = history_path_for(source)
        if not hist_file.is_file():
            raise InputError(f"{args.continue_from!r} has no latent history to continue (was it made by generate_clip?)")
        history = History.load(hist_file)
    total = max(1, round(args.seconds * info.fps))
    frames = chunks = 0
    last: History | None = None
    with VideoWriter(out, fps=info.fps, size=(info.width, info.height)) as writer:
        for chunk in model.generate(request, history):
            for frame in chunk.frames:
                writer.write(frame)
            frames += chunk.frames.shape[0]
            chunks += 1
            last = chunk.history
            if on_progress is not None:
                on_progress(min(frames, total), total)
    if last is None:  # a backend that yielded nothing is our bug, not the user's
        raise RuntimeError(f"{info.name} produced no chunks for {args.prompt!r}")
    hist_out = history_path_for(out)
    with atomic_output(hist_out) as tmp:
        tmp.write_bytes(last.to_bytes())
    log.info("generated %s: %d frames in %d chunks", out.name, frames, chunks)
    return ClipResult(file=project.relative(out), history=project.relative(hist_out), frames=frames,
                      fps=info.fps, chunks=chunks, chunk_frames=info.chunk_frames)


class GenerateImageArgs(BaseModel):
    """An image to generate (e.g. a reference for a recurring subject)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000)
    seed: int = Field(0, ge=0, lt=2**31)
    out: str = Field(description="output .png path inside the project")


def generate_image(args: GenerateImageArgs, project: ProjectFolder, model: VideoModel) -> str:
    """Generate one image from a prompt and write it as PNG; returns its project path."""
    out = project.output(args.out)
    if out.suffix.lower() != ".png":
        raise InputError(f"image output {args.out!r} must end in .png")
    image = model.generate_image(args.prompt, seed=args.seed)
    with atomic_output(out) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return project.relative(out)


def clip_is_complete(video: Path) -> bool:
    """Both the video and its latent history exist (what an idempotent node checks)."""
    return Path(video).is_file() and history_path_for(video).is_file()
