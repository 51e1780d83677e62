"""Finding and running ffmpeg.

Commands are argument lists, never shell strings. The binary is the system
``ffmpeg`` when ``LONGCUT_FFMPEG`` or PATH provides one, else the static build
bundled with imageio-ffmpeg (which has no ffprobe; see FACTS.md).

Every child process is started with ``CHILD_OPTIONS``: on Linux the kernel
sends it SIGKILL when its parent dies (``PR_SET_PDEATHSIG``), so a killed
``longcut`` never leaves an encoder running; elsewhere nothing changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from longcut.errors import MediaError

log = logging.getLogger(__name__)

STDERR_TAIL_CHARS = 600
STDERR_TAIL_LINES = 4  # ffmpeg says why it failed last; what comes before is its input summary
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """The C library's ``prctl`` (Linux only), looked up once, before any fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` asking the kernel to kill the child when the process that started it dies.

    Runs in the forked child before exec. The kernel ties the signal to the
    parent *thread*; our calls wait for ffmpeg in the thread that started it.
    If the parent died before the call, the child ends at once.
    """
    def preexec() -> None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


def child_options() -> dict[str, Any]:
    """Keyword arguments for ``subprocess.run``/``Popen`` that make the child die with this process."""
    return {"preexec_fn": _die_with_parent(os.getpid())} if _PRCTL is not None else {}


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
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False,
                         **child_options())
    m = re.search(r"ffmpeg version (\S+)", out.stdout)
    return m.group(1) if m else "unknown"


def stderr_tail(stderr: bytes | str | None, limit: int = STDERR_TAIL_CHARS,
                lines: int = STDERR_TAIL_LINES) -> str:
    """The last few lines of ffmpeg's stderr (at most ``limit`` characters), decoded, joined by " | "."""
    if stderr is None:
        return ""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-limit:]


def run_ffmpeg(args: Sequence[str], what: str, timeout: float | None = None) -> str:
    """Run ``ffmpeg <args>`` (no shell) and return its stderr.

    ``what`` names the operation for the error message. A non-zero exit raises
    ``MediaError`` carrying the tail of ffmpeg's stderr.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *map(str, args)]
    log.debug("ffmpeg: %s", cmd)
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False, **child_options())
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
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, **child_options())
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
