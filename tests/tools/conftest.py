"""Test media made by ffmpeg once per session: testsrc/colour clips, tones, an image."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from media_helpers import FPS

from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import run_ffmpeg

_ENC = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _make(path: Path, video: str | None, audio: str | None, seconds: float) -> None:
    args = ["-y"]
    if video:
        args += ["-f", "lavfi", "-i", video]
    if audio:
        args += ["-f", "lavfi", "-i", audio]
    args += ["-t", str(seconds)]
    if video:
        args += _ENC
    if audio:
        args += ["-c:a", "aac"]
    run_ffmpeg([*args, str(path)], f"make test media {path.name}")


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("media")
    size = "64x64"
    _make(d / "pattern.mp4", f"testsrc=size={size}:rate={FPS}", "sine=frequency=440", 2)
    _make(d / "red.mp4", f"color=c=red:size={size}:rate={FPS}", None, 2)
    _make(d / "blue.mp4", f"color=c=blue:size={size}:rate={FPS}", "sine=frequency=880", 2)
    _make(d / "wide.mp4", "testsrc=size=160x90:rate=30", None, 1)
    _make(d / "tone.m4a", None, "sine=frequency=660", 3)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc=size=65x49:rate=25", "-t", "1", "-c:v", "mpeg4",
                str(d / "odd.avi")], "make odd-sized clip")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=lime:size=16x16", "-frames:v", "1",
                str(d / "logo.png")], "make logo")
    (d / "corrupt.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    (d / "empty.mp4").write_bytes(b"")
    return d


@pytest.fixture
def project(media_dir, tmp_path) -> ProjectFolder:
    """A fresh project folder holding (copies of) the session's test media."""
    root = tmp_path / "proj"
    root.mkdir()
    for f in media_dir.iterdir():
        shutil.copy(f, root / f.name)
    return ProjectFolder(root)
