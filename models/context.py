"""Context packing: reference and history latents → a fixed budget of DiT tokens.

The DiT sees one sequence, ``[reference tokens][history tokens][noisy target
tokens]``. This module builds the first two parts (``PackedContext``) from
latents, and owns the latent ↔ token layout (patchify, positions) that the
model uses for its target too, so the geometry is written once.

History packing is FramePack-style and geometric: the newest ``full`` latent
frames become tokens at full resolution, the next ``half`` frames are pooled
2× in time and space, the next ``quarter`` frames 4×; older frames are not
seen, except the shot's first latent frame, the *anchor*, which is always
there at full resolution. Every token carries its true (t, y, x) position —
the centre of the region it pools, time in latent frames relative to the
first target frame (history is negative) — for the model's 3-D RoPE. The
anchor's lag is clamped to ``anchor_max_lag``: past that, "long ago" is all
the model needs to know, and training covers the clamped value.

So the context never exceeds ``token_budget(...)`` tokens whatever the video
length (tests/models/test_context.py proves it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from longcut.errors import InputError
from longcut.limits import (
    MAX_REFS,  # also sizes the DiT's kind embeddings: changing it needs new weights
)

# Token kinds (the DiT adds a learned embedding per kind).
KIND_TARGET = 0
KIND_ANCHOR = 1
KIND_FULL = 2
KIND_HALF = 3
KIND_QUARTER = 4
KIND_REF0 = 5  # reference i has kind KIND_REF0 + i
N_KINDS = KIND_REF0 + MAX_REFS


@dataclass(frozen=True)
class PackingSpec:
    """Named sizes of the history packing (latent frames per level)."""

    full: int = 2  # newest frames, full resolution
    half: int = 4  # then pooled 2× in (t, y, x)
    quarter: int = 8  # then pooled 4× in (t, y, x)
    anchor_max_lag: int = 16  # the anchor sits at most this many latent frames back
    ref_time: float = -24.0  # time position given to reference tokens (outside any clip)

    @property
    def keep(self) -> int:
        """Latent frames of history worth keeping (``History.keep``)."""
        return self.full + self.half + self.quarter


@dataclass(frozen=True)
class PackedContext:
    """Context tokens shared by a batch: raw patch features, positions, kinds."""

    tokens: torch.Tensor  # (b, m, c·p·p) patch features
    pos: torch.Tensor  # (m, 3) float (t, y, x)
    kind: torch.Tensor  # (m,) long

    @property
    def n_tokens(self) -> int:
        """Number of context tokens."""
        return self.tokens.shape[1]

    def repeat(self, n: int) -> PackedContext:
        """The same context for ``n`` copies of the batch (e.g. CFG's two branches)."""
        return PackedContext(self.tokens.repeat(n, 1, 1), self.pos, self.kind)


def empty_context(batch: int, features: int) -> PackedContext:
    """A context with no tokens."""
    return PackedContext(
        torch.zeros(batch, 0, features), torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)
    )


def concat_contexts(parts: list[PackedContext]) -> PackedContext:
    """Concatenate contexts along the token axis, in order."""
    parts = [p for p in parts if p.n_tokens]
    if not parts:
        raise ValueError("concat_contexts needs at least one non-empty context")
    return PackedContext(
        torch.cat([p.tokens for p in parts], dim=1),
        torch.cat([p.pos for p in parts], dim=0),
        torch.cat([p.kind for p in parts], dim=0),
    )


# ---------------------------------------------------------------------------
# Latent ↔ token layout
# ---------------------------------------------------------------------------


