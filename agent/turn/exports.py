"""Exporting a render to the path the user asked for (``-o``): checked before any work, copied atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

from longcut.tools.paths import atomic_output, check_output_path

EXPORT_SUFFIXES = (".mp4",)
SIDECAR_SUFFIXES = (".srt", ".vtt")  # a narrated render's subtitles, copied beside it


def check_export(out: str | Path) -> Path:
    """Check an ``-o`` path for a render before any work starts."""
    return check_output_path(out, EXPORT_SUFFIXES)


def export(render: Path, out: str | Path) -> Path:
    """Copy a render to the path the user asked for, atomically, with its subtitle sidecars (``.srt``, ``.vtt``)."""
    out = check_export(out)
    with atomic_output(out) as tmp:
        shutil.copyfile(render, tmp)
    for suffix in SIDECAR_SUFFIXES:
        if render.with_suffix(suffix).is_file():
            with atomic_output(out.with_suffix(suffix)) as tmp:
                shutil.copyfile(render.with_suffix(suffix), tmp)
    return out
