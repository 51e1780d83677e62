"""The VAE's training clips: world clips rendered once into a memmap, and a synthetic source.

A shard cache of world clips rendered once into an ``np.memmap`` (so data
generation never sits on the training critical path), plus a vectorised
synthetic source for tests and smoke runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch


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