def patchify_bcthw(x: torch.Tensor, p: int) -> torch.Tensor:
    """``(b, c, t, h, w)`` → ``(b, t·(h/p)·(w/p), c·p·p)``, tokens in (t, y, x) order."""
    b, c, t, h, w = x.shape
    if h % p or w % p:
        raise InputError(f"latent size {h}×{w} is not a multiple of the patch {p}")
    x = x.reshape(b, c, t, h // p, p, w // p, p)  # b c t gy p gx p
    x = x.permute(0, 2, 3, 5, 1, 4, 6)  # b t gy gx c p p
    return x.reshape(b, t * (h // p) * (w // p), c * p * p)


def unpatchify_bcthw(tokens: torch.Tensor, c: int, t: int, h: int, w: int, p: int) -> torch.Tensor:
    """Inverse of ``patchify_bcthw``: ``(b, n, c·p·p)`` → ``(b, c, t, h, w)``."""
    b = tokens.shape[0]
    x = tokens.reshape(b, t, h // p, w // p, c, p, p)  # b t gy gx c p p
    x = x.permute(0, 4, 1, 2, 5, 3, 6)  # b c t gy p gx p
    return x.reshape(b, c, t, h, w)


def grid_positions(times: list[float], h: int, w: int, p: int, scale: int = 1) -> torch.Tensor:
    """(t, y, x) centres of the tokens of a patchified grid, in latent units.

    ``h``, ``w`` are the sizes of the (possibly pooled) latent; ``scale`` is its
    pooling factor, so positions land where the pooled region sits in the
    full-resolution latent. Order matches ``patchify_bcthw``.
    """
    gy, gx = h // p, w // p
    cell = p * scale
    ys = torch.arange(gy, dtype=torch.float32) * cell + (cell - 1) / 2
    xs = torch.arange(gx, dtype=torch.float32) * cell + (cell - 1) / 2
    tt = torch.tensor(times, dtype=torch.float32)
    grid = torch.stack(torch.meshgrid(tt, ys, xs, indexing="ij"), dim=-1)  # t gy gx 3
    return grid.reshape(-1, 3)


# ---------------------------------------------------------------------------
# Packing
# ---------------------------------------------------------------------------


def _pooled_groups(
    frames: torch.Tensor, times: list[float], factor: int, p: int, kind: int
) -> PackedContext:
    """Pool ``frames`` (b, c, n, h, w) ``factor``× in time and space, then patchify.

    Groups are counted from the newest frame back; a partial group is the oldest.
    """
    b, c, n, h, w = frames.shape
    if h % (p * factor) or w % (p * factor):
        raise InputError(f"latent size {h}×{w} cannot be pooled {factor}× with patch {p}")
    toks, pos = [], []
    # groups counted from the newest frame backwards; a partial group is the oldest
    starts = list(range(n - factor, -factor, -factor))[::-1]
    for s in starts:
        lo = max(s, 0)
        group = frames[:, :, lo : s + factor].mean(dim=2, keepdim=True)  # b c 1 h w
        if factor > 1:
            group = F.avg_pool3d(group, (1, factor, factor))  # b c 1 h/f w/f
        toks.append(patchify_bcthw(group, p))
        t_centre = sum(times[lo : s + factor]) / (s + factor - lo)
        pos.append(grid_positions([t_centre], h // factor, w // factor, p, scale=factor))
    tokens = torch.cat(toks, dim=1)
    positions = torch.cat(pos, dim=0)
    return PackedContext(tokens, positions, torch.full((positions.shape[0],), kind, dtype=torch.long))


def pack_history(
    recent: torch.Tensor | None,
    anchor: torch.Tensor | None,
    anchor_lag: int,
    spec: PackingSpec,
    p: int,
) -> PackedContext | None:
    """Pack history latents into tokens.

    ``recent``: (b, c, L, h, w), the latent frames just before the target, oldest
    first (only the newest ``spec.keep`` are used). ``anchor``: (b, c, 1, h, w),
    the shot's first latent frame, ``anchor_lag`` latent frames before the
    target. Returns None when there is no history at all.
    """
    parts = []
    if anchor is not None:
        if anchor.ndim != 5 or anchor.shape[2] != 1:
            raise InputError(f"anchor must be (b, c, 1, h, w); got {tuple(anchor.shape)}")
        if anchor_lag < 1:
            raise InputError(f"anchor_lag must be >= 1, got {anchor_lag}")
        lag = min(anchor_lag, spec.anchor_max_lag)
        pos = grid_positions([-float(lag)], anchor.shape[3], anchor.shape[4], p)
        parts.append(
            PackedContext(patchify_bcthw(anchor, p), pos, torch.full((pos.shape[0],), KIND_ANCHOR))
        )
    if recent is not None and recent.shape[2] > 0:
        recent = recent[:, :, -spec.keep :]
        n = recent.shape[2]
        times = [float(i - n) for i in range(n)]  # oldest … newest = -n … -1
        levels = [(spec.full, 1, KIND_FULL), (spec.half, 2, KIND_HALF), (spec.quarter, 4, KIND_QUARTER)]
        end = n
        for count, factor, kind in levels:
            lo = max(end - count, 0)
            if end > lo:
                parts.append(_pooled_groups(recent[:, :, lo:end], times[lo:end], factor, p, kind))
            end = lo
        # the levels were built newest first; put them oldest first (reading order)
        parts = parts[:1] + parts[1:][::-1] if anchor is not None else parts[::-1]
    return concat_contexts(parts) if parts else None


def check_reference_count(n: int, max_refs: int = MAX_REFS) -> None:
    """Refuse more references than the model has index embeddings for."""
    if n > max_refs:
        raise InputError(f"{n} reference images given; the model takes at most {max_refs}")


def pack_references(refs: torch.Tensor, spec: PackingSpec, p: int) -> PackedContext:
    """Reference latents (b, c, R, h, w), one 1-frame latent each, → tokens with index kinds."""
    check_reference_count(refs.shape[2])
    parts = []
    for i in range(refs.shape[2]):
        ref = refs[:, :, i : i + 1]
        pos = grid_positions([spec.ref_time], ref.shape[3], ref.shape[4], p)
        parts.append(
            PackedContext(patchify_bcthw(ref, p), pos, torch.full((pos.shape[0],), KIND_REF0 + i))
        )
    return concat_contexts(parts)


def pack_context(
    *,
    references: torch.Tensor | None = None,
    recent: torch.Tensor | None = None,
    anchor: torch.Tensor | None = None,
    anchor_lag: int = 1,
    spec: PackingSpec,
    p: int,
) -> PackedContext | None:
    """``[reference tokens][history tokens]``; None when both are absent."""
    parts = []
    if references is not None and references.shape[2] > 0:
        parts.append(pack_references(references, spec, p))
    history = pack_history(recent, anchor, anchor_lag, spec, p)
    if history is not None:
        parts.append(history)
    return concat_contexts(parts) if parts else None


def token_budget(spec: PackingSpec, latent_hw: int, p: int, n_refs: int = MAX_REFS) -> int:
    """The most context tokens ``pack_context`` can produce (refs + anchor + history)."""
    per_frame = (latent_hw // p) ** 2
    hist = spec.full * per_frame
    hist += math.ceil(spec.half / 2) * per_frame // 4
    hist += math.ceil(spec.quarter / 4) * per_frame // 16
    return n_refs * per_frame + per_frame + hist
