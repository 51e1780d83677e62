"""Training the DiT: rectified flow on world latents, multi-task, resumable.

Data is a *latent bank* built once per VAE (``build_bank``): world scenes
rendered as long clips (so targets continue across chunk boundaries and the
model learns to extend), VAE-encoded and normalised, their reference-object
latents, and MiniLM token states of a canonical caption plus grammar variants.
A training step then costs only the DiT.

Each batch draws one *layout* (shared by its items, so no padding masks):

* ``image`` — one latent frame, no history;
* ``first`` — a shot's first chunk (latent 0 + a chunk), no history;
* ``extend`` — a chunk at a random offset with the packed history before it
  (noise-augmented, level given to the model) and the clip's first latent as
  anchor;

and, independently, 0–2 references (objects of the scene). Text is dropped
per item (CFG's unconditional branch). Every ``eval_every`` steps the EMA
model generates first chunks for held-out canonical captions, decodes them
and the world's evaluator reads colour / shape / motion / background back —
so a dead run is seen in minutes.

    python -m longcut.models.train_dit bank --out runs/dit      # once per VAE
    python -m longcut.models.train_dit train --out runs/dit --steps 8000
    python -m longcut.models.train_dit export --run runs/dit --out models/weights/dit
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.context import pack_context
from longcut.models.dit import DiT, DiTCond, DiTConfig, dit_config, load_dit, save_dit
from longcut.models.sampler import rf_loss, shift_t, training_t
from longcut.models.train import (
    EVAL_SEED0,
    RunDir,
    cosine_lr,
    load_checkpoint,
    run_progress,
    save_checkpoint,
)

log = logging.getLogger("longcut.models.train.dit")  # child of train's logger: RunDir's file gets it

# (colour, shape) pairs never seen in training: the adherence bar is measured on them too
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("red", "star"), ("blue", "circle"), ("green", "triangle"), ("yellow", "square"), ("purple", "circle")}
)


def is_held_out(scene) -> bool:
    """True when a scene has an object whose (colour, shape) pair is held out."""
    return any((o.colour, o.shape) in HELD_OUT_PAIRS for o in scene.objects)


# ---------------------------------------------------------------------------
# The latent bank
# ---------------------------------------------------------------------------


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
        """One bank from shards built side by side (``bank --seed0``): clips in order, captions re-indexed.

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


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


@dataclass
class DiTTrainConfig:
    """One DiT training run; saved in the checkpoint so a resume uses the same settings."""

    preset: str = "tiny"
    out: str = "runs/dit"
    bank: str = ""  # path of the latent bank ('' = <out>/../dit_bank.pt)
    steps: int = 8000
    batch: int = 16
    lr: float = 6e-4
    warmup: int = 150
    lr_floor: float = 0.1
    weight_decay: float = 0.01
    ema: float = 0.999
    chunk_latents: int = 4
    p_image: float = 0.1
    p_first: float = 0.3  # the rest: extend
    p_refs: float = 0.3
    p_two_refs: float = 0.3  # of the batches with references
    p_drop_text: float = 0.1
    p_canonical: float = 0.7
    p_short_chunk: float = 0.15  # a chunk shorter than chunk_latents (a shot's last)
    history_noise: float = 0.3  # augmentation level ~ U(0, this) for half the items
    t_shift: float = 1.0  # train flow times shifted towards noise (the shipped sampler uses shift 3)
    object_weight: float = 5.0  # loss weight on latent pixels an object shows in is 1 + this
    eval_every: int = 300
    eval_prompts: int = 12
    ckpt_every_s: float = 240.0
    max_minutes: float = 0.0
    seed: int = 0
    threads: int = 1  # one thread is far faster than two on a busy 2-core machine
    init: str = ""  # start a new run from these DiT weights (e.g. the shipped in-training ones)


