"""The cost model: priors from the backend's figures, calibrated from recorded takes and turns."""

import pytest

from longcut.agent.costs.calibrate import fit_line, gather, rates_for
from longcut.agent.costs.estimate import estimate_turn
from longcut.agent.costs.model import CostModel
from longcut.agent.costs.prices import Price
from longcut.agent.costs.rates import prior_rates
from longcut.agent.costs.record import LLMUsage, TakeCost, TurnCost
from longcut.agent.state import Project, Revision, Shot, ShotVersion, Storyboard
from longcut.agent.store import ProjectStore
from longcut.agent.turn.task import PlannerSpec
from longcut.models.backends.base import ModelInfo

INFO = ModelInfo("fake", fps=8, width=64, height=64, max_refs=0, chunk_frames=16, weights_id="w1",
                 wall_per_video_second=0.25)


def board(*seconds):
    return Storyboard(shots=[Shot(id=f"s{i + 1}", intent="x", prompt="x", seconds=s) for i, s in enumerate(seconds)])


def recorded_project(name, takes, wall=None, render=0.0, planner="offline", planning=LLMUsage()):
    """A project whose turn 1 generated ``takes``: (shot id, chunks, wall seconds) each."""
    b = board(*[2.0 * max(1, c) for _, c, _ in takes])
    versions = [ShotVersion(shot_id=f"s{i + 1}", key=f"k{i}", file=f"shots/s{i + 1}/k{i}-t1.mp4", prompt="x", seed=0,
                            model="fake@w1", turn=1, cost=TakeCost(wall_seconds=w, chunks=c))
                for i, (_, c, w) in enumerate(takes)]
    rev = Revision(n=1, request="r", storyboard=b, shot_keys={}, render="renders/turn-1.mp4",
                   cost=TurnCost(wall_seconds=wall or 0.0, render_seconds=render, planning=planning))
    return Project(name=name, request="r", seconds=b.seconds, model="fake", planner=planner, storyboard=b,
                   versions=versions, revisions=[rev])


def test_fit_line_keeps_both_terms_non_negative():
    assert fit_line([1, 2, 3], [3, 5, 7]) == pytest.approx((2.0, 1.0))
    assert fit_line([2, 2], [4, 6]) == pytest.approx((2.5, 0.0))  # one distinct x: the ratio through 0
    assert fit_line([1, 2, 3], [5, 3, 1]) == pytest.approx((0.0, 3.0))  # no negative slope: the mean
    assert fit_line([1, 10], [0.0, 100.0])[1] == 0.0  # a negative intercept: the ratio


def test_the_prior_comes_from_the_backends_own_figure():
    rates = prior_rates(INFO, "offline", candidates=1, search_seconds=3.0)
    assert not rates.calibrated and rates.chunk_seconds == pytest.approx(0.25 * 16 / 8)
    est = estimate_turn(board(4.0, 6.0), INFO, rates)
    assert [s.chunks for s in est.shots] == [2, 3]
    assert est.generation_seconds == pytest.approx(5 * 0.5)
    unknown = prior_rates(ModelInfo("x", 8, 64, 64, 0, 16, "w"), "offline", 1, 3.0)
    assert estimate_turn(board(4.0), ModelInfo("x", 8, 64, 64, 0, 16, "w"), unknown).wall_seconds is None


