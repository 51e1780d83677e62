"""Validating the evaluator on rendered world clips: the per-attribute accuracy table.

Shared by ``bench/bench_evaluator.py`` (≥ 500 clips) and the CI test (a small
sample). Clips are rendered windows of sampled scenes, read clean, mildly
blurred (like a VAE reconstruction) or blurred with noise.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict

import numpy as np
from scipy import ndimage

from longcut.models.evaluate import attribute_hits, read_clip
from longcut.models.world import APART_FRAMES, render_frames, sample_scene
from longcut.models.world_vocab import SceneSpec

CONDITIONS: tuple[str, ...] = ("clean", "blur", "blur_noise")
SEED0 = 3_000_000  # scenes for validation: away from the training and DiT-eval seeds


def degrade(frames: np.ndarray, condition: str, rng: random.Random) -> np.ndarray:
    """``clean``; ``blur``: Gaussian σ 0.5–1.0 px; ``blur_noise``: that plus noise σ 3 (uint8 thwc)."""
    if condition == "clean":
        return frames
    if condition not in CONDITIONS:
        raise ValueError(f"condition={condition!r}; allowed: {', '.join(CONDITIONS)}")
    sigma = rng.uniform(0.5, 1.0)
    f = ndimage.gaussian_filter(frames.astype(np.float32), sigma=(0, sigma, sigma, 0))
    if condition == "blur_noise":
        f = f + np.random.default_rng(rng.randrange(2**31)).normal(0.0, 3.0, f.shape)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def window_event(scene: SceneSpec, start: int, count: int) -> str | None | bool:
    """The event a window shows: the scene's if it covers most of the transition, None if none of
    it, False when ambiguous (skip).
    """
    if scene.event is None:
        return None
    a, b = scene.event_start, scene.event_start + scene.event_frames
    overlap = max(0, min(b, start + count) - max(a, start))
    if overlap >= 0.6 * scene.event_frames:
        return scene.event
    return None if overlap == 0 else False


def validate(n_clips: int, frames: int = 24, conditions: tuple[str, ...] = CONDITIONS,
             seed0: int = SEED0, max_start: int = 400) -> dict:
    """Read ``n_clips`` rendered clips per condition; accuracy per attribute and the misreads."""
    hits: dict[str, dict[str, list[bool]]] = {c: defaultdict(list) for c in conditions}
    misses: list[dict] = []
    for i in range(n_clips):
        rng = random.Random(seed0 + i)
        scene = sample_scene(seed0 + i)
        if len(scene.objects) == 2:  # within the world's no-overlap horizon: both objects visible
            start = 0 if i % 2 == 0 else rng.randrange(max(1, APART_FRAMES - frames + 1))
        else:
            start = 0 if i % 2 == 0 else rng.randrange(max_start)
        clip = render_frames(scene, start, frames)
        expected = scene.attributes
        ev = window_event(scene, start, frames)
        for cond in conditions:
            f = degrade(clip, cond, rng)
            reading = read_clip(f)
            got = attribute_hits(reading, dataclasses.replace(expected, event=ev or None), len(f))
            if ev is False:
                got.pop("event", None)
            for k, v in got.items():
                hits[cond][k].extend(v)
            bad = sorted(k for k, v in got.items() if not all(v))
            if bad and len(misses) < 40:
                misses.append({"seed": seed0 + i, "start": start, "condition": cond, "wrong": bad})
    table = {c: {k: float(np.mean(v)) for k, v in sorted(h.items())} for c, h in hits.items()}
    overall: dict[str, list[bool]] = defaultdict(list)
    for h in hits.values():
        for k, v in h.items():
            overall[k].extend(v)
    return {"accuracy": table, "overall": {k: float(np.mean(v)) for k, v in sorted(overall.items())},
            "samples": {k: len(v) for k, v in sorted(overall.items())}, "misreads": misses}
