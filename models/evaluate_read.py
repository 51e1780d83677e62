"""Reading world frames back into attributes: background, segmentation, tracks, objects.

Frames are numpy ``thwc`` (frames, rows, columns, RGB), uint8 or float in 0–255.
Nothing here looks at a scene's hidden parameters: the only knowledge used is the
world's *vocabulary* (palette, background gradients, shape outlines), which is
what a caption can name. Lengths are measured in frame pixels and compared with
the vocabulary in 64-units (``scale = side / 64``).

Steps (``read_frames``): fit the background per frame (class × dusk blend, plus
a per-row correction) → foreground = pixels far from it → connected components
per frame → link them into tracks by colour and position → read each track's
attributes from its clean observations (whole, not merged): colour and pattern
by unmixing pixels into one or two palette colours, shape by template overlap,
size by area, motion from the centroid track and the area trend.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from longcut.models.world_geometry import SHAPE_AREA, shape_coverage
from longcut.models.world_vocab import (
    BACKGROUND_RGB,
    COLOURS,
    DUSK_RGB,
    PATTERN_PERIOD,
    SHAPES,
    SIZE_THRESHOLD_PX,
    UNIT,
)

FG_THRESHOLD = 38.0  # RGB distance from the background that counts as an object
MIN_AREA = 10.0  # px (64-units²): smaller components are noise
CLOSE_RADIUS = 1  # px: seams up to ~2 px wide inside an object are closed (objects keep 3 px apart)
MAX_STEP = 10.0  # px/frame (64-units): a bigger jump is a wrap round, not motion
_PALETTE = np.array(list(COLOURS.values()), dtype=np.float32)  # (10, 3)
_NAMES = list(COLOURS)
_PAIRS = list(itertools.combinations(range(len(_NAMES)), 2))
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
        inside = [b for b in self.blobs if not b.border] or self.blobs
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
                            area, colour, any(cut), box, cut))
    return out


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


# ───────────────────────────── colour and pattern ─────────────────────────────


@dataclass
class Surface:
    """Main colour, second colour (None if solid), and the pattern they form."""

    colour: str
    pattern: str
    pattern_colour: str | None


def _interior(b: Blob, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Boolean mask of the blob eroded by about a pixel (edge pixels mix with the background)."""
    m = np.zeros(shape, dtype=bool)
    m[b.ys, b.xs] = True
    m = ndimage.binary_fill_holes(m)
    er = ndimage.binary_erosion(m, iterations=max(1, round(scale)))
    return er if er.sum() >= 6 else m


