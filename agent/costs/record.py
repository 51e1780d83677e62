"""The cost records kept with a project: what a take, a turn and its planning cost.

They are part of the project's state (``ShotVersion.cost``, ``Revision.cost``,
``PendingTurn.cost``) and live here, beside the code that measures them, so
``state.py`` only names them. Every field has a default: a project saved
before costs were recorded loads as it is.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LLMUsage(_Record):
    """Planner calls to an LLM and the tokens they used (zero for the offline planner)."""

    calls: int = Field(0, ge=0)
    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)

    def __add__(self, other: LLMUsage) -> LLMUsage:
        return LLMUsage(calls=self.calls + other.calls, prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                        completion_tokens=self.completion_tokens + other.completion_tokens)


class TakeCost(_Record):
    """What one take cost to make, measured while it was made (``agent.costs``).

    Takes recorded before costs were (or by another tool) have none; every
    field has a default so an older record loads as it is.
    """

    wall_seconds: float = Field(0.0, ge=0.0)  # generating the take and reviewing it
    cpu_seconds: float = Field(0.0, ge=0.0)  # CPU time of the process meanwhile (every thread)
    chunks: int = Field(0, ge=0)  # chunks of the kept generation
    search_chunks: int = Field(0, ge=0)  # chunks of the opening candidates the search dropped
    llm: LLMUsage = Field(default_factory=LLMUsage)  # LLM calls this try made: a rewritten prompt, the judge
    judge: LLMUsage = Field(default_factory=LLMUsage)  # of those, the vision-language judge's (tools.judge)
    estimate_seconds: float | None = Field(None, ge=0.0)  # what the cost model expected of a take of this shot
    cold: bool = False  # the backend's first take in its process: it paid the lazy loads (text encoder, ...)
    cpu_share: float | None = Field(None, gt=0.0, le=1.0)  # of a core, a thread got at its end (agent.costs.machine)


class TurnCost(_Record):
    """What a turn cost besides its takes, and what was estimated before it ran."""

    wall_seconds: float = Field(0.0, ge=0.0)  # the turn's run, planning to render (the process that finished it)
    render_seconds: float = Field(0.0, ge=0.0)  # the edit and the render
    planning: LLMUsage = Field(default_factory=LLMUsage)  # the plan or the revision of the storyboard
    usd: float = Field(0.0, ge=0.0)  # LLM tokens priced by the price table (agent.costs.prices)
    estimate_seconds: float | None = Field(None, ge=0.0)  # wall seconds the cost model expected
    estimate_low: float | None = Field(None, ge=0.0)  # and its likely range (agent.costs.estimate)
    estimate_high: float | None = Field(None, ge=0.0)
    estimate_usd: float | None = Field(None, ge=0.0)
    shot_estimates: dict[str, float] = Field(default_factory=dict)  # shot id -> expected wall seconds of one take
