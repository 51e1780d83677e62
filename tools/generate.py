"""Generation tools: a clip or an image from a prompt, streamed to disk.

These are what the planner (and the graph's shot nodes) call; they talk to
the model only through the ``VideoModel`` protocol. A clip is written chunk
by chunk through the streaming writer, so a ten-minute shot never sits in
memory; its latent ``History`` is saved next to it so a later shot can
continue it (``continue_from``) without decoding and re-encoding.

**Opening search.** Given a *judge* (a score of frames, e.g. how much of the
prompt the world's evaluator reads in them), ``generate_clip`` first makes the
opening chunk (or the first ``search_seconds``) with ``candidates`` seeds,
keeps the one the judge scores highest and extends *that* opening through its
latent history to the full length. A retry of a whole shot costs the whole
shot; a candidate costs its opening, so the review loop's search moves to
where it is cheap. The kept take
is the plain generation of the chosen seed (the backend continues a history
exactly as it would have continued its own chunk), and that seed is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from longcut.errors import InputError
from longcut.limits import MAX_CLIP_SECONDS, MAX_REFS, SEED_LIMIT
from longcut.models.backends.base import (
    Chunk,
    ClipRequest,
    History,
    VideoModel,
    derived_seed,
    history_path_for,
)
from longcut.tools.images import read_rgb_array
from longcut.tools.media import VideoWriter
from longcut.tools.paths import ProjectFolder, atomic_output

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (frames done, frames total)
Judge = Callable[[np.ndarray], float]  # frames of an opening chunk -> score in [0, 1], 1 = all as asked
MAX_CANDIDATES = 8


class GenerateClipArgs(BaseModel):
    """A clip to generate."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000, description="what the clip shows, in the model's vocabulary")
    seconds: float = Field(gt=0, le=MAX_CLIP_SECONDS, description="length of the clip in seconds")
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
    refs: list[str] = Field(default_factory=list, max_length=MAX_REFS, description="reference images (project paths)")
    continue_from: str | None = Field(None, description="a clip made by generate_clip to extend seamlessly")
    out: str = Field(description="output .mp4 path inside the project")
    candidates: int = Field(1, ge=1, le=MAX_CANDIDATES,
                            description="seeds tried for the opening chunk when a judge scores them (1 = no search)")
    search_seconds: float = Field(0.0, ge=0, le=60,
                                  description="how much of the opening the judge scores (0: the first chunk)")


class ClipResult(BaseModel):
    """What ``generate_clip`` wrote."""

    file: str
    history: str
    frames: int
    fps: int
    chunks: int
    chunk_frames: int
    chunk_starts: list[int] = Field(default_factory=list)  # frame index where each chunk after the first begins
    latent_starts: list[int] = Field(default_factory=list)  # frame index where each latent frame begins (if known)
    seed: int  # the seed of the kept opening (the request's seed without a search)
    scores: list[float] = Field(default_factory=list)  # the judge's score of each candidate, in seed order
    searched_chunks: int = 0  # chunks generated for the opening candidates the search dropped (their cost)


def load_reference(project: ProjectFolder, user_path: str) -> np.ndarray:
    """A reference image from the project as uint8 (h, w, 3); a non-image is a clear error."""
    return read_rgb_array(project.resolve(user_path), f"reference {user_path!r}")


def candidate_seeds(seed: int, n: int) -> list[int]:
    """The seeds an opening search tries: ``seed`` itself first, then seeds derived from it."""
    return [seed, *(derived_seed(seed, f"opening{j}") for j in range(1, n))]


def _opening(model: VideoModel, request: ClipRequest, history: History | None, min_frames: int) -> list[Chunk]:
    """The first chunks of a generation, as few as hold ``min_frames`` frames (at least one chunk)."""
    stream = iter(model.generate(request, history))
    chunks: list[Chunk] = []
    try:
        for chunk in stream:
            chunks.append(chunk)
            if sum(c.frames.shape[0] for c in chunks) >= min_frames:
                break
        return chunks
    finally:
        close = getattr(stream, "close", None)  # stop the generator: the rest is never wanted
        if close is not None:
            close()


