"""One resolve_turn for the CLI's make and the API's jobs: the same checks, each caller's own limits."""

import pytest

from longcut.agent.turn.spec import TurnLimits, resolve_turn
from longcut.errors import InputError
from longcut.limits import NotOffered

SERVER = TurnLimits(models=("tiny",), planners=("offline",), max_seconds=60, max_references=1,
                    planner_option="planner", server=True)


def test_a_turn_is_resolved_to_one_spec():
    spec = resolve_turn("  a 12-second video of a red ball ", None, "tiny", "offline", [("hero", "h.png")], 3)
    assert (spec.request, spec.seconds, spec.seed, dict(spec.references)) == (
        "a 12-second video of a red ball", 12, 3, {"hero": "h.png"})


@pytest.mark.parametrize("args, limits, needle, limit", [
    (("a ball", 0.5, "tiny", "offline"), TurnLimits(), "seconds must be between 1 and 3600", None),
    (("a ball", 0.5, "tiny", "offline"), SERVER, "seconds must be between 1 and 3600", None),
    (("a ball", None, "tiny", "gpt"), TurnLimits(), "--planner 'gpt' is not offered", None),
    (("a ball", None, "tiny", "openai"), SERVER, "planner 'openai' is not offered", "planners"),
    (("a ball", None, "wan-14b", "offline"), SERVER, "model 'wan-14b' is not offered", "models"),
    (("a 90-second ball", None, "tiny", "offline"), SERVER, "90 seconds is over the limit max_seconds=60",
     "max_seconds"),
])
def test_a_turn_is_refused_in_the_same_words_with_the_limit_it_hit(args, limits, needle, limit):
    with pytest.raises(InputError, match=needle) as err:
        resolve_turn(*args, limits=limits)
    assert getattr(err.value, "limit", None) == limit


def test_references_over_the_limit_or_named_twice_are_refused():
    with pytest.raises(NotOffered, match="2 references is over the limit max_references=1"):
        resolve_turn("a ball", None, "tiny", "offline", [("a", "u1"), ("b", "u2")], limits=SERVER)
    with pytest.raises(InputError, match=r"reference names must be unique, got \['a', 'a'\]"):
        resolve_turn("a ball", None, "tiny", "offline", [("a", "u1"), ("a", "u2")])
