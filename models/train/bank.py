"""The DiT's latent bank: world clips VAE-encoded once, with their references and captions.

Data is a *latent bank* built once per VAE (``build_bank``): world scenes
rendered as long clips (so targets continue across chunk boundaries and the
model learns to extend), VAE-encoded and normalised, their reference-object
latents, and MiniLM token states of a canonical caption plus grammar variants.
A training step then costs only the DiT. Scenes with a held-out
(colour, shape) pair never enter a bank.
"""

from __future__ import annotations

import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.train.common import EVAL_SEED0

log = logging.getLogger(__name__)

# (colour, shape) pairs never seen in training: the adherence bar is measured on them too
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("red", "star"), ("blue", "circle"), ("green", "triangle"), ("yellow", "square"), ("purple", "circle")}
)


def is_held_out(scene) -> bool:
    """True when a scene has an object whose (colour, shape) pair is held out."""
    return any((o.colour, o.shape) in HELD_OUT_PAIRS for o in scene.objects)


@dataclass
class LatentBank:
    """Everything a training step reads, in memory (fp16)."""

    latents: torch.Tensor  # (n, c, T, h, w) normalised clip latents
    refs: torch.Tensor  # (n, 2, c, h, w) normalised reference latents (zeros if absent)
    n_objects: torch.Tensor  # (n,) long
    caption_ids: torch.Tensor  # (n, k) long: caption 0 canonical, then variants
    text: torch.Tensor  # (n_captions, 32, 384) MiniLM states
    text_mask: torch.Tensor  # (n_captions, 32) bool
    objects: torch.Tensor | None = None  # (n, T, h, w) bool: latent pixels an object shows in

    def save(self, path: Path) -> None:
        """Write atomically."""
        tmp = path.with_suffix(".tmp")
        torch.save(asdict(self), tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LatentBank:
        """Read a bank written by ``save``."""
        return cls(**torch.load(path, weights_only=True))

    @classmethod
    def concat(cls, banks: list[LatentBank]) -> LatentBank:
        """One bank from shards built side by side (``dit-bank --seed0``): clips in order, captions re-indexed.

        A caption two shards share is kept twice; the states are the same, so
        only memory is spent.
        """
        if not banks:
            raise ValueError("no banks to join")
        shapes = {tuple(b.latents.shape[1:]) for b in banks}
        if len(shapes) != 1:
            raise ValueError(f"banks differ in clip shape: {sorted(shapes)}")
        if len({b.objects is None for b in banks}) != 1:
            raise ValueError("some banks carry object masks and some do not")
        offsets = np.cumsum([0] + [b.text.shape[0] for b in banks[:-1]])
        return cls(
            latents=torch.cat([b.latents for b in banks]),
            refs=torch.cat([b.refs for b in banks]),
            n_objects=torch.cat([b.n_objects for b in banks]),
            caption_ids=torch.cat([b.caption_ids + int(o) for b, o in zip(banks, offsets, strict=True)]),
            text=torch.cat([b.text for b in banks]),
            text_mask=torch.cat([b.text_mask for b in banks]),
            objects=None if banks[0].objects is None else torch.cat([b.objects for b in banks]),
        )


def latent_object_mask(mask: np.ndarray, factor: int, t_group: int = 4) -> np.ndarray:
    """A pixel object mask ``(F, H, W)`` on the causal VAE's latent grid: ``(T, H/f, W/f)``.

    Latent 0 covers frame 0 and latent k frames ``4k-3 … 4k``, as the VAE
    groups them; a latent pixel is marked if any pixel of its block is.
    """
    f, hh, ww = mask.shape
    cells = mask.reshape(f, hh // factor, factor, ww // factor, factor).any(axis=(2, 4))
    groups = [cells[:1]] + [cells[i : i + t_group] for i in range(1, f, t_group)]
    return np.stack([g.any(axis=0) for g in groups])


def encode_captions(captions: list[str], encoder=None) -> tuple[torch.Tensor, torch.Tensor]:
    """MiniLM states (fp16) and masks for ``captions``, in batches."""
    if encoder is None:
        from longcut.models.text import get_text_encoder

        encoder = get_text_encoder()
    toks, masks = [], []
    for i in range(0, len(captions), 64):
        enc = encoder.tokens(captions[i : i + 64])
        toks.append(enc.tokens.half())
        masks.append(enc.mask)
    return torch.cat(toks), torch.cat(masks)


@torch.no_grad()
def build_bank(
    vae, n_scenes: int, clip_latents: int, variants: int = 2, seed0: int = 0, encoder=None,
    one_object: float = 0.0,
) -> LatentBank:
    """Render, encode and caption ``n_scenes`` world scenes (held-out pairs skipped).

    ``one_object``: the share of scenes drawn with exactly one object (0 leaves
    the world's own mix, 60% one object); the v2 bank is mostly one object so
    that shape and motion, not object pairs, fill the training signal.
    """
    from tqdm import tqdm

    from longcut.models.vae import frames_to_bcthw
    from longcut.models.world import scene as world

    n_frames = 1 + 4 * (clip_latents - 1)
    latents, refs, n_obj, captions, objects = [], [], [], [], []
    seed = seed0
    bar = tqdm(total=n_scenes, desc="latent bank", mininterval=10)
    while len(latents) < n_scenes:
        alone = one_object and random.Random(seed ^ 0x5EED).random() < one_object
        scene = world.sample_scene(seed, n_objects=1 if alone else None)
        rng = random.Random(seed)
        seed += 1
        if is_held_out(scene):
            continue
        frames = world.render_frames(scene, 0, n_frames, size=world.FRAME_SIZE)
        latents.append(vae.normalize(vae.encode(frames_to_bcthw(frames)))[0].half())  # c T h w
        factor = world.FRAME_SIZE // vae.cfg.latent_size
        objects.append(torch.from_numpy(latent_object_mask(world.object_mask(scene, 0, n_frames, frames=frames), factor)))
        r = torch.zeros(2, vae.cfg.latent_channels, vae.cfg.latent_size, vae.cfg.latent_size)
        for j, obj in enumerate(scene.objects[:2]):
            img = world.render_reference(obj)
            r[j] = vae.normalize(vae.encode(frames_to_bcthw(img[None])))[0, :, 0]
        refs.append(r.half())
        n_obj.append(len(scene.objects))
        captions.append([world.canonical_caption(scene)] + [world.caption(scene, rng) for _ in range(variants)])
        bar.update(1)
    bar.close()
    unique = sorted({c for cs in captions for c in cs})
    index = {c: i for i, c in enumerate(unique)}
    text, mask = encode_captions(unique, encoder)
    return LatentBank(
        latents=torch.stack(latents),
        refs=torch.stack(refs),
        n_objects=torch.tensor(n_obj),
        caption_ids=torch.tensor([[index[c] for c in cs] for cs in captions]),
        text=text,
        text_mask=mask,
        objects=torch.stack(objects),
    )


def random_bank(n: int, channels: int, clip_latents: int, size: int = 8, n_captions: int = 8, seed: int = 0) -> LatentBank:
    """A bank with learnable structure but no world or VAE: for tests and smoke runs.

    Each clip is a constant per-channel colour (chosen by its caption) plus a
    slowly moving bump, so text, history and time all carry signal.
    """
    g = torch.Generator().manual_seed(seed)
    text = torch.randn(n_captions, 32, 384, generator=g).half()
    mask = torch.zeros(n_captions, 32, dtype=torch.bool)
    mask[:, :6] = True
    colour = torch.randn(n_captions, channels, generator=g)
    cap = torch.randint(0, n_captions, (n,), generator=g)
    yy = torch.arange(size).float()
    pos = torch.rand(n, generator=g) * size
    t = torch.arange(clip_latents).float()
    centre = (pos[:, None] + 0.5 * t[None]) % size  # n T
    bump = torch.exp(-((yy[None, None, :] - centre[:, :, None]) ** 2))  # n T h
    lat = colour[cap][:, :, None, None, None] + bump[:, None, :, :, None]  # n c T h 1
    lat = lat.expand(n, channels, clip_latents, size, size) + 0.05 * torch.randn(n, channels, clip_latents, size, size, generator=g)
    return LatentBank(
        latents=lat.half(),
        refs=lat[:, :, :2].permute(0, 2, 1, 3, 4).half(),
        n_objects=torch.full((n,), 2),
        caption_ids=cap[:, None],
        text=text,
        text_mask=mask,
    )


def make_bank(
    out: str | Path, scenes: int, clip_latents: int, variants: int = 2, vae: str | Path = "",
    one_object: float = 0.0, seed0: int = 0, threads: int = 2,
) -> LatentBank:
    """``build_bank`` with the VAE loaded from ``vae`` ('' = the shipped one), written to ``out``.

    ``seed0`` must leave the held-out seeds (from ``EVAL_SEED0``) alone, so
    shards built side by side take disjoint ranges below them.
    """
    from longcut.models.vae import load_vae

    # a clip must hold a shot's first chunk (1 + 4 latents) and an extension after it
    if scenes < 1 or clip_latents < 6 or variants < 0:
        raise InputError(f"scenes must be ≥ 1, clip_latents ≥ 6 and variants ≥ 0; got {scenes}, {clip_latents}, {variants}")
    if not 0 <= seed0 < EVAL_SEED0 - scenes * 2:
        raise InputError(f"seed0 must leave the held-out seeds (from {EVAL_SEED0}) alone; got {seed0} for {scenes} scenes")
    if not 0 <= one_object <= 1:
        raise InputError(f"one_object is a share, 0–1; got {one_object}")
    torch.set_num_threads(threads)
    bank = build_bank(load_vae(vae or None), scenes, clip_latents, variants, seed0=seed0, one_object=one_object)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    bank.save(out)
    log.info("bank %s: latents %s, %d captions", out, tuple(bank.latents.shape), bank.text.shape[0])
    return bank


def merge_banks(out: str | Path, shards: list[str | Path]) -> LatentBank:
    """Join bank shards (``make_bank`` with disjoint ``seed0``) into one bank written to ``out``."""
    missing = [str(p) for p in shards if not Path(p).is_file()]
    if missing:
        raise InputError(f"bank shards not found: {', '.join(missing)}")
    bank = LatentBank.concat([LatentBank.load(Path(p)) for p in shards])
    bank.save(Path(out))
    log.info("bank %s: latents %s from %d shards", out, tuple(bank.latents.shape), len(shards))
    return bank
