"""The embedded procedural world: scenes, their frames and their captions (synthetic paired data).

A scene (``SceneSpec``) is 1–2 objects — shape × colour × size × surface pattern ×
motion × speed — over a background gradient, with an optional global event.
``sample_scene(seed)`` draws one deterministically; ``render_frames`` renders any
window of the (endless) clip; ``canonical_caption`` / ``caption`` describe it.

Frames are numpy ``thwc`` uint8 (frames, rows, columns, RGB), not the ``bcthw``
float tensors of the model stack; the VAE's data loader converts.

Everything a caption can name lives in ``vocab`` (re-exported here), so the
evaluator and the planner use one source of truth::

    from longcut.models.world.scene import COLOURS, SHAPES, MOTIONS, SYNONYMS, sample_scene
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np

from longcut.models.world.captions import canonical_caption, caption, parse_canonical
from longcut.models.world.geometry import (
    SHAPE_AREA,
    SHAPE_EXTENT,
    event_blend,
    object_track,
    pattern_coverage,
    shape_coverage,
)
from longcut.models.world.vocab import (
    BACKGROUND_RGB,
    BACKGROUNDS,
    COLOUR_NAMES,
    COLOURS,
    DUSK_RGB,
    EVENTS,
    FPS,
    FRAME_SIZE,
    GROW_PERIOD,
    GROW_RANGE,
    MOTIONS,
    NEUTRAL_RGB,
    ORBIT_RADIUS,
    PATTERNS,
    SHAPES,
    SIZE_PX,
    SIZE_THRESHOLD_PX,
    SIZES,
    SPEED_RANGE,
    SPEEDS,
    STRIPE_ANGLES,
    SYNONYMS,
    UNIT,
    ObjectAttributes,
    ObjectSpec,
    SceneAttributes,
    SceneSpec,
)

__all__ = [
    "APART_FRAMES", "BACKGROUND_RGB", "BACKGROUNDS", "COLOUR_NAMES", "COLOURS", "DUSK_RGB", "EVENTS", "FPS",
    "FRAME_SIZE", "GROW_RANGE", "MOTIONS", "NEUTRAL_RGB", "PATTERNS", "SHAPES", "SHAPE_AREA",
    "SIZE_PX", "SIZE_THRESHOLD_PX", "SIZES", "SPEEDS", "SYNONYMS", "ObjectAttributes",
    "ObjectSpec", "SceneAttributes", "SceneSpec", "background_rows", "canonical_caption",
    "caption", "parse_canonical", "render_frames", "render_reference", "sample_scene",
    "shape_extent",
]

_SCENE_KEYS = ("background", "event", "event_start", "event_frames")
_OBJECT_KEYS = tuple(f.name for f in dataclasses.fields(ObjectSpec))
_RENDER_BLOCK = 64  # frames rendered at once (bounds memory for long windows)
APART_FRAMES = 32  # two objects never overlap during the first 4 s (so every clip start is readable)


def shape_extent(obj: ObjectSpec, scale: float = 1.0) -> tuple[float, float, float, float]:
    """Distances (left, right, top, bottom) in 64-units from the centroid to the object's edges."""
    s = SIZE_PX[obj.size] * scale
    return tuple(e * s for e in SHAPE_EXTENT[obj.shape])  # type: ignore[return-value]


# ───────────────────────────── sampling ─────────────────────────────