def _unmix(px: np.ndarray, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient of colour ``i`` (vs ``j``) per pixel and the residual of that mixture."""
    return _segment(px, _PALETTE[i], _PALETTE[j])


def _segment(px: np.ndarray, ci: np.ndarray, cj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mixing weight of ``ci`` and distance from each pixel to the RGB segment ``cj``–``ci``.

    ``ci``/``cj`` are (3,) or per-pixel (n, 3).
    """
    d = ci - cj
    a = np.clip(((px - cj) * d).sum(-1) / np.maximum((d * d).sum(-1), 1.0), 0.0, 1.0)
    res = np.linalg.norm(px - (cj + a[:, None] * d), axis=1)
    return a, res


def read_surface(frames: np.ndarray, blobs: list[Blob], scale: float, bg: Background) -> Surface:
    """Colour, pattern colour and pattern of an object from a few clean blobs.

    Every pixel is explained as a mixture of one or two palette colours (a
    pattern edge) or of one palette colour and the local background (the
    object's edge, blurred); the model with the lowest robust residual wins.
    """
    shape = frames.shape[1:3]
    masks = [_interior(b, shape, scale) for b in blobs]
    px = np.concatenate([frames[b.t][m] for b, m in zip(blobs, masks, strict=True)])
    back = np.concatenate([np.broadcast_to(bg.rows[b.t][:, None, :], frames.shape[1:])[m]
                           for b, m in zip(blobs, masks, strict=True)])
    if len(px) > 5000:
        keep = np.linspace(0, len(px) - 1, 5000).astype(int)
        px, back = px[keep], back[keep]
    with_bg = np.stack([_segment(px, c, back)[1] for c in _PALETTE], axis=1)  # (n, 10)
    single_cost = np.minimum(with_bg, 80.0).mean(axis=0)
    best_single = int(single_cost.argmin())
    pair_cost = []
    for i, j in _PAIRS:
        _, res = _unmix(px, i, j)
        res = np.minimum(res, np.minimum(with_bg[:, i], with_bg[:, j]))
        pair_cost.append(float(np.minimum(res, 80.0).mean()))
    i, j = _PAIRS[int(np.argmin(pair_cost))]
    a, res_ij = _unmix(px, i, j)
    pure = res_ij <= np.minimum(with_bg[:, i], with_bg[:, j])  # pixels that are not edge mixes
    share_i = float(a[pure].mean()) if pure.any() else 1.0
    gain = single_cost[best_single] - min(pair_cost)
    if gain < 6.0 or min(share_i, 1 - share_i) < 0.06:
        return Surface(_NAMES[best_single], "solid", None)
    feats = pattern_features(frames, blobs, masks, i, j, scale)
    if abs(feats["centre"] - 0.5) > 0.15:  # the cell at the centroid is always the main colour
        main_is_i = feats["centre"] > 0.5
    else:
        main_is_i = share_i >= 0.5
    main, second = (i, j) if main_is_i else (j, i)
    return Surface(_NAMES[main], classify_pattern(feats), _NAMES[second])


def classify_pattern(feats: dict[str, float]) -> str:
    """Stripes are anisotropic; checks repeat along the diagonal, dots do not."""
    if feats["coherence"] > 0.45:
        return "stripes"
    return "checker" if feats["diag"] > 0.0 else "dots"


def _autocorr(m: np.ndarray, valid: np.ndarray, dy: int, dx: int) -> float:
    """Normalised autocorrelation of ``m`` at shift (dy, dx) over pixels valid at both ends."""
    h, w = m.shape
    ya, yb = max(0, -dy), min(h, h - dy)
    xa, xb = max(0, -dx), min(w, w - dx)
    a, b = m[ya:yb, xa:xb], m[ya + dy:yb + dy, xa + dx:xb + dx]
    ok = valid[ya:yb, xa:xb] & valid[ya + dy:yb + dy, xa + dx:xb + dx]
    if ok.sum() < 8:
        return 0.0
    mu = m[valid].mean()
    var = float(((m[valid] - mu) ** 2).mean())
    if var < 1e-6:
        return 0.0
    return float(((a[ok] - mu) * (b[ok] - mu)).mean() / var)


def pattern_features(frames: np.ndarray, blobs: list[Blob], masks: list[np.ndarray], i: int, j: int,
                     scale: float) -> dict[str, float]:
    """Medians over blobs: ``centre`` (weight of colour i at the centroid), ``coherence``
    (anisotropy of the colour map's gradients), ``diag`` (autocorrelation at a
    diagonal shift of one check) and ``share`` (fraction of colour j).
    """
    cell = max(1, round(PATTERN_PERIOD / 2 * scale))
    shares, coherences, centres, diags = [], [], [], []
    for b, m in zip(blobs, masks, strict=True):
        a_map = np.zeros(m.shape, dtype=np.float32)
        a_map[m], _ = _unmix(frames[b.t][m], i, j)
        shares.append(float(1.0 - a_map[m].mean()))
        gy, gx = np.gradient(np.where(m, a_map, np.nan))
        ok = np.isfinite(gx) & np.isfinite(gy)
        jxx, jyy, jxy = (gx[ok] ** 2).sum(), (gy[ok] ** 2).sum(), (gx[ok] * gy[ok]).sum()
        tr = jxx + jyy
        coherences.append(float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / tr) if tr > 1e-6 else 0.0)
        yy, xx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
        near = ((xx + 0.5 - b.cx) ** 2 + (yy + 0.5 - b.cy) ** 2 <= (1.5 * scale) ** 2) & m
        centres.append(float(a_map[near].mean()) if near.any() else 0.5)
        diags.append((_autocorr(a_map, m, cell, cell) + _autocorr(a_map, m, cell, -cell)) / 2)
    return {"centre": float(np.median(centres)), "coherence": float(np.median(coherences)),
            "diag": float(np.median(diags)), "share": float(np.median(shares))}


