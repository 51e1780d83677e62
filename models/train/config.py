"""The settings of a training run, one dataclass per trainer.

A checkpoint carries its run's config as a plain dict (``asdict``) and a
resume rebuilds it from there, so the fields are part of the checkpoint
format: a field renamed or removed here breaks every saved run.
"""

from __future__ import annotations

from dataclasses import dataclass

from longcut.errors import InputError


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
    motion_weight: float = 0.0  # added on latent pixels the object enters or leaves since the latent before
    eval_every: int = 300
    eval_prompts: int = 12
    ckpt_every_s: float = 240.0
    max_minutes: float = 0.0
    seed: int = 0
    threads: int = 1  # one thread is far faster than two on a busy 2-core machine
    init: str = ""  # start a new run from these DiT weights (e.g. the shipped in-training ones)
    vae: str = ""  # the VAE the bank was encoded with, for the adherence check ('' = the shipped one)


# What a resumed DiT run may take from its command line; every other setting is the run's own.
DIT_RESUMABLE = ("steps", "max_minutes", "eval_every", "eval_prompts", "ckpt_every_s", "threads", "vae")


def _check_common(steps: int, batch: int, lr: float, threads: int) -> None:
    for name, value in (("steps", steps), ("batch", batch), ("threads", threads)):
        if value < 1:
            raise InputError(f"{name} must be at least 1; got {value}")
    if not lr > 0:
        raise InputError(f"lr must be positive; got {lr}")


def check_vae_config(cfg: VAETrainConfig) -> None:
    """Refuse settings a VAE run cannot start with, quoting the bad value."""
    _check_common(cfg.steps, cfg.batch, cfg.lr, cfg.threads)
    if cfg.eval_every < 1:
        raise InputError(f"eval_every must be at least 1; got {cfg.eval_every}")
    if cfg.data not in ("world", "synthetic"):
        raise InputError(f"data must be 'world' or 'synthetic'; got {cfg.data!r}")


def check_dit_config(tc: DiTTrainConfig) -> None:
    """Refuse settings a DiT run cannot start with, quoting the bad value (``eval_every`` 0 = never)."""
    _check_common(tc.steps, tc.batch, tc.lr, tc.threads)
    if tc.eval_every < 0:
        raise InputError(f"eval_every must be 0 (never) or more; got {tc.eval_every}")
