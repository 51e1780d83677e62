"""Shared helpers for the DiT / context / sampler / tiny-backend tests (micro configs)."""

import pytest
import torch

from longcut.models.context import pack_context
from longcut.models.dit import DiTCond, dit_config


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread is 20× faster than two on a busy 2-core machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def make_cond(b=2, with_ctx=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    cfg = dit_config("micro")
    ctx = None
    if with_ctx:
        ctx = pack_context(recent=torch.randn(b, 4, 5, 8, 8, generator=g), anchor=torch.randn(b, 4, 1, 8, 8, generator=g), anchor_lag=9, spec=cfg.packing, p=cfg.patch)
    mask = torch.zeros(b, 32, dtype=torch.bool)
    mask[:, :5] = True
    return DiTCond(torch.randn(b, 32, 384, generator=g), mask, ctx, torch.zeros(b) if with_ctx else None)


def randomise_output(model):
    """Give the zero-initialised (AdaLN-Zero) layers weights, so outputs depend on inputs."""
    torch.manual_seed(1)
    for layer in (model.final.linear, model.final.ada[1]):
        torch.nn.init.normal_(layer.weight, std=0.1)
    for block in model.blocks:
        torch.nn.init.normal_(block.ada[1].weight, std=0.05)
        torch.nn.init.normal_(block.cross.proj.weight, std=0.05)
    return model
