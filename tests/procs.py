"""Looking at child processes through /proc (Linux), for tests of what outlives a killed process."""

import os
import signal
import time


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """Ids of the processes whose parent is ``pid``."""
    return [
        int(e)
        for e in os.listdir("/proc")
        if e.isdigit() and (f := _stat_fields(e)) is not None and int(f[1]) == pid
    ]


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has finished)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def survivors(pids: list[int], seconds: float = 10.0) -> list[int]:
    """Wait up to ``seconds`` for ``pids`` to end; kill and return those still running (so a failing test leaves none)."""
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    return left