def test_estimates_use_recorded_rates_once_they_exist(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    model = CostModel(store, INFO, PlannerSpec(name="offline"), candidates=1, search_seconds=3.0)
    before = model.estimate(board(4.0, 6.0))
    assert not before.calibrated and before.generation_seconds == pytest.approx(2.5)
    # This machine is slower: 3 s per chunk plus 1 s per take, and a turn costs 4 s besides its takes and render.
    takes = [("s1", 1, 4.0), ("s2", 2, 7.0), ("s3", 4, 13.0)]
    store.save(recorded_project("a", takes, wall=24.0 + 2.0 + 4.0, render=2.0))
    after = CostModel(store, INFO, PlannerSpec(name="offline"), 1, 3.0).estimate(board(4.0, 6.0))
    assert after.calibrated and after.measured_takes == 3 and after.measured_turns == 1
    assert after.generation_seconds == pytest.approx((3 * 2 + 1) + (3 * 3 + 1))
    assert after.turn_seconds == pytest.approx(4.0)
    assert after.render_seconds == pytest.approx(2.0 / 14.0 * 10.0)  # 2 s for the recorded 14 s video
    assert after.wall_seconds == pytest.approx(after.generation_seconds + after.render_seconds + 4.0)


def test_other_backends_records_and_unmeasured_takes_do_not_calibrate(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    p = recorded_project("a", [("s1", 1, 40.0)], wall=50.0)
    p.versions = [v.model_copy(update={"model": "other@w"}) for v in p.versions]
    store.save(p)
    old = recorded_project("b", [("s1", 1, 40.0)])
    old.versions = [v.model_copy(update={"cost": None}) for v in old.versions]
    store.save(old)
    rates = rates_for(store, prior_rates(INFO, "offline", 1, 3.0), "offline")
    assert rates.measured_takes == 0 and rates.chunk_seconds == pytest.approx(0.5)


def test_retries_and_the_planners_tokens_are_calibrated(tmp_path):
    p = recorded_project("a", [("s1", 1, 4.0), ("s2", 1, 4.0)], wall=10.0, planner="openai",
                         planning=LLMUsage(calls=2, prompt_tokens=1000, completion_tokens=300))
    p.versions.append(p.versions[0].model_copy(update={"key": "k9", "attempt": 2}))  # s1 needed two tries
    rec = gather([p], "fake", "openai")
    assert sorted(rec.tries) == [1, 2] and rec.plans == [LLMUsage(calls=2, prompt_tokens=1000, completion_tokens=300)]
    store = ProjectStore(tmp_path / "projects")
    store.save(p)
    spec = PlannerSpec(name="openai", llm_model="m")
    est = CostModel(store, INFO, spec, 1, 3.0).estimate(board(2.0, 2.0), step="plan")
    assert est.tries == pytest.approx(2 * (1 + 2 + 3) / (2 + 3))  # shrunk towards one try per shot
    assert est.llm == LLMUsage(calls=2, prompt_tokens=1000, completion_tokens=300)
    priced = estimate_turn(board(2.0), INFO, prior_rates(INFO, "openai", 1, 3.0), llm=est.llm,
                           price=Price(prompt_per_million=1.0, completion_per_million=10.0))
    assert priced.usd == pytest.approx((1000 * 1.0 + 300 * 10.0) / 1e6)


def test_cached_shots_cost_nothing():
    est = estimate_turn(board(4.0, 4.0), INFO, prior_rates(INFO, "offline", 1, 3.0), cached={"s1"})
    assert est.shots[0].cached and est.shots[0].seconds_expected == 0.0
    assert est.generation_seconds == pytest.approx(2 * 0.5) and est.tries == 1.0


def test_the_search_adds_its_openings_before_anything_is_measured():
    reader_info = ModelInfo("fake", 8, 64, 64, 0, 16, "w1", wall_per_video_second=0.25, reader=object())
    rates = prior_rates(reader_info, "offline", candidates=4, search_seconds=3.0)
    assert rates.search_chunks == 3 * 2  # three more candidates, each a 3 s opening of two 2 s chunks


def test_a_first_take_in_a_process_is_fitted_apart(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    p = recorded_project("a", [("s1", 1, 4.0), ("s2", 2, 7.0), ("s3", 4, 13.0), ("s4", 1, 24.0)], wall=60.0)
    p.versions[3] = p.versions[3].model_copy(update={"cost": p.versions[3].cost.model_copy(update={"cold": True})})
    store.save(p)
    rates = rates_for(store, prior_rates(INFO, "offline", 1, 3.0), "offline")
    assert (rates.chunk_seconds, rates.take_seconds) == pytest.approx((3.0, 1.0))  # the warm takes' line
    assert rates.cold_seconds == pytest.approx(24.0 - 4.0)
    warm = estimate_turn(board(4.0), INFO, rates)
    cold = estimate_turn(board(4.0), INFO, rates, cold=True)
    assert cold.generation_seconds - warm.generation_seconds == pytest.approx(20.0)
