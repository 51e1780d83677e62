"""Reading plain request text: target length, title, and the clauses that become shots."""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "half a": 0.5,
}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + r")"
_LENGTH_RE = re.compile(
    rf"\b{_NUM}[\s-]*(hours?|hrs?|minutes?|mins?|m|seconds?|secs?|s)\b(?:[\s-]*long)?", re.IGNORECASE
)
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
# Quoted text, taken whole: commas and full stops inside it are the user's. A
# single quote opens only after a non-letter and closes only before one, so an
# apostrophe ("the ball's", 'don't stop') is not a quote. One group per quote kind.
QUOTED = r"""(?:"([^"]{1,200})"|“([^”]{1,200})”|‘([^’]{1,200})’|(?<!\w)'((?:[^']|'(?=\w)){1,200}?)'(?!\w))"""
QUOTED_RE = re.compile(QUOTED)
SECONDS_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\b", re.IGNORECASE)  # "2 s", "1.5 seconds" in feedback
_TITLE_RE = re.compile(rf"""\btitled?\s*(?:it\s*)?:?\s*{QUOTED}""", re.IGNORECASE)
_PREAMBLE_RE = re.compile(
    r"^\s*(?:please\s+)?(?:make|create|generate|render|give)?\s*(?:me\s+)?(?:an?\s+)?[^:]{0,60}?"
    r"\b(?:video|clip|film|movie|animation)\b[^:]{0,40}?(?::|\b(?:of|about|where|in which|showing|with)\b)\s*",
    re.IGNORECASE,
)
_SPLIT_RE = re.compile(
    r"\s*(?:[.;!?]+|,\s*(?:and\s+)?(?:then\s+)?|\s+and\s+then\s+|\s+then\s+|\s+after\s+that,?\s+"
    r"|\s+afterwards,?\s+|\s+finally,?\s+|\s+later,?\s+)\s*",
    re.IGNORECASE,
)

_LEADING_LINK_RE = re.compile(r"^(?:and\s+)?(?:then|finally|afterwards|after that|later)\b,?\s*", re.IGNORECASE)


def parse_seconds(text: str) -> float | None:
    """The video length a request asks for ("a 90-second video", "10 minutes"), or None."""
    best = None
    for m in _LENGTH_RE.finditer(text):
        raw, unit = m.group(1).lower(), m.group(2).lower()
        value = float(raw) if raw[0].isdigit() else float(NUMBER_WORDS[raw])
        if unit in ("m", "s") and not raw[0].isdigit():
            continue  # "a m" / "one s" are not lengths
        seconds = value * _UNIT_SECONDS[unit[0]]
        best = seconds if best is None else best  # the first length mentioned wins
    return best


def quoted(m: re.Match) -> str:
    """The text inside the quotes of a match of ``QUOTED``."""
    return next(g for g in m.groups() if g is not None)


def parse_title(text: str) -> str | None:
    """A quoted title ("titled 'Home'"), or None."""
    m = _TITLE_RE.search(text)
    return quoted(m).strip() if m else None


def shot_clauses(text: str) -> list[str]:
    """Split a request into the clauses that become shots, minus length, title and preamble."""
    body = _TITLE_RE.sub(" ", text)
    body = _PREAMBLE_RE.sub("", body, count=1)
    body = _LENGTH_RE.sub(" ", body)
    parts = [_LEADING_LINK_RE.sub("", p.strip(" ,:-\"'")) for p in _SPLIT_RE.split(body)]
    return [p for p in parts if re.search(r"[a-zA-Z]{2,}", p)]


def without_title(text: str) -> str:
    """The request with its quoted title ("titled 'Home'") taken out."""
    return _TITLE_RE.sub(" ", text)
