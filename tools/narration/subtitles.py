"""Subtitle cues from the narration's timings, written as SubRip (``.srt``) and WebVTT (``.vtt``).

A cue's text is the spoken line as it is. Each format has its own way to
carry arbitrary text: SubRip has no escapes, so a blank line (which would end
the cue) becomes a single line break; WebVTT escapes ``&``, ``<`` and ``>``
as entities and never lets ``-->`` stand in a cue's text. The MP4's soft
track (mov_text) is muxed from an ASS script (``to_ass``), whose override
codes are neutralised, so the text a player shows is the line verbatim.
Times are milliseconds (ASS: centiseconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from longcut.tools.paths import atomic_output


@dataclass(frozen=True)
class Cue:
    """One subtitle: from ``start`` to ``end`` seconds, ``text`` as spoken."""

    start: float
    end: float
    text: str


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _lines(text: str) -> str:
    """The text with line ends normalised and no blank line inside (a blank line ends a cue)."""
    text = text.replace("\r\n", "\n").strip("\n")
    return re.sub(r"\n\s*\n+", "\n", text)


def to_srt(cues: list[Cue]) -> str:
    """The cues as a SubRip document."""
    blocks = [f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{_lines(c.text)}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def vtt_text(text: str) -> str:
    """A cue's text escaped for WebVTT (entities for ``& < >``, so ``-->`` cannot appear)."""
    return _lines(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue]) -> str:
    """The cues as a WebVTT document."""
    blocks = [f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{vtt_text(c.text)}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def write_sidecars(cues: list[Cue], stem: Path) -> tuple[Path, Path]:
    """Write ``stem.srt`` and ``stem.vtt`` atomically; returns both paths."""
    out = []
    for suffix, text in ((".srt", to_srt(cues)), (".vtt", to_vtt(cues))):
        path = stem.with_suffix(suffix)
        with atomic_output(path) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
        out.append(path)
    return out[0], out[1]


def ass_text(text: str) -> str:
    r"""A cue's text for an ASS event, which ffmpeg turns into the MP4's mov_text track.

    Line breaks become ``\N``. ASS reads ``{\`` as the start of an override
    block and ``\n``, ``\N``, ``\h`` as breaks and spaces; a word joiner
    (U+2060, invisible) is put after the backslash of ``\n``, ``\N``, ``\h`` and between
    ``{`` and ``\``, so they show as typed.
    Every other character, braces and ``%`` included, is kept as it is.
    """
    text = re.sub(r"\\(?=[nNh])", "\\\\\u2060", _lines(text)).replace("{\\", "{\u2060\\")
    return text.replace("\n", "\\N")


def to_ass(cues: list[Cue], width: int, height: int) -> str:
    """The cues as a minimal ASS script (what ffmpeg muxes into a mov_text track)."""
    head = ("[Script Info]\nScriptType: v4.00+\n"
            f"PlayResX: {width}\nPlayResY: {height}\n\n"
            "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, Alignment\n"
            f"Style: Default,Sans,{max(8, height // 14)},&H00FFFFFF,2\n\n"
            "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")

    def clock(seconds: float) -> str:
        cs = max(0, round(seconds * 100))
        return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"

    events = [f"Dialogue: 0,{clock(c.start)},{clock(c.end)},Default,,0,0,0,,{ass_text(c.text)}\n" for c in cues]
    return head + "".join(events)


def write_ass(cues: list[Cue], path: Path, width: int, height: int) -> Path:
    """Write the cues as an ASS script at ``path``, atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(to_ass(cues, width, height), encoding="utf-8", newline="\n")
    return path
