"""Reading world frames back into attributes: background, segmentation, tracks, objects.

Frames are numpy ``thwc`` (frames, rows, columns, RGB), uint8 or float in 0–255.
Nothing here looks at a scene's hidden parameters: the only knowledge used is the
world's *vocabulary* (palette, background gradients, shape outlines), which is
what a caption can name. Lengths are measured in frame pixels and compared with
the vocabulary in 64-units (``scale = side / 64``).

Steps (``evaluate.read_clip``): fit the background per frame (class × dusk
blend, plus a per-row correction) → foreground = pixels far from it →
connected components per frame → link them into tracks by colour and position
(this module) → read each track's attributes from its clean observations
(whole, not merged): surface, shape and size (``evaluate_surface``), motion
(``evaluate_motion``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from longcut.models.world.vocab import (
    BACKGROUND_RGB,
    DUSK_RGB,
    UNIT,
)

FG_THRESHOLD = 38.0  # RGB distance from the background that counts as an object
MIN_AREA = 10.0  # px (64-units²): smaller components are noise
CLOSE_RADIUS = 1  # px: seams up to ~2 px wide inside an object are closed (objects keep 3 px apart)
MAX_STEP = 10.0  # px/frame (64-units): a bigger jump is a wrap round, not motion
_DUSK = np.asarray(DUSK_RGB, dtype=np.float32)


# ───────────────────────────── background ─────────────────────────────


@dataclass
class Background:
    """The fitted background: class name, dusk blend per frame, row colours per frame (t, h, 3)."""

    name: str
    blend: np.ndarray
    rows: np.ndarray


def _template_rows(name: str, h: int) -> np.ndarray:
    top, bottom = (np.asarray(c, dtype=np.float32) for c in BACKGROUND_RGB[name])
    r = ((np.arange(h, dtype=np.float32) + 0.5) / h)[:, None]
    return top + (bottom - top) * r  # (h, 3)


def _fit_blend(frames: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame dusk blend (robust) and the median residual of that fit, for one class."""
    d = rows - _DUSK  # (h, 3)
    denom = np.maximum((d * d).sum(-1), 1.0)[None, :, None]  # (1, h, 1)
    w_pix = ((rows[None, :, None, :] - frames) * d[None, :, None, :]).sum(-1) / denom  # (t, h, w)
    w = np.clip(np.median(w_pix.reshape(len(frames), -1), axis=1), 0.0, 0.8)  # (t,)
    model = (1 - w)[:, None, None] * rows[None] + w[:, None, None] * _DUSK  # (t, h, 3)
    res = np.linalg.norm(frames - model[:, :, None, :], axis=-1)
    return w, np.median(res.reshape(len(frames), -1), axis=1)


def fit_background(frames: np.ndarray) -> Background:
    """Classify the background and model it per frame and row (robust to objects and events)."""
    t, h = frames.shape[:2]
    probe = frames[np.linspace(0, t - 1, min(t, 12)).round().astype(int)]
    scores = {}
    for name in BACKGROUND_RGB:
        _, res = _fit_blend(probe, _template_rows(name, h))
        scores[name] = float(res.mean())
    name = min(scores, key=scores.get)
    rows = _template_rows(name, h)
    w, _ = _fit_blend(frames, rows)
    model = (1 - w)[:, None, None] * rows[None] + w[:, None, None] * _DUSK  # (t, h, 3)
    # per-row correction from pixels close to the model (frames from a model are never exact)
    res = frames - model[:, :, None, :]
    near = np.linalg.norm(res, axis=-1) < FG_THRESHOLD
    cnt = near.sum(axis=2)[..., None]
    corr = np.where(cnt > 3, (res * near[..., None]).sum(axis=2) / np.maximum(cnt, 1), 0.0)
    return Background(name=name, blend=w, rows=(model + corr).astype(np.float32))


# ───────────────────────────── components and tracks ─────────────────────────────


@dataclass
class Blob:
    """One connected foreground component in one frame (pixel units of the frames)."""

    t: int
    ys: np.ndarray
    xs: np.ndarray
    cx: float
    cy: float
    area: int
    colour: np.ndarray  # mean RGB
    border: bool  # touches the frame edge: the object may be cut off
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # first/last column, first/last row
    cut: tuple[bool, bool, bool, bool] = (False, False, False, False)  # touches left/right/top/bottom
    soft_area: float = 0.0  # area with edge pixels counted by coverage (sub-pixel growth)


@dataclass
class Track:
    """A chain of blobs believed to be one object."""

    blobs: list[Blob] = field(default_factory=list)

    @property
    def colour(self) -> np.ndarray:
        """Median of the blobs' mean colours."""
        return np.median(np.stack([b.colour for b in self.blobs]), axis=0)

    def clean(self) -> list[Blob]:
        """Blobs that show the whole object alone (not cut off, not merged with another)."""
        inside = [b for b in self.blobs if not b.border]
        if len(inside) < min(3, len(self.blobs)) or len(inside) < 0.25 * len(self.blobs):
            inside = self.blobs  # resting against the frame edge (or only glimpsed whole)
        med_area = np.median([b.area for b in inside])
        med_col = np.median(np.stack([b.colour for b in inside]), axis=0)
        good = [b for b in inside if 0.55 * med_area <= b.area <= 1.8 * med_area
                and np.linalg.norm(b.colour - med_col) < 45]
        return good or inside


