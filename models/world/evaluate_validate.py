"""Validating the evaluator on rendered world clips: the per-attribute accuracy table.

Shared by ``bench/bench_evaluator.py`` (≥ 500 clips) and the CI test (a small
sample). Clips are rendered windows of sampled scenes, read clean, mildly
blurred (like a VAE reconstruction) or blurred with noise.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from longcut.models.world.evaluate import attribute_hits, read_clip
from longcut.models.world.geometry import SHAPE_EXTENT, object_track
from longcut.models.world.scene import APART_FRAMES, render_frames, sample_scene
from longcut.models.world.vocab import FPS, SIZE_PX, UNIT, SceneSpec

CONDITIONS: tuple[str, ...] = ("clean", "blur", "blur_noise")
SEED0 = 3_000_000  # scenes for validation: away from the training and DiT-eval seeds


def degrade(frames: np.ndarray, condition: str, rng: random.Random) -> np.ndarray:
    """Degrade uint8 thwc frames like a decoder might.

    ``clean``; ``blur``: Gaussian σ 0.5–1.0 px; ``blur_noise``: that plus noise σ 3;
    ``heavy`` (a stress test, not part of the 98 % bar): σ 1.2–1.6, noise σ 5 and
    a colour cast of up to ±10 per channel.
    """
    if condition == "clean":
        return frames
    if condition not in (*CONDITIONS, "heavy"):
        raise ValueError(f"condition={condition!r}; allowed: {', '.join(CONDITIONS)}, heavy")
    sigma = rng.uniform(1.2, 1.6) if condition == "heavy" else rng.uniform(0.5, 1.0)
    f = ndimage.gaussian_filter(frames.astype(np.float32), sigma=(0, sigma, sigma, 0))
    noise = {"blur_noise": 3.0, "heavy": 5.0}.get(condition, 0.0)
    gen = np.random.default_rng(rng.randrange(2**31))
    if noise:
        f = f + gen.normal(0.0, noise, f.shape)
    if condition == "heavy":
        f = f + gen.uniform(-10.0, 10.0, 3)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def window_event(scene: SceneSpec, start: int, count: int) -> str | None | bool:
    """The event a window shows.

    The scene's event if the window covers most of its transition, None if none
    of it, False when ambiguous (the event is then not scored).
    """
    if scene.event is None:
        return None
    a, b = scene.event_start, scene.event_start + scene.event_frames
    overlap = max(0, min(b, start + count) - max(a, start))
    if overlap >= 0.6 * scene.event_frames:
        return scene.event
    return None if overlap == 0 else False


def whole_frames(scene: SceneSpec, start: int, count: int) -> int:
    """Fewest frames of the window in which an object is wholly inside the frame."""
    return _frames_where(scene, start, count, whole=True)


def visible_frames(scene: SceneSpec, start: int, count: int) -> int:
    """Fewest frames of the window in which some of an object is inside the frame."""
    return _frames_where(scene, start, count, whole=False)


def _frames_where(scene: SceneSpec, start: int, count: int, whole: bool) -> int:
    t = np.arange(start, start + count, dtype=np.float64)
    fewest = count
    for o in scene.objects:
        x, y, sc = object_track(o, t)
        left, right, top, bottom = (e * SIZE_PX[o.size] * sc for e in SHAPE_EXTENT[o.shape])
        if whole:
            ok = (x - left >= 0) & (x + right <= UNIT) & (y - top >= 0) & (y + bottom <= UNIT)
        else:
            ok = (x + right > 0) & (x - left < UNIT) & (y + bottom > 0) & (y - top < UNIT)
        fewest = min(fewest, int(ok.sum()))
    return fewest


def _pick_start(scene: SceneSpec, frames: int, rng: random.Random, max_start: int) -> int:
    """A random window start where every object is whole for ≥ 1 s.

    Two objects: within the world's no-overlap horizon. Hidden parameters choose
    windows; the evaluator never reads them.
    """
    last = APART_FRAMES - frames if len(scene.objects) == 2 else max_start - 1
    for _ in range(50):
        start = rng.randrange(max(1, last + 1))
        if whole_frames(scene, start, frames) >= min(frames, FPS):
            return start
    return 0


def cut_off_start(scene: SceneSpec, frames: int, rng: random.Random, max_start: int) -> int | None:
    """A window start where the frame edge cuts the object off in every frame, yet it shows in ¾ of them.

    What a continuous shot or a long shot's last seconds can begin with: an
    object half-way through wrapping round. None when the scene has no such
    window (an object that never leaves the frame).
    """
    for _ in range(300):
        start = rng.randrange(max_start)
        if whole_frames(scene, start, frames) == 0 and visible_frames(scene, start, frames) >= 0.75 * frames:
            return start
    return None


def _clip(i: int, seeds, frames: int, max_start: int, cut_off: bool) -> tuple[int, SceneSpec, int, random.Random]:
    """The ``i``-th validation clip: its scene seed, scene, window start, and the rng that degrades it."""
    for seed in seeds:
        rng = random.Random(seed)
        if not cut_off:
            scene = sample_scene(seed)
            return seed, scene, _pick_start(scene, frames, rng, max_start) if i % 2 else 0, rng
        scene = sample_scene(seed, n_objects=1, motion=rng.choice(("left", "right", "up", "down")))
        start = cut_off_start(scene, frames, rng, max_start)
        if start is not None:
            return seed, scene, start, rng
    raise RuntimeError("no scene with a cut-off window")  # never: most translating scenes have one


def validate(n_clips: int, frames: int = 24, conditions: tuple[str, ...] = CONDITIONS,
             seed0: int = SEED0, max_start: int = 400,
             transforms: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None, cut_off: bool = False) -> dict:
    """Read ``n_clips`` rendered clips per condition; accuracy per attribute and the misreads.

    ``transforms`` adds named conditions of the caller's (e.g. an H.264 round
    trip, which lives in ``tools`` and so cannot be imported here).
    ``cut_off``: every clip is a window in which the frame edge cuts a lone
    translating object off throughout (``cut_off_start``), instead of the
    default windows that start a scene or show every object whole for ≥ 1 s.
    """
    transforms = transforms or {}
    conditions = (*conditions, *transforms)
    hits: dict[str, dict[str, list[bool]]] = {c: defaultdict(list) for c in conditions}
    misses: list[dict] = []
    seeds = iter(range(seed0, seed0 + 100 * n_clips))
    for i in range(n_clips):
        seed, scene, start, rng = _clip(i, seeds, frames, max_start, cut_off)
        clip = render_frames(scene, start, frames)
        expected = scene.attributes
        ev = window_event(scene, start, frames)
        for cond in conditions:
            f = transforms[cond](clip) if cond in transforms else degrade(clip, cond, rng)
            reading = read_clip(f)
            got = attribute_hits(reading, dataclasses.replace(expected, event=ev or None), len(f))
            if ev is False:
                got.pop("event", None)
            for k, v in got.items():
                hits[cond][k].extend(v)
            bad = sorted(k for k, v in got.items() if not all(v))
            if bad and len(misses) < 40:
                misses.append({"seed": seed, "start": start, "condition": cond, "wrong": bad})
    table = {c: {k: float(np.mean(v)) for k, v in sorted(h.items())} for c, h in hits.items()}
    overall: dict[str, list[bool]] = defaultdict(list)
    for h in hits.values():
        for k, v in h.items():
            overall[k].extend(v)
    return {"accuracy": table, "overall": {k: float(np.mean(v)) for k, v in sorted(overall.items())},
            "samples": {k: len(v) for k, v in sorted(overall.items())}, "misreads": misses}
