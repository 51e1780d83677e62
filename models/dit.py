"""Diffusion transformer over latent patches, with 3-D RoPE, AdaLN-Zero and text.

The network's contract is ``model(x, t, cond) -> velocity`` (minRF style; the
loss and the sampler live in ``sampler.py``):

* ``x``: noisy target latents ``(b, c, t, h, w)`` (normalised VAE latents);
* ``t``: ``(b,)`` flow time in [0, 1] (1 = pure noise);
* ``cond``: a ``DiTCond`` — MiniLM token states + mask (cross-attention, and
  a pooled vector added to the timestep embedding), and an optional
  ``PackedContext`` of reference/history tokens from ``context.py``.

The sequence is ``[context tokens][target tokens]`` with full self-attention;
every token gets a kind embedding (target / anchor / history level /
reference index) and a rotary position on (t, y, x). One ``DiTConfig`` drives
everything and is saved next to the weights. The layers and the block live in
``dit_blocks.py``; this file holds the config, the model, presets and save/load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import torch
import torch.nn as nn

from longcut.errors import InputError
from longcut.models.context import (
    KIND_TARGET,
    N_KINDS,
    PackedContext,
    PackingSpec,
    grid_positions,
    patchify_bcthw,
    unpatchify_bcthw,
)
from longcut.models.dit_blocks import DiTBlock, FinalLayer, Rope3D, TimestepEmbedder

X_PRED_MIN_T = 0.05  # x-prediction divides by t; near clean data the velocity is clipped there


@dataclass
class DiTConfig:
    """Everything needed to rebuild the DiT; saved as ``dit.json``."""

    name: str = "tiny"
    latent_channels: int = 16
    latent_size: int = 8
    patch: int = 2
    dim: int = 256
    depth: int = 8
    heads: int = 4
    mlp_ratio: float = 4.0
    text_dim: int = 384
    rope_theta: float = 100.0
    # "v": the network outputs the velocity; "x": it outputs the clean latents and
    # ``forward`` turns them into the velocity (x - x̂0) / t. Wide tokens (patch 4 on
    # 16×16×8 latents: 128 values) are easier to denoise than to predict noise for
    # (x-prediction, "Back to Basics: Let Denoising Generative Models Denoise").
    prediction: str = "v"
    # history packing travels with the model: it was trained with it
    pack_full: int = 2
    pack_half: int = 4
    pack_quarter: int = 8
    anchor_max_lag: int = 16

    @property
    def head_dim(self) -> int:
        """Channels per attention head."""
        return self.dim // self.heads

    @property
    def patch_features(self) -> int:
        """Values in one latent patch (the token's raw size)."""
        return self.latent_channels * self.patch**2

    @property
    def packing(self) -> PackingSpec:
        """The history packing this model was trained with."""
        return PackingSpec(self.pack_full, self.pack_half, self.pack_quarter, self.anchor_max_lag)

    def to_json(self) -> str:
        """The config as JSON text."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> DiTConfig:
        """Rebuild from ``to_json`` text; unknown keys are an error."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        if set(data) - known:
            raise InputError(f"dit config has unknown keys {sorted(set(data) - known)}")
        return cls(**data)


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DiTCond:
    """Conditioning for one batch: text states, their mask, and packed context."""

    text: torch.Tensor  # (b, n, text_dim) MiniLM token states
    text_mask: torch.Tensor  # (b, n) bool; all False = no text (CFG's unconditional branch)
    context: PackedContext | None = None
    context_noise: torch.Tensor | None = None  # (b,) noise level the history was augmented with

    def without_text(self) -> DiTCond:
        """The same conditioning with the text dropped."""
        return replace(self, text_mask=torch.zeros_like(self.text_mask))

    @staticmethod
    def cat(a: DiTCond, b: DiTCond) -> DiTCond:
        """Stack two conditionings with the same context layout along the batch."""
        ctx = None
        if a.context is not None:
            ctx = PackedContext(
                torch.cat([a.context.tokens, b.context.tokens]), a.context.pos, a.context.kind
            )
        noise = None
        if a.context_noise is not None:
            noise = torch.cat([a.context_noise, b.context_noise])
        return DiTCond(
            torch.cat([a.text, b.text]), torch.cat([a.text_mask, b.text_mask]), ctx, noise
        )


class DiT(nn.Module):
    """Latent video DiT: ``forward(x, t, cond) -> velocity``, all ``bcthw``."""

    def __init__(self, cfg: DiTConfig):
        super().__init__()
        if cfg.dim % cfg.heads or cfg.head_dim % 2:
            raise InputError(f"dim {cfg.dim} must split into {cfg.heads} heads of even size")
        if cfg.prediction not in ("v", "x"):
            raise InputError(f"prediction must be 'v' or 'x'; got {cfg.prediction!r}")
        if cfg.latent_size % (cfg.patch * 4):
            raise InputError(
                f"latent_size {cfg.latent_size} must be a multiple of 4·patch ({4 * cfg.patch})"
            )
        self.cfg = cfg
        d = cfg.dim
        self.patch_embed = nn.Linear(cfg.patch_features, d)
        self.kind_embed = nn.Embedding(N_KINDS, d)
        nn.init.normal_(self.kind_embed.weight, std=0.02)
        self.t_embed = TimestepEmbedder(d)
        self.ctx_noise_embed = TimestepEmbedder(d)
        self.text_proj = nn.Linear(cfg.text_dim, d)
        self.text_null = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.text_pool = nn.Sequential(nn.Linear(cfg.text_dim, d), nn.SiLU(), nn.Linear(d, d))
        self.rope = Rope3D(cfg.head_dim, cfg.rope_theta)
        self.blocks = nn.ModuleList(
            [DiTBlock(d, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)]
        )
        self.final = FinalLayer(d, cfg.patch_features)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: DiTCond) -> torch.Tensor:
        """Velocity for noisy target latents ``x`` (b, c, t, h, w) at flow time ``t`` (b,)."""
        cfg = self.cfg
        b, c, nt, h, w = x.shape
        if c != cfg.latent_channels or h != cfg.latent_size or w != cfg.latent_size:
            raise InputError(
                f"latents must be (b, {cfg.latent_channels}, t, {cfg.latent_size}, {cfg.latent_size}); got {tuple(x.shape)}"
            )
        if t.shape != (b,):
            t = t.reshape(-1).expand(b)
        p = cfg.patch
        target = self.patch_embed(patchify_bcthw(x, p))  # b n d
        n_target = target.shape[1]
        pos = grid_positions([float(i) for i in range(nt)], h, w, p)  # n 3
        target = target + self.kind_embed.weight[KIND_TARGET]
        seq = target
        if cond.context is not None and cond.context.n_tokens:
            ctx = cond.context
            tok = self.patch_embed(ctx.tokens) + self.kind_embed(ctx.kind)  # b m d
            if cond.context_noise is not None:
                tok = tok + self.ctx_noise_embed(cond.context_noise).unsqueeze(1)
            seq = torch.cat([tok, target], dim=1)  # b (m+n) d
            pos = torch.cat([ctx.pos, pos], dim=0)
        rope = self.rope(pos)

        # text: cross-attention keys (null token first) and a pooled vector for AdaLN
        mask = cond.text_mask.bool()
        text = torch.cat([self.text_null.expand(b, -1, -1), self.text_proj(cond.text)], dim=1)
        text_mask = torch.cat([torch.ones(b, 1, dtype=torch.bool), mask], dim=1)
        mf = mask.unsqueeze(-1).float()
        pooled = (cond.text * mf).sum(1) / mf.sum(1).clamp(min=1.0)  # b text_dim (0 if dropped)
        c_vec = self.t_embed(t) + self.text_pool(pooled)  # b d

        for block in self.blocks:
            seq = block(seq, c_vec, rope, text, text_mask)
        out = self.final(seq[:, -n_target:], c_vec)  # b n c·p·p
        out = unpatchify_bcthw(out, c, nt, h, w, p)
        if cfg.prediction == "x":  # x_t = (1 - t) x0 + t ε, so v = ε - x0 = (x_t - x0) / t
            tb = t.clamp_min(X_PRED_MIN_T).view(b, 1, 1, 1, 1)
            return (x - out) / tb
        return out


