"""Helpers for the tools tests (the fixtures live in conftest.py)."""

from pathlib import Path

import numpy as np

from longcut.tools.media import read_audio, read_frame

FPS = 24
ONE_FRAME = 1 / FPS


def frame_at(path: Path, t: float) -> np.ndarray:
    return read_frame(path, t).astype(int)


def rms(path: Path) -> float:
    samples = read_audio(path)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def near(pixel, rgb, tol=40) -> bool:
    return all(abs(int(p) - c) <= tol for p, c in zip(pixel, rgb, strict=True))
