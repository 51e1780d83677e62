"""The planner interface: request → storyboard, feedback → edits, failure → new prompt.

Two implementations return the same pydantic objects: ``OfflinePlanner``
(deterministic, no network, the default) and ``OpenAIPlanner`` (any
OpenAI-compatible endpoint). The graph calls a planner only at decision
points; everything else is deterministic code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pydantic import Field

from longcut.agent.planning.request_text import parse_seconds
from longcut.agent.state import (
    Project,
    Reference,
    ShortText,
    Storyboard,
    StrictModel,
    check_video_seconds,
)
from longcut.errors import LongcutError
from longcut.limits import DEFAULT_SECONDS, MAX_REFS, MAX_VIDEO_SECONDS, PLAN_SHOT_SECONDS
from longcut.models.backends.capabilities import PromptVocabulary


@dataclass(frozen=True)
class ModelVocabulary:
    """What the video model understands, so prompts can be rewritten into it.

    ``guide`` is prose for an LLM (the caption grammar with examples); the
    word lists let the offline planner map user words onto model words.
    ``grammar`` is the backend's closed caption grammar (it writes and reads
    captions); None: the backend takes open prose.
    """

    guide: str
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category -> canonical words
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical word -> synonyms
    grammar: PromptVocabulary | None = None

    @property
    def is_open(self) -> bool:
        """Whether the backend takes free prose (no caption grammar)."""
        return self.grammar is None


@dataclass(frozen=True)
class PlanRequest:
    """Input of ``Planner.plan``."""

    request: str
    seconds: float | None  # None: take it from the request text, else a default
    vocabulary: ModelVocabulary
    supplied_refs: dict[str, str] = field(default_factory=dict)  # --ref NAME=PATH: name -> file
    max_shot_seconds: float = PLAN_SHOT_SECONDS
    seed: int = 0
    narrate: bool = False  # --narrate: write a narration line per shot (the request may also ask for one)


class Plan(StrictModel):
    """What ``Planner.plan`` returns: the storyboard and the references it names."""

    rewritten_request: ShortText
    seconds: float = Field(gt=0, le=MAX_VIDEO_SECONDS)
    storyboard: Storyboard
    references: list[Reference] = Field(default_factory=list, max_length=MAX_REFS)


@dataclass
class PlannerUsage:
    """LLM calls and tokens spent (zero for the offline planner)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tool_errors: int = 0


def video_seconds(seconds: float | None, request: str) -> float:
    """The video's length: ``seconds`` if given, else the length the request names, else ``DEFAULT_SECONDS``.

    Checked against the bounds (``check_video_seconds``): the CLI, the API and
    the planners all read the length through here.
    """
    if seconds is not None:
        return check_video_seconds(seconds)
    asked = parse_seconds(request)
    return DEFAULT_SECONDS if asked is None else check_video_seconds(asked, "the length the request asks for")


class PlannerError(LongcutError):
    """The planner could not produce a valid answer within its bounded rounds."""


@runtime_checkable
class Planner(Protocol):
    """Decision points of the graph."""

    name: str
    usage: PlannerUsage

    def plan(self, req: PlanRequest) -> Plan:
        """Rewrite and decompose a request into shots whose lengths add up to the target."""
        ...

    def revise(self, project: Project, feedback: str, vocabulary: ModelVocabulary) -> Storyboard:
        """Turn a creator's feedback into edits of the project's storyboard (via ``agent.edits``)."""
        ...

    def rewrite_failed(self, intent: str, prompt: str, problem: str, vocabulary: ModelVocabulary) -> str:
        """A new prompt for a shot that failed its checks twice; ``problem`` says what was read instead."""
        ...
