"""Feedback the offline planner reads into finishing edits: trims, speed, look, fades, music."""

import pytest

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import closed_vocabulary
from longcut.agent.state import Project
from longcut.errors import InputError
from longcut.models.world.capabilities import WORLD_VOCABULARY

VOCAB = closed_vocabulary(WORLD_VOCABULARY)
REQUEST = "a 30-second video: a red ball crosses a meadow, night falls, then it bounces back home"


@pytest.fixture(scope="module")
def planner() -> OfflinePlanner:
    return OfflinePlanner(use_embeddings=False)


@pytest.fixture(scope="module")
def project(planner) -> Project:
    board = planner.plan(PlanRequest(request=REQUEST, seconds=None, vocabulary=VOCAB)).storyboard
    return Project(name="p", request=REQUEST, seconds=30, music="music.m4a", storyboard=board)


def same_prompts(b, o):
    return [(s.prompt, s.seconds, s.seed) for s in b.shots] == [(s.prompt, s.seconds, s.seed) for s in o.shots]


@pytest.mark.parametrize("feedback, check", [
    ("trim 1 s off the start of shot 2", lambda b, o: b.shots[1].trim_start == 1 and b.shots[1].trim_end == 0),
    ("cut 0.5 seconds from the end of the last shot", lambda b, o: b.shots[2].trim_end == 0.5),
    ("trim 2 s off the end", lambda b, o: b.shots[2].trim_end == 2 and b.shots[0].trim_end == 0),
    ("trim the beginning of shot 1 by 1.5 s", lambda b, o: b.shots[0].trim_start == 1.5),
    ("trim shot 3 to 4 seconds", lambda b, o: b.shots[2].seconds - b.shots[2].trim_end == 4),
    ("play the last shot at half speed", lambda b, o: b.shots[2].speed == 0.5 and b.shots[0].speed == 1),
    ("shot 2 in slow motion", lambda b, o: b.shots[1].speed == 0.5),
    ("play shot 1 at 2x", lambda b, o: b.shots[0].speed == 2 and b.seconds < o.seconds),
    ("make it black and white", lambda b, o: all(s.look.saturation == 0 for s in b.shots)),
    ("make shot 2 darker", lambda b, o: b.shots[1].look.brightness < 0 and b.shots[0].look == o.shots[0].look),
    ("more contrast and more saturated colours",
     lambda b, o: all(s.look.contrast > 1 and s.look.saturation > 1 for s in b.shots)),
    ("fade out at the end", lambda b, o: (b.fade_in, b.fade_out) == (0, 1)),
    ("fade in from black over 2 seconds", lambda b, o: (b.fade_in, b.fade_out) == (2, 0)),
    ("fade in and out", lambda b, o: (b.fade_in, b.fade_out) == (1, 1)),
    ("fade to black after shot 1", lambda b, o: b.fade_out == 0 and b.shots[0].transition.kind == "fade"),
    ("remove the fade out", lambda b, o: b.fade_out == 0),
    ("music at 50%", lambda b, o: b.music.volume == 0.5 and b.music.fade_in == o.music.fade_in),
    ("turn the music down", lambda b, o: b.music.volume == pytest.approx(0.4)),
    ("mute the music", lambda b, o: b.music.volume == 0),
    ("fade the music out over 4 s", lambda b, o: b.music.fade_out == 4 and b.music.volume == o.music.volume),
    ("make the second shot green and trim 1 s off its start",
     lambda b, o: "green" in b.shots[1].prompt and b.shots[1].trim_start == 1),
    ("fade out at the end and use a crossfade after shot 1",
     lambda b, o: b.fade_out == 1 and b.shots[0].transition.kind == "fade"),
])
def test_finishing_feedback_edits_the_storyboard_and_nothing_else(planner, project, feedback, check):
    board = planner.revise(project, feedback, VOCAB)
    assert check(board, project.storyboard)
    if "green" not in feedback:
        assert same_prompts(board, project.storyboard)  # nothing is generated again


def test_trims_add_up_over_turns(planner, project):
    once = project.model_copy(update={"storyboard": planner.revise(project, "trim 1 s off the start of shot 2", VOCAB)})
    twice = planner.revise(once, "trim 1 s off the start of shot 2", VOCAB)
    assert twice.shots[1].trim_start == 2
    assert planner.revise(project.model_copy(update={"storyboard": twice}), "untrim shot 2", VOCAB).shots[1].trim_start == 0


@pytest.mark.parametrize("feedback, needle", [
    ("trim 30 s off the start of shot 1", "leaves nothing"),
    ("fade out over 20 s", "could not apply set_fades.*less than or equal to 10"),
    ("play shot 2 at 100x", "could not apply set_speed.*less than or equal to 4"),
])
def test_impossible_finishing_feedback_is_refused_clearly(planner, project, feedback, needle):
    with pytest.raises(InputError, match=needle):
        planner.revise(project, feedback, VOCAB)


def test_music_feedback_without_music_is_refused(planner, project):
    silent = project.model_copy(update={"music": None})
    with pytest.raises(InputError, match="has no music to mix"):
        planner.revise(silent, "music at 50%", VOCAB)
