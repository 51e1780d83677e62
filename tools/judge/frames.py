"""What the judge is shown: K frames of a shot (first, last, evenly between) on one downscaled contact sheet."""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image


def sample_indices(n: int, k: int) -> list[int]:
    """``k`` frame indices of ``n``: the first, the last and evenly spaced between (fewer when ``n < k``)."""
    if n <= 0:
        return []
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def _fit(image: Image.Image, size: int) -> Image.Image:
    """Scaled so the longer side is ``size`` px (never enlarged past 4×: the tiny model's 64 px stay readable)."""
    scale = min(size / max(image.size), 4.0)
    w, h = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    return image.resize((w, h), Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST)


def contact_sheet(frames: np.ndarray, indices: list[int], size: int) -> Image.Image:
    """The chosen frames (``T×H×W×3`` uint8) as one grid image, each scaled to ``size`` px on its longer side."""
    tiles = [_fit(Image.fromarray(frames[i]), size) for i in indices]
    cols = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    tw, th = tiles[0].size
    sheet = Image.new("RGB", (cols * tw, rows * th))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % cols) * tw, (i // cols) * th))
    return sheet


def image_fitted(image: Image.Image, size: int) -> Image.Image:
    """A reference image scaled as the frames are."""
    return _fit(image.convert("RGB"), size)


def data_url(image: Image.Image) -> str:
    """A PNG data URL: images travel in the request body, never as a path or a link."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
