"""Finding and running ffmpeg.

Commands are argument lists, never shell strings. The binary is the system
``ffmpeg`` when ``LONGCUT_FFMPEG`` or PATH provides one, else the static build
bundled with imageio-ffmpeg (which has no ffprobe; see FACTS.md).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence

from longcut.errors import MediaError

log = logging.getLogger(__name__)

STDERR_TAIL_CHARS = 2000


@functools.cache
def ffmpeg_binary() -> tuple[str, str]:
    """Return ``(path, source)``: which ffmpeg we run and where it came from."""
    env = os.environ.get("LONGCUT_FFMPEG")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise MediaError(f"LONGCUT_FFMPEG={env!r} is not an executable file")
        return env, "LONGCUT_FFMPEG"
    system = shutil.which("ffmpeg")
    if system:
        return system, "system PATH"
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe(), "imageio-ffmpeg (bundled)"
    except Exception as err:  # no binary anywhere: say how to get one
        raise MediaError(
            "no ffmpeg found: install ffmpeg on PATH, set LONGCUT_FFMPEG, "
            f"or `pip install imageio-ffmpeg` ({err})"
        ) from err


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (see ``ffmpeg_binary``)."""
    return ffmpeg_binary()[0]


@functools.cache
def ffmpeg_version() -> str:
    """The version string ffmpeg reports, e.g. ``9.0.2-static``."""
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False)
    m = re.search(r"ffmpeg version (\S+)", out.stdout)
    return m.group(1) if m else "unknown"


def stderr_tail(stderr: bytes | str | None, limit: int = STDERR_TAIL_CHARS) -> str:
    """The last ``limit`` characters of ffmpeg's stderr, decoded."""
    if stderr is None:
        return ""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    text = text.strip()
    return text[-limit:]


def run_ffmpeg(args: Sequence[str], what: str, timeout: float | None = None) -> str:
    """Run ``ffmpeg <args>`` (no shell) and return its stderr.

    ``what`` names the operation for the error message. A non-zero exit raises
    ``MediaError`` carrying the tail of ffmpeg's stderr.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *map(str, args)]
    log.debug("ffmpeg: %s", cmd)
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise MediaError(f"{what}: ffmpeg timed out after {timeout}s") from err
    if proc.returncode != 0:
        raise MediaError(f"{what}: ffmpeg failed (exit {proc.returncode}): {stderr_tail(proc.stderr)}")
    return proc.stderr.decode("utf-8", "replace")


def doctor_check() -> tuple[str, bool, str]:
    """``longcut doctor`` line for ffmpeg."""
    path, source = ffmpeg_binary()
    return "ffmpeg", True, f"{ffmpeg_version()} from {source}: {path}"


ProgressCallback = Callable[[float], None]


def run_ffmpeg_progress(
    args: Sequence[str],
    what: str,
    total_seconds: float,
    on_progress: ProgressCallback | None = None,
) -> str:
    """Run ``ffmpeg <args>`` like ``run_ffmpeg``, reporting the fraction done.

    ffmpeg writes ``-progress pipe:1`` key=value lines to stdout; each
    ``out_time_us`` becomes ``on_progress(min(1, out_time / total_seconds))``.
    On any exception (``KeyboardInterrupt`` too) the ffmpeg process is killed
    before the exception propagates, so no encoder outlives its caller.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-stats_period", "0.25",
           "-progress", "pipe:1", *map(str, args)]
    log.debug("ffmpeg: %s", cmd)
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file)
        try:
            for raw in proc.stdout or ():
                key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                if key == "out_time_us" and on_progress and total_seconds > 0:
                    with contextlib.suppress(ValueError):
                        on_progress(min(1.0, max(0.0, int(value) / 1e6 / total_seconds)))
            returncode = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err_file.seek(0)
        stderr = err_file.read()
    if returncode != 0:
        raise MediaError(f"{what}: ffmpeg failed (exit {returncode}): {stderr_tail(stderr)}")
    if on_progress:
        on_progress(1.0)
    return stderr.decode("utf-8", "replace")
