r"""Overlay text: what may be drawn, with which font, and how it is fitted to the frame.

Every entry point that draws text (the timeline's text overlays, the
``text_overlay`` edit tool, a storyboard's title and captions) validates it
with ``OverlayText``: a ``\r\n`` is read as a newline, and any other control
character is refused, because drawtext stops at a NUL and draws a carriage
return as a blank line, so such text would not be drawn as given.

Drawing (``filters.draw_text``) then picks a font that has every character
(``font_for_text``: the default font, else one fontconfig finds, else a clear
refusal) and fits the text inside the frame (``fit_text``: shrink, then wrap).
"""

from __future__ import annotations

import functools
import logging
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

from longcut.errors import InputError

log = logging.getLogger(__name__)

_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # controls, lone surrogates, line/paragraph separators


def check_overlay_text(text: str) -> str:
    r"""``text`` with ``\r\n`` as ``\n``; a ``ValueError`` naming any other control character."""
    text = text.replace("\r\n", "\n")
    for i, ch in enumerate(text):
        if ch != "\n" and unicodedata.category(ch) in _REFUSED_CATEGORIES:
            raise ValueError(f"text has the control character U+{ord(ch):04X} at position {i}; "
                             "only newlines (\\n) may be used, to break lines")
    return text


OverlayText = Annotated[str, AfterValidator(check_overlay_text)]


# ------------------------------------------------------------------ fonts
_OUTLINE_TABLES = {"glyf", "CFF ", "CFF2"}  # drawtext scales outlines; a bitmap-only (colour emoji) font it cannot


@functools.cache
def _code_points(font: Path) -> frozenset[int] | None:
    """The characters ``font`` has outlines for, or None if it is not a usable outline font."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(str(font), lazy=True, fontNumber=0) as tt:
            if not _OUTLINE_TABLES & set(tt.keys()):
                return None
            return frozenset(tt.getBestCmap() or {})
    except (OSError, TTLibError, KeyError, AssertionError):
        return None


def _drawn_chars(text: str) -> set[str]:
    """The characters of ``text`` that need a glyph (not newlines, format characters or variation selectors)."""
    return {c for c in text if c != "\n" and unicodedata.category(c) != "Cf" and not 0xFE00 <= ord(c) <= 0xFE0F}


def missing_chars(text: str, font: Path) -> list[str]:
    """Characters of ``text`` that ``font`` cannot draw, in the order they first appear."""
    have, drawn = _code_points(font) or frozenset(), _drawn_chars(text)
    return list(dict.fromkeys(c for c in text if c in drawn and ord(c) not in have))


@functools.cache
def _fonts_with(chars: str) -> tuple[Path, ...]:
    """Installed fonts (fontconfig) that have every one of ``chars``; empty without fontconfig."""
    charset = " ".join(f"{ord(c):x}" for c in chars)
    try:
        out = subprocess.run(["fc-list", f":charset={charset}", "--format", "%{file}|%{index}\\n"],
                             capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    files = [line.rpartition("|")[0] for line in sorted(out.splitlines()) if line.endswith("|0")]
    return tuple(Path(f) for f in dict.fromkeys(files) if f)


def font_for_text(text: str, primary: Path) -> Path:
    """``primary`` if it can draw every character of ``text``, else an installed font that can.

    drawtext draws a character its font lacks as an empty box, so text with
    characters no installed font has (emoji, CJK on a machine without such
    fonts) is refused with an ``InputError`` naming them.
    """
    missing = missing_chars(text, primary)
    if not missing:
        return primary
    for font in _fonts_with("".join(missing)):
        if not missing_chars(text, font):
            log.info("overlay text needs %s: using %s", missing[:5], font)
            return font
    shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:5]) + (" …" if len(missing) > 5 else "")
    raise InputError(f"no installed font can draw {shown} of the text {text[:40]!r}; install a font that has "
                     "them (with outlines, e.g. Noto Sans CJK; colour-bitmap emoji fonts cannot be scaled) "
                     "or set LONGCUT_FONT to one, or leave those characters out")


# ----------------------------------------------------------------- fitting
MIN_FONT_SIZE = 8  # px; text is never drawn smaller
SHRINK_BEFORE_WRAP = 0.6  # a line too wide shrinks down to this share of the asked size before it is wrapped
_SAFETY = 0.96  # drawtext's shaping and Pillow's measure differ by a pixel or two


def _sizes(start: int, stop: int) -> list[int]:
    """Font sizes from ``start`` down to ``stop``, about 8% apart."""
    out, s = [], start
    while s > stop:
        out.append(s)
        s = min(s - 1, int(s * 0.92))
    return [*out, stop]


def _wrap(paragraph: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the line is broken between characters."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if fits(line + ch) or not line:
                line += ch
            else:
                lines.append(line)
                line = ch
    lines.append(line)
    return lines


def fit_text(text: str, font: Path, size: int, max_width: int, max_height: int) -> tuple[str, int]:
    """``text`` (with line breaks added) and a font size at which it fits ``max_width`` × ``max_height`` pixels.

    A line that is too wide first shrinks the font (down to
    ``SHRINK_BEFORE_WRAP`` of ``size``), then is wrapped at word boundaries;
    text that still does not fit shrinks on, down to ``MIN_FONT_SIZE``, and
    past that is an ``InputError``.
    """
    from PIL import ImageFont

    paragraphs = text.split("\n")
    floor = max(MIN_FONT_SIZE, min(size, round(size * SHRINK_BEFORE_WRAP)))

    def layout(s: int, wrap: bool) -> list[str] | None:
        face = ImageFont.truetype(str(font), s)
        ascent, descent = face.getmetrics()
        line_h = max(ascent + descent, face.font.height)

        def fits(line: str) -> bool:
            return face.getlength(line) <= max_width * _SAFETY

        lines = [w for p in paragraphs for w in _wrap(p, fits)] if wrap else paragraphs
        ok = all(fits(line) for line in lines) and len(lines) * line_h <= max_height * _SAFETY
        return lines if ok else None

    for s in _sizes(size, floor):
        if layout(s, wrap=False) is not None:
            return text, s
    for s in _sizes(floor, MIN_FONT_SIZE):
        lines = layout(s, wrap=True)
        if lines is not None:
            return "\n".join(lines), s
    raise InputError(f"the text {text[:40]!r} does not fit a {max_width}×{max_height} px area even at "
                     f"{MIN_FONT_SIZE} px; shorten it")
