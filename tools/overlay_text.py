r"""Overlay text: what may be drawn, and how it is fitted to the frame.

Every entry point that draws text (the timeline's text overlays, the
``text_overlay`` edit tool, a storyboard's title and captions) validates it
with ``OverlayText``: a ``\r\n`` is read as a newline, and any other control
character is refused, because drawtext stops at a NUL and draws a carriage
return as a blank line, so such text would not be drawn as given.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

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
