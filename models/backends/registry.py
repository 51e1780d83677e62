"""Backends by name: ``load_backend("tiny")``, the diffusers ones, or a custom ``module:Class``.

A custom backend is any importable class implementing ``VideoModel`` whose
constructor takes ``weights`` (a folder or None): ``--model mypkg.video:MyModel``.
Only the operator chooses one (CLI flag, server config); the job API accepts
model names from the server's allowlist only, so a client can never make the
server import code.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from pathlib import Path

from longcut.errors import InputError
from longcut.models.backends.base import ModelInfo, VideoModel

_CUSTOM_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _tiny(weights: Path | None) -> VideoModel:
    from longcut.models.backends.tiny import WEIGHTS_DIR, TinyVideoModel

    return TinyVideoModel(weights_dir=weights or WEIGHTS_DIR)


def _wan(preset: str) -> Callable[[Path | None], VideoModel]:
    def load(weights: Path | None) -> VideoModel:
        from longcut.models.backends.diffusers.wan import WanVideoModel
        from longcut.models.backends.diffusers.weights import default_weights_dir

        return WanVideoModel(weights or default_weights_dir(preset), preset)

    return load


def _ltx(weights: Path | None) -> VideoModel:
    from longcut.models.backends.diffusers.ltx import LtxVideoModel
    from longcut.models.backends.diffusers.weights import default_weights_dir

    return LtxVideoModel(weights or default_weights_dir("ltx"))


# Diffusers backends read a local folder: --weights PATH, else $LONGCUT_HOME/weights/<name> (docs/gpu.md).
LOADERS: dict[str, Callable[[Path | None], VideoModel]] = {
    "tiny": _tiny,
    "wan-1.3b": _wan("wan-1.3b"),
    "wan-14b": _wan("wan-14b"),
    "wan-vace-1.3b": _wan("wan-vace-1.3b"),
    "wan-vace-14b": _wan("wan-vace-14b"),
    "ltx": _ltx,
}


def backend_names() -> list[str]:
    """Names accepted by ``--model`` (besides ``module:Class``)."""
    return sorted(LOADERS)


def is_custom_spec(name: str) -> bool:
    """Whether ``name`` has the ``module:Class`` form of a custom backend."""
    return bool(_CUSTOM_RE.match(name))


def _custom(spec: str, weights: Path | None) -> VideoModel:
    module, _, cls_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module), cls_name)
    except (ImportError, AttributeError) as err:
        raise InputError(f"cannot load custom backend {spec!r}: {err}") from err
    try:
        model = cls(weights=weights) if weights is not None else cls()
    except TypeError as err:
        raise InputError(f"cannot construct custom backend {spec!r}: {err}") from err
    if not isinstance(model, VideoModel):
        raise InputError(f"{spec!r} does not implement the VideoModel protocol (info, generate_image, generate)")
    return model


def load_backend(name: str, weights: Path | str | None = None) -> VideoModel:
    """Load (once per process) the backend called ``name``, from ``weights`` (None: its default).

    One load per (name, weights folder), however the caller spells them:
    ``load_backend("tiny")`` and ``load_backend("tiny", None)`` are the same
    model, as are a ``str`` and a ``Path`` of the same folder.
    """
    return _load(name, Path(weights) if weights is not None else None)


def forget_loaded_backends() -> None:
    """Drop every loaded backend (tests that swap weights or environment between cases)."""
    _load.cache_clear()


def _describe_tiny(weights: Path | None) -> ModelInfo:
    from longcut.models.backends.tiny import WEIGHTS_DIR, describe

    return describe(weights or WEIGHTS_DIR)


# Backends that can say what they make without loading their weights (planning before paying).
DESCRIBERS: dict[str, Callable[[Path | None], ModelInfo]] = {"tiny": _describe_tiny}


def describe_backend(name: str, weights: Path | None = None) -> ModelInfo:
    """The ``ModelInfo`` of backend ``name``, without loading weights where it can (``DESCRIBERS``).

    Any other backend is loaded (once per process) and asked.
    """
    if name in DESCRIBERS:
        return DESCRIBERS[name](Path(weights) if weights is not None else None)
    return load_backend(name, weights).info


@functools.cache
def _load(name: str, weights: Path | None) -> VideoModel:
    if name in LOADERS:
        return LOADERS[name](weights)
    if _CUSTOM_RE.match(name):
        return _custom(name, weights)
    raise InputError(f"unknown model {name!r}; available: {', '.join(backend_names())} (or module:Class)")
