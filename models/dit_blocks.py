"""The DiT's layers: timestep embedding, 3-D RoPE, attention, the AdaLN-Zero block, the final layer.

``DiT`` (``dit.py``) stacks them; tokens are ``(b, n, d)`` throughout.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Leaf layers
# ---------------------------------------------------------------------------


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """AdaLN: ``x`` (b, n, d) scaled and shifted by per-sample (b, d) vectors."""
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of ``t`` (b,) in [0, 1] (scaled by 1000, as DiT does)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = 1000.0 * t.float()[:, None] * freqs[None]  # b half
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedder(nn.Module):
    """Scalar in [0, 1] → ``dim`` vector (sinusoid + MLP)."""

    def __init__(self, dim: int, freq_dim: int = 128):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """(b,) → (b, dim)."""
        return self.mlp(timestep_embedding(t, self.freq_dim))


class Rope3D(nn.Module):
    """Rotary embedding on (t, y, x): the head dim is split in three axis bands."""

    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        pairs = head_dim // 2
        t_pairs = pairs // 4
        y_pairs = (pairs - t_pairs) // 2
        bands = [t_pairs, y_pairs, pairs - t_pairs - y_pairs]
        freqs = [theta ** (-torch.arange(n, dtype=torch.float32) / n) for n in bands]
        self.bands = bands
        for i, f in enumerate(freqs):
            self.register_buffer(f"freq{i}", f, persistent=False)

    def forward(self, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``pos`` (n, 3) → cos, sin of shape (n, head_dim)."""
        angles = torch.cat(
            [pos[:, i : i + 1] * getattr(self, f"freq{i}")[None] for i in range(3)], dim=-1
        )  # n pairs
        angles = torch.cat([angles, angles], dim=-1)  # n head_dim (half-split layout)
        return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` (b, heads, n, hd) by cos/sin (n, hd)."""
    x1, x2 = x.chunk(2, dim=-1)
    rotated = torch.cat([-x2, x1], dim=-1)
    return x * cos + rotated * sin


class SelfAttention(nn.Module):
    """Multi-head self-attention with RoPE and QK RMS-norm (stable at high LR)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.q_norm = nn.RMSNorm(dim // heads)
        self.k_norm = nn.RMSNorm(dim // heads)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """(b, n, d) → (b, n, d)."""
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)  # b n 3 H hd
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each b H n hd
        q = apply_rope(self.q_norm(q), *rope)
        k = apply_rope(self.k_norm(k), *rope)
        out = F.scaled_dot_product_attention(q, k, v)  # b H n hd
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class CrossAttention(nn.Module):
    """Target/context tokens attend to text tokens (a learned null token is always there)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        nn.init.zeros_(self.proj.weight)  # the block starts as identity (PixArt)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` (b, n, d) attends to ``text`` (b, m, d) where ``mask`` (b, m) is True."""
        b, n, d = x.shape
        m = text.shape[1]
        hd = d // self.heads
        q = self.q(x).reshape(b, n, self.heads, hd).transpose(1, 2)  # b H n hd
        kv = self.kv(text).reshape(b, m, 2, self.heads, hd)  # b m 2 H hd
        k, v = kv.permute(2, 0, 3, 1, 4)  # each b H m hd
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


# ---------------------------------------------------------------------------
# Block
# ---------------------------------------------------------------------------


class DiTBlock(nn.Module):
    """Self-attention (AdaLN-Zero) → cross-attention to text → MLP (AdaLN-Zero)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.cross = CrossAttention(dim, heads)
        self.norm3 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim)
        )
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        nn.init.zeros_(self.ada[1].weight)  # adaLN-Zero: gates start at 0
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x, c, rope, text, text_mask):
        """``x`` (b, n, d) conditioned on ``c`` (b, d), RoPE tables and text keys."""
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(c).chunk(6, dim=-1)  # each b d
        x = x + gate1.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift1, scale1), rope)
        x = x + self.cross(self.norm2(x), text, text_mask)
        x = x + gate2.unsqueeze(1) * self.mlp(modulate(self.norm3(x), shift2, scale2))
        return x


class FinalLayer(nn.Module):
    """AdaLN then a zero-initialised linear to patch features."""

    def __init__(self, dim: int, out: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 2 * dim))
        self.linear = nn.Linear(dim, out)
        for layer in (self.ada[1], self.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """(b, n, d) → (b, n, patch features)."""
        shift, scale = self.ada(c).chunk(2, dim=-1)
        return self.linear(modulate(self.norm(x), shift, scale))


