"""``resolve_turn``: what the CLI's ``make`` and the API's ``POST /v1/jobs`` are asked, checked once.

Both turn (request, seconds, model, planner, references, seed) into a
``TurnSpec`` through here, so a length, a planner or a reference list is
refused with the same words by both; what differs is what each offers
(``TurnLimits``: the CLI any model and every planner, a server its
allowlists and caps, whose refusals name the setting, the API's ``limit``).
What only one of them can check stays with it: the CLI probes files when
the session starts, the API looks its uploads up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from longcut.agent.planning.planner import video_seconds
from longcut.agent.state import check_request
from longcut.errors import InputError
from longcut.limits import PLANNERS, NotOffered, offered


@dataclass(frozen=True)
class TurnLimits:
    """What a caller offers a turn; the defaults are the command line's."""

    models: Sequence[str] | None = None  # None: any name the backend registry loads
    planners: Sequence[str] = PLANNERS
    max_seconds: float | None = None
    max_references: int | None = None
    planner_option: str = "--planner"  # how a refusal names the planner choice
    server: bool = False  # refusals name the server setting that caps them (``models``, ``max_seconds``, …)

    def limit(self, setting: str) -> str | None:
        """The setting a refusal names (the API's ``limit``), None on the command line."""
        return setting if self.server else None


@dataclass(frozen=True)
class TurnSpec:
    """A first turn as checked: what ``Sessions.make`` (directly, or through a job) is handed."""

    request: str  # stripped
    seconds: float  # resolved: given, else what the request names, else the default
    model: str
    planner: str
    seed: int = 0
    references: Mapping[str, str] = field(default_factory=dict)  # name -> path (CLI) or upload id (API)
    keep_continuity: bool = False


def resolve_planner(planner: str, limits: TurnLimits = TurnLimits()) -> str:
    """``planner`` if the caller offers it (a make's or a refine's), else ``NotOffered``."""
    return offered(limits.planner_option, planner, limits.planners, limits.limit("planners"))


def resolve_turn(request: str, seconds: float | None, model: str, planner: str,
                 references: Sequence[tuple[str, str]] = (), seed: int = 0, keep_continuity: bool = False,
                 limits: TurnLimits = TurnLimits()) -> TurnSpec:
    """Check a first turn's inputs against ``limits``; the ``TurnSpec`` both callers hand on.

    ``references`` are (name, source) pairs: a list, so a name given twice
    is refused rather than lost.
    """
    if limits.models is not None:
        offered("model", model, limits.models, limits.limit("models"))
    planner = resolve_planner(planner, limits)
    text = check_request(request, seconds, seed)
    length = video_seconds(seconds, text)
    if limits.max_seconds is not None and length > limits.max_seconds:
        raise NotOffered(f"{length:g} seconds is over the limit max_seconds={limits.max_seconds:g}",
                         limits.limit("max_seconds"))
    if limits.max_references is not None and len(references) > limits.max_references:
        raise NotOffered(f"{len(references)} references is over the limit max_references={limits.max_references}",
                         limits.limit("max_references"))
    names = [name for name, _ in references]
    if len(set(names)) != len(names):
        raise InputError(f"reference names must be unique, got {names}")
    return TurnSpec(request=text, seconds=length, model=model, planner=planner, seed=seed,
                    references=dict(references), keep_continuity=keep_continuity)
