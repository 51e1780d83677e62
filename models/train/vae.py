"""The VAE trainer: its losses (reconstruction, temporal, latent geometry), held-out PSNR, the loop.

Run from a shell (the CLI ``longcut train vae`` calls the same function)::

    python -m longcut.models.train vae --out runs/vae --steps 6000
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from longcut.errors import InputError
from longcut.models.train.clips import ClipCache, render_world_clip, synthetic_clips
from longcut.models.train.common import (
    EVAL_SEED0,
    RunDir,
    load_checkpoint,
    save_checkpoint,
    set_scheduled_lr,
)
from longcut.models.train.config import VAETrainConfig, check_vae_config
from longcut.models.vae import VideoVAE, bcthw_to_frames, frames_to_bcthw, save_vae, vae_config

log = logging.getLogger(__name__)


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
    check_vae_config(cfg)
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
        lr = set_scheduled_lr(opt, step, wall, cfg)
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
