"""Synthesis cache: a spoken line is keyed by (engine, its version, voice, rate, text), like a shot.

Same key, same file: a refine that keeps a line speaks it again for free,
and a project's lines live at ``narration/<key>.wav`` inside its folder.
Files are written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import wave
from dataclasses import dataclass
from pathlib import Path

from longcut.tools.narration.speaker import Speaker
from longcut.tools.paths import atomic_output

FOLDER = "narration"


@dataclass(frozen=True)
class Speech:
    """A spoken line on disk: its file (relative to the project folder) and how long it lasts."""

    file: str
    seconds: float


def speech_key(speaker: Speaker, text: str) -> str:
    """The cache key of ``text`` spoken by ``speaker``."""
    payload = json.dumps({"engine": speaker.engine, "version": speaker.version, "voice": speaker.voice,
                          "wpm": speaker.wpm, "text": text}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def wav_seconds(path: Path) -> float:
    """How long a WAV file lasts."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


class SpeechCache:
    """Spoken lines of one project folder (``root``), made on first use."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, speaker: Speaker, text: str) -> str:
        """Where ``text`` spoken by ``speaker`` lives, relative to the project folder."""
        return f"{FOLDER}/{speech_key(speaker, text)}.wav"

    def speak(self, speaker: Speaker, text: str) -> Speech:
        """``text`` spoken by ``speaker``: from the cache, or synthesized now and kept."""
        rel = self.path(speaker, text)
        target = self.root / rel
        if not target.is_file():
            with atomic_output(target) as tmp:
                speaker.synthesize(text, tmp)
        return Speech(file=rel, seconds=wav_seconds(target))
