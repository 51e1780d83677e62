"""What the diffusers backends (``wan``, ``ltx``) share: the window loop, frames in and out, the doctor line.

The weights folder (what it must hold, its settings, its id) is
``weights.py``; the device, dtype, offload and offline loading are
``runtime.py``.

A long shot is made of *windows*: one pipeline call each. ``WindowedDiffusersModel``
runs the window loop the way the tiny backend runs its chunk loop, and each
backend says how one window is made (``_run_window``). Continuity between
windows is kept **in latent space**: the newest ``keep`` latent frames of the
previous window become the first latent frames of the next one, and a
``callback_on_step_end`` (``PinPrefix``) writes them back into the pipeline's
latents after every step (noised to the step's level, or clean where the
pipeline treats them as clean conditioning), so the pipeline's output starts
with exactly the history latents, and the new latents are denoised next to
them. The whole window is decoded in one VAE call, so the decoder's causal
context covers the seam; the frames of the prefix are dropped.
"""

from __future__ import annotations

import abc
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.backends import base  # the shared seed and chunk-plan rules
from longcut.models.backends.base import Chunk, ClipRequest, History, ModelInfo, StepCallback
from longcut.models.backends.diffusers.runtime import RuntimeOptions, free_gpu_gib
from longcut.models.backends.diffusers.weights import (
    default_weights_dir,
    missing_weight_files,
    weights_id,
)

# -- windows -----------------------------------------------------------------------


def plan_windows(total_latents: int, window_latents: int, prefix_latents: int, fresh: bool) -> list[int]:
    """New latent frames per window.

    A fresh shot's first window is a whole window; later ones spend
    ``prefix_latents`` of it on history.
    """
    if window_latents <= prefix_latents:
        raise InputError(f"a window of {window_latents} latent frames leaves no room after {prefix_latents} of history")
    rest = window_latents - prefix_latents
    return base.chunk_plan(total_latents, window_latents if fresh else rest, rest)


