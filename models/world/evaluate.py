"""The evaluator: read world attributes from frames alone, and the figures built on it.

Frames are numpy ``thwc`` uint8 (frames, rows, columns, RGB) — not the ``bcthw``
tensors of the model stack. The evaluator never sees a scene's hidden
parameters; it knows only the world's vocabulary (palette, backgrounds, shapes).

* ``read_clip`` — background, event, and per object: colour, shape, size,
  pattern, pattern colour, motion, speed and the centroid track;
* ``adherence`` — which named attributes of a prompt the frames show;
* ``drift`` — background and object colour change, last second vs first second;
* ``reference_fidelity`` — pattern correlation between a reference image and the object.

The instrument is validated on rendered world clips (clean, blurred, noisy) by
``bench/bench_evaluator.py``; see the accuracy table there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from longcut.models.seams import check_frames
from longcut.models.world.captions import parse_canonical
from longcut.models.world.evaluate_motion import read_motion
from longcut.models.world.evaluate_read import (
    FG_THRESHOLD,
    Background,
    Track,
    find_blobs,
    fit_background,
    link_tracks,
    px_scale,
)
from longcut.models.world.evaluate_surface import read_shape_size, read_surface, size_name
from longcut.models.world.geometry import SHAPE_AREA
from longcut.models.world.vocab import (
    COLOURS,
    EVENTS,
    FPS,
    SIZE_PX,
    ObjectAttributes,
    SceneAttributes,
    SceneSpec,
)

OBJECT_KEYS: tuple[str, ...] = ("colour", "shape", "size", "pattern", "pattern_colour", "motion", "speed")
MAX_OBJECTS = 4
EVENT_DELTA = 0.08  # change of dusk blend, first vs last quarter, that counts as an event


@dataclass
class ObjectReading:
    """What the evaluator reads about one object.

    ``track`` is ``(n, 3)``: frame index, centroid x, centroid y in frame pixels.
    ``motion`` and ``speed`` are None when the clip is too short to tell
    (fewer than 3 frames); ``speed`` is None for "still".
    """

    colour: str
    shape: str
    size: str
    pattern: str
    pattern_colour: str | None
    motion: str | None
    speed: str | None
    track: np.ndarray
    side: float  # nominal size in 64-units


@dataclass
class ClipReading:
    """What the evaluator reads about a clip: background, event, objects (most seen first)."""

    background: str
    objects: list[ObjectReading] = field(default_factory=list)
    event: str | None = None
    blend: np.ndarray | None = None  # dusk blend per frame (0 = full light)


def read_clip(frames: np.ndarray) -> ClipReading:
    """Read background, event and objects from uint8 ``thwc`` frames (any t ≥ 1; t = 1 is an image)."""
    f = check_frames(frames)
    t = len(f)
    scale = px_scale(f)
    bg = fit_background(f)
    tracks = link_tracks(find_blobs(f, bg, scale), scale)
    if tracks:
        most = max(len(tr.blobs) for tr in tracks)
        tracks = [tr for tr in tracks if len(tr.blobs) >= max(1, 0.3 * most)]
        tracks.sort(key=lambda tr: -len(tr.blobs) * np.median([b.area for b in tr.blobs]))
    objects = [_read_object(f, tr, scale, bg) for tr in tracks[:MAX_OBJECTS]]
    event = None
    if t >= 4:
        q = max(1, t // 4)
        delta = float(bg.blend[-q:].mean() - bg.blend[:q].mean())
        if abs(delta) > EVENT_DELTA:
            event = EVENTS[0] if delta > 0 else EVENTS[1]
    return ClipReading(background=bg.name, objects=objects, event=event, blend=bg.blend)


def _read_object(f: np.ndarray, tr: Track, scale: float, bg: Background) -> ObjectReading:
    clean = tr.clean()
    pick = [clean[i] for i in np.unique(np.linspace(0, len(clean) - 1, min(8, len(clean))).astype(int))]
    outline = read_shape_size(pick, f.shape[1:3], scale)
    shape, side = outline.shape, outline.side
    size = size_name(side)
    # frame pixels per pattern unit on each blob: the frame's scale times the object's own
    # (a cut-off blob's area shows only part of the object: its fitted outline says how big it is)
    unit_px = [(outline.sides[k] if b.border else float(np.sqrt(b.soft_area / SHAPE_AREA[shape]))) / SIZE_PX[size]
               for k, b in enumerate(pick)]
    surface = read_surface(f, pick, scale, bg, unit_px, outline.centres)
    motion, speed = read_motion(tr, len(f), scale)
    track = np.array([[b.t, b.cx, b.cy] for b in sorted(tr.blobs, key=lambda b: b.t)])
    return ObjectReading(colour=surface.colour, shape=shape, size=size,
                         pattern=surface.pattern, pattern_colour=surface.pattern_colour,
                         motion=motion, speed=speed, track=track, side=side)


# ───────────────────────────── adherence ─────────────────────────────


def _expected(expected: SceneSpec | SceneAttributes | str) -> SceneAttributes:
    if isinstance(expected, str):
        return parse_canonical(expected)
    if isinstance(expected, SceneSpec):
        return expected.attributes
    if isinstance(expected, SceneAttributes):
        return expected
    raise ValueError(f"expected must be a SceneSpec, SceneAttributes or canonical caption, got {type(expected).__name__}")


def _object_hits(exp: ObjectAttributes, got: ObjectReading | None, n_frames: int) -> dict[str, bool]:
    keys = [k for k in OBJECT_KEYS if k not in ("motion", "speed") or n_frames >= 3]
    if exp.speed is None or exp.motion == "still":
        keys = [k for k in keys if k != "speed"]
    return {k: got is not None and getattr(got, k) == getattr(exp, k) for k in keys}


def attribute_hits(reading: ClipReading, expected: SceneSpec | SceneAttributes | str,
                   n_frames: int) -> dict[str, list[bool]]:
    """Per attribute, one bool per expected object (or one for the scene): was it read right.

    Read objects are matched to expected ones by the assignment that gets most
    attributes right. Scene keys: ``background``, ``count``, and ``event`` when
    the clip has ≥ 4 frames.
    """
    exp = _expected(expected)
    got = list(reading.objects) + [None] * len(exp.objects)
    best: list[dict[str, bool]] = []
    best_score = -1
    for perm in itertools.permutations(range(len(got)), len(exp.objects)):
        hits = [_object_hits(e, got[p], n_frames) for e, p in zip(exp.objects, perm, strict=True)]
        score = sum(sum(h.values()) for h in hits)
        if score > best_score:
            best, best_score = hits, score
    out: dict[str, list[bool]] = {"background": [reading.background == exp.background],
                                  "count": [len(reading.objects) == len(exp.objects)]}
    if n_frames >= 4:
        out["event"] = [reading.event == exp.event]
    for h in best:
        for k, v in h.items():
            out.setdefault(k, []).append(v)
    return out


def adherence(frames: np.ndarray, expected: SceneSpec | SceneAttributes | str) -> dict[str, bool]:
    """Which attributes of ``expected`` the frames show (True = read as asked).

    ``expected`` is a ``SceneSpec``, the ``SceneAttributes`` from ``parse_canonical``,
    or a canonical caption. An object attribute is True when every object has it
    right. Keys: background, count, colour, shape, size, pattern, pattern_colour,
    plus motion (≥ 3 frames), speed (when the prompt states one) and event (≥ 4 frames).
    """
    hits = attribute_hits(read_clip(frames), expected, len(frames))
    return {k: all(v) for k, v in hits.items()}


# ───────────────────────────── drift ─────────────────────────────


def _second_colours(frames: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Background row colours (h, 3) and each object's main-colour RGB, over a short window."""
    reading = read_clip(frames)
    f = frames.astype(np.float32)
    bg = fit_background(f)
    objects = []
    for obj in reading.objects:
        target = np.asarray(COLOURS[obj.colour], dtype=np.float32)
        other = np.asarray(COLOURS[obj.pattern_colour], dtype=np.float32) if obj.pattern_colour else None
        pix = []
        for t, cx, cy in obj.track:
            ti = int(t)
            dist = np.linalg.norm(f[ti] - bg.rows[ti][:, None, :], axis=-1) > FG_THRESHOLD
            lab, _ = ndimage.label(dist)
            k = lab[min(int(cy), f.shape[1] - 1), min(int(cx), f.shape[2] - 1)]
            if k == 0:
                continue
            p = f[ti][lab == k]
            near_main = np.linalg.norm(p - target, axis=1)
            keep = near_main < 110
            if other is not None:
                keep &= near_main < np.linalg.norm(p - other, axis=1)
            pix.append(p[keep])
        if pix and sum(len(p) for p in pix):
            objects.append(np.concatenate(pix).mean(axis=0))
    return bg.rows.mean(axis=0), objects


