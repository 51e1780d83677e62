"""What a storyboard will cost before it is generated: per shot, per turn, in seconds, tries, tokens and dollars.

``estimate_turn`` applies a backend's ``Rates`` (prior or calibrated,
``agent.costs.calibrate``) to the shots a turn would generate: a shot whose
take is already on record (``cached``) costs nothing; each other shot costs
``tries_per_shot`` takes of ``chunk_seconds × (its chunks + the search's) +
take_seconds``. The turn adds its render (per video second) and the rest
of a turn, and the planner's LLM use priced by the price table. A backend
that states no speed and has no record gives no time figure (None), never
a guess.

A single figure hides what varies most: how many tries a shot takes, and
how loaded the machine is. The estimate also gives a likely range
(``wall_low``–``wall_high``, about 10th to 90th percentile): tries vary
independently from shot to shot (``Rates.tries_sd``), a take's speed
error (``Rates.take_sd``) is taken as shared by the whole turn (one
machine, one load), and no turn is faster than one try per shot at the
low end of that error.

Take figures are a quiet machine's (``agent.costs.calibrate`` scales each
record by the share of a core it had); ``share`` is what a thread gets now
(``agent.costs.machine``), and every take is divided by it.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from longcut.agent.costs.prices import Price
from longcut.agent.costs.rates import LLMRate, Rates, chunks_of
from longcut.agent.costs.record import LLMUsage, TurnCost
from longcut.agent.state import Storyboard
from longcut.models.backends.base import ModelInfo


class ShotEstimate(BaseModel):
    """One shot of the plan: what it would cost."""

    shot: str
    seconds: float
    chunks: int
    cached: bool  # its take is on record: nothing is generated
    take_seconds: float | None  # one take (None: unknown speed)
    seconds_expected: float | None  # with the expected retries


class Estimate(BaseModel):
    """A turn's expected cost, and what it rests on."""

    backend: str
    calibrated: bool  # the take figures are measured on this machine (else the backend's own figure)
    measured_takes: int
    measured_turns: int
    shots: list[ShotEstimate]
    tries: float  # takes expected over the shots to generate
    generation_seconds: float | None
    render_seconds: float
    turn_seconds: float  # the rest of the turn
    wall_seconds: float | None  # the turn, end to end (None: unknown speed)
    wall_low: float | None = None  # the likely range of wall_seconds (about the 10th and 90th percentiles)
    wall_high: float | None = None
    llm: LLMUsage = Field(default_factory=LLMUsage)  # expected (planning not done yet) or already spent
    judge: LLMUsage = Field(default_factory=LLMUsage)  # the vision-language judge's expected use (--judge vlm)
    usd: float = 0.0  # the planner's and the judge's
    cpu_share: float = 1.0  # of a core, a thread got when the estimate was made (the takes are divided by it)

    @property
    def minutes(self) -> float | None:
        """``wall_seconds`` in minutes."""
        return None if self.wall_seconds is None else self.wall_seconds / 60.0

    def as_turn_cost(self, base: TurnCost) -> TurnCost:
        """``base`` with this estimate's figures (what a pending turn records before generation)."""
        return base.model_copy(update={
            "estimate_seconds": self.wall_seconds, "estimate_low": self.wall_low, "estimate_high": self.wall_high,
            "estimate_usd": self.usd,
            "shot_estimates": {s.shot: s.take_seconds for s in self.shots if s.take_seconds is not None}})


def expected_usage(rate: LLMRate) -> LLMUsage:
    """A planner step's expected LLM use, in whole calls and tokens."""
    return LLMUsage(calls=round(rate.calls), prompt_tokens=round(rate.prompt_tokens),
                    completion_tokens=round(rate.completion_tokens))