def to_uint8_frames(video: np.ndarray) -> np.ndarray:
    """A pipeline's ``np`` output (1, t, h, w, 3) floats in [0, 1] → uint8 (t, h, w, 3)."""
    video = np.asarray(video)
    if video.ndim == 5:
        video = video[0]
    return (np.clip(video, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def fit_image(image: np.ndarray, width: int, height: int):
    """A uint8 (h, w, 3) image as a PIL image of exactly ``width``×``height`` (centre crop, then resize)."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(image)).convert("RGB")
    scale = max(width / im.width, height / im.height)
    w, h = max(width, round(im.width * scale)), max(height, round(im.height * scale))
    im = im.resize((w, h), Image.BICUBIC)
    left, top = (w - width) // 2, (h - height) // 2
    return im.crop((left, top, left + width, top + height))


class PinPrefix:
    """``callback_on_step_end`` that keeps the first latent frames of a window equal to the history.

    ``read``/``write`` convert between the pipeline's latent layout and
    ``bcthw`` (a VACE pipeline puts reference latents first; LTX packs tokens).
    With ``noisy`` the prefix is written at the noise level the latents have
    after step ``i`` (flow matching: ``(1 - σ) x0 + σ ε``); otherwise clean.
    It also reports progress to ``on_step`` (which may raise to cancel) and
    keeps the final latents, which are the ones the pipeline decodes.
    """

    def __init__(self, prefix: torch.Tensor | None, noise: torch.Tensor | None, noisy: bool,
                 read: Callable[[torch.Tensor], torch.Tensor], write: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                 steps: int, on_step: StepCallback | None):
        self.prefix, self.noise, self.noisy = prefix, noise, noisy
        self.read, self.write = read, write
        self.steps, self.on_step = steps, on_step
        self.final: torch.Tensor | None = None

    def __call__(self, pipe, i: int, t, kwargs: dict) -> dict:
        """Pin the prefix after step ``i``; remember the latents after the last step."""
        latents = kwargs["latents"]
        if self.prefix is not None:
            x = self.read(latents)  # 1 c T h w
            k = self.prefix.shape[2]
            pinned = self.prefix.to(x.device, torch.float32)
            if self.noisy:
                sigmas = pipe.scheduler.sigmas
                sigma = float(sigmas[i + 1]) if i + 1 < len(sigmas) else 0.0
                pinned = (1.0 - sigma) * pinned + sigma * self.noise.to(x.device, torch.float32)
            x = x.clone()
            x[:, :, :k] = pinned.to(x.dtype)
            latents = self.write(latents, x)
        if i == self.steps - 1:
            self.final = self.read(latents).detach().float().cpu()
        if self.on_step is not None:
            self.on_step(i + 1, self.steps)
        return {"latents": latents}


@dataclass
class Window:
    """What ``_run_window`` gets: one pipeline call's worth of work."""

    prompt: str
    num_frames: int  # pixel frames of the whole window, prefix included (1 + T·(latents − 1))
    prefix: torch.Tensor | None  # history latents to pin at the start (1, c, k, h, w), normalised
    cond_frames: np.ndarray | None  # uint8 (f, h, w, 3) pixels of the prefix, for pipelines that need pixels
    references: tuple[np.ndarray, ...]
    seed: int
    steps: int
    guidance: float


def scaled_speed(published: float | None, steps: int, native_steps: int) -> float | None:
    """A published wall-seconds-per-video-second figure at ``steps`` denoising steps (time is linear in steps)."""
    return None if published is None else published * steps / native_steps


class WindowedDiffusersModel(abc.ABC):
    """The window loop shared by the diffusers backends; subclasses make one window.

    Frame bookkeeping (T = the VAE's time compression): a fresh shot starts with
    latent 0 = frame 0, so it has ``1 + T·n`` frames; an extension adds T frames
    per latent. A shot of ``s`` seconds gets at least ``ceil(s · fps)`` frames.
    """

    name: str
    fps: int
    width: int
    height: int
    max_refs: int
    t_scale: int  # VAE time compression
    s_scale: int  # VAE space compression
    latent_channels: int
    window_latents: int
    keep: int
    steps: int
    guidance: float
    pixel_history: bool = False  # keep the prefix's pixels in History.extra["tail"]
    weights: Path

    # -- protocol -------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        """Name, fps, size, reference limit, frames per continuation window and weights id."""
        if getattr(self, "_weights_id", None) is None:
            self._weights_id = weights_id(self.weights)
        chunk = self.t_scale * (self.window_latents - self.keep)
        return ModelInfo(self.name, self.fps, self.width, self.height, self.max_refs, chunk, self._weights_id,
                         wall_per_video_second=getattr(self, "wall_per_video_second", None))

    def generate_image(self, prompt: str, seed: int = 0, references: tuple[np.ndarray, ...] = ()) -> np.ndarray:
        """One uint8 (h, w, 3) image: a one-frame generation."""
        request = ClipRequest(prompt, 1.0 / self.fps, seed=seed, references=references)
        request.check_refs(self.info)
        window = Window(prompt, 1, None, None, references, base.position_seed(seed, 0), self.steps, self.guidance)
        frames, _ = self._run_window(window, None)
        return frames[0]

    def generate(self, request: ClipRequest, history: History | None = None,
                 on_step: StepCallback | None = None) -> Iterator[Chunk]:
        """Yield one chunk per window until ``request.seconds`` of video exist; continue ``history`` if given."""
        request.check_refs(self.info)
        if request.steps is not None and request.steps < 1:
            raise InputError(f"steps must be at least 1, got {request.steps!r}")
        if history is not None:
            self.check_history(history)
        return self._windows(request, history, on_step)

    # -- steps ------------------------------------------------------------------

    def check_history(self, history: History) -> None:
        """Refuse a history made by another model or at another size."""
        lh, lw = self.height // self.s_scale, self.width // self.s_scale
        shape = tuple(history.recent.shape)
        if (len(shape) != 5 or shape[1] != self.latent_channels or shape[3:] != (lh, lw)
                or (history.frames_done - 1) % self.t_scale):
            raise InputError(f"history does not fit {self.name} at {self.width}x{self.height} (latents {shape}, "
                             f"{history.frames_done} frames done; expected (1, {self.latent_channels}, t, {lh}, {lw}))")
        if self.pixel_history and "tail" not in history.extra:
            raise InputError(f"{self.name} continues from pixels of the previous window too; this history has none "
                             "(was it made by another backend?)")

    def total_latents(self, seconds: float, fresh: bool) -> int:
        """Latent frames for ``seconds`` of video."""
        return base.latent_count(seconds, self.fps, self.t_scale, fresh)

    def _windows(self, request: ClipRequest, history: History | None, on_step: StepCallback | None) -> Iterator[Chunk]:
        steps = request.steps if request.steps is not None else self.steps
        guidance = request.guidance if request.guidance is not None else self.guidance
        plan = plan_windows(self.total_latents(request.seconds, history is None), self.window_latents, self.keep,
                            fresh=history is None)
        for index, n_new in enumerate(plan):
            done = 0 if history is None else 1 + (history.frames_done - 1) // self.t_scale
            prefix = cond = None
            if history is not None:
                k = min(self.keep, history.recent.shape[2])
                prefix = history.recent[:, :, -k:]
                if self.pixel_history:
                    cond = history.extra["tail"].numpy()[-(1 + self.t_scale * (k - 1)):]
            n_lat = n_new + (0 if prefix is None else prefix.shape[2])
            window = Window(request.prompt, 1 + self.t_scale * (n_lat - 1), prefix, cond, request.references,
                            base.position_seed(request.seed, done), steps, guidance)
            frames, latents = self._run_window(window, on_step)  # all frames of the window; 1 c n_lat h w
            start = 0 if history is None else history.frames_done
            if prefix is not None:
                frames = frames[1 + self.t_scale * (prefix.shape[2] - 1):]  # drop the prefix's frames
                history = history.appended(latents[:, :, prefix.shape[2]:], frames.shape[0])
            else:
                history = History(latents[:, :, :1].clone(), latents[:, :, -self.keep:].clone(), frames.shape[0],
                                  self.keep)
            if not self.pixel_history:
                history.extra.pop("tail", None)  # pixels from another backend would be stale after this window
            else:
                tail = 1 + self.t_scale * (self.keep - 1)
                old = history.extra.get("tail")
                joined = frames if old is None else np.concatenate([old.numpy(), frames])
                history.extra["tail"] = torch.from_numpy(np.ascontiguousarray(joined[-tail:]))
            yield Chunk(index, start, frames, latents[:, :, n_lat - n_new:], history)

    @abc.abstractmethod
    def _run_window(self, window: Window, on_step: StepCallback | None) -> tuple[np.ndarray, torch.Tensor]:
        """One pipeline call: uint8 frames (t, h, w, 3) of the whole window and its latents (1, c, t', h', w')."""


def window_latents_for(window_frames: int, keep: int, t_scale: int) -> int:
    """Latent frames in a window of ``window_frames`` frames; refuses windows and history that do not fit."""
    if not isinstance(window_frames, int) or window_frames < 1 + t_scale or (window_frames - 1) % t_scale:
        raise InputError(f"window_frames must be 1 + {t_scale}·n with n ≥ 1, got {window_frames!r}")
    latents = (window_frames - 1) // t_scale + 1
    if not isinstance(keep, int) or not 1 <= keep < latents:
        raise InputError(f"keep must be in [1, {latents - 1}] latent frames, got {keep!r}")
    return latents


def check_size(name: str, width: int, height: int, multiple: int) -> None:
    """Refuse a frame size the model cannot make."""
    for what, v in (("width", width), ("height", height)):
        if not isinstance(v, int) or v < multiple or v % multiple:
            raise InputError(f"{name}: {what} must be a positive multiple of {multiple}, got {v!r}")


def doctor_check() -> tuple[str, bool, str]:
    """``longcut doctor`` line: device, dtype, free GPU memory, which diffusers backends can load.

    It fails only when a package the diffusers backends need is missing.
    """
    from longcut.models.backends.diffusers.ltx import LTX_PRESETS, LTX_SPEC
    from longcut.models.backends.diffusers.wan import WAN_PRESETS

    runtime = RuntimeOptions.from_env()
    device, dtype = runtime.resolved_device(), runtime.resolved_dtype()
    parts = [f"device {device}, dtype {str(dtype).removeprefix('torch.')}"]
    free = free_gpu_gib()
    parts.append("no CUDA GPU" if free is None else f"{free:.1f} GiB GPU memory free")
    missing_pkgs = [pkg for pkg in ("accelerate", "ftfy") if importlib.util.find_spec(pkg) is None]
    parts += [f"missing package {pkg} (pip install {pkg})" for pkg in missing_pkgs]
    specs = {name: p.spec for name, p in WAN_PRESETS.items()} | {name: LTX_SPEC for name in LTX_PRESETS}
    ready, absent = [], []
    for name, spec in specs.items():
        folder = default_weights_dir(name)
        missing = missing_weight_files(folder, spec) if folder.is_dir() else None
        if missing is None:
            absent.append(name)
        elif missing:
            parts.append(f"{name}: {folder} lacks {', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}")
        else:
            ready.append(name)
    if absent:
        parts.append(f"no weights for {', '.join(absent)} in {default_weights_dir('<name>')} "
                     "(or pass --weights; docs/gpu.md says where to get them)")
    parts.insert(2, "can load: " + (", ".join(ready) if ready else "none yet"))
    # not having downloaded any weights is normal (the tiny model needs none); a missing package is not
    return "diffusers backends", not missing_pkgs, "; ".join(parts)
