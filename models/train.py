"""Resumable training loops (the VAE now; the DiT joins later).

Shared pieces, model-agnostic: ``RunDir`` (checkpoint, metrics log, text log in
one folder), atomic ``save_checkpoint`` / ``load_checkpoint``, ``cosine_lr``,
and clip data: a shard cache of world clips rendered once into an
``np.memmap`` (so data generation never sits on the training critical path),
plus a vectorised synthetic source for tests.

Run from a shell (the CLI ``longcut train vae`` calls the same function)::

    python -m longcut.models.train vae --out runs/vae --steps 6000
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from longcut.errors import InputError
from longcut.models.vae import VideoVAE, bcthw_to_frames, frames_to_bcthw, save_vae, vae_config

log = logging.getLogger(__name__)

EVAL_SEED0 = 1_000_000  # held-out world scenes: seeds from here; training uses seeds below it


# ---------------------------------------------------------------------------
# Run folder, checkpoints, schedule (shared by every trainer)
# ---------------------------------------------------------------------------


class RunDir:
    """A training run's folder: ``ckpt.pt``, ``metrics.jsonl``, ``train.log``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.ckpt = self.path / "ckpt.pt"
        self.metrics = self.path / "metrics.jsonl"
        self.log_file = self.path / "train.log"
        handler = logging.FileHandler(self.log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        self._handler = handler
        log.addHandler(handler)
        log.setLevel(logging.INFO)

    def record(self, **row) -> None:
        """Append one metrics row (JSON) and log it as a line."""
        with self.metrics.open("a") as f:
            f.write(json.dumps(row) + "\n")
        log.info(
            " ".join(f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
        )

    def close(self) -> None:
        """Detach the run's log file."""
        log.removeHandler(self._handler)
        self._handler.close()


def save_checkpoint(path: str | Path, state: dict) -> None:
    """Write ``state`` atomically (temp file + rename): a kill never leaves half a checkpoint."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict | None:
    """The saved state, or ``None`` when there is no checkpoint yet."""
    path = Path(path)
    return torch.load(path, weights_only=False) if path.is_file() else None


def cosine_lr(step: int, peak: float, warmup: int, progress: float, floor: float) -> float:
    """Linear warmup over ``warmup`` steps, then cosine from ``peak`` to ``floor · peak``.

    ``progress`` is the fraction of the run done after warmup (0–1).
    """
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, max(0.0, progress))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def run_progress(step: int, steps: int, warmup: int, wall_s: float, max_minutes: float) -> float:
    """Fraction of a run done after warmup: by steps, or by wall time when that runs out first.

    A time-limited run on a shared CPU thus still anneals fully before its deadline.
    """
    by_steps = (step - warmup) / max(1, steps - warmup)
    by_time = wall_s / (max_minutes * 60) if max_minutes else 0.0
    return max(by_steps, by_time)


# ---------------------------------------------------------------------------
# Clip data
# ---------------------------------------------------------------------------


def render_world_clip(seed: int, frames: int, start: int | None = None) -> np.ndarray:
    """uint8 ``(frames, 64, 64, 3)`` from world scene ``seed`` at a seeded random start."""
    from longcut.models.world import scene as world

    scene = world.sample_scene(seed)
    if start is None:
        start = int(np.random.default_rng(seed).integers(0, 20 * world.FPS))
    return world.render_frames(scene, start, frames, size=world.FRAME_SIZE)


class ClipCache:
    """World clips rendered once into a uint8 memmap ``(n, t, H, W, 3)``; random windows out."""

    def __init__(self, path: str | Path, n_clips: int, clip_frames: int, size: int = 64):
        self.path = Path(path)
        self.shape = (n_clips, clip_frames, size, size, 3)
        done = self.path.with_suffix(".done")
        if not (done.is_file() and json.loads(done.read_text()).get("shape") == list(self.shape)):
            self._build(done)
        self.data = np.memmap(self.path, dtype=np.uint8, mode="r", shape=self.shape)

    def _build(self, done: Path) -> None:
        from tqdm import tqdm

        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = np.memmap(self.path, dtype=np.uint8, mode="w+", shape=self.shape)
        n, t = self.shape[:2]
        for i in tqdm(range(n), desc="render world cache", mininterval=10):
            data[i] = render_world_clip(i, t)
        data.flush()
        done.write_text(json.dumps({"shape": list(self.shape)}))

    def sample(self, batch: int, frames: int, rng: np.random.Generator) -> torch.Tensor:
        """A random batch of windows, flipped at random: float ``bcthw`` in [-1, 1]."""
        n, t = self.shape[:2]
        idx = np.sort(rng.choice(n, size=batch, replace=False))
        start = rng.integers(0, t - frames + 1, size=batch)
        clips = np.stack(
            [self.data[i, s : s + frames] for i, s in zip(idx, start, strict=True)]
        )  # b t H W c
        flip = rng.random(batch) < 0.5
        clips[flip] = clips[flip, :, :, ::-1]
        x = torch.from_numpy(clips).permute(0, 4, 1, 2, 3)  # b c t H W
        return x.float() / 127.5 - 1.0


_PALETTE = torch.tensor(
    [[230, 30, 40], [250, 140, 20], [250, 220, 30], [40, 180, 60], [40, 90, 230],
     [140, 50, 200], [250, 110, 180], [245, 245, 245], [20, 20, 20], [130, 80, 40]],
    dtype=torch.float32,
) / 127.5 - 1.0  # fmt: skip


def synthetic_clips(batch: int, frames: int, size: int = 64, seed: int = 0) -> torch.Tensor:
    """World-like clips without the world: gradient sky, one patterned moving shape.

    Anti-aliased circles/squares of 16–30 px with 8 px stripes (4 angles), dots or
    checks in a second colour. Float ``bcthw`` in [-1, 1]; vectorised, for tests
    and smoke runs.
    """
    g = torch.Generator().manual_seed(seed)

    def u(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=g)

    yy, xx = torch.meshgrid(
        torch.arange(size).float() + 0.5, torch.arange(size).float() + 0.5, indexing="ij"
    )
    top, bottom = u(batch, 3, 1, 1, 1, lo=-0.8, hi=0.8), u(batch, 3, 1, 1, 1, lo=-0.8, hi=0.8)
    ramp = (yy / size).view(1, 1, 1, size, size)
    video = (top + (bottom - top) * ramp).expand(batch, 3, frames, size, size)  # b c t H W
    tt = torch.arange(frames).float().view(1, frames)
    cy = u(batch, 1, lo=12, hi=size - 12) + u(batch, 1, lo=-2.8, hi=2.8) * tt  # b t
    cx = u(batch, 1, lo=12, hi=size - 12) + u(batch, 1, lo=-2.8, hi=2.8) * tt
    dy = yy.view(1, 1, size, size) - cy.view(batch, frames, 1, 1)  # b t H W
    dx = xx.view(1, 1, size, size) - cx.view(batch, frames, 1, 1)
    r = u(batch, 1, 1, 1, lo=8, hi=15)
    sdf = (
        torch.where(
            u(batch, 1, 1, 1) < 0.5, (dx**2 + dy**2).sqrt(), torch.maximum(dx.abs(), dy.abs())
        )
        - r
    )
    mask = (0.5 - sdf).clamp(0, 1)
    angle = torch.randint(0, 4, (batch, 1, 1, 1), generator=g).float() * math.pi / 4
    q = torch.remainder((dx * angle.cos() + dy * angle.sin()) / 8, 1.0)
    stripes = 1.5 - 8 * (q - 0.5).abs()
    dots = 2.25 - ((torch.remainder(dx, 8) - 4) ** 2 + (torch.remainder(dy, 8) - 4) ** 2).sqrt()
    checker = ((torch.remainder(dx, 8) < 4) ^ (torch.remainder(dy, 8) < 4)).float() - 0.5
    kind = torch.randint(0, 4, (batch, 1, 1, 1), generator=g)
    inside = torch.where(
        kind == 0, stripes, torch.where(kind == 1, dots, torch.where(kind == 2, checker, -9.0))
    )
    second = (inside + 0.5).clamp(0, 1).unsqueeze(1)  # b 1 t H W
    c1 = _PALETTE[torch.randint(0, 10, (batch,), generator=g)].view(batch, 3, 1, 1, 1)
    c2 = _PALETTE[torch.randint(0, 10, (batch,), generator=g)].view(batch, 3, 1, 1, 1)
    obj = c1 + (c2 - c1) * second  # b c t H W
    return video + (obj - video) * mask.unsqueeze(1)


# ---------------------------------------------------------------------------
# The VAE trainer
# ---------------------------------------------------------------------------


@dataclass
class VAETrainConfig:
    """One VAE training run; saved in the checkpoint so a resume uses the same settings."""

    preset: str = "vae-s"
    out: str = "runs/vae"
    data: str = "world"  # "world" (shard cache) or "synthetic"
    steps: int = 6000
    batch: int = 16
    clip_frames: int = 9  # 1 + 4·2: three latent frames, so the decoder's cache is trained
    lr: float = 2e-3
    warmup: int = 200
    lr_floor: float = 0.05
    kl_weight: float = 1e-3
    edge_weight: float = 0.5
    mse_weight: float = 0.0  # an MSE term: PSNR is an MSE figure, L1 alone leaves it on the table
    temporal_weight: float = 0.0  # L1 of frame-to-frame change: a decoder that moves in steps per latent judders
    # the same change compared in L2 (an L1 favours putting it in one step)
    temporal_mse_weight: float = 0.0
    # latent geometry (``equivariance_losses``): half-cell shifts through the decoder
    # and the encoder, and 2× pooling through the decoder
    equiv_weight: float = 0.0
    equiv_enc_weight: float = 0.0
    scale_weight: float = 0.0
    cache_clips: int = 6000
    cache_frames: int = 17
    eval_clips: int = 16
    eval_every: int = 250
    ckpt_every_s: float = 180.0
    max_minutes: float = 0.0  # stop (with a checkpoint) after this much wall time; 0 = no limit
    seed: int = 0
    threads: int = 2
    init: str = ""  # start a new run from these VAE weights (e.g. a synthetic pre-train)
    freeze_encoder: bool = False  # train the decoder only: the latent space (and any DiT on it) stays valid


def psnr_uint8(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 arrays."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def eval_clips(cfg: VAETrainConfig) -> list[np.ndarray]:
    """Held-out uint8 clips (scenes never in the training cache)."""
    if cfg.data == "synthetic":
        video = synthetic_clips(cfg.eval_clips, cfg.clip_frames, seed=EVAL_SEED0)
        return [bcthw_to_frames(video[i : i + 1]) for i in range(cfg.eval_clips)]
    return [render_world_clip(EVAL_SEED0 + i, cfg.clip_frames) for i in range(cfg.eval_clips)]


@torch.no_grad()
def evaluate_vae(model: VideoVAE, clips: list[np.ndarray], noise: float = 0.0) -> float:
    """Mean PSNR (dB) of uint8 reconstructions; ``noise`` perturbs the latents first."""
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(0)
    scores = []
    for frames in clips:
        z = model.encode(frames_to_bcthw(frames))
        if noise:
            z = z + noise * torch.randn(z.shape, generator=g)
        scores.append(psnr_uint8(bcthw_to_frames(model.decode(z)), frames))
    model.train(was_training)
    return float(np.mean(scores))


def clip_sampler(
    cfg: VAETrainConfig, cache_dir: Path, rng: np.random.Generator
) -> Callable[[], torch.Tensor]:
    """A function returning one training batch (``bcthw`` in [-1, 1]) per call."""
    if cfg.data == "world":
        name = f"world_{cfg.cache_clips}x{cfg.cache_frames}.u8"
        cache = ClipCache(cache_dir / name, cfg.cache_clips, cfg.cache_frames)
        return lambda: cache.sample(cfg.batch, cfg.clip_frames, rng)
    if cfg.data == "synthetic":
        return lambda: synthetic_clips(cfg.batch, cfg.clip_frames, seed=int(rng.integers(1 << 30)))
    raise InputError(f"unknown data source {cfg.data!r}; choose 'world' or 'synthetic'")


def half_cell_shift(z: torch.Tensor, dim: int, sign: int) -> torch.Tensor:
    """Latents moved by half a cell along ``dim`` (wrapping): the mean of ``z`` and ``z`` rolled by one."""
    return 0.5 * (z + torch.roll(z, sign, dims=dim))


def equivariance_losses(
    model: VideoVAE, video: torch.Tensor, mean: torch.Tensor, cfg: VAETrainConfig
) -> dict[str, torch.Tensor]:
    """The latent-geometry terms of issue 20, on one random axis and direction.

    * ``equiv`` (decoder): decoding the half-cell-shifted latent must give the
      frames rolled by half a cell in pixels (EQ-VAE's loss for translations);
    * ``equiv_enc`` (encoder): encoding the rolled frames must give the
      half-cell-shifted latent, relative to the latent's variance, so an object
      moved by less than a cell has the latent of an interpolated shift — a
      DiT can then move it by shifting tokens instead of rewriting codes;
    * ``scale``: decoding the 2×-average-pooled latent gives the 2×-downscaled
      frames.

    Whole-cell shifts need no loss: with circular padding they are exact.
    Only the terms with a non-zero weight are computed.
    """
    out: dict[str, torch.Tensor] = {}
    if not (cfg.equiv_weight or cfg.equiv_enc_weight or cfg.scale_weight):
        return out  # and draw no random numbers: runs without these terms stay reproducible
    half = model.cfg.spatial_factor // 2
    dim = -1 if torch.rand(()) < 0.5 else -2
    sign = 1 if torch.rand(()) < 0.5 else -1
    if cfg.equiv_weight or cfg.equiv_enc_weight:
        shifted_video = torch.roll(video, sign * half, dims=dim)
        shifted_mean = half_cell_shift(mean, dim, sign)
        if cfg.equiv_weight:
            z = shifted_mean + model.cfg.latent_noise * torch.randn_like(mean)
            out["equiv"] = (model.decode_raw(z) - shifted_video).abs().mean()
        if cfg.equiv_enc_weight:
            scale = mean.detach().var(dim=(0, 2, 3, 4), keepdim=True).clamp_min(1e-4)
            err = (model.encode(shifted_video) - shifted_mean).pow(2) / scale
            out["equiv_enc"] = err.mean()
    if cfg.scale_weight:
        b, c, t, hh, ww = video.shape
        pooled = F.avg_pool2d(mean.transpose(1, 2).flatten(0, 1), 2)  # (b n) z h/2 w/2
        pooled = pooled.unflatten(0, (b, -1)).transpose(1, 2)
        small = F.avg_pool2d(video.transpose(1, 2).flatten(0, 1), 2)  # (b t) c H/2 W/2
        small = small.unflatten(0, (b, t)).transpose(1, 2)
        out["scale"] = (model.decode_raw(pooled) - small).abs().mean()
    return out


def vae_loss(
    model: VideoVAE, video: torch.Tensor, cfg: VAETrainConfig
) -> tuple[torch.Tensor, dict]:
    """L1 + edge (spatial finite-difference L1) + fixed-σ KL (+ MSE, temporal, equivariance); the loss and its parts.

    The temporal terms compare frame-to-frame change (``diff`` along t): a
    decoder that draws a latent's four frames too alike and then jumps to the
    next latent's shows it as a step at every latent boundary, which per-frame
    losses barely see. The equivariance terms (``equivariance_losses``) run on
    the first half of the batch.
    """
    recon, mean = model(video, noise=model.cfg.latent_noise)
    l1 = (recon - video).abs().mean()
    edge = (recon.diff(dim=-1) - video.diff(dim=-1)).abs().mean() + (
        recon.diff(dim=-2) - video.diff(dim=-2)
    ).abs().mean()
    kl = 0.5 * mean.pow(2).mean()
    mse = F.mse_loss(recon, video)
    zero = recon.new_zeros(())
    moves = video.shape[2] > 1
    temporal = (recon.diff(dim=2) - video.diff(dim=2)).abs().mean() if moves else zero
    temporal_mse = F.mse_loss(recon.diff(dim=2), video.diff(dim=2)) if moves else zero
    sub = max(1, video.shape[0] // 2)
    geometry = equivariance_losses(model, video[:sub], mean[:sub], cfg)
    loss = (
        l1
        + cfg.edge_weight * edge
        + cfg.kl_weight * kl
        + cfg.mse_weight * mse
        + cfg.temporal_weight * temporal
        + cfg.temporal_mse_weight * temporal_mse
        + cfg.equiv_weight * geometry.get("equiv", zero)
        + cfg.equiv_enc_weight * geometry.get("equiv_enc", zero)
        + cfg.scale_weight * geometry.get("scale", zero)
    )
    parts = {"l1": l1, "edge": edge, "kl": kl, "mse": mse, "temporal": temporal}
    if cfg.temporal_mse_weight:
        parts["temporal_mse"] = temporal_mse
    parts.update(geometry)
    return loss, {k: v.item() for k, v in parts.items()}


def train_vae(
    cfg: VAETrainConfig,
    resume: bool = True,
    progress: bool = True,
    on_step: Callable[[int, dict], None] | None = None,
) -> VideoVAE:
    """Train (or resume) a VAE run in ``cfg.out``; returns the model at the last step.

    Checkpoints every ``ckpt_every_s`` seconds, at every eval that improves the
    held-out PSNR (``best.safetensors``), and at the end.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    run = RunDir(cfg.out)
    try:
        return _train_vae(cfg, run, resume, progress, on_step)
    finally:
        run.close()
        torch.set_num_threads(threads)


def _train_vae(
    cfg: VAETrainConfig,
    run: RunDir,
    resume: bool,
    progress: bool,
    on_step: Callable[[int, dict], None] | None,
) -> VideoVAE:
    from tqdm import tqdm

    state = load_checkpoint(run.ckpt) if resume else None
    if state is not None:
        saved = VAETrainConfig(**state["train_config"])
        # a resume may extend the run or change its time limit, nothing else
        cfg = VAETrainConfig(
            **{**asdict(saved), "steps": cfg.steps, "max_minutes": cfg.max_minutes, "out": cfg.out}
        )
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    if cfg.freeze_encoder and not cfg.init:
        raise InputError("freeze_encoder needs init: the weights whose encoder is kept")
    model = VideoVAE(vae_config(cfg.preset))
    if cfg.freeze_encoder:
        model.encoder.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=cfg.lr, betas=(0.9, 0.99), weight_decay=0.0)
    step, wall, best = 0, 0.0, -1.0
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, wall, best = state["step"], state["wall_s"], state["best_psnr"]
        rng.bit_generator.state = state["np_rng"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed %s at step %d (%.0f s trained)", run.ckpt, step, wall)
    else:
        if cfg.init:
            from longcut.models.vae import load_vae

            model.load_state_dict(load_vae(cfg.init).state_dict())
        log.info("new run %s: %s", run.path, json.dumps(asdict(cfg)))

    sample = clip_sampler(cfg, run.path.parent / "cache", rng)
    held_out = eval_clips(cfg)

    def checkpoint() -> None:
        save_checkpoint(run.ckpt, {
            "model": model.state_dict(), "optimizer": opt.state_dict(), "step": step, "wall_s": wall,
            "best_psnr": best, "np_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
            "train_config": asdict(cfg), "vae_config": asdict(model.cfg),
        })  # fmt: skip

    model.train()
    bar = tqdm(total=cfg.steps, initial=step, desc="train vae", disable=not progress, mininterval=5)
    t_ckpt = time.monotonic()
    while step < cfg.steps:
        if cfg.max_minutes and wall >= cfg.max_minutes * 60:
            log.info("time limit %.1f min reached at step %d", cfg.max_minutes, step)
            break
        t0 = time.monotonic()
        progress = run_progress(step, cfg.steps, cfg.warmup, wall, cfg.max_minutes)
        lr = cosine_lr(step, cfg.lr, cfg.warmup, progress, cfg.lr_floor)
        for group in opt.param_groups:
            group["lr"] = lr
        loss, parts = vae_loss(model, sample(), cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(trainable, 1.0).item()
        opt.step()
        step += 1
        wall += time.monotonic() - t0
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{lr:.2e}")
        if on_step is not None:
            on_step(step, parts)
        row = dict(step=step, wall_s=round(wall, 1), lr=lr, loss=loss.item(), grad_norm=grad_norm)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            psnr = evaluate_vae(model, held_out)
            psnr_noisy = evaluate_vae(model, held_out, noise=model.cfg.latent_noise)
            run.record(**row, psnr=psnr, psnr_noisy=psnr_noisy, **parts)
            if psnr > best:
                best = psnr
                save_vae(model, run.path / "best")
        elif step % 25 == 0:
            run.record(**row, **parts)
        if time.monotonic() - t_ckpt >= cfg.ckpt_every_s:
            checkpoint()
            t_ckpt = time.monotonic()
    checkpoint()
    bar.close()
    return model


@torch.no_grad()
def fit_latent_stats(model: VideoVAE, clips: list[np.ndarray]) -> VideoVAE:
    """Measure per-channel latent mean/std on ``clips`` and store them in the config."""
    z = torch.cat([model.encode(frames_to_bcthw(c)) for c in clips], dim=2)  # 1 z T h w
    z = z.transpose(0, 1).reshape(model.cfg.latent_channels, -1)
    model.cfg.latent_mean = [round(v, 6) for v in z.mean(dim=1).tolist()]
    model.cfg.latent_std = [round(v, 6) for v in z.std(dim=1).clamp_min(1e-3).tolist()]
    return model


def export_vae(run_dir: str | Path, out: str | Path, stats_clips: int = 64) -> dict:
    """Best weights of a run + latent statistics → ``out.safetensors`` / ``out.json``."""
    from longcut.models.vae import load_vae

    run_dir = Path(run_dir)
    model = load_vae(run_dir / "best")
    state = load_checkpoint(run_dir / "ckpt.pt") or {}
    data = state.get("train_config", {}).get("data", "world")
    if data == "synthetic":
        video = synthetic_clips(stats_clips, 17, seed=123)
        clips = [bcthw_to_frames(video[i : i + 1]) for i in range(stats_clips)]
    else:
        clips = [render_world_clip(seed, 17) for seed in range(stats_clips)]
    fit_latent_stats(model, clips)
    save_vae(model, out)
    return {"latent_mean": model.cfg.latent_mean, "latent_std": model.cfg.latent_std}


# ---------------------------------------------------------------------------
# ``python -m longcut.models.train vae --steps …`` (flags mirror VAETrainConfig)
# ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m longcut.models.train")
    sub = p.add_subparsers(dest="what", required=True)
    vae = sub.add_parser("vae", help="train the VAE")
    for f in fields(VAETrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        if isinstance(f.default, bool):
            vae.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            vae.add_argument(flag, type=type(f.default), default=f.default)
    vae.add_argument("--no-resume", action="store_true")
    export = sub.add_parser("vae-export", help="ship a run's best weights")
    export.add_argument("--run", default="runs/vae")
    export.add_argument("--out", default="models/weights/vae")
    return p


def main(argv: list[str] | None = None) -> None:
    """Command-line entry for background runs (``nohup … &``)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.what == "vae":
        cfg = VAETrainConfig(**{f.name: getattr(args, f.name) for f in fields(VAETrainConfig)})
        train_vae(cfg, resume=not args.no_resume, progress=True)
    else:
        log.info("exported: %s", export_vae(args.run, args.out))


if __name__ == "__main__":
    main()
