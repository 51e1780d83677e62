"""Geometry of the embedded world: trajectories, shape coverage, surface patterns.

Everything is a closed-form function of the frame index, so any window of an
arbitrarily long clip renders the same pixels however the clip is chunked.
Arrays are numpy ``t`` (frames) or ``thw`` (frames, rows, columns); positions and
lengths are in 64-units (pixels of a 64×64 frame).
"""

from __future__ import annotations

import numpy as np

from longcut.models.world.vocab import (
    DOT_RADIUS,
    DUSK_BLEND,
    GROW_RANGE,
    PATTERN_PERIOD,
    SIZE_PX,
    STRIPE_DUTY,
    UNIT,
    ObjectSpec,
    SceneSpec,
)

# Area of each shape as a fraction of its nominal extent squared (size × size).
SHAPE_AREA: dict[str, float] = {"circle": np.pi / 4, "square": 1.0, "triangle": 0.5, "star": 0.3673}
# Distance from the area centroid to the (left, right, top, bottom) edge, in units of size.
SHAPE_EXTENT: dict[str, tuple[float, float, float, float]] = {
    "circle": (0.5, 0.5, 0.5, 0.5),
    "square": (0.5, 0.5, 0.5, 0.5),
    "triangle": (0.5, 0.5, 2 / 3, 1 / 3),
    "star": (0.476, 0.476, 0.5, 0.405),
}
STAR_INNER = 0.5  # inner/outer radius of the five-pointed star
WRAP_MARGIN = 0.7  # an object leaves the frame by this × its size before it wraps round


# ───────────────────────────── trajectories ─────────────────────────────