# ---------------------------------------------------------------------------
# Presets, save / load
# ---------------------------------------------------------------------------

DIT_PRESETS: dict[str, DiTConfig] = {
    # for tests: a forward is a few milliseconds
    "micro": DiTConfig(name="micro", latent_channels=4, dim=32, depth=2, heads=2, mlp_ratio=2.0),
    # the shipped model (5.3M): on pilot runs it matched "small" per step at half the cost,
    # and a 6 CPU-hour budget buys twice the steps
    "tiny": DiTConfig(name="tiny", dim=192, depth=6, heads=3),
    "small": DiTConfig(name="small", dim=256, depth=8, heads=4),
    # v2 pilots (issue 20) on the 16×16×8 latents of ``vae-m4``: patch 2 gives 64 tokens
    # per latent frame; patch 4 gives 16 wide tokens (128 values) and predicts x.
    "tiny-v2-p2": DiTConfig(
        name="tiny-v2-p2", latent_channels=8, latent_size=16, patch=2, dim=192, depth=6, heads=3
    ),
    "tiny-v2-p4": DiTConfig(
        name="tiny-v2-p4",
        latent_channels=8,
        latent_size=16,
        patch=4,
        dim=256,
        depth=6,
        heads=4,
        prediction="x",
    ),
    # the v2 fallback (issue 20): the v1 latents (8×8×16), one token per 8-px cell, so a
    # small object is several tokens and a move is a shift of tokens, not a channel rewrite
    "tiny-p1": DiTConfig(name="tiny-p1", patch=1, dim=192, depth=6, heads=3),
}


def dit_config(preset: str, **overrides) -> DiTConfig:
    """A copy of a named preset with ``overrides`` applied."""
    if preset not in DIT_PRESETS:
        raise InputError(f"unknown DiT preset {preset!r}; choose from {sorted(DIT_PRESETS)}")
    return replace(DIT_PRESETS[preset], **overrides)


def save_dit(
    model: DiT, path: str | Path, metadata: dict[str, str] | None = None, half: bool = False
) -> None:
    """Write ``<path>.safetensors`` (weights, fp16 with ``half``) and ``<path>.json`` (config)."""
    from safetensors.torch import save_file

    path = Path(path).with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    tmp = path.with_name(path.name + ".tmp.safetensors")
    save_file(state, str(tmp), metadata=metadata)
    tmp.replace(path.with_suffix(".safetensors"))
    path.with_suffix(".json").write_text(model.cfg.to_json() + "\n")


def load_dit(path: str | Path) -> DiT:
    """Load a DiT written by ``save_dit``, in eval mode."""
    from safetensors.torch import load_file

    path = Path(path).with_suffix("")
    weights, config = path.with_suffix(".safetensors"), path.with_suffix(".json")
    if not weights.is_file() or not config.is_file():
        raise InputError(f"DiT weights not found: need {weights} and {config}")
    model = DiT(DiTConfig.from_json(config.read_text()))
    state = {
        k: v.float() if v.is_floating_point() else v for k, v in load_file(str(weights)).items()
    }
    model.load_state_dict(state)
    return model.eval()
