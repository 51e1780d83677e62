"""The ``Speaker`` protocol and which speech engines this machine has.

A speaker turns one line of text into a WAV file, offline. Engines are
looked up by name; ``auto`` is Piper when the voice names a Piper voice
(``joe``, or one added with ``--voice PATH``), else espeak-ng. espeak-ng
(from the distribution's packages) is the floor: it runs on a fresh machine
with no hub and no weights; Piper is an optional extra (``tools.narration.piper``).
Without the engine a line needs, asking for narration is a clear
``NoSpeechEngine`` error and nothing else is affected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from longcut.errors import InputError, LongcutError

ENGINE_NAMES = ("espeak", "piper")  # what a storyboard's narration engine may name besides "auto"
DEFAULT_WPM = 165  # words per minute: espeak-ng's usual rate, an unhurried narrator
MIN_WPM, MAX_WPM = 80, 400
_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+.-]{0,39}$")  # espeak-ng voice names: en, en-us, en+f3, …


class NoSpeechEngine(LongcutError):
    """Narration was asked for and no speech engine is installed (or the one named is not)."""


class SpeechError(LongcutError):
    """A speech engine failed on a line; the message carries its stderr."""


@dataclass(frozen=True)
class EngineStatus:
    """One engine as ``longcut doctor`` shows it."""

    name: str
    available: bool
    detail: str


@runtime_checkable
class Speaker(Protocol):
    """Speaks one line into a WAV file."""

    engine: str  # "espeak"
    voice: str  # the engine's voice name
    wpm: int  # speaking rate, words per minute

    @property
    def version(self) -> str:
        """The engine's version: part of every synthesis cache key."""
        ...

    def synthesize(self, text: str, out: Path) -> None:
        """Write ``text``, spoken verbatim, as a WAV file at ``out``."""
        ...


def check_voice(voice: str) -> str:
    """``voice`` if it is a plain voice name (letters, digits, ``_+.-``, not starting with ``-``)."""
    if not _VOICE_RE.fullmatch(voice):
        raise InputError(f"voice {voice!r} is not a voice name: use letters, digits and _ + . - "
                         "(e.g. 'en', 'en-us', 'en+f3'), at most 40 characters")
    return voice


def check_wpm(wpm: int) -> int:
    """``wpm`` if it is a speaking rate we allow."""
    if not (isinstance(wpm, int) and MIN_WPM <= wpm <= MAX_WPM):
        raise InputError(f"speaking rate must be {MIN_WPM}..{MAX_WPM} words per minute, got {wpm!r}")
    return wpm


def engines(search_path: str | None = None) -> list[EngineStatus]:
    """Every engine and whether it can run here (``search_path``: a PATH to look in, default the process's)."""
    from longcut.tools.narration import espeak, piper

    return [espeak.status(search_path), piper.status()]


def get_speaker(engine: str = "auto", voice: str | None = None, wpm: int = DEFAULT_WPM,
                search_path: str | None = None) -> Speaker:
    """The speaker for ``engine`` (``auto``: Piper for a Piper voice's name, else espeak-ng), or ``NoSpeechEngine``."""
    from longcut.tools.narration import espeak, piper

    if engine not in ("auto", *ENGINE_NAMES):
        raise InputError(f"speech engine {engine!r} is not one of auto, {', '.join(ENGINE_NAMES)}")
    check_wpm(wpm)
    if voice is not None:
        check_voice(voice)
    if engine == "piper" or (engine == "auto" and voice is not None and piper.is_piper_voice(voice)):
        if not piper.installed():
            raise NoSpeechEngine(f"the voice {voice or piper.DEFAULT_VOICE!r} is a Piper voice and Piper is not "
                                 "installed: `pip install 'longcut[piper]'`, or leave out --voice for espeak-ng")
        return piper.PiperSpeaker(voice or piper.DEFAULT_VOICE, wpm)
    exe = espeak.find(search_path)
    if exe is not None:
        return espeak.EspeakSpeaker(exe, voice or espeak.DEFAULT_VOICE, wpm)
    raise NoSpeechEngine(
        "narration needs a speech engine and none is installed: install espeak-ng "
        "(Debian/Ubuntu: `sudo apt-get install espeak-ng`; macOS: `brew install espeak-ng`), "
        "or make the video without narration (leave out --narrate and any narration lines)")


def doctor_check() -> tuple[str, bool, str]:
    """``longcut doctor`` line: which speech engines narration can use."""
    found = engines()
    detail = "; ".join(f"{e.name}: {e.detail}" for e in found)
    if not any(e.available for e in found):
        return "speech", False, f"no engine, narration unavailable (everything else works): {detail}"
    if not found[0].available:  # espeak-ng, the default voice's engine
        return "speech", True, f"only Piper: narration needs a Piper voice (--voice joe); {detail}"
    return "speech", True, detail
