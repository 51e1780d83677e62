"""The vision-language judge in the turn: its verdicts drive retries and rewrites, its cost reaches the records."""

from __future__ import annotations

import json

import pytest

from longcut.agent.costs.budget import Budget, BudgetExceeded
from longcut.agent.costs.judge_cost import PRIOR_PROMPT_TOKENS
from longcut.agent.costs.model import CostModel
from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.turn.task import ChainTask, PlannerSpec
from longcut.errors import InputError
from longcut.tools.judge.config import JudgeConfig
from longcut.tools.review import ADHERENCE_SECONDS

from tests.agent.turn_helpers import opts
from tests.fake_openai import FakeOpenAI, refusal, structured
from tests.fakes import EyelessModel, WorldOracleModel

REQUEST = "a small red star moves left"
PASS = {"elements": [{"element": "subject", "status": "present", "reason": "a red star"}],
        "overall": "pass", "summary": "a red star moves left"}
FAIL = {"elements": [{"element": "subject", "status": "absent", "reason": "it is a purple blob, not a star"}],
        "overall": "fail", "summary": "no star"}
EVALUATOR_CHECKS = {"evaluator_start", "evaluator_end"}  # tools.review._adherence


class RecordingPlanner(OfflinePlanner):
    """The offline planner, remembering what each rewrite was told had failed."""

    def __init__(self) -> None:
        super().__init__(use_embeddings=False)
        self.problems: list[str] = []

    def rewrite_failed(self, intent, prompt, problem, vocabulary):
        self.problems.append(problem)
        return super().rewrite_failed(intent, prompt, problem, vocabulary)


def vlm(server: FakeOpenAI, **kw) -> JudgeConfig:
    return JudgeConfig(mode="vlm", model="fake-vision", base_url=server.base_url, **kw)


def test_a_fail_verdict_retries_and_the_rewrite_is_told_the_judge_reasons(sessions):
    planner = RecordingPlanner()
    with FakeOpenAI([structured(FAIL), structured(PASS)]) as server:
        res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(
            EyelessModel(), planner_impl=planner, judge=vlm(server), max_tries=3, rewrite_after=1))
    takes = sorted(res.project.versions, key=lambda v: v.attempt)
    assert [t.passed for t in takes] == [False, True]
    assert planner.problems and "it is a purple blob, not a star" in planner.problems[0]
    assert takes[1].prompt != takes[0].prompt  # the second try used the rewritten prompt
    assert len(server.requests) == 2 and REQUEST.split()[2] in json.dumps(server.requests[1]["messages"][1])
    judged = [c for c in takes[0].checks if c.name == "vision_judge"][0]
    assert not judged.passed and judged.wrong == ["subject"]


def test_the_judge_calls_and_tokens_reach_each_take_cost(sessions):
    with FakeOpenAI([structured(PASS)]) as server:
        res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(EyelessModel(), judge=vlm(server)))
    (take,) = res.project.versions
    assert take.cost.judge.calls == 1 and take.cost.judge.prompt_tokens == server.prompt_tokens > 0
    assert take.cost.judge.completion_tokens == server.completion_tokens
    assert take.cost.llm.calls >= take.cost.judge.calls  # the take's LLM use includes the judge's


def test_an_unsure_judge_never_fails_a_shot(sessions):
    with FakeOpenAI([refusal("no")]) as server:
        res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(EyelessModel(), judge=vlm(server)))
    (take,) = res.project.versions
    check = [c for c in take.checks if c.name == "vision_judge"][0]
    assert take.passed and check.passed and check.detail.startswith("unsure")


def test_with_a_vision_judge_the_evaluator_does_not_judge(sessions):
    with FakeOpenAI([structured(PASS)]) as server:
        res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(WorldOracleModel(), judge=vlm(server)))
    names = {c.name for c in res.project.versions[0].checks}
    assert "vision_judge" in names and not names & EVALUATOR_CHECKS


def test_judge_none_keeps_only_the_checks_any_backend_has(sessions):
    res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(WorldOracleModel(), judge=JudgeConfig(mode="none")))
    names = {c.name for c in res.project.versions[0].checks}
    assert names and not names & (EVALUATOR_CHECKS | {"vision_judge"})


def test_the_default_judge_is_the_evaluator_where_the_backend_has_one(sessions):
    res = sessions.make(REQUEST, name="star", seconds=4, opts=opts(WorldOracleModel()))
    assert {c.name for c in res.project.versions[0].checks} & EVALUATOR_CHECKS


def test_the_evaluator_judge_on_a_backend_without_one_is_refused_before_anything_is_saved(sessions):
    with pytest.raises(InputError, match="no evaluator"):
        sessions.make(REQUEST, name="star", seconds=4, opts=opts(EyelessModel(), judge=JudgeConfig(mode="evaluator")))
    assert not sessions.store.exists("star")


def test_a_chain_task_carries_the_judge_config():
    task = ChainTask.model_validate({
        "project": "p", "projects": "/x", "chain": ["s1"], "turn": 1,
        "model": {"name": "tiny", "weights_id": "w"}, "planner": {"name": "offline"},
        "retry": {"max_tries": 3, "rewrite_after": 2, "cut_fallback": True}, "candidates": 1,
        "judge": JudgeConfig(mode="vlm", base_url="http://127.0.0.1:1/v1", max_calls=5).model_dump(mode="json")})
    assert ChainTask.model_validate(task.model_dump(mode="json")).judge.max_calls == 5


def test_the_plan_counts_the_judge_calls_and_a_dollar_cap_refuses_it_before_any_call(sessions, tmp_path, monkeypatch):

    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake-vision": {"prompt_per_million": 100.0, "completion_per_million": 0.0}}))
    monkeypatch.setenv("LONGCUT_PRICES", str(prices))
    with FakeOpenAI() as server:
        with pytest.raises(BudgetExceeded, match=r"the plan needs about \$0\.\d+ of LLM tokens"):
            sessions.make(REQUEST, name="star", seconds=4, opts=opts(
                EyelessModel(), judge=vlm(server), budget=Budget(max_usd=0.0001)))
        assert not server.requests  # refused before any shot was judged
    with FakeOpenAI([structured(PASS)]) as server:
        res = sessions.make(REQUEST, name="star2", seconds=4, opts=opts(EyelessModel(), judge=vlm(server)))
    est = CostModel(sessions.store, EyelessModel().info, PlannerSpec(name="offline"), 1, ADHERENCE_SECONDS,
                    vlm(server)).estimate(res.project.storyboard)
    assert est.judge.calls >= 1 and est.usd > 0
    assert est.judge.prompt_tokens != round(PRIOR_PROMPT_TOKENS * est.judge.calls)  # measured now, not the prior
