"""The ``tiny`` backend: our DiT + causal VAE, trained on the embedded world.

A shot is generated as a stream of chunks. Each chunk is a few latent frames
sampled by the DiT conditioned on the prompt, the references and the packed
``History`` (anchor + recent latents: never decoded and re-encoded), then
decoded by the VAE with its one-latent causal cache (``History.extra``), so
chunk boundaries are continuous in pixels too. Every chunk draws its noise
from a generator seeded by (seed, position in the shot): results do not depend
on how the caller consumes the stream.

Frame bookkeeping (the VAE is 4× causal in time): a fresh shot starts with
latent 0 = frame 0, so it has ``1 + 4k`` frames; an extension adds 4 frames
per latent. A shot of ``s`` seconds gets at least ``ceil(s · fps)`` frames.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError, LongcutError
from longcut.models.backends.base import (
    Chunk,
    ClipRequest,
    History,
    ModelInfo,
    StepCallback,
    chunk_plan,
    latent_count,
    position_seed,
)
from longcut.models.context import MAX_REFS, pack_context
from longcut.models.dit import DiT, DiTCond, load_dit
from longcut.models.sampler import SamplerSettings, sample_euler
from longcut.models.vae import VideoVAE, bcthw_to_frames, frames_to_bcthw, load_vae
from longcut.models.world.capabilities import WORLD_READER, WORLD_VOCABULARY

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
FPS = 8  # the world's frame rate (models/world/vocab.py)
WALL_PER_VIDEO_SECOND = 0.132  # bench_dit.py speed, one torch thread, shipped weights (weights/dit_bench.json)
T_GROUP = 4  # frames per latent frame after frame 0 (the VAE's)

# The shipped setting: few steps, batched CFG (bench/bench_dit.py measures it).
SHIPPED = SamplerSettings(steps=8, guidance=3.0, shift=3.0)  # shift 3: colour 0.72 vs 0.60 on 40 held-out prompts, the rest level
CHUNK_LATENTS = 4  # 16 frames = 2 s per chunk
HISTORY_NOISE = 0.05  # history is noise-augmented a little, as in training


def describe(weights_dir: str | Path = WEIGHTS_DIR) -> ModelInfo:
    """What the tiny backend makes, read from its VAE config alone: no weights are loaded.

    For planning before paying (``longcut plan``); ``weights_id`` is empty
    because only the weights can say it.
    """
    from longcut.models.vae import VAEConfig

    path = Path(weights_dir) / "vae.json"
    if not path.is_file():
        raise LongcutError(f"the tiny model needs {path}; it is missing (reinstall longcut)")
    size = VAEConfig.from_json(path.read_text(encoding="utf-8")).frame_size
    return ModelInfo("tiny", FPS, size, size, MAX_REFS, CHUNK_LATENTS * T_GROUP, "", T_GROUP,
                     vocabulary=WORLD_VOCABULARY, reader=WORLD_READER, wall_per_video_second=WALL_PER_VIDEO_SECOND)


def _hash_state(*modules: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for m in modules:
        for k, v in sorted(m.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().contiguous().float().numpy().tobytes())
    return h.hexdigest()[:16]


def _resize_rgb(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[:2] == (size, size):
        return image
    from PIL import Image

    return np.array(Image.fromarray(image).convert("RGB").resize((size, size), Image.BICUBIC))


class TinyVideoModel:
    """``VideoModel`` over the shipped tiny DiT and VAE (or models passed in)."""

    def __init__(
        self,
        dit: DiT | None = None,
        vae: VideoVAE | None = None,
        text_encoder=None,
        weights_dir: str | Path = WEIGHTS_DIR,
        settings: SamplerSettings = SHIPPED,
        chunk_latents: int = CHUNK_LATENTS,
        history_noise: float = HISTORY_NOISE,
    ):
        weights_dir = Path(weights_dir)
        if dit is None or vae is None:
            for name in ("dit.safetensors", "dit.json", "vae.safetensors", "vae.json"):
                if not (weights_dir / name).is_file():
                    raise LongcutError(
                        f"the tiny model needs {weights_dir / name}; it is missing "
                        "(train it with `longcut train dit`, or reinstall longcut)"
                    )
        self.dit = (dit if dit is not None else load_dit(weights_dir / "dit")).eval()
        self.vae = (vae if vae is not None else load_vae(weights_dir / "vae")).eval()
        if self.dit.cfg.latent_channels != self.vae.cfg.latent_channels:
            raise LongcutError(
                f"DiT expects {self.dit.cfg.latent_channels} latent channels, VAE makes {self.vae.cfg.latent_channels}"
            )
        self._text_encoder = text_encoder
        self.settings = settings
        self.chunk_latents = chunk_latents
        self.history_noise = history_noise
        self.spec = self.dit.cfg.packing
        self._weights_id: str | None = None

    # -- protocol -------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        """Name, fps, size, reference limit, chunk size and weights id."""
        if self._weights_id is None:
            self._weights_id = _hash_state(self.dit, self.vae)
        size = self.vae.cfg.frame_size
        return ModelInfo("tiny", FPS, size, size, MAX_REFS, self.chunk_latents * T_GROUP, self._weights_id, T_GROUP,
                         vocabulary=WORLD_VOCABULARY, reader=WORLD_READER,
                         wall_per_video_second=WALL_PER_VIDEO_SECOND)

    def generate_image(self, prompt: str, seed: int = 0, references: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        """One uint8 (h, w, 3) image: a one-latent shot."""
        request = ClipRequest(prompt, 1.0 / FPS, seed=seed, references=references)
        chunk = next(iter(self._chunks(request, None, None, first_latents=1)))
        return chunk.frames[0]

    def generate(
        self, request: ClipRequest, history: History | None = None, on_step: StepCallback | None = None
    ) -> Iterator[Chunk]:
        """Yield chunks until ``request.seconds`` of video exist; continue ``history`` if given."""
        return self._chunks(request, history, on_step)

    # -- steps ------------------------------------------------------------------

    def plan_latents(self, seconds: float, fresh: bool) -> list[int]:
        """Latent frames per chunk for ``seconds`` of video."""
        first = self.chunk_latents + (1 if fresh else 0)  # a fresh shot's frame 0 has its own latent
        return chunk_plan(latent_count(seconds, FPS, T_GROUP, fresh), first, self.chunk_latents)

    def _text(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        if self._text_encoder is None:
            from longcut.models.text import get_text_encoder

            self._text_encoder = get_text_encoder()
        enc = self._text_encoder.tokens([prompt])
        return enc.tokens.float(), enc.mask

    @torch.no_grad()
    def encode_references(self, references: tuple[np.ndarray, ...]) -> torch.Tensor | None:
        """Reference images → normalised 1-frame latents, ``(1, c, R, h, w)``."""
        if not references:
            return None
        size = self.vae.cfg.frame_size
        lat = [self.vae.encode(frames_to_bcthw(_resize_rgb(r, size)[None])) for r in references]
        return self.vae.normalize(torch.cat(lat, dim=2))  # 1 c R h w

    @torch.no_grad()
    def _chunks(
        self, request: ClipRequest, history: History | None, on_step: StepCallback | None, first_latents: int | None = None
    ) -> Iterator[Chunk]:
        # 1. check inputs
        request.check_refs(self.info)
        settings = SamplerSettings(
            steps=request.steps if request.steps is not None else self.settings.steps,
            guidance=request.guidance if request.guidance is not None else self.settings.guidance,
            shift=self.settings.shift,
        )
        cfg = self.dit.cfg
        if history is not None:
            if history.anchor.shape[1] != cfg.latent_channels or (history.frames_done - 1) % T_GROUP:
                raise InputError(
                    f"history does not fit this model (anchor {tuple(history.anchor.shape)}, {history.frames_done} frames done)"
                )
        # 2. encode prompt and references
        text, mask = self._text(request.prompt)
        refs = self.encode_references(request.references)
        plan = [first_latents] if first_latents else self.plan_latents(request.seconds, history is None)
        # 3. chunk loop: sample latents, decode with the causal cache, extend history
        for index, n_lat in enumerate(plan):
            done = 0 if history is None else 1 + (history.frames_done - 1) // T_GROUP
            gen = torch.Generator().manual_seed(position_seed(request.seed, done))
            cond = self._cond(text, mask, refs, history, done, gen)
            noise = torch.randn(1, cfg.latent_channels, n_lat, cfg.latent_size, cfg.latent_size, generator=gen)
            latents = sample_euler(self.dit, noise, cond, settings, uncond=cond.without_text(), on_step=on_step)
            raw = self.vae.denormalize(latents)
            prev = None
            if history is not None:
                prev = history.extra.get("vae_prev")
                prev = prev if prev is not None else self.vae.denormalize(history.recent[:, :, -1:])[:, :, 0]
            video = self.vae.decode(raw, prev)  # 1 3 t H W
            frames = bcthw_to_frames(video)
            start = 0 if history is None else history.frames_done
            if history is None:
                history = History(latents[:, :, :1].clone(), latents[:, :, -self.spec.keep :].clone(), frames.shape[0], self.spec.keep)
            else:
                history = history.appended(latents, frames.shape[0])
            history.extra["vae_prev"] = raw[:, :, -1].clone()
            yield Chunk(index, start, frames, latents, history)

    def _cond(
        self, text: torch.Tensor, mask: torch.Tensor, refs: torch.Tensor | None, history: History | None, done: int, gen: torch.Generator
    ) -> DiTCond:
        recent = anchor = None
        sigma = torch.zeros(1)
        if history is not None:
            recent, anchor = history.recent, history.anchor
            if self.history_noise > 0:
                s = self.history_noise
                recent = (1 - s) * recent + s * torch.randn(recent.shape, generator=gen)
                anchor = (1 - s) * anchor + s * torch.randn(anchor.shape, generator=gen)
                sigma = torch.full((1,), s)
        ctx = pack_context(
            references=refs, recent=recent, anchor=anchor, anchor_lag=max(done, 1), spec=self.spec, p=self.dit.cfg.patch
        )
        return DiTCond(text, mask, ctx, sigma if ctx is not None else None)
