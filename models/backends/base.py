"""The ``VideoModel`` protocol: the only thing ``tools/generate`` talks to.

A backend turns a ``ClipRequest`` into a stream of ``Chunk``s so that a long
shot never sits whole in memory: each chunk carries its decoded frames (numpy
``thwc`` uint8, ready for the streaming writer) and its latents (``bcthw``).
Extension is context-managed: a chunk also carries the ``History`` to continue
from, which holds latents only (never decoded frames; decoding and re-encoding
between chunks is a source of drift) and is bounded in size whatever the
length of the video.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from longcut.errors import InputError
from longcut.limits import MAX_CLIP_SECONDS, MAX_PROMPT_CHARS, SEED_LIMIT
from longcut.models.backends.capabilities import PromptReader, PromptVocabulary


@dataclass(frozen=True)
class ModelInfo:
    """What a backend can make, and what it knows (``capabilities``): the agent asks this, never a name."""

    name: str
    fps: int
    width: int
    height: int
    max_refs: int
    chunk_frames: int  # frames per generated chunk
    weights_id: str  # hash of the weights: part of every shot cache key
    frames_per_latent: int = 0  # frames one latent frame decodes to (after a causal VAE's lone frame 0); 0: unknown
    vocabulary: PromptVocabulary | None = field(default=None, compare=False)  # None: open text (any prose)
    reader: PromptReader | None = field(default=None, compare=False)  # None: nothing reads its frames
    wall_per_video_second: float | None = None  # measured generation wall seconds per video second; None: unknown


@dataclass(frozen=True)
class ClipRequest:
    """One shot to generate. ``references`` are uint8 ``hwc`` images."""

    prompt: str
    seconds: float
    seed: int = 0
    references: tuple[np.ndarray, ...] = ()
    steps: int | None = None  # None: the backend's shipped setting
    guidance: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prompt, str) or len(self.prompt) > MAX_PROMPT_CHARS:
            raise InputError(f"prompt must be a string of at most {MAX_PROMPT_CHARS} characters")
        if not (isinstance(self.seconds, int | float) and math.isfinite(self.seconds)):
            raise InputError(f"seconds must be a finite number, got {self.seconds!r}")
        if not 0 < self.seconds <= MAX_CLIP_SECONDS:
            raise InputError(f"seconds must be in (0, {MAX_CLIP_SECONDS:g}], got {self.seconds!r}")
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed!r}")
        for i, ref in enumerate(self.references):
            if not (isinstance(ref, np.ndarray) and ref.dtype == np.uint8 and ref.ndim == 3 and ref.shape[2] == 3):
                raise InputError(f"reference {i} must be a uint8 (h, w, 3) image")

    def check_refs(self, info: ModelInfo) -> None:
        """Refuse more references than the backend supports."""
        if len(self.references) > info.max_refs:
            raise InputError(
                f"{len(self.references)} reference images given; {info.name} takes at most {info.max_refs}"
            )


@dataclass
class History:
    """Bounded latent context for extension (``bcthw`` tensors, b = 1).

    ``anchor``: the shot's first latent frame (1, c, 1, h, w), kept forever.
    ``recent``: the newest latent frames (1, c, t, h, w), at most ``keep`` of them.
    ``frames_done``: decoded frames produced so far (time position of the next chunk).
    ``extra``: backend-specific tensors (e.g. a decoder's causal cache).
    """

    anchor: torch.Tensor
    recent: torch.Tensor
    frames_done: int
    keep: int
    extra: dict[str, torch.Tensor] = field(default_factory=dict)

    def appended(self, latents: torch.Tensor, frames: int) -> History:
        """A new History with ``latents`` (1, c, t, h, w) added; memory stays bounded."""
        recent = torch.cat([self.recent, latents], dim=2)[:, :, -self.keep :]  # (1,c,<=keep,h,w)
        return History(self.anchor, recent.contiguous(), self.frames_done + frames, self.keep, dict(self.extra))

    def to_bytes(self) -> bytes:
        """Serialise for the shot cache (safetensors)."""
        tensors = {"anchor": self.anchor.contiguous(), "recent": self.recent.contiguous()}
        tensors.update({f"extra.{k}": v.contiguous() for k, v in self.extra.items()})
        meta = {"frames_done": str(self.frames_done), "keep": str(self.keep)}
        return st_save(tensors, metadata=meta)

    @classmethod
    def from_bytes(cls, data: bytes) -> History:
        """Inverse of ``to_bytes``."""
        tensors = st_load(data)
        # safetensors.torch.load drops the metadata; it is JSON after an 8-byte length.
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8 : 8 + header_len]).get("__metadata__", {})
        extra = {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")}
        return cls(tensors["anchor"], tensors["recent"], int(meta["frames_done"]), int(meta["keep"]), extra)

    def save(self, path: Path) -> None:
        """Write to ``path`` atomically."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> History:
        """Read a history written by ``save``."""
        return cls.from_bytes(Path(path).read_bytes())


@dataclass(frozen=True)
class Chunk:
    """One generated piece of a shot."""

    index: int
    start_frame: int
    frames: np.ndarray  # uint8 (t, h, w, 3)
    latents: torch.Tensor  # (1, c, t', h', w')
    history: History  # context to continue from after this chunk


StepCallback = Callable[[int, int], None]  # (step, total_steps) inside one chunk


@runtime_checkable
class VideoModel(Protocol):
    """A video generator backend."""

    @property
    def info(self) -> ModelInfo:
        """Name, fps, size, reference limit, chunk size and weights id."""
        ...

    def generate_image(self, prompt: str, seed: int = 0, references: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        """One uint8 (h, w, 3) image."""
        ...

    def generate(
        self, request: ClipRequest, history: History | None = None, on_step: StepCallback | None = None
    ) -> Iterator[Chunk]:
        """Yield chunks until ``request.seconds`` of video exist; continue ``history`` if given."""
        ...


def history_path_for(video: Path) -> Path:
    """Where the latent ``History`` of a generated clip is kept: next to the video."""
    video = Path(video)
    return video.with_name(video.name + ".history.safetensors")


# ───────────────────────────── seeds and chunk plans ─────────────────────────────
# Every backend and the agent derive seeds and split a shot into chunks here,
# so a shot's noise and its chunk boundaries never depend on who asked.


def derived_seed(seed: int, salt: str) -> int:
    """A seed derived from ``seed`` and ``salt`` (a shot's index, a retry, an opening candidate).

    Stable across runs and machines, in [0, ``SEED_LIMIT``).
    """
    return int.from_bytes(hashlib.sha256(f"{seed}:{salt}".encode()).digest()[:4], "little") % SEED_LIMIT


def position_seed(seed: int, position: int) -> int:
    """A 63-bit generator seed from (request seed, latent position in the shot).

    Chunks seed their noise by where they start, so they do not depend on each
    other's RNG and a resumed or extended shot draws the same noise.
    """
    digest = hashlib.blake2b(f"{seed}:{position}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def latent_count(seconds: float, fps: int, frames_per_latent: int, fresh: bool) -> int:
    """Latent frames for ``seconds`` of video from a causal VAE (a fresh shot's frame 0 has a latent of its own)."""
    frames = math.ceil(seconds * fps - 1e-9)
    if fresh:
        return 1 + math.ceil(max(frames - 1, 0) / frames_per_latent)
    return math.ceil(frames / frames_per_latent)


def chunk_plan(total_latents: int, first: int, rest: int) -> list[int]:
    """New latent frames per chunk: ``first`` for the opening chunk, ``rest`` for each after it, the last one short."""
    if first < 1 or rest < 1:
        raise InputError(f"chunks must make at least one latent frame; got first={first}, rest={rest}")
    plan: list[int] = []
    while total_latents > 0:
        n = min(total_latents, rest if plan else first)
        plan.append(n)
        total_latents -= n
    return plan
