"""Progress events: what the agent is doing, for the CLI's display and the API's stream."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

STAGES = ("plan", "references", "shots", "review", "edit", "render", "done")


@dataclass(frozen=True)
class Event:
    """One progress report. ``percent`` is of the whole job (0–100) and never goes down within a turn."""

    stage: str
    message: str
    percent: float
    shot: str | None = None  # shot id
    shot_index: int | None = None  # 1-based
    shots: int | None = None
    attempt: int | None = None  # the shot's try (1 = first; a retry is 2, 3, …)
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


# Share of the whole job each stage accounts for (shots dominate).
_STAGE_SPAN = {"plan": (0, 3), "references": (3, 6), "shots": (6, 88), "review": (88, 90), "edit": (90, 91),
               "render": (91, 100), "done": (100, 100)}


def overall_percent(stage: str, fraction: float) -> float:
    """Map a fraction of one stage to a percent of the whole job."""
    lo, hi = _STAGE_SPAN[stage]
    return round(lo + (hi - lo) * min(max(fraction, 0.0), 1.0), 2)


class EventSink:
    """Collects events and forwards them to listeners (CLI display, API stream, log).

    The percent never goes down: a retry starts its shot again, and a message
    without a ``fraction`` (a review note in the middle of the shots) keeps
    the percent where it is; ``Event.attempt`` says which try a shot is on.
    """

    def __init__(self, listeners: list[Callable[[Event], None]] | None = None) -> None:
        self.listeners = list(listeners or [])
        self.events: list[Event] = []
        self._percent = 0.0

    def emit(self, stage: str, message: str, fraction: float | None = None, **kw: Any) -> Event:
        """Record and forward one event; ``fraction`` is how far ``stage`` is (None: no progress to report)."""
        if fraction is not None:
            self._percent = max(self._percent, overall_percent(stage, fraction))
        event = Event(stage=stage, message=message, percent=self._percent, **kw)
        self.events.append(event)
        log.info("[%s %5.1f%%] %s", stage, event.percent, message)
        for listener in self.listeners:
            listener(event)
        return event
