"""How much of a CPU core a thread of this process gets now: the machine's load, measured.

A take's wall time is what estimates promise, and it moves with whatever
else the machine runs: on the shared 2-core development machine the same
turn took up to 3× longer from one run of bench_estimates to the next. So
takes are recorded with the share of a core a thread got when they ended,
fitted as if they had had a whole core, and an estimate divides by the
share a thread gets when it is made.

The share is measured, not read from the load average: a short busy loop's
thread CPU time over its wall time. The load average counts niced jobs as
full competitors, which they are not (measured here: load 5.7 on 2 cores;
an un-niced thread still got 0.5–0.6 of a core, a nice-19 one 0.3).
"""

from __future__ import annotations

import time

TAKE_PROBE_SECONDS = 0.1  # at a take's end: the thread that generated it is running, it has no sleeper's credit
ESTIMATE_PROBE_SECONDS = 0.3  # before a plan's estimate: longer, the thread may just have woken
MIN_SHARE = 0.05
QUIET_SHARE = 0.9  # at or above: a core of its own (an idle machine's probe reads 0.9–1.0)


def cpu_share(seconds: float = TAKE_PROBE_SECONDS) -> float:
    """The share of one core (``MIN_SHARE`` … 1) a busy thread of this process got over ``seconds``."""
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    while time.perf_counter() - wall0 < seconds:
        pass
    wall = time.perf_counter() - wall0
    share = (time.thread_time() - cpu0) / wall if wall > 0 else 1.0
    return 1.0 if share >= QUIET_SHARE else max(MIN_SHARE, share)
