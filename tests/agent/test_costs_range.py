"""The estimate's likely range: tries that vary from shot to shot and a machine whose speed varies widen it."""

import math

import pytest

from longcut.agent.costs.calibrate import CALIBRATED_TAKE_SD, TAKE_SD_WEIGHT, rates_for
from longcut.agent.costs.estimate import Z_80, about, estimate_turn
from longcut.agent.costs.rates import PRIOR_TAKE_SD, prior_rates
from longcut.agent.costs.record import TurnCost
from longcut.agent.store import ProjectStore

from tests.agent.test_costs_estimate import INFO, board, recorded_project


def _rates(tmp_path, project):
    store = ProjectStore(tmp_path / "projects")
    store.save(project)
    return rates_for(store, prior_rates(INFO, "offline", 1, 3.0), "offline")


def test_before_anything_is_measured_the_range_is_the_backends_figure_give_or_take_half():
    est = estimate_turn(board(4.0, 6.0), INFO, prior_rates(INFO, "offline", 1, 3.0))
    spread = Z_80 * PRIOR_TAKE_SD * est.generation_seconds
    assert est.wall_high == pytest.approx(est.wall_seconds + spread)
    # the low end: one try each on a light machine, never below (here the floor: 1 - 1.28 * 0.5 of the takes)
    assert est.wall_low == pytest.approx(max(est.wall_seconds - spread,
                                             est.wall_seconds - est.generation_seconds * Z_80 * PRIOR_TAKE_SD))
    assert est.wall_low < est.wall_seconds < est.wall_high
    assert "likely" in about(est)


def test_takes_on_their_line_and_one_try_each_give_a_narrow_range(tmp_path):
    takes = [("s1", 1, 4.0), ("s2", 2, 7.0), ("s3", 4, 13.0)]  # exactly 3 s a chunk + 1 s a take
    rates = _rates(tmp_path, recorded_project("a", takes, wall=30.0, render=2.0))
    assert rates.tries_sd == 0.0
    assert rates.take_sd == pytest.approx(math.sqrt(TAKE_SD_WEIGHT * CALIBRATED_TAKE_SD ** 2 / (3 + TAKE_SD_WEIGHT)))
    est = estimate_turn(board(4.0, 6.0), INFO, rates)
    assert est.wall_high - est.wall_seconds == pytest.approx(Z_80 * rates.take_sd * est.generation_seconds)


def test_shots_that_needed_retries_widen_the_range(tmp_path):
    steady = _rates(tmp_path / "a", recorded_project("a", [("s1", 1, 4.0), ("s2", 1, 4.0), ("s3", 1, 4.0)]))
    p = recorded_project("b", [("s1", 1, 4.0), ("s2", 1, 4.0), ("s3", 1, 4.0)])
    p.versions += [p.versions[0].model_copy(update={"key": f"k{9 + i}", "attempt": 2 + i}) for i in range(2)]
    retried = _rates(tmp_path / "b", p)  # s1 took three tries, s2 and s3 one
    assert retried.tries_per_shot > 1.0 and retried.tries_sd > 0.0
    a, b = (estimate_turn(board(2.0, 2.0, 2.0, 2.0), INFO, r) for r in (steady, retried))
    assert (b.wall_high - b.wall_seconds) > (a.wall_high - a.wall_seconds)
    one_try_each = sum(s.take_seconds for s in b.shots) * (1 - Z_80 * retried.take_sd)
    assert b.wall_low >= one_try_each + b.render_seconds + b.turn_seconds - 1e-9


def test_the_turn_records_the_range_it_was_given():
    est = estimate_turn(board(4.0), INFO, prior_rates(INFO, "offline", 1, 3.0))
    cost = est.as_turn_cost(TurnCost())
    assert (cost.estimate_seconds, cost.estimate_low, cost.estimate_high) == (est.wall_seconds, est.wall_low,
                                                                               est.wall_high)
    assert TurnCost.model_validate({"estimate_seconds": 3.0}).estimate_low is None  # older records load
