"""Overlay text fits the frame, and is drawn with a font that has its characters (or refused)."""

import shutil
import subprocess

import numpy as np
import pytest
from PIL import ImageFont

from longcut.errors import InputError
from longcut.tools import filters, overlay_text
from longcut.tools.media import read_frame
from longcut.tools.runner import ffmpeg_exe
from longcut.tools.timeline import Timeline, render

SIZE = 256


@pytest.fixture
def black(project):
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=black:size=64x64:rate=8", "-t", "2",
                    "-pix_fmt", "yuv420p", str(project.root / "black.mp4")], check=True)
    return project


def drawn_box(project, text, **overlay):
    """Columns and rows of the text's pixels in a 256×256 render of ``text`` over black."""
    tl = Timeline.model_validate({"width": SIZE, "height": SIZE, "fps": 8, "clips": [{"source": "black.mp4"}],
                                  "overlays": [{"type": "text", "text": text, "start": 0, "end": 2,
                                                "font_size": 32, **overlay}]})
    out = project.root / "out.mp4"
    render(tl, out, project)
    frame = read_frame(out, 1.0).astype(int)
    ys, xs = np.nonzero(frame.min(axis=2) > 100)
    assert xs.size, "no text was drawn"
    return xs.min(), xs.max(), ys.min(), ys.max()


@pytest.mark.parametrize("text, overlay", [
    ("Night falls on the meadow", {"position": "center"}),
    ("Night falls on the meadow", {"position": "bottom"}),
    ("Night falls on the meadow", {"position": "top-left"}),
    ("Supercalifragilisticexpialidocious", {"position": "center"}),  # one word: broken between letters
    ("A title\nwith a much longer second line than fits", {"position": "top"}),
    ("Night falls on the meadow", {"x": 100, "y": 20}),
])
def test_text_stays_inside_the_frame(black, text, overlay):
    x0, x1, y0, y1 = drawn_box(black, text, **overlay)
    assert 0 < x0 and x1 < SIZE - 1 and 0 < y0 and y1 < SIZE - 1, (x0, x1, y0, y1)


def test_a_short_title_keeps_its_size_and_a_long_one_shrinks_then_wraps():
    font = filters.font_file()
    assert overlay_text.fit_text("Home", font, 32, 230, 230) == ("Home", 32)
    text, size = overlay_text.fit_text("Night falls on the meadow", font, 32, 230, 230)
    assert size == round(32 * overlay_text.SHRINK_BEFORE_WRAP) and text.count("\n") == 1  # shrunk, then wrapped
    face = ImageFont.truetype(str(font), size)
    assert all(face.getlength(line) <= 230 for line in text.split("\n"))
    assert text.replace("\n", " ") == "Night falls on the meadow"  # every word, in order


def test_characters_the_default_font_lacks_come_from_an_installed_font(black, monkeypatch):
    if not shutil.which("fc-list") or not overlay_text._fonts_with("Ω"):
        pytest.skip("no fontconfig font with Greek letters here")
    pillow_font = filters.font_file.__wrapped__  # the real search, then force Pillow's Latin-only font
    monkeypatch.setattr(filters, "_FONT_CANDIDATES", ())
    monkeypatch.delenv("LONGCUT_FONT", raising=False)
    filters.font_file.cache_clear()
    try:
        primary = pillow_font()
        assert overlay_text.missing_chars("Ωμέγα", primary) == list("Ωμέγα")
        font = overlay_text.font_for_text("Ωμέγα", primary)
        assert font != primary and not overlay_text.missing_chars("Ωμέγα", font)
        drawn_box(black, "Ωμέγα")
    finally:
        filters.font_file.cache_clear()


@pytest.mark.parametrize("text", ["夜が来る", "Home 🦄"])
def test_characters_no_installed_font_has_are_refused(project, text):
    odd = next(c for c in text if ord(c) > 0x2FFF)  # the first character a Latin font lacks
    if overlay_text._fonts_with(odd):
        pytest.skip(f"this machine has a font for {odd!r}")
    with pytest.raises(InputError, match=f"no installed font can draw '{odd}' .U\\+{ord(odd):04X}."):
        render(Timeline.model_validate({"width": 64, "height": 64, "clips": [{"source": "red.mp4"}],
                                        "overlays": [{"type": "text", "text": text, "start": 0, "end": 1}]}),
               project.root / "out.mp4", project)
    assert not (project.root / "out.mp4").exists()
