"""The VAE's layers and its group encoder/decoder (one group of frames = one latent frame).

Leaf layers (``ChannelRMSNorm``, the ConvNeXt-style ``Block``, the
full-resolution ``Refiner``), then ``GroupEncoder`` and ``GroupDecoder``,
which ``VideoVAE`` (``vae.py``) runs over the groups of a video. Everything
here works on ``(n, c, h, w)`` grids, one group per item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn as nn
import torch.nn.functional as F

if TYPE_CHECKING:  # the config is built in vae.py, which imports this module
    from longcut.models.vae import VAEConfig


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


class ChannelRMSNorm(nn.Module):
    """RMS norm over channels of a ``bchw`` map: per pixel, so no spatial coupling."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, dim, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-6) * self.weight


class Block(nn.Module):
    """ConvNeXt-style block: depthwise k×k, channel RMS norm, 1×1 MLP, residual."""

    def __init__(self, dim: int, kernel: int, mult: int, padding_mode: str = "zeros"):
        super().__init__()
        self.dw = nn.Conv2d(
            dim, dim, kernel, padding=kernel // 2, groups=dim, padding_mode=padding_mode
        )
        self.norm = ChannelRMSNorm(dim)
        self.fc1 = nn.Conv2d(dim, dim * mult, 1)
        self.fc2 = nn.Conv2d(dim * mult, dim, 1)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x + self.fc2(F.gelu(self.fc1(self.norm(self.dw(x)))))


class Refiner(nn.Module):
    """Two 3×3 convs with few channels at full resolution, residual, zero-init."""

    def __init__(self, channels: int, width: int, padding_mode: str = "zeros"):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, padding=1, padding_mode=padding_mode)
        self.conv2 = nn.Conv2d(width, channels, 3, padding=1, padding_mode=padding_mode)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return x + self.conv2(F.gelu(self.conv1(x)))


# ---------------------------------------------------------------------------
# Encoder / decoder over groups (one group of frames = one latent frame)
# ---------------------------------------------------------------------------


class GroupEncoder(nn.Module):
    """``(n, c·g, H, W)`` stacked group → ``(n, z, H/f, W/f)`` latent mean (f = 2·stem_patch)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        c_in = cfg.in_channels * cfg.t_group * cfg.stem_patch**2
        self.stem_patch = cfg.stem_patch
        self.stem = nn.Conv2d(c_in, cfg.stem_width, 1)
        self.stem_blocks = nn.Sequential(
            *[
                Block(cfg.stem_width, cfg.kernel, cfg.mlp_mult, cfg.padding_mode)
                for _ in range(cfg.stem_blocks)
            ]
        )
        self.down = nn.Conv2d(cfg.stem_width * 4, cfg.width, 1)
        self.blocks = nn.Sequential(
            *[
                Block(cfg.width, cfg.kernel, cfg.mlp_mult, cfg.padding_mode)
                for _ in range(cfg.blocks)
            ]
        )
        self.norm = ChannelRMSNorm(cfg.width)
        self.out = nn.Conv2d(cfg.width, cfg.latent_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = F.pixel_unshuffle(x, self.stem_patch)  # n (c g p p) H/4 W/4
        x = self.stem_blocks(self.stem(x))  # n stem_width H/4 W/4
        x = self.down(F.pixel_unshuffle(x, 2))  # n width H/8 W/8
        return self.out(self.norm(self.blocks(x)))  # n z H/8 W/8


class GroupDecoder(nn.Module):
    """``(n, 2z, h, w)`` [latent k, latent k-1] → ``(n, c·g, fh, fw)`` group of frames."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv2d(2 * cfg.latent_channels, cfg.width, 1)
        self.blocks = nn.Sequential(
            *[
                Block(cfg.width, cfg.kernel, cfg.mlp_mult, cfg.padding_mode)
                for _ in range(cfg.blocks)
            ]
        )
        self.up = nn.Conv2d(cfg.width, cfg.stem_width * 4, 1)
        self.stem_blocks = nn.Sequential(
            *[
                Block(cfg.stem_width, cfg.kernel, cfg.mlp_mult, cfg.padding_mode)
                for _ in range(cfg.stem_blocks)
            ]
        )
        self.norm = ChannelRMSNorm(cfg.stem_width)
        c_out = cfg.in_channels * cfg.t_group * cfg.stem_patch**2
        self.out = nn.Conv2d(cfg.stem_width, c_out, 1)
        self.refine = (
            Refiner(cfg.in_channels, cfg.refine_width, cfg.padding_mode)
            if cfg.refine_width
            else None
        )

    def forward(self, z_pair: torch.Tensor) -> torch.Tensor:  # noqa: D102
        cfg = self.cfg
        x = self.blocks(self.inp(z_pair))  # n width h w
        x = F.pixel_shuffle(self.up(x), 2)  # n stem_width 2h 2w
        x = self.out(self.norm(self.stem_blocks(x)))  # n (c g p p) 2h 2w
        x = F.pixel_shuffle(x, cfg.stem_patch)  # n (c g) H W
        if self.refine is not None:
            n, _, hh, ww = x.shape
            x = self.refine(x.reshape(n * cfg.t_group, cfg.in_channels, hh, ww))  # (n g) c H W
            x = x.reshape(n, cfg.t_group * cfg.in_channels, hh, ww)
        return x


