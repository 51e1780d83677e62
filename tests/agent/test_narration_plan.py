"""Narration in the plan: lines from the request, the durations rule, feedback, and no speech engine."""

from __future__ import annotations

import pytest
from turn_helpers import REQUEST, opts

from longcut.agent.planning.feedback import feedback_calls
from longcut.agent.planning.lexicon import Lexicon
from longcut.agent.planning.narration import LENGTH_TOLERANCE, fit_narration
from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.state import Narration, Shot, Storyboard, Transition
from longcut.errors import InputError
from longcut.tools.narration.speaker import NoSpeechEngine

from tests.fakes import WorldOracleModel

VOCAB = vocabulary_for(WorldOracleModel().info)


def _plan(request: str, narrate: bool = False) -> Storyboard:
    return OfflinePlanner(use_embeddings=False).plan(PlanRequest(request=request, seconds=None, vocabulary=VOCAB,
                                                                 narrate=narrate)).storyboard


def test_quoted_text_is_spoken_verbatim_and_is_no_shot():
    board = _plan('a 12-second video, narrated: "It left at dawn: 100% sure. {Home}, at last!" '
                  "a red ball crosses a meadow, night falls, then it bounces back home")
    assert len(board.shots) == 3 and not any("dawn" in s.intent for s in board.shots)
    assert [s.narration for s in board.shots] == ["It left at dawn: 100% sure.", "{Home}, at last!", None]


def test_narrate_speaks_each_shot_clause():
    assert _plan(REQUEST).shots[0].narration is None
    assert [s.narration for s in _plan(REQUEST, narrate=True).shots] == [
        "A red ball crosses a meadow.", "Night falls.", "It bounces back home."]


def _board(lengths, spoken, transition=0.0):
    shots = [Shot(id=f"s{i + 1}", intent="x", prompt="y", seconds=n, narration="words" if t else None,
                  narration_seconds=t, transition=Transition(kind="fade", seconds=transition)
                  if transition and i + 1 < len(lengths) else Transition())
             for i, (n, t) in enumerate(zip(lengths, spoken, strict=True))]
    return Storyboard(shots=shots, narration=Narration(lead=0.3))


def test_a_line_longer_than_its_shot_lengthens_it_in_the_plan():
    board, notes = fit_narration(_board([4.0, 4.0, 4.0], [None, 6.0, None], transition=0.5), target=11.0)
    s2 = board.shots[1]
    assert s2.shown_seconds - 0.5 >= 0.3 + 6.0  # the line ends before the next shot starts, never cut
    assert "shot s2 lengthened 4s → 7.5s" in notes[0]
    assert abs(board.seconds - 11.0) <= LENGTH_TOLERANCE * 11.0  # the other shots gave time back
    assert board.shots[0].seconds < 4.0 and board.shots[2].seconds < 4.0


def test_when_the_length_cannot_hold_the_plan_says_why():
    board, notes = fit_narration(_board([2.0, 2.0], [5.0, 5.0]), target=4.0)
    assert board.seconds >= 11.0 and "off the asked 4s" in notes[-1]


def test_a_generated_shot_is_slowed_not_lengthened():
    board, notes = fit_narration(_board([4.0, 4.0], [None, 4.5]), target=8.0, generated={"s1", "s2"})
    s2 = board.shots[1]
    assert s2.seconds == 4.0 and s2.speed < 1.0 and s2.shown_seconds >= 4.8
    assert "nothing is generated again" in notes[0]


def test_a_line_longer_than_a_shot_may_last_is_refused():
    with pytest.raises(InputError, match="split the line"):
        fit_narration(_board([4.0], [70.0]), target=4.0)


def test_feedback_sets_what_the_narrator_says():
    board = _plan(REQUEST, narrate=True)
    calls = feedback_calls("make the narrator say 'Home: %{pts}, \"now\"' in shot 2", board, Lexicon(),
                           VOCAB.grammar)
    assert calls == [("set_narration", {"shot": "s2", "text": 'Home: %{pts}, "now"'})]
    assert feedback_calls("remove the narration from the last shot", board, Lexicon(), VOCAB.grammar) == [
        ("set_narration", {"shot": "s3", "text": None})]


def test_without_a_speech_engine_narration_is_a_clear_error_and_the_rest_works(sessions, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no espeak-ng, whatever this machine has
    with pytest.raises(NoSpeechEngine, match="install espeak-ng"):
        sessions.make(REQUEST, name="told", opts=opts(WorldOracleModel(), narration=Narration()))
    res = sessions.make(REQUEST, name="silent", opts=opts(WorldOracleModel()))
    assert res.render.is_file() and not res.project.storyboard.narrated


def test_a_line_edited_by_hand_is_spoken_again_and_its_shot_fitted(sessions):
    from longcut.agent.turn.drafts import edit_draft, plan_first_turn

    board = plan_first_turn(sessions, REQUEST, "told", opts=opts(WorldOracleModel(), narration=Narration())).project.storyboard
    line = "The red ball rolls on and on across the long green meadow, looking for the way back home."
    shots = [board.shots[0].model_copy(update={"narration": line, "narration_seconds": 0.1}), *board.shots[1:]]
    edited = edit_draft(sessions, "told", board.model_copy(update={"shots": shots}), opts(WorldOracleModel()))
    s1 = edited.project.storyboard.shots[0]
    assert s1.narration == line and s1.narration_seconds > 3.0  # what the client said it lasts is not trusted
    assert s1.seconds > 4.0 and s1.shown_seconds >= 0.3 + s1.narration_seconds
    total = edited.project.storyboard.seconds
    said = [e.message for e in edited.project.log if "gave the time back" in e.message or "off the asked" in e.message]
    assert said and (abs(total - 12.0) <= LENGTH_TOLERANCE * 12.0 or "off the asked" in said[-1])
