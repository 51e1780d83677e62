import pytest

from longcut.agent.planning.request_text import parse_seconds, parse_title, shot_clauses


@pytest.mark.parametrize("text, seconds", [
    ("a 60-second video: a red ball", 60),
    ("a 90 second clip of a star", 90),
    ("make a 10-minute video where a ball bounces", 600),
    ("two minutes of a blue square", 120),
    ("1.5 min of sand", 90),
    ("a video of a ball", None),
    ("a ball, 20s long", 20),
])
def test_parse_seconds(text, seconds):
    assert parse_seconds(text) == seconds


def test_parse_title():
    assert parse_title("a ball bounces, titled 'Home Again'") == "Home Again"
    assert parse_title("add a title “Dusk”") == "Dusk"
    assert parse_title("a ball") is None


def test_a_quoted_title_is_taken_whole():
    text = "a video titled \"Hello, world. Bye!\": a red ball bounces, then it stops"
    assert parse_title(text) == "Hello, world. Bye!"
    assert shot_clauses(text) == ["a red ball bounces", "it stops"]
    assert parse_title("a ball's video, titled 'don't stop'") == "don't stop"  # apostrophes are not quotes


def test_clauses_of_the_issue_example():
    text = "a 60-second video: a red ball crosses a meadow, night falls, then it bounces back home"
    assert shot_clauses(text) == ["a red ball crosses a meadow", "night falls", "it bounces back home"]


def test_clauses_split_on_sentences_and_then():
    assert shot_clauses("A blue star rises. Then a pink box falls; finally the light comes up") == [
        "A blue star rises", "a pink box falls", "the light comes up"]