def object_track(obj: ObjectSpec, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroid ``x``, ``y`` (64-units) and scale of ``obj`` at frames ``t`` (shape ``t``).

    Translations wrap round (an object leaves the frame completely and comes
    back on the other side); "bounces" reflects off the walls so the object stays
    inside; "grows"/"shrinks" are sawtooths over ``GROW_RANGE``.
    """
    t = np.asarray(t, dtype=np.float64)
    s = SIZE_PX[obj.size]
    x = np.full_like(t, obj.x)
    y = np.full_like(t, obj.y)
    scale = np.ones_like(t)
    m = obj.motion
    if m in ("left", "right", "up", "down"):
        sign = -1.0 if m in ("left", "up") else 1.0
        span = UNIT + 2 * WRAP_MARGIN * s
        start = obj.x if m in ("left", "right") else obj.y
        pos = np.mod(start + WRAP_MARGIN * s + sign * obj.rate * t, span) - WRAP_MARGIN * s
        if m in ("left", "right"):
            x = pos
        else:
            y = pos
    elif m == "bounces":
        h = np.deg2rad(obj.heading)
        left, right, top, bottom = (e * s for e in SHAPE_EXTENT[obj.shape])
        x = _reflect(obj.x + obj.rate * np.cos(h) * t, left, UNIT - right)
        y = _reflect(obj.y + obj.rate * np.sin(h) * t, top, UNIT - bottom)
    elif m == "circles":
        omega = obj.heading * obj.rate / obj.radius  # rad/frame, heading = ±1 sense
        a = np.deg2rad(obj.phase) + omega * t
        x = obj.x + obj.radius * np.cos(a)
        y = obj.y + obj.radius * np.sin(a)
    elif m in ("grows", "shrinks"):
        lo, hi = GROW_RANGE
        ramp = np.mod(obj.phase + t / obj.rate, 1.0)
        scale = lo + (hi - lo) * ramp if m == "grows" else hi - (hi - lo) * ramp
    return x, y, scale


def _reflect(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Fold a free coordinate into [lo, hi] as a ball bouncing between two walls."""
    span = hi - lo
    w = np.mod(u - lo, 2 * span)
    return lo + np.where(w < span, w, 2 * span - w)


def event_blend(scene: SceneSpec, t: np.ndarray) -> np.ndarray:
    """Weight of the dusk colour in the background at frames ``t`` (0 = full light)."""
    t = np.asarray(t, dtype=np.float64)
    if scene.event is None:
        return np.zeros_like(t)
    ramp = np.clip((t - scene.event_start) / scene.event_frames, 0.0, 1.0)
    return DUSK_BLEND * (ramp if scene.event == "the sky darkens" else 1.0 - ramp)


# ───────────────────────────── shapes ─────────────────────────────


def shape_sdf(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed distance (approximate; < 0 inside) to ``shape`` in unit coordinates.

    ``u``, ``v`` are offsets from the shape's area centroid divided by half its
    nominal size; ``v`` points down. The result is in the same units.
    """
    if shape == "circle":
        return np.sqrt(u * u + v * v) - 1.0
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) - 1.0
    if shape == "triangle":
        vb = v + 1.0 / 3.0  # the centroid sits a third of the way down the bounding box
        k = 1.0 / np.sqrt(5.0)
        sides = np.maximum((2 * u - (vb + 1)) * k, (-2 * u - (vb + 1)) * k)
        return np.maximum(vb - 1.0, sides)
    if shape == "star":
        r = np.sqrt(u * u + v * v)
        theta = np.mod(np.arctan2(u, -v), 2 * np.pi / 5)
        theta = np.minimum(theta, 2 * np.pi / 5 - theta)
        px, py = r * np.cos(theta), r * np.sin(theta)
        bx, by = STAR_INNER * np.cos(np.pi / 5), STAR_INNER * np.sin(np.pi / 5)
        nx, ny = by, 1.0 - bx  # outward normal of the edge from the tip (1, 0) to the notch
        return ((px - 1.0) * nx + py * ny) / np.hypot(nx, ny)
    raise ValueError(f"unknown shape {shape!r}")


def shape_coverage(shape: str, dx: np.ndarray, dy: np.ndarray, half: np.ndarray | float,
                   pixel: float) -> np.ndarray:
    """Anti-aliased coverage (0–1) of a shape of half-extent ``half`` at offsets ``dx``, ``dy``.

    All lengths in the same units; ``pixel`` is the size of one output pixel in them.
    """
    sdf = shape_sdf(shape, dx / half, dy / half) * half
    return np.clip(0.5 - sdf / pixel, 0.0, 1.0)


# ───────────────────────────── patterns ─────────────────────────────


def pattern_coverage(pattern: str, dx: np.ndarray, dy: np.ndarray, angle: float,
                     pixel: np.ndarray | float) -> np.ndarray:
    """Anti-aliased fraction (0–1) of the pattern colour at object-local offsets.

    ``dx``, ``dy`` are nominal-size offsets from the object's centroid (the
    pattern is painted on the object: it moves and scales with it); the cell at
    the centroid is always the main colour.
    """
    p = PATTERN_PERIOD
    if pattern == "solid":
        return np.zeros(np.broadcast_shapes(np.shape(dx), np.shape(dy)), dtype=np.float32)
    if pattern == "stripes":
        a = np.deg2rad(angle)
        q = np.mod((dx * np.cos(a) + dy * np.sin(a)) / p, 1.0)
        inside = (STRIPE_DUTY / 2 - np.abs(q - 0.5)) * p
    elif pattern == "dots":
        ox = np.mod(dx, p) - p / 2
        oy = np.mod(dy, p) - p / 2
        inside = DOT_RADIUS - np.sqrt(ox * ox + oy * oy)
    elif pattern == "checker":
        ax = np.clip(_odd_cell_depth(dx, p) / pixel + 0.5, 0.0, 1.0)
        ay = np.clip(_odd_cell_depth(dy, p) / pixel + 0.5, 0.0, 1.0)
        return ax + ay - 2 * ax * ay  # soft XOR
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return np.clip(inside / pixel + 0.5, 0.0, 1.0)


def _odd_cell_depth(d: np.ndarray, p: float) -> np.ndarray:
    """Signed depth inside the odd half-period cells of a checker axis (cell 0 is centred on 0)."""
    f = np.mod(d + p / 4, p)
    half = p / 2
    return np.where(f >= half, np.minimum(f - half, p - f), -np.minimum(half - f, f))
