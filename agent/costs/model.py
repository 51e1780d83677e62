"""The cost model of one turn's setting: a backend, a planner, the opening search; calibrated once, then asked.

``CostModel`` is what the plan node, ``longcut plan`` and the job API's
``POST /v1/plans`` ask: it builds the prior from the backend's ``ModelInfo``
and the planner, calibrates it from the store's records the first time it
is asked (``agent.costs.calibrate``), and prices LLM use with the price
table (``agent.costs.prices``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from longcut.agent.costs import machine
from longcut.agent.costs.calibrate import rates_for
from longcut.agent.costs.estimate import Estimate, estimate_turn, expected_usage
from longcut.agent.costs.judge_cost import expected_judge_usage
from longcut.agent.costs.meter import is_warm
from longcut.agent.costs.prices import Price, load_prices
from longcut.agent.costs.rates import Rates, prior_rates
from longcut.agent.costs.record import LLMUsage
from longcut.agent.state import Storyboard
from longcut.agent.store import ProjectStore
from longcut.models.backends.base import ModelInfo
from longcut.tools.judge.config import JudgeConfig


@dataclass
class CostModel:
    """Rates and prices for turns made with one backend and planner (``planner``: a ``PlannerSpec``)."""

    store: ProjectStore
    info: ModelInfo
    planner: object  # PlannerSpec: name, llm_model
    candidates: int
    search_seconds: float
    judge: JudgeConfig = field(default_factory=JudgeConfig)  # a vision judge adds its calls (agent.costs.judge_cost)
    _rates: Rates | None = field(default=None, init=False, repr=False)
    _price: Price | None = field(default=None, init=False, repr=False)

    @property
    def rates(self) -> Rates:
        """The backend's rates on this machine (calibrated from the store's records on first use)."""
        if self._rates is None:
            prior = prior_rates(self.info, self.planner.name, self.candidates, self.search_seconds)
            self._rates = rates_for(self.store, prior, self.planner.name)
        return self._rates

    @property
    def price(self) -> Price:
        """What the planner's LLM charges per token."""
        if self._price is None:
            self._price = load_prices().price(self.planner.llm_model) if self.planner.name != "offline" else Price()
        return self._price

    def estimate(self, board: Storyboard, cached: set[str] = frozenset(), llm: LLMUsage | None = None,
                 step: str | None = None) -> Estimate:
        """The cost of generating ``board`` (``cached``: shot ids whose takes are on record).

        ``llm`` is what planning already spent; ``step`` ("plan" or "revise")
        names a planner step still to come, whose expected use is added. The
        machine's load is measured when there is something to generate.
        """
        usage = llm or LLMUsage()
        if step is not None:
            usage = usage + expected_usage(self.rates.plan if step == "plan" else self.rates.revise)
        share = machine.cpu_share(machine.ESTIMATE_PROBE_SECONDS) if len(cached) < len(board.shots) else 1.0
        est = estimate_turn(board, self.info, self.rates, cached, usage, self.price, cold=not is_warm(self.info.name),
                            share=share)
        if self.judge.resolved_mode(self.info.reader is not None) != "vlm" or not est.tries:
            return est
        judged = expected_judge_usage(self.store, est.tries, self.judge.max_calls)
        return est.model_copy(update={"judge": judged, "usd": est.usd + load_prices().price(self.judge.model).usd(judged)})
