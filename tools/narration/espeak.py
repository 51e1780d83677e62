"""The espeak-ng engine: the distribution's ``espeak-ng``, run without a shell.

The text goes to espeak-ng on its standard input (``--stdin``), never on the
command line, so nothing in it can be read as an option. espeak-ng reads
``[[…]]`` as phoneme codes, so a ``[[`` in a line is spoken as two brackets
(a space keeps them apart); nothing else is changed. Leading and trailing
silence is cut from the WAV, so its length is the time the line is spoken.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from longcut.tools.narration.speaker import EngineStatus, SpeechError, check_voice, check_wpm
from longcut.tools.runner import child_options, stderr_tail

DEFAULT_VOICE = "en"
SYNTH_TIMEOUT = 120  # seconds for one line
SILENCE_LEVEL = 10 ** (-50 / 20)  # -50 dBFS: quieter than this at a line's ends is silence
_KEEP_SECONDS = 0.02  # kept either side of the voiced part, so no consonant is clipped


def find(search_path: str | None = None) -> str | None:
    """The ``espeak-ng`` executable on ``search_path`` (default: PATH), or None."""
    return shutil.which("espeak-ng", path=search_path)


@functools.cache
def _version(exe: str) -> str:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20, check=False,
                         **child_options()).stdout
    m = re.search(r"text-to-speech:\s*(\S+)", out)
    return m.group(1) if m else "unknown"


def status(search_path: str | None = None) -> EngineStatus:
    """Whether espeak-ng can run here, for ``longcut doctor``."""
    exe = find(search_path)
    if exe is None:
        return EngineStatus("espeak", False, "espeak-ng not found: `apt-get install espeak-ng` for narration")
    return EngineStatus("espeak", True, f"espeak-ng {_version(exe)}: {exe}")


def speakable(text: str) -> str:
    """``text`` as espeak-ng must be given it to speak it verbatim (``[[`` is not phoneme input)."""
    while "[[" in text:
        text = text.replace("[[", "[ [")
    return text


class EspeakSpeaker:
    """Speaks lines with espeak-ng (``voice``: an espeak-ng voice such as ``en``, ``en-us``, ``en+f3``)."""

    engine = "espeak"

    def __init__(self, exe: str, voice: str = DEFAULT_VOICE, wpm: int = 165) -> None:
        self.exe, self.voice, self.wpm = exe, check_voice(voice), check_wpm(wpm)

    @property
    def version(self) -> str:
        """espeak-ng's version string."""
        return _version(self.exe)

    def synthesize(self, text: str, out: Path) -> None:
        """Write ``text`` spoken as a mono WAV at ``out`` (silence at its ends cut)."""
        cmd = [self.exe, "-v", self.voice, "-s", str(self.wpm), "-w", str(out), "--stdin"]
        try:
            proc = subprocess.run(cmd, input=speakable(text).encode("utf-8"), capture_output=True,
                                  timeout=SYNTH_TIMEOUT, check=False, **child_options())
        except subprocess.TimeoutExpired as err:
            raise SpeechError(f"espeak-ng took over {SYNTH_TIMEOUT}s on the line {text[:40]!r}") from err
        if proc.returncode != 0 or not out.is_file():
            raise SpeechError(f"espeak-ng failed (exit {proc.returncode}) on the line {text[:40]!r}: "
                              f"{stderr_tail(proc.stderr)} (is the voice {self.voice!r} installed? "
                              "`espeak-ng --voices` lists them)")
        trim_silence(out)


def trim_silence(path: Path) -> None:
    """Cut the silence at both ends of a 16-bit WAV, in place (a line that is all silence is kept whole)."""
    with wave.open(str(path), "rb") as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    if params.sampwidth != 2:
        return
    samples = np.frombuffer(frames, np.int16).reshape(-1, params.nchannels)
    loud = np.flatnonzero(np.abs(samples).max(axis=1) > SILENCE_LEVEL * 32768)
    if loud.size == 0:
        return
    keep = round(_KEEP_SECONDS * params.framerate)
    a, b = max(0, loud[0] - keep), min(len(samples), loud[-1] + 1 + keep)
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(samples[a:b].tobytes())
