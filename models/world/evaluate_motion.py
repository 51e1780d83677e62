"""Reading an object's motion from its track: still, translations, bounces, circles, grows, shrinks.

Displacements come from the centroid while the object is whole and from its free
bounding-box edges while the frame edge cuts it; speeds use 3-frame lags (pixel
snapping); growth is fitted on the ramps between sawtooth restarts, from the
sub-pixel ("soft") area. Lengths are in 64-units.
"""

from __future__ import annotations

import itertools

import numpy as np

from longcut.models.world.evaluate_read import MAX_STEP, Blob, Track

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
        return motion, "fast" if abs(growth) > 0.026 else "slow"
    if speed < 0.4 or len(steps_a) < 2:
        return "still", None
    pace = "fast" if speed > 1.6 else "slow"
    pos = np.array([[b.cx, b.cy] for b in bl]) / scale
    if whole.sum() >= 6 and _is_orbit(t[whole], pos[whole]):
        return "circles", pace
    # 3-frame displacements: single steps of pixel-snapped edges (codec chroma, 2 px) can be 0
    lag = _lag_steps(bl, scale, steps_a)
    ax, ay = np.median(np.abs(lag), axis=0)
    vx, vy = np.median(lag, axis=0) + 1e-3 * np.mean(lag, axis=0)  # mean breaks a zero median
    if ax > 3.5 * ay:
        return ("right" if vx > 0 else "left"), pace
    if ay > 3.5 * ax:
        return ("down" if vy > 0 else "up"), pace
    return "bounces", pace


def _lag_steps(bl: list[Blob], scale: float, fallback: np.ndarray) -> np.ndarray:
    """Per-frame displacements over 3-frame lags (less pixel snapping than single steps)."""
    t = [b.t for b in bl]
    out = []
    for k, p in enumerate(bl):
        if t[k] + 3 in t:
            d = _displacement(p, bl[t.index(t[k] + 3)], scale)
            if d is not None:
                out.append(d)
    return np.array(out) if len(out) >= 3 else fallback


def _displacement(p: Blob, q: Blob, scale: float) -> np.ndarray | None:
    """Per-frame displacement (64-units) from blob ``p`` to ``q``; None if unmeasurable or a wrap."""
    dt = q.t - p.t
    if dt <= 0:
        return None
    if not (p.border or q.border):
        d = np.array([q.cx - p.cx, q.cy - p.cy])
    else:
        d = _cut_displacement(p, q)
        if d is None:
            return None
    d = d / scale / dt
    return d if np.hypot(*d) < MAX_STEP else None


def _cut_displacement(p: Blob, q: Blob) -> np.ndarray | None:
    """Displacement (frame pixels) between blobs the frame edge cuts off, from the parts both show.

    Along the cut axis it comes from the free edges. Across it, the visible
    extent of a shape that is not a rectangle changes as the frame hides it
    (a triangle leaving sideways loses its apex first), so it comes from the
    centroid of the widest strip next to the free edge that both blobs show in
    full: the same part of the object in both. None when the frame cuts both
    axes or no edge is free.
    """
    cut_x = p.cut[0] or p.cut[1] or q.cut[0] or q.cut[1]
    cut_y = p.cut[2] or p.cut[3] or q.cut[2] or q.cut[3]
    if cut_x and cut_y:
        return None
    along, across = (0, 1) if cut_x else (1, 0)  # axis index: 0 = x, 1 = y
    lo, hi = 2 * along, 2 * along + 1
    free = [e for e in (lo, hi) if not (p.cut[e] or q.cut[e])]
    if not free:
        return None
    d = np.zeros(2)
    d[along] = float(np.mean([q.box[e] - p.box[e] for e in free]))
    # the widest strip both blobs show in full: everything but the column (row) the frame cuts
    width = min(b.box[hi] - b.box[lo] for b in (p, q))
    if width < 1:
        return None
    centres = []
    for b in (p, q):
        pos, other = (b.xs, b.ys) if along == 0 else (b.ys, b.xs)
        strip = np.abs(pos - b.box[free[0]]) < width
        centres.append(float(other[strip].mean()))
    d[across] = centres[1] - centres[0]
    return d


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
    """Per-frame change of log area, fitted on the ramps between sawtooth jumps (0 if unknown)."""
    clean = track.clean()
    whole = sorted([b for b in clean if not b.border], key=lambda b: b.t)
    if len(whole) < 3:  # an object resting against the frame edge is whole too
        whole = sorted(clean, key=lambda b: b.t)
    if len(whole) < 3:
        return 0.0
    t = np.array([b.t for b in whole], dtype=np.float64)
    la = np.log([max(b.soft_area, 1.0) for b in whole])
    # a jump (the sawtooth restarting) or a gap splits the series into ramps
    breaks = np.nonzero((np.abs(np.diff(la)) > 0.3) | (np.diff(t) > 3))[0] + 1
    slopes, weights = [], []
    for seg in np.split(np.arange(len(t)), breaks):
        if len(seg) >= 3:
            slopes.append(np.polyfit(t[seg], la[seg], 1)[0])
            weights.append(t[seg[-1]] - t[seg[0]])
    if not slopes or sum(weights) <= 0:
        return 0.0
    return float(np.average(slopes, weights=weights))


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
    moving = np.abs(turns) > np.deg2rad(1.0)  # snapped centroids give some zero turns
    if moving.sum() < max(3, 0.35 * len(turns)):
        return False
    majority = max(float(np.mean(turns[moving] > 0)), float(np.mean(turns[moving] < 0)))
    # an orbit turns one way, a little every frame; a bounce turns sharply at a wall
    steady = (majority >= 0.8 and float(np.mean(np.abs(turns))) > np.deg2rad(2.5)
              and float(np.abs(turns).max()) < np.deg2rad(35))
    return rms < 0.25 * r and sweep > np.deg2rad(50) and steady