def sample_scene(seed: int, n_objects: int | None = None, **fixed: Any) -> SceneSpec:
    """Draw a scene deterministically from ``seed``.

    ``fixed`` pins attributes: scene keys (``background``, ``event``,
    ``event_start``, ``event_frames``), object keys (any ``ObjectSpec`` field, e.g.
    ``colour="red"``; applied to every object), or ``objects=[{...}, {...}]`` to
    pin each object separately. Objects stay wholly inside the frame for the
    first second (then translations may leave and come back), and two
    objects keep ≥ 3 px apart for the first ``APART_FRAMES`` frames (later they
    may cross); when pins make that impossible the last draw is kept.
    """
    unknown = set(fixed) - set(_SCENE_KEYS) - set(_OBJECT_KEYS) - {"objects"}
    if unknown:
        raise ValueError(
            f"sample_scene: unknown keys {sorted(unknown)}; allowed: "
            f"{', '.join(_SCENE_KEYS + _OBJECT_KEYS)}, objects"
        )
    per_object = list(fixed.pop("objects", None) or [])
    if n_objects is None:
        n_objects = len(per_object) if per_object else None
    rng = random.Random(seed)
    if n_objects is None:
        n_objects = 1 if rng.random() < 0.6 else 2
    if n_objects not in (1, 2) or len(per_object) > n_objects:
        raise ValueError(f"n_objects={n_objects} (with {len(per_object)} pinned objects); allowed: 1, 2")
    shared = {k: v for k, v in fixed.items() if k in _OBJECT_KEYS}
    pins = [{**shared, **(per_object[i] if i < len(per_object) else {})} for i in range(n_objects)]
    alone = n_objects == 1  # two objects need the whole frame to stay apart
    objects = [_sample_object(rng, p, alone) for p in pins]
    for attempt in range(400):  # redraw until readable: whole for 1 s, apart for APART_FRAMES
        if all(_whole_at_start(o) for o in objects) and (n_objects == 1 or not _overlaps(*objects)):
            break
        if attempt % 40 == 39:  # these attributes seem not to fit together: draw new ones
            objects = [_sample_object(rng, p, alone) for p in pins]
        else:  # same attributes, new placement
            objects = [_sample_object(rng, {**p, **_named(o)}, alone) for p, o in zip(pins, objects, strict=True)]
    background = fixed.get("background", rng.choice(BACKGROUNDS))
    has_event = rng.random() < 0.25
    event = fixed["event"] if "event" in fixed else (rng.choice(EVENTS) if has_event else None)
    event_start = fixed.get("event_start", rng.randint(0, 4))
    event_frames = fixed.get("event_frames", rng.randint(12, 24))
    return SceneSpec(objects=tuple(objects), background=background, event=event,
                     event_start=event_start, event_frames=event_frames)


def _named(obj: ObjectSpec) -> dict[str, Any]:
    """The caption-level fields of an object, as pins."""
    return {k: getattr(obj, k) for k in ("shape", "colour", "size", "pattern", "pattern_colour",
                                         "motion", "speed")}


def _sample_object(rng: random.Random, pins: dict[str, Any], alone: bool = True) -> ObjectSpec:
    """Draw one object; pinned fields win, the rest follows from them."""
    def pick(name: str, options: tuple[Any, ...] | list[Any], weights: list[float] | None = None) -> Any:
        value = rng.choices(list(options), weights=weights)[0]
        return pins.get(name, value)

    shape = pick("shape", SHAPES)
    colour = pick("colour", COLOUR_NAMES)
    size = pick("size", SIZES)
    pattern = pick("pattern", PATTERNS, [0.4, 0.2, 0.2, 0.2])
    pcolour = rng.choice([c for c in COLOUR_NAMES if c != colour])
    pattern_colour = pins.get("pattern_colour", None if pattern == "solid" else pcolour)
    motion = pick("motion", MOTIONS)
    speed = pick("speed", SPEEDS)
    if motion in ("grows", "shrinks"):
        rate = rng.uniform(*GROW_PERIOD[speed])
        phase = rng.uniform(0.0, 0.3)
    else:
        rate = rng.uniform(*SPEED_RANGE[speed]) if motion != "still" else 0.0
        phase = rng.uniform(0.0, 360.0)
    heading = 0.0
    if motion == "bounces":
        heading = rng.uniform(25.0, 65.0) + 90.0 * rng.randrange(4)
    elif motion == "circles":
        heading = rng.choice([-1.0, 1.0])
    radius = rng.uniform(*ORBIT_RADIUS) if motion == "circles" else 0.0
    pattern_angle = rng.choice(STRIPE_ANGLES)
    draft = ObjectSpec(shape=shape, colour=colour, size=size, pattern=pattern,
                       pattern_colour=pattern_colour, motion=motion, speed=speed, rate=rate,
                       heading=heading, phase=phase, radius=radius, pattern_angle=pattern_angle)
    max_scale = GROW_RANGE[1] if motion in ("grows", "shrinks") else 1.0
    left, right, top, bottom = shape_extent(draft, max_scale)
    x_lo, x_hi = left + radius, UNIT - right - radius
    y_lo, y_hi = top + radius, UNIT - bottom - radius
    # a lone translating object starts on the side it moves away from, so short clips see it whole
    if not alone:
        pass
    elif motion == "right":
        x_hi = (x_lo + x_hi) / 2
    elif motion == "left":
        x_lo = (x_lo + x_hi) / 2
    elif motion == "down":
        y_hi = (y_lo + y_hi) / 2
    elif motion == "up":
        y_lo = (y_lo + y_hi) / 2
    x, y = rng.uniform(x_lo, x_hi), rng.uniform(y_lo, y_hi)
    hidden = {"x": x, "y": y, "rate": rate, "heading": heading, "phase": phase,
              "radius": radius, "pattern_angle": pattern_angle}
    hidden.update({k: v for k, v in pins.items() if k in hidden})
    return dataclasses.replace(draft, **hidden)


