"""The DiT trainer: rectified flow on the latent bank, multi-task, resumable.

Every ``eval_every`` steps the EMA model runs the adherence check
(``check.py``); checkpoints every ``ckpt_every_s`` seconds and at the end.

    python -m longcut.models.train dit-bank --out runs/dit_bank.pt      # once per VAE
    python -m longcut.models.train dit --out runs/dit --steps 8000
    python -m longcut.models.train dit-export --run runs/dit --out models/weights/dit
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.dit import DiT, DiTCond, DiTConfig, dit_config, load_dit
from longcut.models.sampler import rf_loss, shift_t, training_t
from longcut.models.train.bank import LatentBank
from longcut.models.train.batches import sample_batch
from longcut.models.train.check import adherence_check, eval_scenes
from longcut.models.train.common import (
    EMA,
    RunDir,
    load_checkpoint,
    save_checkpoint,
    set_scheduled_lr,
)
from longcut.models.train.config import DIT_RESUMABLE, DiTTrainConfig, check_dit_config
from longcut.models.train.export import trained_steps

log = logging.getLogger(__name__)


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


def resumed_config(tc: DiTTrainConfig, saved: dict | None, given: Collection[str] | None = None) -> DiTTrainConfig:
    """The settings a run continues with: its saved ones, with what ``given`` names from ``tc``.

    ``given`` is the set of settings the user spelt out (None: a caller that
    cannot tell, which passes steps, time limit, checks and threads, and a
    VAE when it names one). Only ``DIT_RESUMABLE`` may change on resume; a
    given setting that would change anything else is refused, so a resumed
    command line never silently trains something other than it says.
    """
    if saved is None:
        return tc
    if given is None:
        given = {"steps", "max_minutes", "eval_every", "threads"} | ({"vae"} if tc.vae else set())
    old = DiTTrainConfig(**saved)
    changed = sorted(k for k in set(given) - set(DIT_RESUMABLE) - {"out"} if getattr(tc, k) != getattr(old, k))
    if changed:
        was = ", ".join(f"--{k.replace('_', '-')} {getattr(old, k)!r}" for k in changed)
        raise InputError(f"a resumed run keeps its settings ({was}); start a new run with --no-resume or --init")
    return DiTTrainConfig(**{**asdict(old), "out": tc.out, **{k: getattr(tc, k) for k in given if k in DIT_RESUMABLE}})


def train_dit(
    tc: DiTTrainConfig, bank: LatentBank | None = None, vae=None, resume: bool = True, progress: bool = True,
    given: Collection[str] | None = None,
) -> DiT:
    """Train (or resume) a DiT run in ``tc.out``; returns the EMA model.

    Checkpoints every ``ckpt_every_s`` seconds and at the end; with ``vae``
    given (and the world's evaluator importable) it runs the adherence check
    every ``eval_every`` steps. On resume, ``given`` says which of ``tc``'s
    settings the user spelt out (``resumed_config``).
    """
    from tqdm import tqdm

    check_dit_config(tc)
    run = RunDir(tc.out)
    state = load_checkpoint(run.ckpt) if resume else None
    tc = resumed_config(tc, state["train_config"] if state is not None else None, given)
    torch.set_num_threads(tc.threads)
    if bank is None:
        bank_path = Path(tc.bank) if tc.bank else Path(tc.out).parent / "dit_bank.pt"
        if not bank_path.is_file():
            raise InputError(f"latent bank {bank_path} not found; build it with `python -m longcut.models.train dit-bank`")
        bank = LatentBank.load(bank_path)
    cfg = DiTConfig(**state["dit_config"]) if state is not None else dit_config(tc.preset, latent_channels=bank.latents.shape[1], latent_size=bank.latents.shape[-1])
    model = DiT(cfg)
    step0 = 0  # steps the init weights had already been trained for (bookkeeping only)
    if state is None and tc.init:
        init = load_dit(tc.init)
        cfg = init.cfg
        model = DiT(cfg)
        model.load_state_dict(init.state_dict())
        step0 = trained_steps(tc.init)
        log.info("new run from %s (%d steps already)", tc.init, step0)
    ema = EMA(model, tc.ema)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.ndim >= 2 and "embed" not in name else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc.lr, betas=(0.9, 0.99),
    )
    step, wall, cpu0, cpu_start = 0, 0.0, 0.0, time.process_time()

    def cpu_s() -> float:
        """CPU seconds of the run so far, every thread, evals and loading included: what the card's CPU-hours count."""
        return cpu0 + time.process_time() - cpu_start

    rng = np.random.default_rng(tc.seed + step0)
    g = torch.Generator().manual_seed(tc.seed)
    if state is not None:
        model.load_state_dict(state["model"])
        ema.model.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        step, wall, step0 = state["step"], state["wall_s"], state.get("step0", 0)
        cpu0 = state.get("cpu_s", 0.0)  # checkpoints before CPU time was counted have none
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
            "step": step, "wall_s": wall, "cpu_s": cpu_s(), "np_rng": rng.bit_generator.state, "torch_gen": g.get_state(),
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
        lr = set_scheduled_lr(opt, step, wall, tc)  # by steps or by time
        x0, cond, weight = sample_batch(bank, tc, cfg, rng, g)
        loss, grad_norm = train_step(model, opt, x0, cond, g, weight, tc.t_shift)
        ema.update(model, step)
        step += 1
        wall += time.monotonic() - t0
        losses.append(loss)
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}")
        if step % 25 == 0:
            run.record(step=step, total_step=step0 + step, wall_s=round(wall, 1), cpu_s=round(cpu_s(), 1), lr=lr, loss=float(np.mean(losses)), grad_norm=grad_norm)
            losses.clear()
        if backend is not None and (step % tc.eval_every == 0 or step == tc.steps):
            t_eval = time.monotonic()
            backend._weights_id = None
            acc = adherence_check(backend, scenes)
            run.record(step=step, total_step=step0 + step, wall_s=round(wall, 1), cpu_s=round(cpu_s(), 1), eval_s=round(time.monotonic() - t_eval, 1), **{f"acc_{k}": v for k, v in acc.items()})
        if time.monotonic() - t_ckpt >= tc.ckpt_every_s:
            checkpoint()
            t_ckpt = time.monotonic()
    checkpoint()
    bar.close()
    run.close()
    return ema.model
