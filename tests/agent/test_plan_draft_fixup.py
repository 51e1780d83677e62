"""draft_to_plan: the deterministic fix-ups of an LLM's draft (no server needed)."""

import pytest

from longcut.agent.planning.draft import DraftProblem, LLMPlan, draft_to_plan
from longcut.agent.state import MAX_REFS

from tests.agent.planner_openai_helpers import draft, request, shot


def test_fixup_scales_splits_and_renumbers():
    d = LLMPlan.model_validate(draft(
        shot("a", seconds=10, continuous=True, transition="cut", transition_seconds=2),
        shot("b", seconds=10, transition="dissolve", transition_seconds=0),
        shot("c", seconds=10, transition="fade", transition_seconds=1),
        seconds=99,
    ))
    plan = draft_to_plan(d, request(seconds=60, max_shot_seconds=15))
    shots = plan.storyboard.shots
    assert [s.id for s in shots] == [f"s{i}" for i in range(1, 7)]
    assert all(s.seconds <= 15 for s in shots)
    assert abs(plan.storyboard.seconds - 60) <= 0.6 and plan.seconds == 60
    assert [s.intent for s in shots] == ["a", "a", "b", "b", "c", "c"]
    assert [s.continuous for s in shots] == [False, True, False, True, False, True]  # first shot never continues
    assert [s.transition.kind for s in shots] == ["cut", "cut", "cut", "dissolve", "cut", "cut"]
    assert shots[3].transition.seconds == 0.5  # a dissolve of 0 s got the default; the last shot cuts


def test_fixup_keeps_transitions_shorter_than_the_shots_they_join():
    d = LLMPlan.model_validate(draft(
        shot("a", seconds=1, transition="fade", transition_seconds=4),
        shot("b", seconds=1, transition="wipeleft", transition_seconds=4),
        shot("c", seconds=1),
    ))
    plan = draft_to_plan(d, request(seconds=3, max_shot_seconds=1.5))
    shots = plan.storyboard.shots
    assert abs(plan.storyboard.seconds - 3) <= 0.03 and all(s.seconds <= 1.5 for s in shots)
    for a, b in zip(shots, shots[1:], strict=False):
        assert a.transition.seconds <= min(a.seconds, b.seconds)


@pytest.mark.parametrize("target", [7.0, 59.9, 61.0, 100.0, 1234.5, 3600.0])
def test_fixup_hits_the_target_and_the_shot_limit(target):
    d = LLMPlan.model_validate(draft(*[shot(seconds=s, transition="dissolve", transition_seconds=0.7)
                                       for s in (3, 17, 29, 5, 11)]))
    plan = draft_to_plan(d, request(seconds=target, max_shot_seconds=20))
    assert abs(plan.storyboard.seconds - target) <= 0.01 * target
    assert all(s.seconds <= 20 for s in plan.storyboard.shots)


def test_fixup_drops_surplus_references_and_keeps_supplied_ones():
    refs = [{"id": f"Thing {i}", "description": f"thing {i}"} for i in range(MAX_REFS + 2)]
    d = LLMPlan.model_validate(draft(shot(refs=["Thing 0", "thing-8", "dog"]), references=refs))
    plan = draft_to_plan(d, request(supplied_refs={"dog": "/home/me/dog.png"}))
    ids = [r.id for r in plan.references]
    assert len(ids) == MAX_REFS and ids[0] == "dog" and "thing-8" not in ids
    assert plan.references[0].source == "supplied" and plan.references[0].image is None
    assert plan.storyboard.shots[0].refs == ["thing-0", "dog"]


@pytest.mark.parametrize("bad, match", [
    (draft(shot(seconds=0)), "no positive length"),
    (draft(shot(refs=["nobody"])), "'nobody'"),
    (draft(seconds=0), "'seconds' is 0"),
    ({**draft(), "shots": []}, "empty"),
    (draft(shot(prompt="x" * 3000)), "prompt"),
    (draft(references=[{"id": "ball", "description": "y" * 3000}]), "description"),
])
def test_fixup_sends_back_what_it_cannot_fix(bad, match):
    with pytest.raises(DraftProblem, match=match):
        draft_to_plan(LLMPlan.model_validate(bad), request(seconds=None if "'seconds'" in match else 12))


# ---------------------------------------------------------------------------
# revise