def find_blobs(frames: np.ndarray, bg: Background, scale: float) -> list[list[Blob]]:
    """Foreground components of every frame."""
    t, h, w = frames.shape[:3]
    dist = np.linalg.norm(frames - bg.rows[:, :, None, :], axis=-1)  # (t, h, w)
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = True  # 8-connected within a frame, never across frames
    mask = dist > FG_THRESHOLD
    # Where an object's two colours meet, their mixture can match the background
    # (black|blue ≈ night, white|brown ≈ sand): close such seams, never across frames.
    k = CLOSE_RADIUS
    padded = np.pad(mask, ((0, 0), (k, k), (k, k)), mode="edge")
    closed = ndimage.binary_closing(padded, structure=structure, iterations=k)[:, k:-k, k:-k]
    labels, _ = ndimage.label(mask | closed, structure=structure)
    out: list[list[Blob]] = [[] for _ in range(t)]
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        mask = labels[sl] == i
        area = int(mask.sum())
        if area < MIN_AREA * scale * scale:
            continue
        ft = sl[0].start
        yy, xx = np.nonzero(mask[0])
        ys, xs = yy + sl[1].start, xx + sl[2].start
        box = (int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max()))
        cut = (box[0] == 0, box[1] == w - 1, box[2] == 0, box[3] == h - 1)
        colour = frames[ft, ys, xs].mean(axis=0)
        out[ft].append(Blob(ft, ys, xs, float(xs.mean()) + 0.5, float(ys.mean()) + 0.5,
                            area, colour, any(cut), box, cut, _soft_area(dist[ft], ys, xs)))
    return out


def _soft_area(dist: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> float:
    """Sub-pixel area: edge pixels count by their contrast relative to the object just inside."""
    h, w = dist.shape
    y0, y1 = max(0, ys.min() - 2), min(h, ys.max() + 3)
    x0, x1 = max(0, xs.min() - 2), min(w, xs.max() + 3)
    d = dist[y0:y1, x0:x1]
    m = np.zeros(d.shape, dtype=bool)
    m[ys - y0, xs - x0] = True
    inner = ndimage.maximum_filter(np.where(m, d, 0.0), size=3)
    ring = ndimage.binary_dilation(m) & ~ndimage.binary_erosion(m)
    cover = np.clip(d / np.maximum(inner, 1.0), 0.0, 1.0)
    return float((m & ~ring).sum() + cover[ring].sum())


def link_tracks(blobs: list[list[Blob]], scale: float) -> list[Track]:
    """Link blobs frame to frame (colour first, then position); join wrap-round pieces."""
    tracks: list[Track] = []
    for frame_blobs in blobs:
        cost = np.array([[_link_cost(tr, b, scale) for tr in tracks] for b in frame_blobs])
        cost = cost.reshape(len(frame_blobs), len(tracks))
        assigned: dict[int, int] = {}
        while cost.size and np.isfinite(cost).any() and cost.min() < 120.0:  # greedy: few objects
            j, k = np.unravel_index(int(np.argmin(cost)), cost.shape)
            assigned[int(j)] = int(k)
            cost[j, :] = np.inf
            cost[:, k] = np.inf
        for j, b in enumerate(frame_blobs):
            if j in assigned:
                tracks[assigned[j]].blobs.append(b)
            else:
                tracks.append(Track([b]))
    return _join_tracks(tracks)


def _link_cost(track: Track, b: Blob, scale: float) -> float:
    last = track.blobs[-1]
    if last.t == b.t:
        return np.inf
    col = float(np.linalg.norm(last.colour - b.colour))
    pos = float(np.hypot(last.cx - b.cx, last.cy - b.cy)) / scale / max(1, b.t - last.t)
    return col + (2.0 * pos if pos <= MAX_STEP else 40.0 + 0.3 * pos)


def _join_tracks(tracks: list[Track]) -> list[Track]:
    """Merge tracks that never coexist and look alike (an object that wrapped round)."""
    tracks = sorted(tracks, key=lambda tr: tr.blobs[0].t)
    merged = True
    while merged:
        merged = False
        for a, b in itertools.combinations(range(len(tracks)), 2):
            ta, tb = tracks[a], tracks[b]
            if ta.blobs[-1].t < tb.blobs[0].t and np.linalg.norm(ta.colour - tb.colour) < 40:
                ta.blobs.extend(tb.blobs)
                del tracks[b]
                merged = True
                break
    return tracks


def px_scale(frames: np.ndarray) -> float:
    """Frame pixels per 64-unit."""
    return float(np.sqrt(frames.shape[1] * frames.shape[2])) / UNIT
