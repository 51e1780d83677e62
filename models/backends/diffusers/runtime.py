"""Where a diffusers pipeline runs: device, dtype, offload, and loading it from a folder offline.

Nothing here ever reaches the model hub: pipelines load with
``local_files_only=True`` from a folder ``weights.check_weights_folder`` has
accepted.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from longcut.errors import InputError, LongcutError
from longcut.models.backends.diffusers.weights import WeightsSpec, check_weights_folder

OFFLOAD_MODES = ("auto", "none", "model", "sequential")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass(frozen=True)
class RuntimeOptions:
    """Where and how a pipeline runs. ``None`` means the per-device default.

    Defaults: CUDA when available, in bfloat16, with VAE tiling and slicing;
    ``offload="auto"`` moves the whole pipeline to the GPU when it fits in the
    free memory and uses model CPU offload otherwise. On CPU: float32, no
    offload, no tiling. ``from_env`` reads ``LONGCUT_DEVICE``, ``LONGCUT_DTYPE``,
    ``LONGCUT_OFFLOAD`` and ``LONGCUT_VAE_TILING`` (the CLI and the API use it).
    """

    device: str | None = None
    dtype: str | None = None
    offload: str = "auto"
    vae_tiling: bool | None = None

    def __post_init__(self) -> None:
        if self.dtype is not None and self.dtype not in DTYPES:
            raise InputError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.offload not in OFFLOAD_MODES:
            raise InputError(f"offload must be one of {', '.join(OFFLOAD_MODES)}, got {self.offload!r}")
        if self.device is not None and not (self.device == "cpu" or self.device.startswith("cuda")):
            raise InputError(f"device must be 'cpu' or 'cuda[:N]', got {self.device!r}")

    @classmethod
    def from_env(cls) -> RuntimeOptions:
        """Options from ``LONGCUT_*`` environment variables (unset: defaults)."""
        tiling = os.environ.get("LONGCUT_VAE_TILING")
        return cls(device=os.environ.get("LONGCUT_DEVICE") or None, dtype=os.environ.get("LONGCUT_DTYPE") or None,
                   offload=os.environ.get("LONGCUT_OFFLOAD") or "auto",
                   vae_tiling=None if tiling is None else tiling.lower() in ("1", "true", "yes", "on"))

    def resolved_device(self) -> str:
        """The device name to run on."""
        if self.device is not None:
            if self.device.startswith("cuda") and not torch.cuda.is_available():
                raise LongcutError(f"device {self.device!r} asked for, but torch sees no CUDA GPU ({torch.__version__})")
            return self.device
        return "cuda" if torch.cuda.is_available() else "cpu"

    def resolved_dtype(self) -> torch.dtype:
        """bfloat16 on CUDA, float32 on CPU, unless set."""
        if self.dtype is not None:
            return DTYPES[self.dtype]
        return torch.bfloat16 if self.resolved_device().startswith("cuda") else torch.float32


def free_gpu_gib(device: str | None = None) -> float | None:
    """Free memory of a CUDA device (default: the current one) in GiB; None without CUDA."""
    if not torch.cuda.is_available():
        return None
    free, _total = torch.cuda.mem_get_info(device)
    return free / 2**30


def load_pipeline(pipeline_cls, folder: Path, spec: WeightsSpec, model: str, runtime: RuntimeOptions,
                  need_gib: float, fp32_vae_cls=None):
    """Check ``folder``, load ``pipeline_cls`` from it offline, and place it per ``runtime``."""
    check_weights_folder(folder, spec, model)
    if importlib.util.find_spec("accelerate") is None:
        raise LongcutError(f"{model} needs the package 'accelerate' to load its weights: pip install accelerate")
    device, dtype = runtime.resolved_device(), runtime.resolved_dtype()
    kwargs = {}
    try:
        if fp32_vae_cls is not None and dtype != torch.float32:  # e.g. the Wan VAE: published and advised in fp32
            kwargs["vae"] = fp32_vae_cls.from_pretrained(folder / "vae", dtype=torch.float32, local_files_only=True)
        pipe = pipeline_cls.from_pretrained(folder, dtype=dtype, local_files_only=True, **kwargs)
    except (OSError, ValueError) as err:
        raise LongcutError(f"could not load {model} from {str(folder)!r}: {err}") from err
    for part in ("transformer", "vae", "text_encoder"):
        module = getattr(pipe, part, None)
        if module is not None:
            module.eval()  # dropout off: seeded runs repeat
    pipe.set_progress_bar_config(disable=True)
    _place(pipe, device, runtime.offload, need_gib)
    tiling = runtime.vae_tiling if runtime.vae_tiling is not None else device.startswith("cuda")
    if tiling:
        for method in ("enable_tiling", "enable_slicing"):
            if hasattr(pipe.vae, method):
                getattr(pipe.vae, method)()
    return pipe


def _place(pipe, device: str, offload: str, need_gib: float) -> None:
    if device == "cpu":
        if offload in ("model", "sequential"):
            raise InputError(f"offload {offload!r} needs a CUDA device; this run is on the CPU")
        pipe.to("cpu")
        return
    if offload == "auto":
        free = free_gpu_gib(device)
        offload = "model" if free is not None and free < need_gib else "none"
    if offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