def drift(frames: np.ndarray, fps: int = FPS) -> dict[str, float]:
    """Colour change from the first second to the last (mean absolute RGB difference, 0–255 units).

    ``background``: the fitted background rows; ``object``: each object's main
    colour, matched between the two seconds by nearest colour and averaged (NaN
    when no object is found in either second). Needs ≥ 2 seconds of frames.
    """
    f = check_frames(frames)
    if not isinstance(fps, (int, np.integer)) or fps < 1:
        raise ValueError(f"fps={fps!r} must be a positive integer")
    if len(f) < 2 * fps:
        raise ValueError(f"drift needs ≥ 2 seconds ({2 * fps} frames at fps={fps}), got {len(f)}")
    bg0, obj0 = _second_colours(frames[:fps])
    bg1, obj1 = _second_colours(frames[-fps:])
    out = {"background": float(np.abs(bg1 - bg0).mean())}
    errs = []
    for c in obj0:
        if obj1:
            errs.append(min(float(np.abs(c - d).mean()) for d in obj1))
    out["object"] = float(np.mean(errs)) if errs else float("nan")
    return out


# ───────────────────────────── reference fidelity ─────────────────────────────


def _reference_object(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Offsets (n, 2) from the centroid, RGB values (n, 3) and area of the object in a reference."""
    ref = reference.astype(np.float32)
    border = np.concatenate([ref[0], ref[-1], ref[:, 0], ref[:, -1]])
    bg = np.median(border, axis=0)
    mask = np.linalg.norm(ref - bg, axis=-1) > FG_THRESHOLD
    lab, n = ndimage.label(mask)
    if n == 0:
        raise ValueError("reference image shows no object (nothing differs from its border colour)")
    sizes = ndimage.sum(mask, lab, index=np.arange(1, n + 1))
    obj = ndimage.binary_fill_holes(lab == int(np.argmax(sizes)) + 1)
    area = float(obj.sum())
    ys, xs = np.nonzero(obj)
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    inner = ndimage.binary_erosion(obj, iterations=max(1, round(px_scale(ref[None]))))
    iy, ix = np.nonzero(inner if inner.sum() >= 8 else obj)
    return np.stack([iy + 0.5 - cy, ix + 0.5 - cx], axis=1), ref[iy, ix], area


def reference_fidelity(reference: np.ndarray, frames: np.ndarray) -> float:
    """How well the object in ``frames`` reproduces the reference's surface (−1 … 1).

    The reference (uint8 (h, w, 3), like ``world.render_reference``) is mapped
    onto each object by centroid and area, with a small shift search; the score
    is the Pearson correlation of the mean-removed RGB values (the pattern),
    averaged over up to 8 frames where the object is whole, best object taken.
    For a solid reference (no pattern to correlate) it is colour agreement:
    1 − mean |ΔRGB| / 64, clipped to −1 … 1. NaN when no object is found.
    """
    if not isinstance(reference, np.ndarray) or reference.ndim != 3 or reference.shape[-1] != 3:
        raise ValueError(f"reference must be a numpy array (h, w, 3), got {getattr(reference, 'shape', reference)}")
    f = check_frames(frames)
    offsets, ref_vals, ref_area = _reference_object(reference)
    solid = float(ref_vals.std(axis=0).mean()) < 6.0
    scale = px_scale(f)
    bg = fit_background(f)
    tracks = link_tracks(find_blobs(f, bg, scale), scale)
    best = float("nan")
    for tr in tracks:
        clean = tr.clean()
        pick = [clean[i] for i in np.unique(np.linspace(0, len(clean) - 1, min(8, len(clean))).astype(int))]
        scores = [_blob_fidelity(f[b.t], b.cx, b.cy, np.sqrt(b.area / ref_area), offsets, ref_vals, solid)
                  for b in pick]
        s = float(np.mean(scores))
        if not np.isnan(s) and (np.isnan(best) or s > best):
            best = s
    return best


def _blob_fidelity(frame: np.ndarray, cx: float, cy: float, k: float, offsets: np.ndarray,
                   ref_vals: np.ndarray, solid: bool) -> float:
    if solid:
        pts_y, pts_x = cy + k * offsets[:, 0] - 0.5, cx + k * offsets[:, 1] - 0.5
        vals = np.stack([ndimage.map_coordinates(frame[..., c], [pts_y, pts_x], order=1, mode="nearest")
                         for c in range(3)], axis=1)
        return float(np.clip(1.0 - np.abs(vals.mean(0) - ref_vals.mean(0)).mean() / 64.0, -1.0, 1.0))
    ref_c = (ref_vals - ref_vals.mean(0)).ravel()
    best = -1.0
    for sy, sx in itertools.product((-1.0, -0.5, 0.0, 0.5, 1.0), repeat=2):
        pts_y = cy + k * offsets[:, 0] - 0.5 + sy
        pts_x = cx + k * offsets[:, 1] - 0.5 + sx
        vals = np.stack([ndimage.map_coordinates(frame[..., c], [pts_y, pts_x], order=1, mode="nearest")
                         for c in range(3)], axis=1)
        v = (vals - vals.mean(0)).ravel()
        den = float(np.linalg.norm(v) * np.linalg.norm(ref_c))
        if den > 1e-6:
            best = max(best, float(v @ ref_c) / den)
    return best
