"""What a session's turns cost, shot by shot: the totals ``longcut history`` and ``GET /v1/jobs/{id}`` show.

Read from the project's own records: every take a turn generated
(``ShotVersion.turn``, ``ShotVersion.cost``) and the turn's revision
(``Revision.cost``: planning, render, wall time, the estimate). Takes made
before costs were recorded count as takes with unknown cost.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from longcut.agent.costs.record import LLMUsage
from longcut.agent.state import Project, Revision


class ShotTotals(BaseModel):
    """One shot's takes in one turn."""

    shot: str
    tries: int  # takes generated (1 = the first passed or was kept)
    wall_seconds: float
    cpu_seconds: float
    chunks: int  # kept chunks plus the dropped opening candidates'
    llm: LLMUsage = Field(default_factory=LLMUsage)
    estimate_seconds: float | None = None  # the estimate of one take, when the turn had one
    unmeasured: int = 0  # takes without a cost record (made by an older longcut)


class TurnTotals(BaseModel):
    """One finished turn: its shots' totals, the rest of the turn, and what was estimated."""

    n: int
    request: str
    shots: list[ShotTotals]
    generation_seconds: float  # the shots' takes
    render_seconds: float | None = None
    wall_seconds: float | None = None  # the whole turn (None: not recorded)
    llm: LLMUsage = Field(default_factory=LLMUsage)  # planning and every take's rewrites
    usd: float | None = None
    estimate_seconds: float | None = None
    estimate_low: float | None = None  # the estimate's likely range
    estimate_high: float | None = None
    estimate_usd: float | None = None


def turn_totals(project: Project, rev: Revision) -> TurnTotals:
    """The totals of revision ``rev`` of ``project`` (its generated takes, in storyboard order)."""
    shots: list[ShotTotals] = []
    estimates = rev.cost.shot_estimates if rev.cost is not None else {}
    for shot in rev.storyboard.shots:
        takes = [v for v in project.versions if v.turn == rev.n and v.shot_id == shot.id]
        if not takes:
            continue
        measured = [v.cost for v in takes if v.cost is not None]
        llm = LLMUsage()
        for c in measured:
            llm = llm + c.llm
        shots.append(ShotTotals(
            shot=shot.id, tries=len(takes), wall_seconds=sum(c.wall_seconds for c in measured),
            cpu_seconds=sum(c.cpu_seconds for c in measured), chunks=sum(c.chunks + c.search_chunks for c in measured),
            llm=llm, estimate_seconds=estimates.get(shot.id), unmeasured=len(takes) - len(measured)))
    llm = rev.cost.planning if rev.cost is not None else LLMUsage()
    for s in shots:
        llm = llm + s.llm
    cost = rev.cost
    return TurnTotals(
        n=rev.n, request=rev.request, shots=shots, generation_seconds=sum(s.wall_seconds for s in shots),
        render_seconds=cost.render_seconds if cost else None, wall_seconds=cost.wall_seconds if cost else None,
        llm=llm, usd=cost.usd if cost else None, estimate_seconds=cost.estimate_seconds if cost else None,
        estimate_low=cost.estimate_low if cost else None, estimate_high=cost.estimate_high if cost else None,
        estimate_usd=cost.estimate_usd if cost else None)


def session_totals(project: Project) -> list[TurnTotals]:
    """The totals of every revision of ``project``, oldest first."""
    return [turn_totals(project, rev) for rev in project.revisions]


def record_finished_turn(project: Project, rev: Revision, wall_seconds: float, llm_model: str) -> None:
    """Record on ``rev`` the wall seconds of the process that finished the turn, and its LLM tokens priced."""
    from longcut.agent.costs.prices import load_prices

    if rev.cost is not None:
        usd = load_prices().price(llm_model).usd(turn_totals(project, rev).llm)
        rev.cost = rev.cost.model_copy(update={"wall_seconds": wall_seconds, "usd": usd})
