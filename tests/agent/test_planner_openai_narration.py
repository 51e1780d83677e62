"""The OpenAI planner writes the narration through the structured plan, only when narration is asked."""

from dataclasses import replace

from tests.agent.planner_openai_helpers import draft, request, shot
from tests.fake_openai import structured

TOLD = draft(
    shot("ball enters", seconds=4, narration="  A red ball sets out: 100% {sure}.  "),
    shot("night", prompt="a red circle is still on a night background", seconds=4, narration=None),
    shot("home", prompt="a red circle bounces on a night background", seconds=4, narration='"Home," it said.'),
)


def _shot_schema(body):
    schema = body["response_format"]["json_schema"]["schema"]
    shots = schema["properties"]["shots"]["items"]
    return schema["$defs"][shots["$ref"].split("/")[-1]] if "$ref" in shots else shots


def test_a_narrated_plan_carries_the_llms_lines(server, planner):
    server.add(structured(TOLD))
    board = planner.plan(request(seconds=12, narrate=True)).storyboard
    assert [s.narration for s in board.shots] == ["A red ball sets out: 100% {sure}.", None, '"Home," it said.']
    (body,) = server.requests
    fields = _shot_schema(body)
    assert "narration" in fields["properties"] and "narration" in fields["required"]
    assert "The video is narrated" in body["messages"][0]["content"]


def test_the_request_asking_for_a_narrator_is_enough(server, planner):
    server.add(structured(TOLD))
    req = replace(request(seconds=12), request="a narrated story: " + request().request)
    assert planner.plan(req).storyboard.shots[0].narration == "A red ball sets out: 100% {sure}."


def test_lines_are_dropped_when_nobody_asked_for_narration(server, planner):
    server.add(structured(TOLD))
    board = planner.plan(request(seconds=12)).storyboard
    assert not board.narrated
    assert '"narration" is null on every shot' in server.requests[0]["messages"][0]["content"]


def test_a_split_shot_speaks_its_line_once(server, planner):
    long = draft(shot("a long crossing", seconds=12, narration="It crosses the whole meadow."), seconds=12)
    server.add(structured(long))
    board = planner.plan(request(seconds=12, narrate=True, max_shot_seconds=4)).storyboard
    assert len(board.shots) == 3 and [s.narration for s in board.shots] == ["It crosses the whole meadow.", None, None]


def test_a_line_with_a_control_character_goes_back_to_the_llm(server, planner):
    bad = draft(shot("ball", seconds=12, narration="bell\x07 rings"), seconds=12)
    server.add(structured(bad))
    server.add(structured(draft(shot("ball", seconds=12, narration="The bell rings."), seconds=12)))
    board = planner.plan(request(seconds=12, narrate=True)).storyboard
    assert board.shots[0].narration == "The bell rings."
    assert "control character" in server.requests[1]["messages"][-1]["content"]
