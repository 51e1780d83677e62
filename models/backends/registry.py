"""Backends by name: ``load_backend("tiny")`` and, with a weights folder, the diffusers ones."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from longcut.errors import InputError
from longcut.models.backends.base import VideoModel


def _tiny(weights: Path | None) -> VideoModel:
    from longcut.models.backends.tiny import WEIGHTS_DIR, TinyVideoModel

    return TinyVideoModel(weights_dir=weights or WEIGHTS_DIR)


LOADERS: dict[str, Callable[[Path | None], VideoModel]] = {"tiny": _tiny}


def backend_names() -> list[str]:
    """Names accepted by ``--model``."""
    return sorted(LOADERS)


@functools.cache
def load_backend(name: str, weights: Path | None = None) -> VideoModel:
    """Load (once per process) the backend called ``name``."""
    if name not in LOADERS:
        raise InputError(f"unknown model {name!r}; available: {', '.join(backend_names())}")
    return LOADERS[name](Path(weights) if weights is not None else None)
