"""Budgets: a turn's caps on minutes, dollars and tries, checked against the plan and while it runs.

``Budget.check_plan`` refuses a plan whose estimate is over a cap, before
anything is generated, naming the figure and the cap. ``Spend`` follows a
running turn: its wall minutes and LLM dollars since the turn started in
this process, and the takes it started; ``check`` (at every chunk) and
``start_try`` (before every take) stop the turn at the next chunk boundary
with ``BudgetExceeded``. Finished takes are on disk already, so running
the turn again (with a larger budget) resumes it without redoing them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from longcut.agent.costs.estimate import Estimate
from longcut.agent.costs.meter import Meter
from longcut.agent.costs.prices import Price
from longcut.agent.costs.record import LLMUsage
from longcut.errors import InputError, LongcutError


class BudgetExceeded(LongcutError):
    """A turn would go, or went, over one of its caps."""


def _positive(name: str, value: float | None) -> None:
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a number above 0, got {value!r}")


@dataclass(frozen=True)
class Budget:
    """Caps for one turn; None: no cap."""

    max_minutes: float | None = None  # wall minutes of the turn
    max_usd: float | None = None  # LLM dollars (the price table)
    max_tries: int | None = None  # takes generated, every shot's retries included

    def __post_init__(self) -> None:
        _positive("--max-minutes", self.max_minutes)
        _positive("--max-usd", self.max_usd)
        if self.max_tries is not None and not (isinstance(self.max_tries, int) and self.max_tries >= 1):
            raise InputError(f"--max-tries must be a whole number of at least 1, got {self.max_tries!r}")

    @property
    def capped(self) -> bool:
        """Whether any cap is set."""
        return any(v is not None for v in (self.max_minutes, self.max_usd, self.max_tries))

    def check_plan(self, estimate: Estimate) -> None:
        """Refuse a plan whose estimate is over a cap (a plan with no time estimate passes the minutes cap)."""
        minutes = estimate.minutes
        if self.max_minutes is not None and minutes is not None and minutes > self.max_minutes:
            raise BudgetExceeded(f"the plan needs about {minutes:.1f} minutes ({estimate.wall_seconds:.0f} s); "
                                 f"--max-minutes is {self.max_minutes:g}: nothing was generated")
        if self.max_usd is not None and estimate.usd > self.max_usd:
            raise BudgetExceeded(f"the plan needs about ${estimate.usd:.4f} of LLM tokens; --max-usd is "
                                 f"{self.max_usd:g}: nothing was generated")
        if self.max_tries is not None and estimate.tries > self.max_tries:
            raise BudgetExceeded(f"the plan needs about {estimate.tries:.1f} tries ({len(estimate.shots)} shots); "
                                 f"--max-tries is {self.max_tries}: nothing was generated")


class Spend:
    """What a running turn has spent against its ``Budget``, in this process."""

    def __init__(self, budget: Budget, planner: object | None = None, price: Price = Price(),
                 judge_price: Price = Price()) -> None:
        self.budget, self.price, self.judge_price = budget, price, judge_price
        self.meter = Meter(planner)
        self.tries = 0
        self.judge_usd = 0.0  # the vision-language judge's dollars (it is not the planner: its tokens come apart)

    @property
    def usd(self) -> float:
        """LLM dollars since the turn started: the planner's and the judge's."""
        return self.price.usd(self.meter.llm) + self.judge_usd

    def add_judge(self, usage: LLMUsage) -> None:
        """Count what the vision judge spent on a take (its price is its model's in the price table)."""
        self.judge_usd += self.judge_price.usd(usage)

    def spent(self) -> str:
        """What was spent, in words."""
        usd = f", ${self.usd:.4f}" if self.usd else ""
        return f"{self.meter.wall_seconds / 60:.2f} minutes, {self.tries} tries{usd}"

    def _stop(self, what: str) -> BudgetExceeded:
        return BudgetExceeded(f"{what}; stopped after {self.spent()}. Finished takes are kept: run the command "
                              "again (with a larger budget) to go on from them")

    def check(self) -> None:
        """Stop the turn if it is over its minutes or dollars (called at every chunk)."""
        b = self.budget
        if b.max_minutes is not None and self.meter.wall_seconds > b.max_minutes * 60:
            raise self._stop(f"--max-minutes {b.max_minutes:g} reached")
        if b.max_usd is not None and self.usd > b.max_usd:
            raise self._stop(f"--max-usd {b.max_usd:g} reached")

    def start_try(self) -> None:
        """Count a take about to be generated; stop the turn if it would be one over ``max_tries``."""
        self.check()
        if self.budget.max_tries is not None and self.tries >= self.budget.max_tries:
            raise self._stop(f"--max-tries {self.budget.max_tries} reached")
        self.tries += 1
