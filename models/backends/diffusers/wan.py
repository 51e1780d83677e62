"""Wan2.1 backends through diffusers: text→video (``WanPipeline``) and VACE (``WanVACEPipeline``).

``--model wan-1.3b`` / ``wan-14b`` make video from text; ``wan-vace-1.3b`` /
``wan-vace-14b`` add reference images (``reference_images=``, up to
``MAX_VACE_REFS``) and extension by conditioning frames + mask. Weights come
from a local folder in diffusers layout (the Wan-AI "-Diffusers" repos); see
``docs/gpu.md``.

A long shot is a series of windows (81 frames = 21 latent frames by default,
Wan's native length) made by the shared window loop in ``common``:

1. check inputs (size, references, history shape);
2. the pipeline encodes the prompt (UMT5) and, for VACE, the conditioning video,
   mask and references;
3. the denoising loop runs with ``PinPrefix`` as ``callback_on_step_end``: the
   first ``keep`` latent frames of a continuation window are the previous
   window's newest latents, written back after every step at the step's noise
   level, so history stays **in latent space** and the output's prefix is
   exactly the history;
4. the pipeline decodes the whole window (prefix + new latents) in one call of
   the causal VAE; the prefix's frames are dropped.

What the pipelines forced:

* ``WanPipeline`` (Wan2.1 T2V) has no conditioning input at all, so latent
  replacement through the step callback is the only way to continue a shot; all
  tokens share one timestep, which is why the prefix is re-noised each step.
  The shot's anchor latent is kept in ``History`` but has nowhere to go.
* ``WanVACEPipeline`` takes conditioning only as **pixels** (``video`` + ``mask``,
  VAE-encoded inside the pipeline). A continuation window therefore also gives
  it the decoded frames of the prefix (a fixed ``1 + 4·(keep − 1)`` frames,
  stored as uint8 in ``History.extra["tail"]``) with mask 0 over them; the
  output latents are still pinned to the history latents, so the re-encoded
  pixels only guide the model and never become the continuation.
* The first history latent sits at window position 0, which the causal VAE
  decodes as a single frame; those frames are dropped, so this only shifts the
  decoder's context by three frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.backends.base import StepCallback
from longcut.models.backends.diffusers.common import (
    PinPrefix,
    Window,
    WindowedDiffusersModel,
    check_size,
    fit_image,
    scaled_speed,
    to_uint8_frames,
    window_latents_for,
)
from longcut.models.backends.diffusers.runtime import RuntimeOptions, load_pipeline
from longcut.models.backends.diffusers.weights import WeightsSpec, folder_settings, pick

FPS = 16  # Wan2.1's native frame rate
WINDOW_FRAMES = 81  # Wan2.1's native clip length (21 latent frames)
KEEP_LATENTS = 4  # history latents carried into the next window (13 frames ≈ 0.8 s)
MAX_VACE_REFS = 3
NEGATIVE_PROMPT = ("blurry, low quality, worst quality, jpeg artifacts, distorted, deformed, static, still frame, "
                   "overexposed, subtitles, watermark, text, extra limbs, messy background")


@dataclass(frozen=True)
class WanPreset:
    """A named Wan2.1 model: its weights layout, native size and what it takes."""

    spec: WeightsSpec
    vace: bool
    width: int
    height: int
    need_gib: float  # GPU memory to hold the pipeline (bf16) without offload: above it, "auto" offloads
    steps: int = 50
    guidance: float = 5.0
    # Published speed at the native size and steps (docs/gpu.md): Wan-AI's 5 s of 480p in ~4 min on an
    # RTX 4090 for the 1.3B models; none published for 14B (the cost model waits for records).
    published_wall_per_second: float | None = None

    @property
    def max_refs(self) -> int:
        """Reference images the model takes."""
        return MAX_VACE_REFS if self.vace else 0


def _spec(cls: str, repo: str) -> WeightsSpec:
    return WeightsSpec(pipelines=(cls,), repo=repo)


WAN_PRESETS: dict[str, WanPreset] = {
    "wan-1.3b": WanPreset(_spec("WanPipeline", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"), False, 832, 480, 20.0,
                          published_wall_per_second=48.0),
    "wan-14b": WanPreset(_spec("WanPipeline", "Wan-AI/Wan2.1-T2V-14B-Diffusers"), False, 1280, 720, 48.0),
    "wan-vace-1.3b": WanPreset(_spec("WanVACEPipeline", "Wan-AI/Wan2.1-VACE-1.3B-diffusers"), True, 832, 480, 22.0,
                               published_wall_per_second=48.0),
    "wan-vace-14b": WanPreset(_spec("WanVACEPipeline", "Wan-AI/Wan2.1-VACE-14B-diffusers"), True, 1280, 720, 52.0),
}


class WanVideoModel(WindowedDiffusersModel):
    """``VideoModel`` over a Wan2.1 diffusers folder (T2V or VACE, per ``preset``)."""

    def __init__(self, weights: str | Path, preset: str = "wan-1.3b", *, width: int | None = None,
                 height: int | None = None, window_frames: int | None = None, keep: int | None = None,
                 steps: int | None = None, guidance: float | None = None, negative_prompt: str | None = None,
                 runtime: RuntimeOptions | None = None):
        if preset not in WAN_PRESETS:
            raise InputError(f"unknown Wan preset {preset!r}; available: {', '.join(WAN_PRESETS)}")
        p = WAN_PRESETS[preset]
        from diffusers import AutoencoderKLWan, WanPipeline

        if p.vace:
            from diffusers import WanVACEPipeline  # imports ftfy (unguarded in diffusers)

            cls = WanVACEPipeline
        else:
            cls = WanPipeline
        self.name, self.weights, self.vace = preset, Path(weights), p.vace
        cfg = folder_settings(self.weights)  # before the weights: a bad file fails fast
        self.pipe = load_pipeline(cls, self.weights, p.spec, preset, runtime or RuntimeOptions.from_env(), p.need_gib,
                                  fp32_vae_cls=AutoencoderKLWan)
        self.t_scale = self.pipe.vae_scale_factor_temporal
        self.s_scale = self.pipe.vae_scale_factor_spatial
        self.latent_channels = self.pipe.vae.config.z_dim
        self.width, self.height = pick(width, cfg, "width", p.width), pick(height, cfg, "height", p.height)
        window_frames = pick(window_frames, cfg, "window_frames", WINDOW_FRAMES)
        keep = pick(keep, cfg, "keep", KEEP_LATENTS)
        check_size(preset, self.width, self.height, self.s_scale * self.pipe.transformer.config.patch_size[1])
        self.window_latents = window_latents_for(window_frames, keep, self.t_scale)
        self.keep, self.fps, self.max_refs = keep, FPS, p.max_refs
        self.steps, self.guidance = pick(steps, cfg, "steps", p.steps), pick(guidance, cfg, "guidance", p.guidance)
        self.negative_prompt = pick(negative_prompt, cfg, "negative_prompt", NEGATIVE_PROMPT)
        self.pixel_history = p.vace
        self.wall_per_video_second = scaled_speed(p.published_wall_per_second, self.steps, p.steps)
        self._weights_id = None

    def _run_window(self, window: Window, on_step: StepCallback | None) -> tuple[np.ndarray, torch.Tensor]:
        """One ``WanPipeline`` / ``WanVACEPipeline`` call; frames and latents of the whole window."""
        refs = [fit_image(r, self.width, self.height) for r in window.references] if self.vace else []
        n_refs = len(refs)  # VACE puts one latent frame per reference before the video's

        def read(latents: torch.Tensor) -> torch.Tensor:
            return latents[:, :, n_refs:]

        def write(latents: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([latents[:, :, :n_refs], x.to(latents.dtype)], dim=2)

        noise = None
        if window.prefix is not None:
            noise = torch.randn(window.prefix.shape, generator=torch.Generator().manual_seed(window.seed ^ 0x5EED))
        pin = PinPrefix(window.prefix, noise, True, read, write, window.steps, on_step)
        kwargs = dict(prompt=window.prompt, negative_prompt=self.negative_prompt, height=self.height, width=self.width,
                      num_frames=window.num_frames, num_inference_steps=window.steps, guidance_scale=window.guidance,
                      generator=torch.Generator().manual_seed(window.seed), output_type="np",
                      callback_on_step_end=pin, callback_on_step_end_tensor_inputs=["latents"])
        if self.vace:
            kwargs["reference_images"] = refs or None
            if window.cond_frames is not None:
                kwargs["video"], kwargs["mask"] = self._vace_video_and_mask(window.cond_frames, window.num_frames)
        video = self.pipe(**kwargs).frames
        if pin.final is None:  # the pipeline skipped its loop: our bug, not the user's
            raise RuntimeError(f"{self.name}: the pipeline ran no denoising step")
        return to_uint8_frames(video), pin.final

    def _vace_video_and_mask(self, cond: np.ndarray, num_frames: int) -> tuple[list, list]:
        """VACE's pixel conditioning: the prefix's frames kept (mask 0), grey frames to generate (mask 1)."""
        from PIL import Image

        grey = Image.new("RGB", (self.width, self.height), (127, 127, 127))
        keep, fill = Image.new("L", grey.size, 0), Image.new("L", grey.size, 255)
        video = [fit_image(f, self.width, self.height) for f in cond] + [grey] * (num_frames - len(cond))
        mask = [keep] * len(cond) + [fill] * (num_frames - len(cond))
        return video, mask