def _whole_at_start(obj: ObjectSpec) -> bool:
    """Whether the object stays wholly inside the frame for its first second."""
    x, y, sc = object_track(obj, np.arange(FPS, dtype=np.float64))
    left, right, top, bottom = (e * SIZE_PX[obj.size] * sc for e in SHAPE_EXTENT[obj.shape])
    return bool(((x - left >= 0) & (x + right <= UNIT) & (y - top >= 0) & (y + bottom <= UNIT)).all())


def _overlaps(a: ObjectSpec, b: ObjectSpec, gap: float = 3.0) -> bool:
    """Whether two objects' bounding boxes come within ``gap`` during the first ``APART_FRAMES``."""
    t = np.arange(APART_FRAMES, dtype=np.float64)
    boxes = []
    for o in (a, b):
        ox, oy, sc = object_track(o, t)
        left, right, top, bottom = (e * SIZE_PX[o.size] * sc for e in SHAPE_EXTENT[o.shape])
        boxes.append((ox - left, ox + right, oy - top, oy + bottom))
    (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = boxes
    apart = (ax1 + gap <= bx0) | (bx1 + gap <= ax0) | (ay1 + gap <= by0) | (by1 + gap <= ay0)
    return not bool(apart.all())


# ───────────────────────────── rendering ─────────────────────────────


def background_rows(background: str, size: int, blend: float | np.ndarray = 0.0) -> np.ndarray:
    """Background colour of each row, float32 ``(…, size, 3)``: a vertical gradient blended towards dusk."""
    if background not in BACKGROUND_RGB:
        raise ValueError(f"background={background!r}; allowed: {', '.join(BACKGROUNDS)}")
    top, bottom = (np.asarray(c, dtype=np.float32) for c in BACKGROUND_RGB[background])
    r = ((np.arange(size, dtype=np.float32) + 0.5) / size)[:, None]
    rows = top + (bottom - top) * r  # (size, 3)
    w = np.asarray(blend, dtype=np.float32)[..., None, None]
    return (1.0 - w) * rows + w * np.asarray(DUSK_RGB, dtype=np.float32)


def _paint_object(canvas: np.ndarray, obj: ObjectSpec, cx: np.ndarray, cy: np.ndarray,
                  scale: np.ndarray) -> None:
    """Composite ``obj`` onto ``canvas`` (float32 thwc, modified in place) at per-frame centroids.

    Only pixels near the object are shaded (gathered by index), which keeps
    rendering fast whatever the frame size.
    """
    size = canvas.shape[1]
    px = UNIT / size  # one output pixel in 64-units
    grid = (np.arange(size, dtype=np.float32) + 0.5) * px
    sc = scale.astype(np.float32)[:, None, None]
    dx = (grid[None, None, :] - cx.astype(np.float32)[:, None, None]) / sc  # (t, 1, w) nominal units
    dy = (grid[None, :, None] - cy.astype(np.float32)[:, None, None]) / sc  # (t, h, 1)
    half = SIZE_PX[obj.size] / 2
    reach = 1.4 * half + 2 * px / sc  # covers every shape's extent plus anti-aliasing
    ti, yi, xi = np.nonzero((np.abs(dx) < reach) & (np.abs(dy) < reach))
    if len(ti) == 0:
        return
    ddx, ddy, pixel = dx[ti, 0, xi], dy[ti, yi, 0], (px / sc)[ti, 0, 0]
    alpha = shape_coverage(obj.shape, ddx, ddy, half, pixel)  # (n,)
    keep = alpha > 0
    ti, yi, xi, ddx, ddy, pixel, alpha = (a[keep] for a in (ti, yi, xi, ddx, ddy, pixel, alpha))
    colour = np.asarray(COLOURS[obj.colour], dtype=np.float32)
    if obj.pattern == "solid":
        paint = np.broadcast_to(colour, (len(ti), 3))
    else:
        pc = pattern_coverage(obj.pattern, ddx, ddy, obj.pattern_angle, pixel)[:, None]
        second = np.asarray(COLOURS[str(obj.pattern_colour)], dtype=np.float32)
        paint = colour + (second - colour) * pc
    under = canvas[ti, yi, xi]
    canvas[ti, yi, xi] = under + alpha[:, None] * (paint - under)


def _check_size(size: int) -> None:
    if not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size={size!r}: frame side must be an integer ≥ 16")


def render_frames(scene: SceneSpec, start: int, count: int, size: int = FRAME_SIZE) -> np.ndarray:
    """Frames ``start … start+count-1`` of the scene's endless clip, uint8 ``thwc`` (count, size, size, 3).

    Pixels depend only on the frame index, so any window renders the same as the
    matching slice of a longer one. ``size`` scales all geometry by ``size / 64``.
    """
    _check_size(size)
    if not isinstance(start, (int, np.integer)) or not isinstance(count, (int, np.integer)):
        raise ValueError(f"start={start!r} and count={count!r} must be integers")
    if start < 0 or count < 0:
        raise ValueError(f"start={start} and count={count} must be ≥ 0")
    out = np.empty((count, size, size, 3), dtype=np.uint8)
    for b0 in range(0, count, _RENDER_BLOCK):
        t = np.arange(start + b0, start + min(count, b0 + _RENDER_BLOCK), dtype=np.float64)
        rows = background_rows(scene.background, size, event_blend(scene, t))  # (t, h, 3)
        canvas = np.repeat(rows[:, :, None, :], size, axis=2)  # (t, h, w, 3)
        for obj in scene.objects:
            _paint_object(canvas, obj, *object_track(obj, t))
        out[b0:b0 + len(t)] = np.rint(np.clip(canvas, 0, 255)).astype(np.uint8)
    return out


def object_mask(scene: SceneSpec, start: int, count: int, size: int = FRAME_SIZE,
                frames: np.ndarray | None = None) -> np.ndarray:
    """Where an object shows in frames ``start … start+count-1``: bool ``(count, size, size)``.

    The frames against the same scene's bare background (event included), so
    it marks exactly the pixels the objects change. The DiT's training loss
    weights these up: at 64×64 an object is a few percent of the frame.
    ``frames``: the same window already rendered (saves rendering it again).
    """
    if frames is None:
        frames = render_frames(scene, start, count, size)
    frames = frames.astype(np.int16)
    t = np.arange(start, start + count, dtype=np.float64)
    bare = np.rint(np.clip(background_rows(scene.background, size, event_blend(scene, t)), 0, 255)).astype(np.int16)
    return np.abs(frames - bare[:, :, None, :]).max(axis=-1) > 2


def render_reference(obj: ObjectSpec, size: int = FRAME_SIZE) -> np.ndarray:
    """The object alone at its nominal size, centroid centred, on ``NEUTRAL_RGB``: uint8 (size, size, 3).

    This is what a user's reference image looks like: it pins the exact surface
    pattern (orientation, phase) that a caption cannot.
    """
    _check_size(size)
    canvas = np.empty((1, size, size, 3), dtype=np.float32)
    canvas[:] = np.asarray(NEUTRAL_RGB, dtype=np.float32)
    centre = np.array([UNIT / 2])
    _paint_object(canvas, obj, centre, centre, np.ones(1))
    return np.rint(np.clip(canvas[0], 0, 255)).astype(np.uint8)
