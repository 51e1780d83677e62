"""Budgets: a plan over a cap is refused before generation; a cap hit mid-run stops at a chunk, takes kept."""

import json
import time
from dataclasses import replace

import pytest

from longcut.agent.costs.budget import Budget, BudgetExceeded
from longcut.agent.planning.openai import OpenAIPlanner
from longcut.agent.turn.session import Options
from longcut.errors import InputError

from tests.agent.turn_helpers import REQUEST, opts
from tests.fake_openai import FakeOpenAI, structured
from tests.fakes import WorldOracleModel


def timed(wall_per_video_second: float) -> WorldOracleModel:
    model = WorldOracleModel()
    model._info = replace(model.info, wall_per_video_second=wall_per_video_second)
    return model


class SlowModel(WorldOracleModel):
    """Takes ``pause`` seconds per chunk."""

    def __init__(self, pause: float):
        super().__init__()
        self.pause, self.chunks = pause, 0

    def generate(self, request, history=None, on_step=None):
        for chunk in super().generate(request, history, on_step):
            time.sleep(self.pause)
            self.chunks += 1
            yield chunk


def test_bad_caps_are_refused():
    for bad in ({"max_minutes": 0}, {"max_usd": float("nan")}, {"max_tries": 0}):
        with pytest.raises(InputError, match="must be"):
            Budget(**bad)


def test_a_plan_over_the_minutes_cap_is_refused_before_generation(sessions):
    model = timed(10.0)  # 12 s of video at 10 s per second: about two minutes
    with pytest.raises(BudgetExceeded, match=r"the plan needs about 2\.\d minutes .*--max-minutes is 1: nothing"):
        sessions.make(REQUEST, name="ball", opts=opts(model, budget=Budget(max_minutes=1)))
    assert model.calls == [] and model.images == []
    project = sessions.store.load("ball")  # the plan is kept: a larger budget resumes it
    assert project.pending is not None and project.versions == []
    res = sessions.make(REQUEST, name="ball", opts=opts(model, budget=Budget(max_minutes=5)))
    assert res.revision.regenerated == ["s1", "s2", "s3"]


def test_a_plan_over_the_tries_cap_is_refused(sessions):
    model = WorldOracleModel()
    with pytest.raises(BudgetExceeded, match=r"about 3\.0 tries \(3 shots\); --max-tries is 2"):
        sessions.make(REQUEST, name="ball", opts=opts(model, budget=Budget(max_tries=2)))
    assert model.calls == []


def test_retries_past_the_tries_cap_stop_the_turn_and_keep_the_finished_takes(sessions):
    board = sessions.make(REQUEST, name="probe", opts=opts(WorldOracleModel())).revision.storyboard
    failing = WorldOracleModel(fail_prompts={board.shots[0].prompt})  # shot 1 fails every try
    with pytest.raises(BudgetExceeded, match=r"--max-tries 3 reached; stopped after .* 3 tries"):
        sessions.make(REQUEST, name="ball", opts=opts(failing, budget=Budget(max_tries=3), rewrite_after=0))
    assert [c.prompt for c in failing.calls] == [board.shots[0].prompt] * 3
    folder = sessions.store.folder("ball")
    assert len(list((folder / "shots" / "s1").glob("*-t*.json"))) == 3  # every finished take is on disk
    assert not list((folder / "renders").glob("*.mp4"))  # nothing half-done delivered
    again = WorldOracleModel(fail_prompts={board.shots[0].prompt})
    res = sessions.make(REQUEST, name="ball", opts=opts(again, rewrite_after=0))
    assert board.shots[0].prompt not in [c.prompt for c in again.calls]  # the kept takes are not made again
    assert res.revision.regenerated == ["s1", "s2", "s3"]


def test_the_minutes_cap_stops_mid_shot_at_a_chunk_boundary(sessions):
    model = SlowModel(pause=0.3)  # no speed figure: the plan passes, the run is measured
    with pytest.raises(BudgetExceeded, match=r"--max-minutes 0\.01 reached; stopped after"):
        sessions.make(REQUEST, name="ball", opts=opts(model, budget=Budget(max_minutes=0.01)))
    total = sum(-(-round(s.seconds * 8) // 16) for s in sessions.store.load("ball").storyboard.shots)
    assert 1 <= model.chunks < total
    assert sessions.store.load("ball").pending is not None


def test_a_plan_over_the_dollar_cap_is_refused_from_the_servers_token_counts(sessions, tmp_path, monkeypatch):
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"m": {"prompt_per_million": 1e6, "completion_per_million": 0}}))  # $1 a token
    monkeypatch.setenv("LONGCUT_PRICES", str(table))
    good = {"rewritten_request": "A red ball on grass.", "seconds": 6.0, "title": None, "style": "",
            "references": [], "shots": [
                {"intent": "ball", "prompt": "a small red circle moves right on a grass background", "seconds": 6.0,
                 "refs": [], "continuous": False, "transition": "cut", "transition_seconds": 0.0, "caption": None}]}
    model = WorldOracleModel()
    with FakeOpenAI([structured(good)]) as server:
        planner = OpenAIPlanner(server.base_url, "m", api_key="k", timeout=5, max_retries=0)
        with pytest.raises(BudgetExceeded, match=r"LLM tokens; --max-usd is 5"):
            sessions.make("a red ball on grass", name="llm", seconds=6,
                          opts=Options(video_model=model, planner="openai", planner_impl=planner, llm_model="m",
                                       candidates=1, budget=Budget(max_usd=5)))
        assert server.prompt_tokens > 5
    assert model.calls == []


def test_the_vision_judge_tokens_count_against_the_dollar_cap():
    from longcut.agent.costs.budget import Budget, BudgetExceeded, Spend
    from longcut.agent.costs.prices import Price
    from longcut.agent.costs.record import LLMUsage

    spend = Spend(Budget(max_usd=0.01), judge_price=Price(prompt_per_million=10.0, completion_per_million=0.0))
    spend.check()
    spend.add_judge(LLMUsage(calls=1, prompt_tokens=2000, completion_tokens=100))
    assert spend.usd == pytest.approx(0.02)
    with pytest.raises(BudgetExceeded, match="--max-usd 0.01 reached"):
        spend.check()
