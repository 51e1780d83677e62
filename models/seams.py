"""Seam statistics of any generated clip: how much more the picture changes where chunks meet.

Model-independent (frames only, numpy ``thwc``): the review checks every
backend's shots with these, the benchmarks report them against DESIGN's bars.

* ``seam_ratio`` / ``seam_ratio_at`` — frame difference at chunk boundaries ÷
  within chunks (1 = invisible);
* ``seam_vs_latent_step`` — the change where chunks meet ÷ the change where
  latent frames meet inside chunks (what extension adds beyond the VAE's step).
"""

from __future__ import annotations

import numpy as np


def check_frames(frames: np.ndarray, name: str = "frames") -> np.ndarray:
    """``frames`` as float32 ``thwc``, refused unless an RGB array of ≥ 1 frame of ≥ 16×16 pixels."""
    if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3:
        shape = getattr(frames, "shape", type(frames).__name__)
        raise ValueError(f"{name} must be a numpy array (t, h, w, 3), got {shape}")
    if frames.shape[0] < 1 or min(frames.shape[1:3]) < 16:
        raise ValueError(f"{name} needs ≥ 1 frame of ≥ 16×16 pixels, got {frames.shape}")
    return frames.astype(np.float32)


def seam_ratio(frames: np.ndarray, chunk_frames: int) -> float:
    """Mean absolute frame difference at chunk boundaries ÷ mean within chunks (1.0 = invisible).

    Boundaries are between frames ``k·chunk_frames - 1`` and ``k·chunk_frames``.
    A clip with no change at all within chunks gives 1.0 if the seams are also
    still, else infinity.
    """
    f = check_frames(frames)
    if not isinstance(chunk_frames, (int, np.integer)) or chunk_frames < 2:
        raise ValueError(f"chunk_frames={chunk_frames!r} must be an integer ≥ 2")
    if len(f) <= chunk_frames:
        raise ValueError(f"{len(f)} frames hold no chunk boundary at chunk_frames={chunk_frames}")
    return seam_ratio_at(f, range(chunk_frames, len(f), chunk_frames))


def seam_ratio_at(frames: np.ndarray, starts) -> float:
    """``seam_ratio`` with the chunks' first frames given: ``starts`` (indices > 0) begin a new chunk.

    For chunks of unequal length, e.g. a backend whose opening chunk carries
    one frame more than the rest (a causal VAE's lone frame 0).
    """
    f = check_frames(frames)
    starts = sorted({int(s) for s in starts})
    if not starts or starts[0] < 1 or starts[-1] >= len(f):
        raise ValueError(f"chunk starts {starts} must lie in 1 … {len(f) - 1}")
    diffs = frame_changes(f)
    at_seam = np.zeros(len(diffs), dtype=bool)
    at_seam[np.asarray(starts) - 1] = True
    if at_seam.all():
        raise ValueError("every frame starts a chunk: nothing within chunks to compare with")
    return _change_ratio(float(diffs[at_seam].mean()), float(diffs[~at_seam].mean()))


def frame_changes(frames: np.ndarray) -> np.ndarray:
    """Mean absolute change from each frame to the next: ``out[i]`` is frame i → i+1."""
    return np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))


def _change_ratio(seam: float, reference: float) -> float:
    """``seam ÷ reference``; 1.0 when both are still, infinity when only the reference is."""
    if reference < 1e-6:
        return 1.0 if seam < 1e-6 else float("inf")
    return seam / reference


def seam_vs_latent_step(frames: np.ndarray, chunk_starts, latent_starts) -> float:
    """Change where chunks meet ÷ change where latent frames meet inside chunks (1.0 = no extra seam).

    A video VAE that compresses time decodes each latent frame to a few
    frames; if its decoder steps a little at every latent boundary, that step
    is in every chunk boundary too (they are latent boundaries) and inflates
    ``seam_ratio`` whatever the generator does. Comparing like with like
    leaves what extension adds. ``latent_starts`` that are also chunk starts
    are ignored; with no latent boundary inside a chunk this is an error.
    """
    f = check_frames(frames)
    seams = sorted({int(s) for s in chunk_starts if 0 < int(s) < len(f)})
    inner = sorted({int(s) for s in latent_starts if 0 < int(s) < len(f)} - set(seams))
    if not seams or not inner:
        raise ValueError(
            f"need chunk starts ({len(seams)}) and latent starts inside chunks ({len(inner)})"
        )
    diffs = frame_changes(f)
    return _change_ratio(
        float(diffs[np.asarray(seams) - 1].mean()), float(diffs[np.asarray(inner) - 1].mean())
    )
