"""LTX-Video backend through diffusers' ``LTXConditionPipeline`` (conditions at frame indices).

``--model ltx`` makes video from text; one reference image becomes the
condition at frame 0 of the shot (image→video: LTX has no subject-reference
input), and a shot is extended forward window by window. Weights come from a
local folder in diffusers layout (``Lightricks/LTX-Video-0.9.5``); see
``docs/gpu.md``.

The window loop is the shared one (``common``); one window is:

1. check inputs; build the conditions: the previous window's tail at frame 0
   for a continuation, else the reference image (if any) at frame 0;
2. the pipeline encodes the prompt (T5) and VAE-encodes the conditions; their
   latent frames are marked clean (per-token timestep 0);
3. the denoising loop runs with ``PinPrefix`` as ``callback_on_step_end``,
   which writes the exact history latents over the conditioned latent frames
   after every step (clean: the pipeline treats them as clean), so the output
   starts with the history latents, not with their decode→re-encode;
4. the pipeline decodes the whole window; the prefix's frames are dropped.

What the pipeline forced: ``LTXConditionPipeline`` takes conditions only as
**pixels** (images / videos of ``1 + 8·k`` frames, encoded inside). So a
continuation also carries the decoded frames of the prefix — a fixed
``1 + T·(keep − 1)`` frames, uint8, in ``History.extra["tail"]`` — and the first
denoising step sees their re-encoding (plus the pipeline's conditioning noise)
before ``PinPrefix`` restores the true latents.
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

FPS = 24  # LTX-Video's native frame rate (also given to the model as frame_rate)
WINDOW_FRAMES = 161  # 21 latent frames at 8× time compression
KEEP_LATENTS = 2  # history latents carried into the next window (9 frames)
NEGATIVE_PROMPT = "worst quality, inconsistent motion, blurry, jittery, distorted"

LTX_SPEC = WeightsSpec(pipelines=("LTXPipeline", "LTXConditionPipeline", "LTXImageToVideoPipeline"),
                       repo="Lightricks/LTX-Video-0.9.5")


@dataclass(frozen=True)
class LtxPreset:
    """A named LTX-Video model: native size and sampling defaults."""

    width: int
    height: int
    need_gib: float  # GPU memory to hold the pipeline (bf16) without offload
    steps: int = 40
    guidance: float = 3.0
    decode_timestep: float = 0.05  # used only by VAEs with timestep conditioning (0.9.1+)
    decode_noise_scale: float = 0.025
    # Published speed at the native size and steps (docs/gpu.md): "faster than it can be watched" on an H100.
    published_wall_per_second: float | None = None


LTX_PRESETS: dict[str, LtxPreset] = {"ltx": LtxPreset(768, 512, 24.0, published_wall_per_second=1.0)}


class LtxVideoModel(WindowedDiffusersModel):
    """``VideoModel`` over an LTX-Video diffusers folder."""

    def __init__(self, weights: str | Path, preset: str = "ltx", *, width: int | None = None,
                 height: int | None = None, window_frames: int | None = None, keep: int | None = None,
                 steps: int | None = None, guidance: float | None = None, negative_prompt: str | None = None,
                 runtime: RuntimeOptions | None = None):
        if preset not in LTX_PRESETS:
            raise InputError(f"unknown LTX preset {preset!r}; available: {', '.join(LTX_PRESETS)}")
        p = LTX_PRESETS[preset]
        from diffusers import LTXConditionPipeline

        self.name, self.weights, self.preset = preset, Path(weights), p
        cfg = folder_settings(self.weights)  # before the weights: a bad file fails fast
        self.pipe = load_pipeline(LTXConditionPipeline, self.weights, LTX_SPEC, preset,
                                  runtime or RuntimeOptions.from_env(), p.need_gib)
        self.t_scale = self.pipe.vae_temporal_compression_ratio
        self.s_scale = self.pipe.vae_spatial_compression_ratio
        self.latent_channels = self.pipe.transformer.config.in_channels
        self.width, self.height = pick(width, cfg, "width", p.width), pick(height, cfg, "height", p.height)
        window_frames = pick(window_frames, cfg, "window_frames", WINDOW_FRAMES)
        keep = pick(keep, cfg, "keep", KEEP_LATENTS)
        check_size(preset, self.width, self.height, self.s_scale * self.pipe.transformer_spatial_patch_size)
        self.window_latents = window_latents_for(window_frames, keep, self.t_scale)
        self.keep, self.fps, self.max_refs = keep, FPS, 1
        self.steps, self.guidance = pick(steps, cfg, "steps", p.steps), pick(guidance, cfg, "guidance", p.guidance)
        self.negative_prompt = pick(negative_prompt, cfg, "negative_prompt", NEGATIVE_PROMPT)
        self.pixel_history = True
        self.wall_per_video_second = scaled_speed(p.published_wall_per_second, self.steps, p.steps)
        self._weights_id = None

    def _run_window(self, window: Window, on_step: StepCallback | None) -> tuple[np.ndarray, torch.Tensor]:
        """One ``LTXConditionPipeline`` call; frames and latents of the whole window."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        pipe = self.pipe
        n_lat = (window.num_frames - 1) // self.t_scale + 1
        lh, lw = self.height // self.s_scale, self.width // self.s_scale
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size

        def read(latents: torch.Tensor) -> torch.Tensor:  # (1, tokens, d) → (1, c, t, h, w)
            return pipe._unpack_latents(latents, n_lat, lh, lw, p, pt)

        def write(latents: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return pipe._pack_latents(x.to(latents.dtype), p, pt)

        conditions = []
        if window.cond_frames is not None:
            frames = [fit_image(f, self.width, self.height) for f in window.cond_frames]
            conditions.append(LTXVideoCondition(video=frames, frame_index=0, strength=1.0))
        elif window.references:
            conditions.append(LTXVideoCondition(image=fit_image(window.references[0], self.width, self.height),
                                                frame_index=0, strength=1.0))
        pin = PinPrefix(window.prefix, None, False, read, write, window.steps, on_step)
        video = pipe(conditions=conditions or None, prompt=window.prompt, negative_prompt=self.negative_prompt,
                     height=self.height, width=self.width, num_frames=window.num_frames, frame_rate=self.fps,
                     num_inference_steps=window.steps, guidance_scale=window.guidance,
                     generator=torch.Generator().manual_seed(window.seed),
                     decode_timestep=self.preset.decode_timestep, decode_noise_scale=self.preset.decode_noise_scale,
                     output_type="np", callback_on_step_end=pin, callback_on_step_end_tensor_inputs=["latents"]).frames
        if pin.final is None:  # the pipeline skipped its loop: our bug, not the user's
            raise RuntimeError(f"{self.name}: the pipeline ran no denoising step")
        return to_uint8_frames(video), pin.final
