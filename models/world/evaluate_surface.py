"""Reading an object's surface and outline: colour, pattern colour, pattern, shape, size.

Frames are numpy ``thwc``; blobs come from ``evaluate_read``. Colours are read by
explaining every interior pixel as a mixture of one or two palette colours (a
pattern edge) or of a palette colour and the local background (a blurred edge);
the pattern from the map of the second colour (stripes are anisotropic, checks
repeat along the diagonal, dots do not); the shape by overlap with each
vocabulary outline matched in area and centroid; the size from that area.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from longcut.models.world.evaluate_read import Background, Blob
from longcut.models.world.geometry import SHAPE_AREA, SHAPE_EXTENT, shape_coverage
from longcut.models.world.vocab import (
    COLOURS,
    GROW_RANGE,
    PATTERN_PERIOD,
    SHAPES,
    SIZE_PX,
    SIZE_THRESHOLD_PX,
)

_PALETTE = np.array(list(COLOURS.values()), dtype=np.float32)  # (10, 3)
_NAMES = list(COLOURS)
_PAIRS = list(itertools.combinations(range(len(_NAMES)), 2))
# solidity (pixels / pixels in the convex hull) below the first is a star whatever the
# overlap says; above the second it is not. Measured: stars 0.65–0.81 clean, ≤ 0.92
# blurred (small ones ≤ 0.98 under heavy blur); other shapes ≥ 0.9 (median 1.0).
STAR_SOLIDITY = (0.86, 0.95)


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


def read_surface(frames: np.ndarray, blobs: list[Blob], scale: float, bg: Background,
                 unit_px: list[float] | None = None, centres: list[tuple[float, float]] | None = None) -> Surface:
    """Colour, pattern colour and pattern of an object from a few clean blobs.

    Every pixel is explained as a mixture of one or two palette colours (a
    pattern edge) or of one palette colour and the local background (the
    object's edge, blurred); the model with the lowest robust residual wins.
    ``unit_px`` (frame pixels per pattern unit, per blob: the frame scale times
    the object's own scale) lets the checks be matched in phase.
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
    feats = pattern_features(frames, blobs, masks, i, j, unit_px or [scale] * len(blobs),
                             centres or [(b.cx, b.cy) for b in blobs])
    pattern = classify_pattern(feats)
    # the cell at the centroid is always the main colour; for checks (half and half) the
    # whole board's phase says which colour sits there, which survives heavy blur
    if pattern == "checker" and abs(feats["phase"]) > 0.1:
        main_is_i = feats["phase"] > 0
    elif abs(feats["centre"] - 0.5) > 0.15:
        main_is_i = feats["centre"] > 0.5
    else:
        main_is_i = share_i >= 0.5
    main, second = (i, j) if main_is_i else (j, i)
    return Surface(_NAMES[main], pattern, _NAMES[second])


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
                     unit_px: list[float], origins: list[tuple[float, float]]) -> dict[str, float]:
    """Pattern features of a two-colour object, medians over its blobs.

    ``centre``: weight of colour i at the centroid; ``coherence``: anisotropy of
    the colour map's gradients (stripes ≈ 1); ``diag``: autocorrelation at a
    diagonal shift of one check (checks > 0, dots < 0); ``share``: fraction of colour j;
    ``phase``: correlation of colour i with a board of checks whose centre cell is main.
    """
    shares, coherences, centres, diags, phases = [], [], [], [], []
    for b, m, unit, (cx, cy) in zip(blobs, masks, unit_px, origins, strict=True):
        cell = max(1, round(PATTERN_PERIOD / 2 * unit))
        a_map = np.zeros(m.shape, dtype=np.float32)
        a_map[m], _ = _unmix(frames[b.t][m], i, j)
        shares.append(float(1.0 - a_map[m].mean()))
        gy, gx = np.gradient(np.where(m, a_map, np.nan))
        ok = np.isfinite(gx) & np.isfinite(gy)
        jxx, jyy, jxy = (gx[ok] ** 2).sum(), (gy[ok] ** 2).sum(), (gx[ok] * gy[ok]).sum()
        tr = jxx + jyy
        coherences.append(float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / tr) if tr > 1e-6 else 0.0)
        yy, xx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
        near = ((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= (1.5 * unit) ** 2) & m
        centres.append(float(a_map[near].mean()) if near.any() else 0.5)
        diags.append((_autocorr(a_map, m, cell, cell) + _autocorr(a_map, m, cell, -cell)) / 2)
        half = PATTERN_PERIOD / 2
        ci = np.floor(((xx + 0.5 - cx) / unit + half / 2) / half)
        cj = np.floor(((yy + 0.5 - cy) / unit + half / 2) / half)
        board = np.where((ci + cj) % 2 == 0, 1.0, -1.0)[m]
        av = a_map[m] - a_map[m].mean()
        phases.append(float((av * board).mean() / (av.std() + 1e-6)))
    return {"centre": float(np.median(centres)), "coherence": float(np.median(coherences)),
            "diag": float(np.median(diags)), "share": float(np.median(shares)),
            "phase": float(np.median(phases))}


# ───────────────────────────── shape and size ─────────────────────────────


@dataclass
class Outline:
    """An object's shape, nominal size (64-units) and, per blob read, its centre in frame pixels.

    The centre is the blob's centroid when the blob is whole; when the frame
    cuts it off, the centre of the fitted outline (the visible centroid lags).
    """

    shape: str
    side: float
    centres: list[tuple[float, float]]
    sides: list[float]  # per blob, frame pixels


def read_shape_size(blobs: list[Blob], shape: tuple[int, int], scale: float) -> Outline:
    """Shape by best template overlap (area- and centroid-matched, or fitted to the free edges of a cut-off blob)."""
    votes = dict.fromkeys(SHAPES, 0.0)
    sizes: dict[str, list[float]] = {s: [] for s in SHAPES}
    centres: dict[str, list[tuple[float, float]]] = {s: [] for s in SHAPES}
    solidities = []
    for b in blobs:
        m = np.zeros(shape, dtype=bool)
        m[b.ys, b.xs] = True
        m = ndimage.binary_fill_holes(m)
        area = float(m.sum())
        cut = _cut_axis(b)  # a corner cut pins nothing: the whole-blob fit
        pad = int(8 * scale) if cut is None else max(shape)  # a cut object's outline may reach far inside
        y0, y1 = max(0, b.ys.min() - pad), min(shape[0], b.ys.max() + pad + 1)
        x0, x1 = max(0, b.xs.min() - pad), min(shape[1], b.xs.max() + pad + 1)
        sub = m[y0:y1, x0:x1]
        for s in SHAPES:
            if cut is None:
                side, centre = float(np.sqrt(area / SHAPE_AREA[s])), (b.cx, b.cy)
                iou = _overlap(sub, s, side, b.cx - x0, b.cy - y0)
            else:
                iou, side, centre = _fit_cut(sub, s, b, (x0, y0), cut, scale)
            votes[s] += iou
            sizes[s].append(side / scale)
            centres[s].append(centre)
        solidities.append(_solidity(m[y0:y1, x0:x1]))
    # a star is the one concave outline; blur rounds its tips (and fools the overlap) but
    # leaves it far from its convex hull
    solidity = float(np.median(solidities))
    if solidity < STAR_SOLIDITY[0]:
        best = "star"
    else:
        ranked = sorted(votes, key=votes.get, reverse=True)
        best = ranked[1] if ranked[0] == "star" and solidity > STAR_SOLIDITY[1] else ranked[0]
    return Outline(best, float(np.median(sizes[best])), centres[best], [v * scale for v in sizes[best]])


def _overlap(sub: np.ndarray, shape: str, side: float, cx: float, cy: float) -> float:
    """Intersection over union of a mask and a shape outline of ``side`` centred at (cx, cy) in its pixels."""
    dy = (np.arange(sub.shape[0], dtype=np.float32) + 0.5 - cy)[:, None]
    dx = (np.arange(sub.shape[1], dtype=np.float32) + 0.5 - cx)[None, :]
    tmpl = shape_coverage(shape, dx, dy, side / 2, 1.0) > 0.5
    return float((tmpl & sub).sum()) / max(1.0, float((tmpl | sub).sum()))


def _cut_axis(b: Blob) -> str | None:
    """"x" when only the frame's left or right edge cuts the blob, "y" when only top or bottom, else None."""
    x, y = b.cut[0] or b.cut[1], b.cut[2] or b.cut[3]
    return None if x == y else ("x" if x else "y")


def _fit_cut(sub: np.ndarray, shape: str, b: Blob, origin: tuple[int, int], cut: str,
             scale: float) -> tuple[float, float, tuple[float, float]]:
    """Best overlap, side and centre (frame pixels) of ``shape`` placed to explain a blob the frame cuts off.

    An area-matched outline on the visible centroid (the whole-blob fit) is too
    small and in the wrong place: the frame hides part of the object. Here the
    outline's edge opposite the cut sits on the blob's free edge, and its side
    and its position along the cut are searched (the visible extent along the
    cut is only a lower bound when the widest part is already hidden). The
    outline is clipped by the frame like the object. ``cut`` is "x" or "y".
    """
    x0, y0 = origin
    area = float(sub.sum())
    left, right, top, bottom = SHAPE_EXTENT[shape]
    bx0, bx1, by0, by1 = b.box
    lo = max(np.sqrt(area / SHAPE_AREA[shape]), (by1 + 1 - by0) / (top + bottom) if cut == "x"
             else (bx1 + 1 - bx0) / (left + right))
    hi = max(lo, SIZE_PX["big"] * GROW_RANGE[1] * scale * 1.1)
    side = np.repeat(np.linspace(lo, hi, 12), 7)  # every (side, position) hypothesis at once
    if cut == "x":  # x pinned by the free vertical edge, y searched
        pinned = bx0 + left * side if b.cut[1] else bx1 + 1 - right * side
        free_lo, free_hi, ext_lo, ext_hi = by0, by1 + 1, top, bottom
    else:
        pinned = by0 + top * side if b.cut[3] else by1 + 1 - bottom * side
        free_lo, free_hi, ext_lo, ext_hi = bx0, bx1 + 1, left, right
    # the outline must cover the visible extent across the cut: its centre lies between these
    c_lo, c_hi = free_hi - ext_hi * side, free_lo + ext_lo * side
    searched = np.minimum(c_lo, c_hi) + np.abs(c_hi - c_lo) * np.tile(np.linspace(0, 1, 7), 12)
    cx, cy = (pinned, searched) if cut == "x" else (searched, pinned)
    # only the box every hypothesis fits in can differ (the blob lies inside it too)
    ya = max(0, int(np.floor((cy - top * side).min())) - y0)
    yb = min(sub.shape[0], int(np.ceil((cy + bottom * side).max())) - y0 + 1)
    xa = max(0, int(np.floor((cx - left * side).min())) - x0)
    xb = min(sub.shape[1], int(np.ceil((cx + right * side).max())) - x0 + 1)
    sub = sub[ya:yb, xa:xb]
    dy = (np.arange(ya, yb, dtype=np.float32)[None, :, None] + y0 + 0.5 - cy[:, None, None].astype(np.float32))
    dx = (np.arange(xa, xb, dtype=np.float32)[None, None, :] + x0 + 0.5 - cx[:, None, None].astype(np.float32))
    tmpl = shape_coverage(shape, dx, dy, side[:, None, None].astype(np.float32) / 2, 1.0) > 0.5
    iou = (tmpl & sub).sum(axis=(1, 2)) / np.maximum(1.0, (tmpl | sub).sum(axis=(1, 2)))
    k = int(np.argmax(iou))
    return float(iou[k]), float(side[k]), (float(cx[k]), float(cy[k]))


def _solidity(mask: np.ndarray) -> float:
    """Pixels of a mask over the pixels inside the convex hull of their centres (1 = convex).

    Counting lattice points rather than areas makes a digitally convex shape score
    1 at any size (pixel staircases on slanted edges do not count against it).
    """
    ys, xs = np.nonzero(mask)
    pts = np.c_[xs, ys].astype(np.float64)
    try:
        hull = ConvexHull(pts)
    except QhullError:  # degenerate (a line of pixels)
        return 1.0
    gy, gx = np.mgrid[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float64)
    inside = (grid @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9).all(axis=1)
    return float(len(ys) / max(1, int(inside.sum())))


def size_name(side_px64: float) -> str:
    """Size class of a nominal side length in 64-units."""
    return "big" if side_px64 > SIZE_THRESHOLD_PX else "small"