def estimate_turn(board: Storyboard, info: ModelInfo, rates: Rates, cached: set[str] = frozenset(),
                  llm: LLMUsage | None = None, price: Price = Price(), cold: bool = False,
                  share: float = 1.0) -> Estimate:
    """The expected cost of generating ``board`` with the backend ``info`` describes.

    ``cached``: shot ids whose takes are on record. ``llm``: the planner's
    use (what planning already spent, or ``expected_usage`` of a step still
    to come); priced by ``price``. ``cold``: the turn will run in a process
    where the backend has not generated yet (its first take pays
    ``cold_seconds``). ``share``: of a core, what a thread gets on the
    machine now (1: a core of its own); takes are slower by its inverse.
    """
    shots: list[ShotEstimate] = []
    for s in board.shots:
        chunks = chunks_of(s.seconds, info)
        if s.id in cached:
            shots.append(ShotEstimate(shot=s.id, seconds=s.seconds, chunks=chunks, cached=True, take_seconds=0.0,
                                      seconds_expected=0.0))
            continue
        take = None if rates.chunk_seconds is None else (
            rates.chunk_seconds * (chunks + rates.search_chunks) + rates.take_seconds) / share
        shots.append(ShotEstimate(shot=s.id, seconds=s.seconds, chunks=chunks, cached=False, take_seconds=take,
                                  seconds_expected=None if take is None else take * rates.tries_per_shot))
    todo = [s for s in shots if not s.cached]
    known = all(s.seconds_expected is not None for s in todo)
    generation = sum(s.seconds_expected for s in todo) + (rates.cold_seconds / share if cold and todo else 0.0) \
        if known else None
    render = rates.render_per_second * board.seconds
    usage = llm or LLMUsage()
    wall = None if generation is None else generation + render + rates.turn_seconds
    low, high = (None, None) if wall is None else likely_range(
        wall, generation, [s.take_seconds for s in todo], rates)
    return Estimate(
        backend=rates.backend, calibrated=rates.calibrated, measured_takes=rates.measured_takes,
        measured_turns=rates.measured_turns, shots=shots, tries=rates.tries_per_shot * len(todo),
        generation_seconds=generation, render_seconds=render, turn_seconds=rates.turn_seconds,
        wall_seconds=wall, wall_low=low, wall_high=high, llm=usage, usd=price.usd(usage), cpu_share=share)


Z_80 = 1.2816  # the normal quantile of 0.9: a range holding about 80% of turns


def likely_range(wall: float, generation: float, takes: list[float], rates: Rates) -> tuple[float, float]:
    """About the 10th and 90th percentiles of a turn's wall time whose expectation is ``wall``.

    ``takes``: the expected wall seconds of one take of each shot to
    generate. Normal approximation: the shots' tries are independent, the
    take error is one factor for the turn.
    """
    tries = sum((t * rates.tries_sd) ** 2 for t in takes)
    load = (generation * rates.take_sd) ** 2
    spread = Z_80 * math.sqrt(tries + load)
    once = sum(takes) * max(0.0, 1.0 - Z_80 * rates.take_sd)  # one try each, on a light machine
    rest = wall - generation
    return max(rest + once, wall - spread), wall + spread


def about(estimate: Estimate) -> str:
    """One line for a progress event or a summary: the time, the tries, the dollars, and what they rest on."""
    basis = (f"from {estimate.measured_takes} measured takes" if estimate.calibrated
             else f"from {estimate.backend}'s own speed figure, nothing measured yet")
    if estimate.wall_seconds is None:
        return f"no time estimate ({estimate.backend} states no speed and has no record yet)"
    usd = f", ${estimate.usd:.4f}" if estimate.usd else ""
    judged = f", {estimate.judge.calls} judge calls" if estimate.judge.calls else ""
    likely = "" if estimate.wall_low is None or estimate.wall_high is None else (
        f" (likely {estimate.wall_low:.0f}–{estimate.wall_high:.0f} s)")
    busy = "" if estimate.cpu_share >= 1.0 else f"; the machine is busy: {estimate.cpu_share:.0%} of a core per thread"
    return f"about {estimate.wall_seconds:.0f} s{likely}, {estimate.tries:.1f} tries{judged}{usd} ({basis}{busy})"