def sample_batch(
    bank: LatentBank, tc: DiTTrainConfig, cfg: DiTConfig, rng: np.random.Generator, g: torch.Generator
) -> tuple[torch.Tensor, DiTCond, torch.Tensor | None]:
    """One training batch: clean target latents ``(b, c, t, h, w)``, their conditioning, loss weights.

    The weights ``(b, 1, t, h, w)`` (None without an object mask in the bank)
    lift the object's latent pixels: left plain, a background that fills 95%
    of the frame dominates the loss, and a run learns backgrounds perfectly
    while colour and shape stay at chance (measured: 2,900 steps, ≈0.1).
    """
    b = tc.batch
    n, c, total, h, w = bank.latents.shape
    spec = cfg.packing
    u = rng.random()
    layout = "image" if u < tc.p_image else "first" if u < tc.p_image + tc.p_first else "extend"
    chunk = tc.chunk_latents
    if rng.random() < tc.p_short_chunk:
        chunk = int(rng.integers(1, tc.chunk_latents + 1))
    n_refs = 0
    if rng.random() < tc.p_refs:
        n_refs = 2 if rng.random() < tc.p_two_refs and bool((bank.n_objects >= 2).any()) else 1
    pool = np.flatnonzero(bank.n_objects.numpy() >= max(n_refs, 1))
    idx = torch.from_numpy(rng.choice(pool, size=b))

    if layout == "image":
        start, length = 0, 1
    elif layout == "first":
        start, length = 0, 1 + chunk
    else:
        start = int(rng.integers(1, total - chunk + 1))
        length = chunk
    x0 = bank.latents[idx, :, start : start + length].float()  # b c t h w
    weight = None
    if bank.objects is not None and tc.object_weight:
        weight = 1.0 + tc.object_weight * bank.objects[idx, None, start : start + length].float()

    # text: canonical or a variant, dropped per item
    k = bank.caption_ids.shape[1]
    which = np.where(rng.random(b) < tc.p_canonical, 0, rng.integers(0, k, size=b))
    cap = bank.caption_ids[idx, torch.from_numpy(which)]
    text = bank.text[cap].float()
    mask = bank.text_mask[cap].clone()
    mask[torch.from_numpy(rng.random(b) < tc.p_drop_text)] = False

    refs = None
    if n_refs:
        order = torch.from_numpy(np.stack([rng.permutation(2) for _ in range(b)]))  # b 2
        order = torch.where(bank.n_objects[idx, None] >= 2, order, torch.zeros_like(order))
        refs = bank.refs[idx[:, None], order[:, :n_refs]].float().permute(0, 2, 1, 3, 4)  # b c R h w

    recent = anchor = None
    sigma = torch.zeros(b)
    if layout == "extend":
        recent = bank.latents[idx, :, max(0, start - spec.keep) : start].float()
        anchor = bank.latents[idx, :, :1].float()
        on = torch.from_numpy(rng.random(b) < 0.5).float()
        sigma = on * torch.rand(b, generator=g) * tc.history_noise
        s = sigma.view(b, 1, 1, 1, 1)
        recent = (1 - s) * recent + s * torch.randn(recent.shape, generator=g)
        anchor = (1 - s) * anchor + s * torch.randn(anchor.shape, generator=g)
    ctx = pack_context(references=refs, recent=recent, anchor=anchor, anchor_lag=max(start, 1), spec=spec, p=cfg.patch)
    return x0, DiTCond(text, mask, ctx, sigma if ctx is not None else None), weight


# ---------------------------------------------------------------------------
# Evaluator-driven check
# ---------------------------------------------------------------------------


