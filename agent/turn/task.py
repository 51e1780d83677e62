"""A chain task as data: what a fanned-out chain needs, JSON all through.

The ``Send`` payload of a chain is a ``ChainTask`` dumped to JSON-ready
data: the project (its name and the folder of projects), the chain's shot
ids, the turn, the model spec (backend name, weights folder, weights id),
the planner spec, the retry policy and the judge's config. The node that runs it builds its
runtime from that (``nodes.chain_runtime``: the backend through the
registry, loaded once per process), so the same task can run in this
process or be shipped to another (DESIGN.md: Scale) without a live object
crossing the boundary. Progress and cancellation are not in the task: they
go through the event sink and the cancel flag of the process running it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from longcut.agent.planning.planner import Planner
from longcut.agent.turn.retry import RetryPolicy
from longcut.limits import PLANNERS, offered
from longcut.tools.judge.config import JudgeConfig


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Data):
    """Which backend: its registry name (or ``module:Class``), its weights folder, the weights' id."""

    name: str
    weights: str | None = None  # a local folder (diffusers backends); None: the backend's default
    weights_id: str  # ModelInfo.weights_id of the backend the turn planned with (part of every shot key)


class PlannerSpec(_Data):
    """Which planner, and the endpoint of an LLM planner."""

    name: str
    base_url: str | None = None
    llm_model: str = "gpt-4o-mini"


class ChainTask(_Data):
    """One fanned-out chain: everything its shots need that is not on disk."""

    project: str
    projects: str  # the folder holding the project folders (a ProjectStore's root), absolute
    chain: list[str]  # shot ids, in order: each continuous one extends the one before
    turn: int
    model: ModelSpec
    planner: PlannerSpec
    retry: RetryPolicy
    candidates: int
    judge: JudgeConfig = JudgeConfig()  # which judge reviews the takes; a vision judge's endpoint and bounds


def build_planner(spec: PlannerSpec) -> Planner:
    """The planner a spec names (one of ``limits.PLANNERS``)."""
    if offered("planner", spec.name, PLANNERS) == "offline":
        from longcut.agent.planning.offline import OfflinePlanner

        return OfflinePlanner()
    if spec.name == "openai":
        from longcut.agent.planning.openai import OpenAIPlanner

        return OpenAIPlanner(base_url=spec.base_url, model=spec.llm_model)
    raise AssertionError(f"planner {spec.name!r} is in PLANNERS but has no constructor here")
