"""Helpers for the narration tests: tones as WAV files, a fake espeak-ng, band levels of a soundtrack."""

from __future__ import annotations

import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

RATE = 16000

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng)")


def write_tone(path: Path, freq: float, seconds: float, amplitude: float = 0.3, rate: int = 22050) -> Path:
    """A mono 16-bit WAV of a sine tone."""
    t = np.arange(round(seconds * rate)) / rate
    samples = (amplitude * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def band_db(samples: np.ndarray, lo: float, hi: float, rate: int = RATE) -> float:
    """Peak spectral level (dB) of ``samples`` between ``lo`` and ``hi`` Hz."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(20 * np.log10(spectrum[(freqs >= lo) & (freqs <= hi)].max() + 1e-9))


def rms_windows(samples: np.ndarray, window: float = 0.1, rate: int = RATE) -> np.ndarray:
    """RMS level (dBFS) of each ``window``-second window."""
    n = round(window * rate)
    w = samples[: len(samples) // n * n].reshape(-1, n)
    return 20 * np.log10(np.sqrt((w**2).mean(axis=1)) + 1e-9)


FAKE_ESPEAK = '''#!{python}
"""A stand-in espeak-ng: records its arguments and standard input, writes one second of tone."""
import json, sys, wave, math, struct
args = sys.argv[1:]
if args == ["--version"]:
    print("eSpeak NG text-to-speech: 9.99-fake  Data at: nowhere")
    sys.exit(0)
text = sys.stdin.buffer.read().decode("utf-8")
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"args": args, "stdin": text}}) + "\\n")
out = args[args.index("-w") + 1]
with wave.open(out, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
    frames = [0] * 2205 + [int(8000 * math.sin(2 * math.pi * 440 * i / 22050)) for i in range(22050)] + [0] * 2205
    w.writeframes(struct.pack("<%dh" % len(frames), *frames))
'''


def fake_espeak(folder: Path) -> tuple[str, Path]:
    """A folder holding a fake ``espeak-ng`` (to use as PATH) and the log it writes."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.jsonl"
    exe = folder / "espeak-ng"
    exe.write_text(FAKE_ESPEAK.format(python=sys.executable, log=str(log)), encoding="utf-8")
    exe.chmod(0o755)
    return str(folder), log
