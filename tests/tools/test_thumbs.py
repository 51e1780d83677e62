"""A take's filmstrip poster and preview clip: sizes, frames spread over the take, small and silent."""

import numpy as np
from PIL import Image

from longcut.tools.media import VideoWriter, probe
from longcut.tools.thumbs import filmstrip, preview_clip


def _take(path, size=(640, 360), frames=48):
    w, h = size
    with VideoWriter(path, fps=24, size=size) as out:
        for i in range(frames):  # brightness rises frame by frame: where a strip frame comes from is readable
            out.write(np.full((h, w, 3), int(i * 255 / (frames - 1)), np.uint8))
    return path


def test_the_filmstrip_spreads_its_frames_over_the_take(tmp_path):
    strip = np.asarray(Image.open(filmstrip(_take(tmp_path / "a.mp4"), tmp_path / "a.jpg")).convert("L"))
    assert strip.shape == (96, 4 * 170)  # 640x360 scaled to 96 high: 170.67 → 170 (even)
    levels = [strip[:, i * 170:(i + 1) * 170].mean() for i in range(4)]
    assert levels == sorted(levels) and levels[0] < 60 and levels[-1] > 180


def test_the_preview_is_small_silent_and_as_long_as_the_take(tmp_path):
    src = _take(tmp_path / "a.mp4")
    clip = probe(preview_clip(src, tmp_path / "p.mp4"))
    assert (clip.width, clip.height) == (240, 136) and not clip.has_audio
    assert abs(clip.duration - probe(src).duration) < 0.1
    assert (tmp_path / "p.mp4").stat().st_size < src.stat().st_size
    small = probe(preview_clip(_take(tmp_path / "b.mp4", size=(64, 64)), tmp_path / "q.mp4"))
    assert (small.width, small.height) == (64, 64)  # a small take keeps its size