# ───────────────────────────── shape and size ─────────────────────────────


def read_shape_size(blobs: list[Blob], shape: tuple[int, int], scale: float) -> tuple[str, float]:
    """Shape by best template overlap (area- and centroid-matched) and nominal size in 64-units."""
    votes = dict.fromkeys(SHAPES, 0.0)
    sizes: dict[str, list[float]] = {s: [] for s in SHAPES}
    for b in blobs:
        m = np.zeros(shape, dtype=bool)
        m[b.ys, b.xs] = True
        m = ndimage.binary_fill_holes(m)
        area = float(m.sum())
        pad = int(8 * scale)
        y0, y1 = max(0, b.ys.min() - pad), min(shape[0], b.ys.max() + pad + 1)
        x0, x1 = max(0, b.xs.min() - pad), min(shape[1], b.xs.max() + pad + 1)
        sub = m[y0:y1, x0:x1]
        dy = (np.arange(y0, y1, dtype=np.float32) + 0.5 - b.cy)[:, None]
        dx = (np.arange(x0, x1, dtype=np.float32) + 0.5 - b.cx)[None, :]
        for s in SHAPES:
            side = np.sqrt(area / SHAPE_AREA[s])
            tmpl = shape_coverage(s, dx, dy, side / 2, 1.0) > 0.5
            inter = float((tmpl & sub).sum())
            votes[s] += inter / max(1.0, float((tmpl | sub).sum()))
            sizes[s].append(side / scale)
    best = max(votes, key=votes.get)
    return best, float(np.median(sizes[best]))


def size_name(side_px64: float) -> str:
    """Size class of a nominal side length in 64-units."""
    return "big" if side_px64 > SIZE_THRESHOLD_PX else "small"


# ───────────────────────────── motion ─────────────────────────────


def read_motion(track: Track, n_frames: int, scale: float) -> tuple[str | None, str | None]:
    """Motion class and speed class ("slow"/"fast", None for still) from the track.

    Displacements come from the centroid while the object is whole and from its
    free bounding-box edges while it is cut off by the frame edge (a cut-off
    object's centroid lags).
    """
    if n_frames < 3 or len(track.blobs) < 3:
        return None, None
    bl = sorted(track.blobs, key=lambda b: b.t)
    t = np.array([b.t for b in bl])
    whole = np.array([not b.border for b in bl])
    steps, steps_whole = [], []
    for p, q in itertools.pairwise(bl):
        d = _displacement(p, q, scale)
        if q.t - p.t <= 2 and d is not None:
            steps.append(d)
            steps_whole.append(not (p.border or q.border))
    if sum(steps_whole) >= 3:
        steps = [d for d, w in zip(steps, steps_whole, strict=True) if w]
    steps_a = np.array(steps).reshape(-1, 2)
    speed = _speed(bl, scale)
    growth = _growth_rate(track, scale)
    if abs(growth) > 0.006 and speed < 0.6:
        motion = "grows" if growth > 0 else "shrinks"
        return motion, "fast" if abs(growth) > 0.025 else "slow"
    if speed < 0.4 or len(steps_a) < 2:
        return "still", None
    pace = "fast" if speed > 1.6 else "slow"
    pos = np.array([[b.cx, b.cy] for b in bl]) / scale
    if whole.sum() >= 6 and _is_orbit(t[whole], pos[whole]):
        return "circles", pace
    ax, ay = np.median(np.abs(steps_a), axis=0)
    if ax > 3.5 * ay:
        return ("right" if np.median(steps_a[:, 0]) > 0 else "left"), pace
    if ay > 3.5 * ax:
        return ("down" if np.median(steps_a[:, 1]) > 0 else "up"), pace
    return "bounces", pace


