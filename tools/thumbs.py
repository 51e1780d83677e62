"""A take's poster (a filmstrip of frames) and its low-bitrate preview clip, made with the media tools.

Both read the take through ``media.read_frames`` (one ffmpeg, frames
streamed) and write atomically: the poster as a JPEG through Pillow, the
preview through ``VideoWriter`` at a high CRF and a small size, without
sound. They are made once per take and cached by the caller.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from longcut.errors import MediaError
from longcut.tools.media import VideoWriter, probe, read_frames
from longcut.tools.paths import atomic_output

FILMSTRIP_FRAMES = 4
FILMSTRIP_HEIGHT = 96  # pixels of each frame in the strip
PREVIEW_WIDTH = 240  # at most; smaller takes keep their size
PREVIEW_CRF = 34  # low bitrate: a glance, not the master


def _even(x: float) -> int:
    return max(16, int(round(x / 2)) * 2)


def _size(width: int, height: int, max_width: int) -> tuple[int, int]:
    scale = min(1.0, max_width / width)
    return _even(width * scale), _even(height * scale)


def filmstrip(src: Path, out: Path, frames: int = FILMSTRIP_FRAMES, height: int = FILMSTRIP_HEIGHT) -> Path:
    """``frames`` frames of ``src`` evenly spread over its length, side by side, as a JPEG at ``out``."""
    info = probe(src)
    width = _even(info.width * height / info.height)
    fps = frames / info.duration if info.duration > 0 else None
    picked = []
    for frame in read_frames(src, size=(width, _even(height)), fps=fps):
        picked.append(frame)
        if len(picked) == frames:
            break
    if not picked:
        raise MediaError(f"no frames in {src.name!r}")
    strip = np.concatenate(picked, axis=1)  # (h, w·n, 3)
    with atomic_output(out) as tmp:
        Image.fromarray(strip).save(tmp, format="JPEG", quality=80)
    return out


def preview_clip(src: Path, out: Path, max_width: int = PREVIEW_WIDTH, crf: int = PREVIEW_CRF) -> Path:
    """A small, silent, low-bitrate H.264 copy of ``src`` at ``out``, streamed frame by frame."""
    info = probe(src)
    size = _size(info.width, info.height, max_width)
    with VideoWriter(out, fps=info.fps or 24.0, size=size, crf=crf) as writer:
        for frame in read_frames(src, size=size):
            writer.write(frame)
    return out
