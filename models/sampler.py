"""Rectified flow: the training loss and a few-step Euler sampler with CFG.

Apart from the network (minRF style): the network is any ``model(x, t, cond)``
returning the velocity ``noise - data``. Time runs from 1 (noise) to 0 (data):
``x_t = (1 - t)·x_0 + t·ε``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from longcut.errors import InputError

Model = Callable[..., torch.Tensor]  # model(x, t, cond) -> velocity


def logit_normal_t(n: int, generator: torch.Generator | None = None, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """Flow times from a logit-normal (SD3): more weight on the middle of the path."""
    return torch.sigmoid(mean + std * torch.randn(n, generator=generator))


def shift_t(t: torch.Tensor, shift: float) -> torch.Tensor:
    """SD3's time shift: ``shift`` > 1 moves flow times towards the noise end (as ``time_grid`` does)."""
    return shift * t / (1 + (shift - 1) * t)


def training_t(n: int, generator: torch.Generator | None = None, p_uniform: float = 0.5) -> torch.Tensor:
    """Flow times for training: logit-normal mixed with uniform.

    Pure logit-normal almost never draws t > 0.95, yet the sampler starts at
    t = 1: measured on a pilot run, the velocity error there was 4× the
    mid-path error and 8-step samples came out as noise. The uniform share
    keeps both ends trained.
    """
    t = logit_normal_t(n, generator)
    uniform = torch.rand(n, generator=generator)
    pick = torch.rand(n, generator=generator) < p_uniform
    return torch.where(pick, uniform, t)


def rf_loss(
    model: Model,
    x0: torch.Tensor,
    cond,
    generator: torch.Generator | None = None,
    t: torch.Tensor | None = None,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean squared error between predicted and true velocity for clean latents ``x0`` (bcthw).

    ``weight`` (broadcastable to ``x0``) makes it a weighted mean, normalised
    by the weights' mean so its scale stays that of the plain loss.
    """
    b = x0.shape[0]
    if t is None:
        t = training_t(b, generator)
    noise = torch.randn(x0.shape, generator=generator)
    tb = t.view(b, *([1] * (x0.ndim - 1)))
    xt = (1 - tb) * x0 + tb * noise
    v = model(xt, t, cond)
    if weight is None:
        return F.mse_loss(v, noise - x0)
    weight = weight.expand_as(x0)
    return ((v - (noise - x0)) ** 2 * weight).sum() / weight.sum()


@dataclass(frozen=True)
class SamplerSettings:
    """Euler flow-matching settings. ``shift`` > 1 spends more steps near the noise end."""

    steps: int = 8
    guidance: float = 3.0
    shift: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 100:
            raise InputError(f"steps must be in [1, 100], got {self.steps}")
        if not 0.0 <= self.guidance <= 30.0:
            raise InputError(f"guidance must be in [0, 30], got {self.guidance}")
        if self.shift <= 0:
            raise InputError(f"shift must be > 0, got {self.shift}")


def time_grid(steps: int, shift: float = 1.0) -> torch.Tensor:
    """``steps + 1`` times from 1 to 0, warped by ``shift`` (SD3's time shift)."""
    return shift_t(torch.linspace(1.0, 0.0, steps + 1), shift)


@torch.no_grad()
def sample_euler(
    model: Model,
    noise: torch.Tensor,
    cond,
    settings: SamplerSettings,
    uncond=None,
    on_step: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Integrate from ``noise`` (t = 1) to data (t = 0).

    With ``uncond`` and ``guidance != 1``, both branches run as one batch of
    2b and ``v = v_u + g·(v_c - v_u)``. ``cond``/``uncond`` must support
    ``type(cond).cat(cond, uncond)`` (``DiTCond`` does). Deterministic: no
    randomness beyond ``noise``.
    """
    x = noise
    b = x.shape[0]
    grid = time_grid(settings.steps, settings.shift)
    use_cfg = uncond is not None and settings.guidance != 1.0
    both = type(cond).cat(cond, uncond) if use_cfg else None
    for i in range(settings.steps):
        t, t_next = grid[i], grid[i + 1]
        if use_cfg:
            v = model(torch.cat([x, x]), t.expand(2 * b), both)
            v_c, v_u = v[:b], v[b:]
            v = v_u + settings.guidance * (v_c - v_u)
        else:
            v = model(x, t.expand(b), cond)
        x = x + (t_next - t) * v
        if on_step is not None:
            on_step(i + 1, settings.steps)
    return x
