"""Measuring what work costs while it runs: wall and CPU seconds, and the planner's LLM use.

A ``Meter`` starts when the work starts (a take, a render, a turn's
planning) and is read when it ends; ``usage_of`` reads a planner's running
counters (``PlannerUsage``), so a meter's LLM figure is what that work alone
asked of the endpoint.
"""

from __future__ import annotations

import time

from longcut.agent.costs.record import LLMUsage

_WARM: set[str] = set()  # backends that have generated in this process (their lazy loads are done)


def is_warm(backend: str) -> bool:
    """Whether ``backend`` has generated a take in this process already."""
    return backend in _WARM


def mark_warm(backend: str) -> None:
    """Note that ``backend`` has generated a take in this process."""
    _WARM.add(backend)


def usage_of(planner: object | None) -> LLMUsage:
    """A planner's LLM calls and tokens so far (zero for one that keeps no ``usage``)."""
    usage = getattr(planner, "usage", None)
    if usage is None:
        return LLMUsage()
    return LLMUsage(calls=usage.calls, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)


class Meter:
    """Wall seconds, process CPU seconds and a planner's LLM use since it was made."""

    def __init__(self, planner: object | None = None) -> None:
        self._planner = planner
        self._wall = time.monotonic()
        self._cpu = time.process_time()
        self._usage = usage_of(planner)

    @property
    def wall_seconds(self) -> float:
        """Wall-clock seconds since the meter started."""
        return max(0.0, time.monotonic() - self._wall)

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds of this process (all threads) since the meter started."""
        return max(0.0, time.process_time() - self._cpu)

    @property
    def llm(self) -> LLMUsage:
        """The planner's calls and tokens since the meter started."""
        now, then = usage_of(self._planner), self._usage
        return LLMUsage(calls=now.calls - then.calls, prompt_tokens=now.prompt_tokens - then.prompt_tokens,
                        completion_tokens=now.completion_tokens - then.completion_tokens)
