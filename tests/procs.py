"""Looking at child processes through /proc (Linux), for tests of what outlives a killed process."""

import os


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
