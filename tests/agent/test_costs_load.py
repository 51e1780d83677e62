"""A busy machine: takes are fitted as on a core of their own, and an estimate made on a busy machine says so."""

import multiprocessing
import os
import time

import pytest

from longcut.agent.costs import machine
from longcut.agent.costs.calibrate import rates_for
from longcut.agent.costs.estimate import about, estimate_turn
from longcut.agent.costs.machine import MIN_SHARE, cpu_share
from longcut.agent.costs.model import CostModel
from longcut.agent.costs.rates import prior_rates
from longcut.agent.store import ProjectStore
from longcut.agent.turn.task import PlannerSpec

from tests.agent.test_costs_estimate import INFO, board, recorded_project
from tests.agent.turn_helpers import REQUEST, opts
from tests.fakes import WorldOracleModel


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity to share one core")
def test_the_probe_reads_a_core_shared_with_a_busy_process():
    before = os.sched_getaffinity(0)
    core = min(before)
    os.sched_setaffinity(0, {core})  # this thread and the busy child on one core: about half each
    busy = multiprocessing.get_context("fork").Process(target=_spin, args=(3.0,))
    try:
        busy.start()
        time.sleep(0.3)
        shared = cpu_share(0.5)
    finally:
        busy.terminate()
        busy.join()
        os.sched_setaffinity(0, before)
    assert 0.2 < shared < 0.8
    assert MIN_SHARE <= cpu_share(0.05) <= 1.0


def _store_with(tmp_path, project):
    store = ProjectStore(tmp_path / "projects")
    store.save(project)
    return store


def test_takes_recorded_on_a_busy_machine_are_fitted_as_on_a_core_of_their_own(tmp_path):
    quiet = recorded_project("q", [("s1", 1, 4.0), ("s2", 2, 7.0), ("s3", 4, 13.0)])
    busy = recorded_project("b", [("s1", 1, 8.0), ("s2", 2, 14.0), ("s3", 4, 26.0)])  # twice as long ...
    for v in busy.versions:
        v.cost = v.cost.model_copy(update={"cpu_share": 0.5})  # ... with half a core
    a, b = (rates_for(_store_with(tmp_path / p.name, p), prior_rates(INFO, "offline", 1, 3.0), "offline")
            for p in (quiet, busy))
    assert (b.chunk_seconds, b.take_seconds) == pytest.approx((a.chunk_seconds, a.take_seconds))
    assert (a.chunk_seconds, a.take_seconds) == pytest.approx((3.0, 1.0))


def test_an_estimate_on_a_busy_machine_divides_the_takes_by_the_share_and_says_so(tmp_path, monkeypatch):
    rates = prior_rates(INFO, "offline", 1, 3.0)
    quiet = estimate_turn(board(4.0, 6.0), INFO, rates)
    half = estimate_turn(board(4.0, 6.0), INFO, rates, share=0.5)
    assert half.generation_seconds == pytest.approx(2 * quiet.generation_seconds)
    assert half.render_seconds == quiet.render_seconds and half.turn_seconds == quiet.turn_seconds
    assert "busy" not in about(quiet) and "busy: 50% of a core" in about(half)

    asked = []
    monkeypatch.setattr(machine, "cpu_share", lambda seconds=0.1: asked.append(seconds) or 0.25)
    model = CostModel(ProjectStore(tmp_path / "p"), INFO, PlannerSpec(name="offline"), 1, 3.0)
    est = model.estimate(board(4.0, 6.0))
    assert asked == [machine.ESTIMATE_PROBE_SECONDS] and est.cpu_share == 0.25
    assert est.generation_seconds == pytest.approx(4 * quiet.generation_seconds)
    assert model.estimate(board(4.0), cached={"s1"}).cpu_share == 1.0 and len(asked) == 1  # nothing to make


def test_each_take_records_the_share_of_a_core_it_had(sessions, monkeypatch):
    monkeypatch.setattr(machine, "cpu_share", lambda seconds=0.1: 0.4)
    res = sessions.make(REQUEST, name="busy", opts=opts(WorldOracleModel()))
    assert res.project.versions and all(v.cost.cpu_share == 0.4 for v in res.project.versions)
