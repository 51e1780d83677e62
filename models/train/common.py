"""What every trainer shares: the run folder, checkpoints, the learning-rate schedule, EMA.

``RunDir`` (checkpoint, metrics log, text log in one folder), atomic
``save_checkpoint`` / ``load_checkpoint``, ``cosine_lr`` with ``run_progress``
(annealed by steps or by wall time, whichever runs out first) and ``EMA``.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
from pathlib import Path

import torch

# the parent of every trainer's logger (``longcut.models.train.vae``, ``….dit``):
# a run's log file is attached here, so it gets the lines of whichever trainer runs
log = logging.getLogger("longcut.models.train")

EVAL_SEED0 = 1_000_000  # held-out world scenes: seeds from here; training uses seeds below it


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


def set_scheduled_lr(opt: torch.optim.Optimizer, step: int, wall_s: float, cfg) -> float:
    """Set every param group's lr to ``cosine_lr`` at this step of the run ``cfg`` describes; returns it.

    ``cfg`` is a train config (``steps``, ``warmup``, ``lr``, ``lr_floor``,
    ``max_minutes``): the schedule anneals by steps or by wall time, whichever
    runs out first (``run_progress``).
    """
    progress = run_progress(step, cfg.steps, cfg.warmup, wall_s, cfg.max_minutes)
    lr = cosine_lr(step, cfg.lr, cfg.warmup, progress, cfg.lr_floor)
    for group in opt.param_groups:
        group["lr"] = lr
    return lr


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
