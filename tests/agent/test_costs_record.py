"""Every take and turn records what it cost; old projects without costs still load; history shows totals."""

import json
import math

import pytest

from longcut.agent.costs.record import LLMUsage
from longcut.agent.costs.totals import session_totals
from longcut.agent.planning.openai import OpenAIPlanner
from longcut.agent.state import Project
from longcut.agent.turn.session import Options

from tests.agent.turn_helpers import REQUEST, opts
from tests.fake_openai import FakeOpenAI, structured
from tests.fakes import CHUNK_FRAMES, WorldOracleModel


def test_each_generated_take_records_wall_cpu_and_chunks(sessions):
    res = sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel()))
    board = res.revision.storyboard
    for shot in board.shots:
        (take,) = [v for v in res.project.versions if v.shot_id == shot.id]
        assert take.cost is not None and take.cost.wall_seconds > 0 and take.cost.cpu_seconds >= 0
        assert take.cost.chunks == math.ceil(round(shot.seconds * 8) / CHUNK_FRAMES)
        assert take.cost.search_chunks == 0 and take.cost.llm == LLMUsage()
    cost = res.revision.cost
    assert cost is not None and cost.render_seconds > 0
    assert cost.wall_seconds == pytest.approx(res.seconds)
    assert cost.wall_seconds > sum(v.cost.wall_seconds for v in res.project.versions)


def test_the_opening_search_records_the_chunks_it_dropped(sessions):
    board = sessions.make(REQUEST, name="probe", opts=opts(WorldOracleModel())).revision.storyboard
    wrong = WorldOracleModel(fail_prompts={s.prompt for s in board.shots})  # no opening reads as asked
    res = sessions.make(REQUEST, name="ball", opts=opts(wrong, candidates=2, max_tries=1))
    for v in res.project.versions:
        # every candidate's opening was made and all but one dropped: their chunks are the search's cost
        assert v.cost.search_chunks >= 1
        if v.attempt == 1:  # two candidates: one opening dropped, no longer than the kept generation
            assert v.cost.search_chunks <= v.cost.chunks


def test_failed_tries_count_in_the_shot_totals(sessions):
    board_prompt = sessions.make(REQUEST, name="probe", opts=opts(WorldOracleModel())).revision.storyboard.shots[1].prompt
    res = sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel(fail_prompts={board_prompt}), max_tries=2,
                                                        rewrite_after=0))
    (turn,) = session_totals(res.project)
    tries = {s.shot: s.tries for s in turn.shots}
    assert tries["s2"] >= 2 and tries["s1"] == 1
    s2 = next(s for s in turn.shots if s.shot == "s2")
    takes = [v for v in res.project.versions if v.shot_id == "s2"]
    assert s2.wall_seconds == pytest.approx(sum(v.cost.wall_seconds for v in takes))
    assert turn.generation_seconds == pytest.approx(sum(v.cost.wall_seconds for v in res.project.versions))


def test_a_project_saved_before_costs_were_recorded_loads(sessions):
    res = sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel()))
    data = json.loads(res.project.model_dump_json())
    for v in data["versions"]:
        del v["cost"]
    for r in data["revisions"]:
        del r["cost"]
    old = Project.model_validate(data)
    assert all(v.cost is None for v in old.versions)
    (turn,) = session_totals(old)
    assert turn.wall_seconds is None and all(s.unmeasured == s.tries for s in turn.shots)


ONE_SHOT_PLAN = {"rewritten_request": "A red ball on grass.", "seconds": 6.0, "title": None, "style": "",
                 "references": [], "shots": [
                     {"intent": "ball", "prompt": "a small red circle moves right on a grass background",
                      "seconds": 6.0, "refs": [], "continuous": False, "transition": "cut",
                      "transition_seconds": 0.0, "caption": None}]}


def test_the_openai_planner_path_counts_tokens_from_the_servers_usage(sessions):
    with FakeOpenAI([structured(ONE_SHOT_PLAN)]) as server:
        planner = OpenAIPlanner(server.base_url, "fake-model", api_key="k", timeout=5, max_retries=0)
        res = sessions.make("a red ball on grass", name="llm", seconds=6,
                            opts=Options(video_model=WorldOracleModel(), planner="openai", planner_impl=planner,
                                         candidates=1))
        planning = res.revision.cost.planning
        assert planning.calls == 1
        assert (planning.prompt_tokens, planning.completion_tokens) == (server.prompt_tokens, server.completion_tokens)
        assert planning.prompt_tokens > 0
        (turn,) = session_totals(res.project)
        assert turn.llm == planning


def test_the_price_table_prices_a_turns_tokens(sessions, tmp_path, monkeypatch):
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({"fake-model": {"prompt_per_million": 1000.0, "completion_per_million": 2000.0}}))
    monkeypatch.setenv("LONGCUT_PRICES", str(table))
    with FakeOpenAI([structured(ONE_SHOT_PLAN)]) as server:
        planner = OpenAIPlanner(server.base_url, "fake-model", api_key="k", timeout=5, max_retries=0)
        res = sessions.make("a red ball on grass", name="llm", seconds=6,
                            opts=Options(video_model=WorldOracleModel(), planner="openai", planner_impl=planner,
                                         llm_model="fake-model", candidates=1))
        expected = (server.prompt_tokens * 1000.0 + server.completion_tokens * 2000.0) / 1e6
    assert res.revision.cost.usd == pytest.approx(expected) and expected > 0
    table.write_text('{"fake-model": {"prompt_per_million": -1}}')
    with pytest.raises(Exception, match="price table .* is not valid at fake-model.prompt_per_million"):
        sessions.make("a red ball on grass", name="llm2", seconds=6, opts=opts(WorldOracleModel()))
    assert not sessions.store.exists("llm2")