def search_opening(model: VideoModel, request: ClipRequest, history: History | None, judge: Judge, n: int,
                   on_candidate: Callable[[int], None] | None = None,
                   min_frames: int = 1) -> tuple[int, list[Chunk], list[float]]:
    """The opening of up to ``n`` candidate seeds; returns the best seed, its opening chunks, and the scores.

    An opening is the first chunk, or as many as hold ``min_frames`` frames
    (the window a review reads at the start of a shot, so that the search
    scores what the review will). The search stops at the first candidate the
    judge scores 1 (nothing to gain from more); ties go to the earlier
    candidate, so a judge that cannot tell them apart keeps the request's own
    seed.
    """
    best: tuple[float, int, list[Chunk]] | None = None
    scores = []
    for j, seed in enumerate(candidate_seeds(request.seed, n)):
        chunks = _opening(model, replace(request, seed=seed), history, min_frames)
        score = float(judge(np.concatenate([c.frames for c in chunks])))
        scores.append(score)
        if best is None or score > best[0]:
            best = (score, seed, chunks)
        if on_candidate is not None:
            on_candidate(j + 1)
        if score >= 1.0:
            break
    assert best is not None  # n >= 1
    return best[1], best[2], scores


def chunk_latent_starts(chunk: Chunk, frames_per_latent: int) -> list[int]:
    """Where each of a chunk's latent frames begins, in frames from the chunk's start.

    A causal VAE decodes its lone first latent to one frame, the rest to
    ``frames_per_latent`` each; a chunk whose frame count fits neither layout
    (or a backend that does not say) gives no boundaries.
    """
    g, n, f = frames_per_latent, chunk.latents.shape[2] if chunk.latents.ndim == 5 else 0, chunk.frames.shape[0]
    if g < 2 or n < 1:
        return []
    if f == g * n:
        return [g * j for j in range(n)]
    if f == 1 + g * (n - 1):
        return [0] + [1 + g * j for j in range(n - 1)]
    return []


def generate_clip(
    args: GenerateClipArgs, project: ProjectFolder, model: VideoModel, on_progress: Progress | None = None,
    judge: Judge | None = None,
) -> ClipResult:
    """Generate a clip from a prompt (optionally continuing another clip) and write it as MP4.

    With a ``judge`` and ``args.candidates`` > 1 the opening is searched first
    (see the module docstring).
    """
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
    seed, scores, searched = args.seed, [], 0

    def stream() -> Iterator[Chunk]:
        nonlocal seed, scores, searched
        if judge is None or args.candidates == 1:
            yield from model.generate(request, history)
            return

        def on_candidate(j: int) -> None:
            if on_progress is not None:  # also the caller's chance to cancel between candidates
                on_progress(0, total)
            log.debug("opening candidate %d/%d of %s", j, args.candidates, out.name)

        window = max(1, round(args.search_seconds * info.fps))
        seed, opening, scores = search_opening(model, request, history, judge, args.candidates, on_candidate, window)
        searched = (len(scores) - 1) * len(opening)  # every candidate's opening has the same chunk plan
        if len(scores) > 1:
            log.info("opening of %s: seed %d kept, scores %s", out.name, seed, [round(x, 2) for x in scores])
        yield from opening
        left = total - sum(c.frames.shape[0] for c in opening)
        if left > 0:
            yield from model.generate(replace(request, seconds=left / info.fps, seed=seed), opening[-1].history)

    frames = chunks = 0
    starts: list[int] = []
    latent_starts: list[int] = []
    last: History | None = None
    with VideoWriter(out, fps=info.fps, size=(info.width, info.height)) as writer:
        for chunk in stream():
            if chunks:
                starts.append(frames)
            latent_starts.extend(frames + s for s in chunk_latent_starts(chunk, info.frames_per_latent))
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
                      fps=info.fps, chunks=chunks, chunk_frames=info.chunk_frames, chunk_starts=starts,
                      latent_starts=[s for s in latent_starts if s > 0], seed=seed,
                      scores=scores, searched_chunks=searched)


class GenerateImageArgs(BaseModel):
    """An image to generate (e.g. a reference for a recurring subject)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=2000)
    seed: int = Field(0, ge=0, lt=SEED_LIMIT)
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
