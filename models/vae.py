"""Causal video VAE: latent 0 ← frame 0, latent k ← frames 4k-3 … 4k, 8× or 4× space.

Layout is ``bcthw`` everywhere. A video of ``t = 1 + 4k`` frames at 64×64
becomes ``1 + k`` latent frames of ``latent_channels × 8 × 8`` (``vae-s``, the
v1 geometry) or ``8 × 16 × 16`` (``vae-m4``, v2: 4× space, circular padding, so
objects span several cells and a whole-cell move is an exact latent roll).

Designed for a 2-core CPU (see ``weights/VAE_CARD.md``): no convolution ever
runs at full resolution with more than a handful of channels.

* **Time.** Frame 0 is padded in front with ``t_group - 1`` copies of itself,
  so every latent frame is the code of one group of 4 frames and one network
  serves both (a single image is a 1-frame video). The encoder is *group-local*:
  latent k sees only frames 4k-3 … 4k — causal, and exactly chunkable. The
  decoder sees latent k and latent k-1 (a one-latent causal cache), which
  smooths group boundaries without ever re-decoding earlier chunks.
* **Space.** Patchify first: the 4 frames of a group are stacked in channels and
  space-to-depth 4× takes 64×64 to a 16×16 grid (192 channels); a few
  ConvNeXt-style blocks run there, space-to-depth 2× gives the 8×8 latent grid
  where most of the work happens. The decoder mirrors this and ends with a tiny
  full-resolution residual refiner (few channels) against patch-border seams.
* **Latent.** A fixed-variance Gaussian posterior (σ-VAE): training adds
  ``N(0, latent_noise²)`` to the mean and penalises ``mean²`` (the KL up to a
  constant), so the decoder tolerates imprecise latents. Per-channel latent
  mean/std, measured after training, travel in the config; ``normalize`` gives
  the DiT unit-variance latents.

The layers and the group encoder/decoder live in ``vae_blocks.py``; this file
holds the config, the model over a whole video, presets, frames ↔ tensors and
save/load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from longcut.errors import InputError
from longcut.models.vae_blocks import GroupDecoder, GroupEncoder

WEIGHTS_DIR = Path(__file__).parent / "weights"


@dataclass
class VAEConfig:
    """Everything needed to rebuild the VAE; saved as ``vae.json`` next to the weights."""

    name: str = "vae-s"
    in_channels: int = 3
    frame_size: int = 64
    t_group: int = 4  # frames per latent frame (after frame 0)
    stem_patch: int = 4  # space-to-depth at the input; times 2 gives the spatial factor
    stem_width: int = 96  # channels on the 16×16 grid
    stem_blocks: int = 2
    width: int = 256  # channels on the 8×8 latent grid
    blocks: int = 4
    mlp_mult: int = 2
    kernel: int = 3  # depthwise kernel of the blocks
    refine_width: int = 16  # full-resolution residual refiner (0 = none)
    latent_channels: int = 16
    latent_noise: float = 0.1  # posterior std during training (σ-VAE)
    # "circular": every conv wraps round the frame edges, as the world's objects do,
    # so a roll by one latent cell (``spatial_factor`` px) is an exact latent roll.
    padding_mode: str = "zeros"
    latent_mean: list[float] = field(default_factory=list)  # per channel, set after training
    latent_std: list[float] = field(default_factory=list)

    @property
    def spatial_factor(self) -> int:
        """Pixels per latent cell along each side."""
        return self.stem_patch * 2

    @property
    def latent_size(self) -> int:
        """Latent grid side (frame_size / spatial_factor)."""
        return self.frame_size // self.spatial_factor

    def compression_ratio(self) -> float:
        """Pixel values per latent value for a 4-frame group (the steady state)."""
        pixels = self.in_channels * self.t_group * self.frame_size**2
        return pixels / (self.latent_channels * self.latent_size**2)

    def to_json(self) -> str:
        """The config as indented JSON (``vae.json``)."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> VAEConfig:
        """Parse ``vae.json``; unknown keys are refused rather than ignored."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InputError(
                f"vae config has unknown keys {sorted(unknown)}; allowed: {sorted(known)}"
            )
        return cls(**data)


# ---------------------------------------------------------------------------
# The model: bcthw in, bcthw out
# ---------------------------------------------------------------------------


class VideoVAE(nn.Module):
    """Causal 4×8×8 video VAE. Videos are ``bcthw`` floats in [-1, 1]."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = GroupEncoder(cfg)
        self.decoder = GroupDecoder(cfg)

    # -- shape checks -------------------------------------------------------

    def _check_video(self, video_bcthw: torch.Tensor, *, whole: bool) -> None:
        cfg = self.cfg
        if video_bcthw.ndim != 5 or video_bcthw.shape[1] != cfg.in_channels:
            raise InputError(
                f"video must be (b, {cfg.in_channels}, t, h, w); got {tuple(video_bcthw.shape)}"
            )
        t, h, w = video_bcthw.shape[2:]
        f = cfg.spatial_factor
        if h % f or w % f:
            raise InputError(f"video height and width must be multiples of {f}; got {h}×{w}")
        if whole and (t - 1) % cfg.t_group:
            raise InputError(
                f"video must have 1 + {cfg.t_group}k frames; got {t} (pad with pad_frames_bcthw)"
            )
        if not whole and t % cfg.t_group:
            raise InputError(
                f"a continuation chunk must have a multiple of {cfg.t_group} frames; got {t}"
            )

    # -- encode ---------------------------------------------------------------

    def encode_groups(self, video_bcthw: torch.Tensor) -> torch.Tensor:
        """Encode frames already cut in whole groups: ``(b, c, n·g, H, W)`` → ``(b, z, n, h, w)``."""
        cfg = self.cfg
        b, c, t, hh, ww = video_bcthw.shape
        g, n = cfg.t_group, t // cfg.t_group
        x = video_bcthw.reshape(b, c, n, g, hh, ww).permute(0, 2, 1, 3, 4, 5)  # b n c g H W
        z = self.encoder(x.reshape(b * n, c * g, hh, ww))  # (b n) z h w
        return z.reshape(b, n, *z.shape[1:]).transpose(1, 2)  # b z n h w

    def encode(self, video_bcthw: torch.Tensor) -> torch.Tensor:
        """Latent means of a whole video: ``(b, c, 1+4k, H, W)`` → ``(b, z, 1+k, H/8, W/8)``."""
        self._check_video(video_bcthw, whole=True)
        first = video_bcthw[:, :, :1]
        padded = torch.cat([first.expand(-1, -1, self.cfg.t_group - 1, -1, -1), video_bcthw], dim=2)
        return self.encode_groups(padded)

    # -- decode ---------------------------------------------------------------

    def decode(self, latents_bcthw: torch.Tensor, prev: torch.Tensor | None = None) -> torch.Tensor:
        """Frames of ``(b, z, n, h, w)`` latents, clamped to [-1, 1].

        Without ``prev`` the latents start a video: latent 0 decodes to one frame
        and the result has ``1 + 4(n-1)`` frames. With ``prev`` (``(b, z, h, w)``,
        the latent just before) they continue one, giving ``4n`` frames.
        """
        return self.decode_raw(latents_bcthw, prev).clamp(-1.0, 1.0)

    def decode_raw(
        self, latents_bcthw: torch.Tensor, prev: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``decode`` without the final clamp (what training sees)."""
        cfg = self.cfg
        if latents_bcthw.ndim != 5 or latents_bcthw.shape[1] != cfg.latent_channels:
            raise InputError(
                f"latents must be (b, {cfg.latent_channels}, n, h, w); got {tuple(latents_bcthw.shape)}"
            )
        b, zc, n, h, w = latents_bcthw.shape
        # causal cache: latent k is decoded together with latent k-1; latent 0 of a
        # video has no predecessor and is paired with itself.
        before = latents_bcthw[:, :, :1] if prev is None else prev.unsqueeze(2)
        shifted = torch.cat([before, latents_bcthw[:, :, :-1]], dim=2)  # b z n h w
        pair = torch.cat([latents_bcthw, shifted], dim=1)  # b 2z n h w
        pair = pair.transpose(1, 2).reshape(b * n, 2 * zc, h, w)  # (b n) 2z h w
        x = self.decoder(pair)  # (b n) (c g) H W
        g, c = cfg.t_group, cfg.in_channels
        x = x.reshape(b, n, g, c, *x.shape[-2:]).permute(0, 3, 1, 2, 4, 5)  # b c n g H W
        x = x.reshape(b, c, n * g, *x.shape[-2:])  # b c (n g) H W
        return x[:, :, g - 1 :] if prev is None else x

    def forward(
        self, video_bcthw: torch.Tensor, noise: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Training pass: ``(reconstruction_raw, latent_mean)``, posterior noise of std ``noise``."""
        mean = self.encode(video_bcthw)
        z = mean + noise * torch.randn_like(mean) if noise > 0 else mean
        return self.decode_raw(z), mean

    # -- normalised latents (what the DiT sees) --------------------------------

    def _stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        if not cfg.latent_mean or not cfg.latent_std:
            raise InputError("this VAE has no latent statistics; run fit_latent_stats first")
        shape = (1, cfg.latent_channels, 1, 1, 1)
        mean = torch.tensor(cfg.latent_mean, dtype=like.dtype).view(shape)
        std = torch.tensor(cfg.latent_std, dtype=like.dtype).view(shape)
        return mean, std

    def normalize(self, latents_bcthw: torch.Tensor) -> torch.Tensor:
        """Per-channel standardised latents (~zero mean, unit variance)."""
        mean, std = self._stats(latents_bcthw)
        return (latents_bcthw - mean) / std

    def denormalize(self, latents_bcthw: torch.Tensor) -> torch.Tensor:
        """Inverse of ``normalize``."""
        mean, std = self._stats(latents_bcthw)
        return latents_bcthw * std + mean

    # -- streaming ------------------------------------------------------------

    @torch.no_grad()
    def encode_chunks(self, chunks_bcthw: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
        """Stream-encode a video given as consecutive frame chunks of any sizes.

        Yields latent chunks whose concatenation along t equals ``encode`` of the
        whole video. Memory holds one input chunk plus fewer than 4 leftover frames.
        """
        g = self.cfg.t_group
        carry: torch.Tensor | None = None  # frames waiting to complete a group
        started = False
        for chunk in chunks_bcthw:
            if chunk.shape[2] == 0:
                continue
            if not started:
                self._check_video(chunk[:, :, :1], whole=True)
                yield self.encode(chunk[:, :, :1])
                chunk, started = chunk[:, :, 1:], True
            frames = chunk if carry is None else torch.cat([carry, chunk], dim=2)
            whole = frames.shape[2] // g * g
            if whole:
                yield self.encode_groups(frames[:, :, :whole])
            carry = frames[:, :, whole:] if frames.shape[2] > whole else None
        if carry is not None:
            raise InputError(
                f"video length must be 1 + {g}k frames; {carry.shape[2]} frames left over (pad with pad_frames_bcthw)"
            )

    @torch.no_grad()
    def decode_chunks(self, latent_chunks_bcthw: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
        """Stream-decode consecutive latent chunks; the cache is one latent frame.

        The concatenation of the yielded frame chunks equals ``decode`` of the
        concatenated latents.
        """
        prev: torch.Tensor | None = None
        for chunk in latent_chunks_bcthw:
            if chunk.shape[2] == 0:
                continue
            yield self.decode(chunk, prev)
            prev = chunk[:, :, -1]


# ---------------------------------------------------------------------------
# Presets, frames ↔ tensors, save / load
# ---------------------------------------------------------------------------

VAE_PRESETS: dict[str, VAEConfig] = {
    "vae-tiny": VAEConfig(
        name="vae-tiny",
        stem_width=16,
        stem_blocks=1,
        width=32,
        blocks=1,
        refine_width=4,
        latent_channels=8,
    ),
    "vae-s": VAEConfig(name="vae-s"),
    # v2 (issue 20): 4× space, 8 channels → 16×16×8 latents at 64 px, circular
    # padding. Objects span 4–7.5 cells and move 0.75–2.75 cells per latent, so
    # motion is (mostly) a token shift for the DiT rather than a rewrite of codes.
    "vae-m4": VAEConfig(
        name="vae-m4", stem_patch=2, stem_width=64, width=128, latent_channels=8,
        padding_mode="circular",
    ),  # fmt: skip
}
# the v2 geometry at test size
VAE_PRESETS["vae-m4-tiny"] = replace(
    VAE_PRESETS["vae-tiny"], name="vae-m4-tiny", stem_patch=2, stem_width=8, width=16,
    latent_channels=4, padding_mode="circular",
)  # fmt: skip


def vae_config(preset: str, **overrides) -> VAEConfig:
    """A copy of a named preset with ``overrides`` applied."""
    if preset not in VAE_PRESETS:
        raise InputError(f"unknown VAE preset {preset!r}; choose from {sorted(VAE_PRESETS)}")
    return replace(VAE_PRESETS[preset], **overrides)


def frames_to_bcthw(frames_thwc: np.ndarray) -> torch.Tensor:
    """uint8 ``(t, H, W, 3)`` frames → float ``(1, 3, t, H, W)`` video in [-1, 1]."""
    if frames_thwc.dtype != np.uint8 or frames_thwc.ndim != 4:
        raise InputError(
            f"frames must be uint8 (t, H, W, 3); got {frames_thwc.dtype} {frames_thwc.shape}"
        )
    x = torch.from_numpy(np.ascontiguousarray(frames_thwc)).permute(3, 0, 1, 2)  # c t H W
    return (x.float() / 127.5 - 1.0).unsqueeze(0)


def bcthw_to_frames(video_bcthw: torch.Tensor) -> np.ndarray:
    """Float ``(1, 3, t, H, W)`` video in [-1, 1] → uint8 ``(t, H, W, 3)`` frames."""
    x = ((video_bcthw[0].clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)  # c t H W
    return x.permute(1, 2, 3, 0).numpy()


def pad_frames_bcthw(video_bcthw: torch.Tensor, t_group: int = 4) -> torch.Tensor:
    """Repeat the last frame so the video has ``1 + t_group·k`` frames."""
    extra = (-(video_bcthw.shape[2] - 1)) % t_group
    if not extra:
        return video_bcthw
    last = video_bcthw[:, :, -1:]
    return torch.cat([video_bcthw, last.expand(-1, -1, extra, -1, -1)], dim=2)


def save_vae(model: VideoVAE, path: str | Path) -> None:
    """Write ``<path>.safetensors`` weights and ``<path>.json`` config."""
    from safetensors.torch import save_file

    path = Path(path).with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path.with_suffix(".safetensors")))
    path.with_suffix(".json").write_text(model.cfg.to_json() + "\n")


def load_vae(path: str | Path | None = None) -> VideoVAE:
    """Load a saved VAE (default: the shipped ``weights/vae``), in eval mode."""
    from safetensors.torch import load_file

    path = Path(path).with_suffix("") if path is not None else WEIGHTS_DIR / "vae"
    weights, config = path.with_suffix(".safetensors"), path.with_suffix(".json")
    if not weights.is_file() or not config.is_file():
        raise InputError(f"VAE weights not found: need {weights} and {config}")
    model = VideoVAE(VAEConfig.from_json(config.read_text()))
    model.load_state_dict(load_file(str(weights)))
    return model.eval()
