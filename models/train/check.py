"""The evaluator-driven check a DiT run makes every ``eval_every`` steps.

The EMA model generates first chunks for held-out canonical captions, the
world's evaluator reads colour / shape / motion / background back, and
``travel_px`` measures how far a translating object moved — so a dead run is
seen in minutes.
"""

from __future__ import annotations

import numpy as np

from longcut.models.train.bank import is_held_out
from longcut.models.train.common import EVAL_SEED0


def eval_scenes(n: int, seed0: int = EVAL_SEED0, keep=None) -> list:
    """``n`` one-object scenes from unseen seeds, half with a held-out (colour, shape) pair.

    ``keep`` (scene → bool), when given, skips the scenes it rejects.
    """
    from longcut.models.world import scene as world

    held, seen, seed = [], [], seed0
    while len(held) < n // 2 or len(seen) < n - n // 2:
        scene = world.sample_scene(seed, n_objects=1)
        seed += 1
        if keep is None or keep(scene):
            (held if is_held_out(scene) else seen).append(scene)
    return held[: n // 2] + seen[: n - n // 2]


TRANSLATIONS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def travel_px(frames: np.ndarray, motion: str, threshold: float = 40.0) -> float:
    """How far the object moved along ``motion`` ("left"/"right"/"up"/"down") over the clip, in px.

    The object is what differs from each row's median colour (the world's
    backgrounds are row gradients and one object covers less than half a row);
    its centroid's frame-to-frame steps are wrapped to the nearest image (the
    world wraps translations round the frame) and summed, then projected on the
    asked direction. A model that stalls travels ~0; one that goes the wrong
    way travels a negative distance. Issue 20's pilot gate: ≥ 8 px in 2 s.
    """
    dx, dy = TRANSLATIONS[motion]
    f = frames.astype(np.float32)
    size = f.shape[2]
    background = np.median(f, axis=2, keepdims=True)  # t h 1 c
    mask = np.abs(f - background).sum(-1) > threshold  # t h w
    yy, xx = np.mgrid[: f.shape[1], :size]
    centres = []
    for m in mask:
        if m.sum() < 4:
            centres.append(None)
            continue
        # circular mean, so an object split by the frame edge has one centre
        ang_x, ang_y = 2 * np.pi * xx[m] / size, 2 * np.pi * yy[m] / f.shape[1]
        cx = np.angle(np.exp(1j * ang_x).mean()) * size / (2 * np.pi)
        cy = np.angle(np.exp(1j * ang_y).mean()) * f.shape[1] / (2 * np.pi)
        centres.append((cx, cy))
    total, prev = 0.0, None
    for c in centres:
        if c is None:
            continue
        if prev is not None:
            step_x = (c[0] - prev[0] + size / 2) % size - size / 2
            step_y = (c[1] - prev[1] + f.shape[1] / 2) % f.shape[1] - f.shape[1] / 2
            total += dx * step_x + dy * step_y
        prev = c
    return float(total)


def adherence_check(backend, scenes: list, seconds: float = 2.0) -> dict[str, float]:
    """Generate each scene's canonical caption, read it back, return accuracy per attribute.

    Also ``travel_px``: the mean distance the object moved along the asked
    direction, over the scenes whose object translates (``travel_px``).
    """
    from longcut.models.backends.base import ClipRequest
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    rows, travels = [], []
    for i, scene in enumerate(scenes):
        request = ClipRequest(world.canonical_caption(scene), seconds, seed=i)
        frames = np.concatenate([c.frames for c in backend.generate(request)])
        rows.append(evaluate.adherence(frames, scene))
        motion = scene.objects[0].motion
        if len(scene.objects) == 1 and motion in TRANSLATIONS:
            travels.append(travel_px(frames, motion))
    keys = sorted({k for r in rows for k in r})
    out = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
    if travels:
        out["travel_px"] = float(np.mean(travels))
    return out