def _displacement(p: Blob, q: Blob, scale: float) -> np.ndarray | None:
    """Per-frame displacement (64-units) from blob ``p`` to ``q``; None if unmeasurable or a wrap."""
    dt = q.t - p.t
    if dt <= 0:
        return None
    if not (p.border or q.border):
        d = np.array([q.cx - p.cx, q.cy - p.cy])
    else:
        axes = []
        for lo, hi in ((0, 1), (2, 3)):  # x from the left/right edges, y from the top/bottom ones
            free = [q.box[e] - p.box[e] for e in (lo, hi) if not (p.cut[e] or q.cut[e])]
            if not free:
                return None
            axes.append(float(np.mean(free)))
        d = np.array(axes)
    d = d / scale / dt
    return d if np.hypot(*d) < MAX_STEP else None


def _speed(bl: list[Blob], scale: float) -> float:
    """Median speed (64-units/frame) over 3-frame lags, whole blobs first (jitter-proof)."""
    t = [b.t for b in bl]
    for need_whole, lag in itertools.product((True, False), (3, 2, 1)):
        rates = []
        for k, p in enumerate(bl):
            if t[k] + lag not in t:
                continue
            q = bl[t.index(t[k] + lag)]
            if need_whole and (p.border or q.border):
                continue
            d = _displacement(p, q, scale)
            if d is not None:
                rates.append(float(np.hypot(*d)))
        if len(rates) >= 2:
            return float(np.median(rates))
    return 0.0


def _growth_rate(track: Track, scale: float) -> float:
    """Median per-frame change of log area over clean blobs (0 when it cannot be measured)."""
    whole = sorted([b for b in track.clean() if not b.border], key=lambda b: b.t)
    if len(whole) < 3:
        return 0.0
    t = np.array([b.t for b in whole], dtype=np.float64)
    la = np.log([b.area for b in whole])
    lag = min(4, int(t[-1] - t[0]))
    rates = []
    for k in range(len(whole)):
        hit = np.nonzero(t == t[k] + lag)[0]
        if lag > 0 and len(hit):
            rates.append((la[hit[0]] - la[k]) / lag)
    if not rates:
        return 0.0
    r = np.array(rates)
    med = float(np.median(r))
    agree = float(np.mean(np.sign(r) == np.sign(med)))
    return med if agree >= 0.6 else 0.0


def _is_orbit(t: np.ndarray, pts: np.ndarray) -> bool:
    """Whether the centroid (64-units, at frames ``t``) turns steadily round a small circle."""
    if len(pts) < 6:
        return False
    # algebraic (Kasa) circle fit
    A = np.c_[2 * pts, np.ones(len(pts))]
    sol, *_ = np.linalg.lstsq(A, (pts**2).sum(1), rcond=None)
    centre = sol[:2]
    r = float(np.sqrt(max(sol[2] + centre @ centre, 0.0)))
    if not 3.5 <= r <= 16.0:
        return False
    rms = float(np.sqrt(np.mean((np.linalg.norm(pts - centre, axis=1) - r) ** 2)))
    ang = np.unwrap(np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0]))
    sweep = abs(float(ang[-1] - ang[0]))
    # headings of 3-frame chords (robust to pixel-snapped centroids) must turn one way, steadily
    lag = 3
    heads, head_t = [], []
    for k in range(len(t)):
        hit = np.nonzero(t == t[k] + lag)[0]
        if len(hit):
            d = pts[hit[0]] - pts[k]
            if np.hypot(*d) > 0.5 * lag:
                heads.append(np.arctan2(d[1], d[0]))
                head_t.append(t[k])
    if len(heads) < 4:
        return False
    heads_a, head_ta = np.array(heads), np.array(head_t)
    turns = np.angle(np.exp(1j * np.diff(heads_a))) / np.maximum(np.diff(head_ta), 1)
    majority = max(float(np.mean(turns > 0)), float(np.mean(turns < 0)))
    steady = majority >= 0.8 and float(np.median(np.abs(turns))) > np.deg2rad(2.5)
    return rms < 0.25 * r and sweep > np.deg2rad(50) and steady


def px_scale(frames: np.ndarray) -> float:
    """Frame pixels per 64-unit."""
    return float(np.sqrt(frames.shape[1] * frames.shape[2])) / UNIT