def eval_scenes(n: int, seed0: int = EVAL_SEED0, keep=None) -> list:
    """``n`` one-object scenes from unseen seeds, half with a held-out (colour, shape) pair.

    ``keep`` (scene → bool), when given, skips the scenes it rejects.
    """
    from longcut.models.world import scene as world

    held, seen, seed = [], [], seed0
    while len(held) < n // 2 or len(seen) < n - n // 2:
        scene = world.sample_scene(seed, n_objects=1)
        seed += 1
        if keep is None or keep(scene):
            (held if is_held_out(scene) else seen).append(scene)
    return held[: n // 2] + seen[: n - n // 2]


TRANSLATIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def travel_px(frames: np.ndarray, motion: str, threshold: float = 40.0) -> float:
    """How far the object moved along ``motion`` ("left"/"right"/"up"/"down") over the clip, in px.

    The object is what differs from each row's median colour (the world's
    backgrounds are row gradients and one object covers less than half a row);
    its centroid's frame-to-frame steps are wrapped to the nearest image (the
    world wraps translations round the frame) and summed, then projected on the
    asked direction. A model that stalls travels ~0; one that goes the wrong
    way travels a negative distance. Issue 20's pilot gate: ≥ 8 px in 2 s.
    """
    dx, dy = TRANSLATIONS[motion]
    f = frames.astype(np.float32)
    size = f.shape[2]
    background = np.median(f, axis=2, keepdims=True)  # t h 1 c
    mask = np.abs(f - background).sum(-1) > threshold  # t h w
    yy, xx = np.mgrid[: f.shape[1], :size]
    centres = []
    for m in mask:
        if m.sum() < 4:
            centres.append(None)
            continue
        # circular mean, so an object split by the frame edge has one centre
        ang_x, ang_y = 2 * np.pi * xx[m] / size, 2 * np.pi * yy[m] / f.shape[1]
        cx = np.angle(np.exp(1j * ang_x).mean()) * size / (2 * np.pi)
        cy = np.angle(np.exp(1j * ang_y).mean()) * f.shape[1] / (2 * np.pi)
        centres.append((cx, cy))
    total, prev = 0.0, None
    for c in centres:
        if c is None:
            continue
        if prev is not None:
            step_x = (c[0] - prev[0] + size / 2) % size - size / 2
            step_y = (c[1] - prev[1] + f.shape[1] / 2) % f.shape[1] - f.shape[1] / 2
            total += dx * step_x + dy * step_y
        prev = c
    return float(total)


def adherence_check(backend, scenes: list, seconds: float = 2.0) -> dict[str, float]:
    """Generate each scene's canonical caption, read it back, return accuracy per attribute.

    Also ``travel_px``: the mean distance the object moved along the asked
    direction, over the scenes whose object translates (``travel_px``).
    """
    from longcut.models.backends.base import ClipRequest
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    rows, travels = [], []
    for i, scene in enumerate(scenes):
        request = ClipRequest(world.canonical_caption(scene), seconds, seed=i)
        frames = np.concatenate([c.frames for c in backend.generate(request)])
        rows.append(evaluate.adherence(frames, scene))
        motion = scene.objects[0].motion
        if len(scene.objects) == 1 and motion in TRANSLATIONS:
            travels.append(travel_px(frames, motion))
    keys = sorted({k for r in rows for k in r})
    out = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
    if travels:
        out["travel_px"] = float(np.mean(travels))
    return out


# ---------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------


class EMA:
    """Exponential moving average of a model's weights (warmed up: short runs still track)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int) -> None:
        """Move the average towards ``model``."""
        d = min(self.decay, (1 + step) / (10 + step))
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p.detach(), 1 - d)


def train_step(
    model: DiT, opt: torch.optim.Optimizer, x0: torch.Tensor, cond: DiTCond, g: torch.Generator,
    weight: torch.Tensor | None = None, t_shift: float = 1.0,
) -> tuple[float, float]:
    """One optimiser step on the (weighted) rectified-flow loss; returns (loss, grad norm)."""
    t = shift_t(training_t(x0.shape[0], g), t_shift)
    loss = rf_loss(model, x0, cond, generator=g, t=t, weight=weight)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
    opt.step()
    return loss.item(), grad_norm


def train_dit(tc: DiTTrainConfig, bank: LatentBank | None = None, vae=None, resume: bool = True, progress: bool = True) -> DiT:
    """Train (or resume) a DiT run in ``tc.out``; returns the EMA model.

    Checkpoints every ``ckpt_every_s`` seconds and at the end; with ``vae``
    given (and the world's evaluator importable) it runs the adherence check
    every ``eval_every`` steps.
    """
    from tqdm import tqdm

    torch.set_num_threads(tc.threads)
    run = RunDir(tc.out)
    state = load_checkpoint(run.ckpt) if resume else None
    if state is not None:
        saved = DiTTrainConfig(**state["train_config"])
        tc = DiTTrainConfig(**{**asdict(saved), "steps": tc.steps, "max_minutes": tc.max_minutes, "out": tc.out, "eval_every": tc.eval_every})
    if bank is None:
        bank_path = Path(tc.bank) if tc.bank else Path(tc.out).parent / "dit_bank.pt"
        if not bank_path.is_file():
            raise InputError(f"latent bank {bank_path} not found; build it with `python -m longcut.models.train_dit bank`")
        bank = LatentBank.load(bank_path)
    cfg = DiTConfig(**state["dit_config"]) if state is not None else dit_config(tc.preset, latent_channels=bank.latents.shape[1], latent_size=bank.latents.shape[-1])
    model = DiT(cfg)
    step0 = 0  # steps the init weights had already been trained for (bookkeeping only)
    if state is None and tc.init:
        init = load_dit(tc.init)
        cfg = init.cfg
        model = DiT(cfg)
        model.load_state_dict(init.state_dict())
        step0 = _trained_steps(tc.init)
        log.info("new run from %s (%d steps already)", tc.init, step0)
    ema = EMA(model, tc.ema)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim >= 2 and "embed" not in name else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr, betas=(0.9, 0.99),
    )
    step, wall = 0, 0.0
    rng = np.random.default_rng(tc.seed + step0)
    g = torch.Generator().manual_seed(tc.seed)
    if state is not None:
        model.load_state_dict(state["model"])
        ema.model.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        step, wall, step0 = state["step"], state["wall_s"], state.get("step0", 0)
        rng.bit_generator.state = state["np_rng"]
        g.set_state(state["torch_gen"])
        log.info("resumed %s at step %d (%.0f s trained)", run.ckpt, step, wall)
    else:
        n_params = sum(p.numel() for p in model.parameters())
        log.info("new run %s: %.2fM params, %s, %s", run.path, n_params / 1e6, json.dumps(asdict(cfg)), json.dumps(asdict(tc)))

    backend = scenes = None
    if vae is not None and tc.eval_every:
        from longcut.models.backends.tiny import TinyVideoModel

        backend = TinyVideoModel(dit=ema.model, vae=vae, chunk_latents=tc.chunk_latents)
        scenes = eval_scenes(tc.eval_prompts)

    def checkpoint() -> None:
        save_checkpoint(run.ckpt, {
            "model": model.state_dict(), "ema": ema.model.state_dict(), "optimizer": opt.state_dict(),
            "step": step, "wall_s": wall, "np_rng": rng.bit_generator.state, "torch_gen": g.get_state(),
            "train_config": asdict(tc), "dit_config": asdict(cfg), "step0": step0,
        })  # fmt: skip

    model.train()
    bar = tqdm(total=tc.steps, initial=step, desc="train dit", disable=not progress, mininterval=10)
    t_ckpt = time.monotonic()
    losses: list[float] = []
    while step < tc.steps:
        if tc.max_minutes and wall >= tc.max_minutes * 60:
            log.info("time limit %.1f min reached at step %d", tc.max_minutes, step)
            break
        t0 = time.monotonic()
        progress = run_progress(step, tc.steps, tc.warmup, wall, tc.max_minutes)  # by steps or by time
        lr = cosine_lr(step, tc.lr, tc.warmup, progress, tc.lr_floor)
        for group in opt.param_groups:
            group["lr"] = lr
        x0, cond, weight = sample_batch(bank, tc, cfg, rng, g)
        loss, grad_norm = train_step(model, opt, x0, cond, g, weight, tc.t_shift)
        ema.update(model, step)
        step += 1
        wall += time.monotonic() - t0
        losses.append(loss)
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}")
        if step % 25 == 0:
            run.record(step=step, total_step=step0 + step, wall_s=round(wall, 1), lr=lr, loss=float(np.mean(losses)), grad_norm=grad_norm)
            losses.clear()
        if backend is not None and (step % tc.eval_every == 0 or step == tc.steps):
            t_eval = time.monotonic()
            backend._weights_id = None
            acc = adherence_check(backend, scenes)
            run.record(step=step, total_step=step0 + step, wall_s=round(wall, 1), eval_s=round(time.monotonic() - t_eval, 1), **{f"acc_{k}": v for k, v in acc.items()})
        if time.monotonic() - t_ckpt >= tc.ckpt_every_s:
            checkpoint()
            t_ckpt = time.monotonic()
    checkpoint()
    bar.close()
    run.close()
    return ema.model


def _trained_steps(weights: str | Path) -> int:
    """Total training steps recorded in a saved DiT's metadata (0 if none)."""
    from safetensors import safe_open

    with safe_open(str(Path(weights).with_suffix(".safetensors")), "pt") as f:
        return int((f.metadata() or {}).get("total_steps", 0))


def shipped_status(weights: str | Path) -> str:
    """``"final"`` or ``"in training"``, from a saved DiT's metadata."""
    from safetensors import safe_open

    with safe_open(str(Path(weights).with_suffix(".safetensors")), "pt") as f:
        return (f.metadata() or {}).get("status", "in training")


def export_dit(run_dir: str | Path, out: str | Path, final: bool = False) -> dict:
    """The EMA weights of a run → ``out.safetensors`` / ``out.json`` (fp16 on disk).

    The metadata carries the total steps (across ``init`` chains), the run's
    wall time and a status (``final`` only when asked): tests that need
    trained weights skip while the shipped ones are still in training.
    """
    state = load_checkpoint(Path(run_dir) / "ckpt.pt")
    if state is None:
        raise InputError(f"no checkpoint in {run_dir}")
    model = DiT(DiTConfig(**state["dit_config"]))
    model.load_state_dict(state["ema"])
    total = state.get("step0", 0) + state["step"]
    meta = {"total_steps": str(total), "run_steps": str(state["step"]), "run_wall_s": f"{state['wall_s']:.0f}",
            "status": "final" if final else "in training"}
    save_dit(model, out, metadata=meta, half=True)
    info = {"total_steps": total, "run_steps": state["step"], "run_wall_s": state["wall_s"], "status": meta["status"]}
    write_card(Path(run_dir), Path(out).with_name("DIT_CARD.md"), state, info)
    return info


CARD_MARKER = "<!-- written by hand below this line; export keeps it -->"


def _bank_scenes(path: Path) -> int | str:
    """Scenes in a latent bank file ('?' when it is gone)."""
    if not path.is_file():
        return "?"
    return int(torch.load(path, weights_only=True, mmap=True)["latents"].shape[0])


def write_card(run_dir: Path, card: Path, state: dict, info: dict) -> None:
    """A model card from the run's checkpoint and metrics: command, seed, steps, wall time, figures."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()] if (run_dir / "metrics.jsonl").is_file() else []
    rows = [r for r in rows if r.get("total_step", r["step"]) <= info["total_steps"]]  # up to this checkpoint
    losses = [r for r in rows if "loss" in r]
    evals = [r for r in rows if any(k.startswith("acc_") for k in r)]
    tc, cfg = state["train_config"], state["dit_config"]
    bank = Path(tc.get("bank") or Path(run_dir).parent / "dit_bank.pt")  # train's default: beside the run
    n_params = sum(v.numel() for k, v in state["ema"].items())
    lines = [
        "# Tiny DiT — model card",
        "",
        f"*Status: {info['status']}* — "
        f"{info['total_steps']} steps in all ({info['run_steps']} in the last run, {info['run_wall_s'] / 60:.1f} min wall, "
        f"{tc['threads']} thread(s)).",
        "",
        f"Architecture: {n_params / 1e6:.2f}M parameters, d={cfg['dim']}, {cfg['depth']} blocks, {cfg['heads']} heads, "
        f"patch {cfg['patch']}×{cfg['patch']} over {cfg['latent_channels']}×{cfg['latent_size']}×{cfg['latent_size']} latents; "
        f"history packing {cfg['pack_full']} full + {cfg['pack_half']} at 2× + {cfg['pack_quarter']} at 4× latent frames + anchor.",
        "",
        "Commands (`train` resumes from its run folder's checkpoint; a later session, without",
        "that folder, continues from these weights with `--init models/weights/dit`):",
        "",
        "```",
        f"python -m longcut.models.train_dit bank --out {bank} --scenes {_bank_scenes(bank)} --clip-latents 21",
        f"python -m longcut.models.train_dit train --out {tc['out']} --steps {tc['steps']} --lr {tc['lr']} --batch {tc['batch']} --seed {tc['seed']}"
        f" --warmup {tc['warmup']} --max-minutes {tc['max_minutes']:g} --object-weight {tc.get('object_weight', 0.0):g}"
        f" --t-shift {tc.get('t_shift', 1.0):g} --threads {tc['threads']} --eval-every {tc['eval_every']} --eval-prompts {tc['eval_prompts']}"
        + (f" --init {tc['init']}" if tc.get("init") else ""),
        f"python -m longcut.models.train_dit export --run {tc['out']} --out models/weights/dit",
        "```",
        "",
        f"Training config: `{json.dumps(tc)}`",
        "",
    ]
    if losses:
        lines += ["## Loss (mean over 25 steps)", "", "| step | wall s | lr | loss |", "|---|---|---|---|"]
        pick = losses[:: max(1, len(losses) // 12)]
        if pick[-1] is not losses[-1]:
            pick.append(losses[-1])
        lines += [f"| {r.get('total_step', r['step'])} | {r['wall_s']} | {r['lr']:.2e} | {r['loss']:.4f} |" for r in pick]
        lines.append("")
    if evals:
        keys = ["acc_colour", "acc_shape", "acc_motion", "acc_background", "acc_size", "acc_pattern"]
        lines += [
            f"## Evaluator check during training ({tc['eval_prompts']} held-out canonical captions, 2 s, shipped sampler)",
            "",
            "| step | " + " | ".join(k[4:] for k in keys) + " |",
            "|---|" + "---|" * len(keys),
        ]
        lines += [f"| {r.get('total_step', r['step'])} | " + " | ".join(f"{r.get(k, float('nan')):.2f}" for k in keys) + " |" for r in evals]
        lines.append("")
    lines += ["Full bars: `python bench/bench_dit.py all` (see bench/bench_dit.py).", ""]
    # what people wrote below the marker (earlier runs, measured bars) survives a re-export
    kept = card.read_text().split(CARD_MARKER, 1) if card.is_file() else []
    lines += [CARD_MARKER + (kept[1] if len(kept) == 2 else "\n")]
    tmp = card.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(card)


# ---------------------------------------------------------------------------
# ``python -m longcut.models.train_dit …``
# ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m longcut.models.train_dit")
    sub = p.add_subparsers(dest="what", required=True)
    bank = sub.add_parser("bank", help="render + encode + caption the training clips (once per VAE)")
    bank.add_argument("--out", default="runs/dit_bank.pt")
    bank.add_argument("--scenes", type=int, default=1500)
    bank.add_argument("--clip-latents", type=int, default=21)
    bank.add_argument("--variants", type=int, default=2)
    bank.add_argument("--vae", default="", help="VAE weights (default: the shipped ones)")
    bank.add_argument("--one-object", type=float, default=0.0, help="share of one-object scenes (0: the world's mix)")
    bank.add_argument("--seed0", type=int, default=0, help="first world seed (shards built side by side take disjoint ranges)")
    bank.add_argument("--threads", type=int, default=2)
    merge = sub.add_parser("bank-merge", help="join bank shards into one bank")
    merge.add_argument("--out", required=True)
    merge.add_argument("shards", nargs="+")
    train = sub.add_parser("train", help="train (resumes from <out>/ckpt.pt)")
    for f in fields(DiTTrainConfig):
        train.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    train.add_argument("--no-resume", action="store_true")
    train.add_argument("--vae", default="", help="VAE for the adherence check (default: shipped)")
    export = sub.add_parser("export", help="ship a run's EMA weights")
    export.add_argument("--final", action="store_true", help="mark the weights finished (tests then use them)")
    export.add_argument("--run", default="runs/dit")
    export.add_argument("--out", default="models/weights/dit")
    return p


def main(argv: list[str] | None = None) -> None:
    """Command-line entry for background runs (``nohup … &``)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(getattr(args, "threads", 2))
    if args.what == "bank":
        from longcut.models.vae import load_vae

        if not 0 <= args.seed0 < EVAL_SEED0 - args.scenes * 2:
            raise SystemExit(f"--seed0 must leave the held-out seeds (from {EVAL_SEED0}) alone")
        vae = load_vae(args.vae or None)
        bank = build_bank(vae, args.scenes, args.clip_latents, args.variants, seed0=args.seed0, one_object=args.one_object)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        bank.save(Path(args.out))
        log.info("bank %s: latents %s, %d captions", args.out, tuple(bank.latents.shape), bank.text.shape[0])
    elif args.what == "bank-merge":
        bank = LatentBank.concat([LatentBank.load(Path(p)) for p in args.shards])
        bank.save(Path(args.out))
        log.info("bank %s: latents %s from %d shards", args.out, tuple(bank.latents.shape), len(args.shards))
    elif args.what == "train":
        from longcut.models.vae import load_vae

        tc = DiTTrainConfig(**{f.name: getattr(args, f.name) for f in fields(DiTTrainConfig)})
        train_dit(tc, vae=load_vae(args.vae or None) if tc.eval_every else None, resume=not args.no_resume)
    else:
        log.info("exported: %s", export_dit(args.run, args.out, final=args.final))


if __name__ == "__main__":
    main()
