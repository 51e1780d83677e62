import json

import pytest

from longcut.agent.planning.edits import edit_registry, storyboard_diff
from longcut.agent.state import Shot, Storyboard, Transition


@pytest.fixture
def board() -> Storyboard:
    return Storyboard(shots=[
        Shot(id="s1", intent="ball enters", prompt="a red circle moves right on a grass background", seconds=4,
             transition=Transition(kind="fade", seconds=0.5)),
        Shot(id="s2", intent="night", prompt="a red circle is still on a night background", seconds=4, continuous=True),
        Shot(id="s3", intent="home", prompt="a red circle bounces on a night background", seconds=4),
    ])


def call(board, name, **args):
    res = edit_registry().call(name, json.dumps(args), context={"board": board})
    return res


def test_update_by_position_changes_only_that_shot(board):
    res = call(board, "update_shot", shot="2", prompt="a green circle is still on a night background")
    assert res.ok
    new = res.value
    assert new.shots[1].prompt.startswith("a green circle")
    assert new.shots[0] == board.shots[0] and new.shots[2] == board.shots[2]
    assert board.shots[1].prompt.startswith("a red circle")  # the input is never mutated


def test_new_seed_and_caption_removal(board):
    b = call(board, "update_shot", shot="s1", caption="Hello").value
    assert b.shots[0].caption == "Hello"
    b = call(b, "update_shot", shot="s1", caption="", new_seed=True).value
    assert b.shots[0].caption is None and b.shots[0].seed != board.shots[0].seed


def test_add_move_remove_keep_the_board_valid(board):
    b = call(board, "add_shot", after="s3", intent="sunrise", prompt="a red circle is still on a sky background", seconds=3).value
    assert [s.id for s in b.shots] == ["s1", "s2", "s3", "s4"]
    b = call(b, "move_shot", shot="s2", position=1).value
    assert b.shots[0].id == "s2" and not b.shots[0].continuous
    b = call(b, "remove_shot", shot="1").value
    assert [s.id for s in b.shots] == ["s1", "s3", "s4"]


def test_title_and_transition(board):
    b = call(board, "set_title", title="Home").value
    assert b.title == "Home"
    b = call(b, "set_transition", shot="s2", kind="wipeleft", seconds=1).value
    assert b.shots[1].transition == Transition(kind="wipeleft", seconds=1)


@pytest.mark.parametrize("name, args, needle", [
    ("update_shot", {"shot": "s9"}, "no shot 's9'"),
    ("update_shot", {"shot": "s1"}, "changes nothing"),
    ("set_transition", {"shot": "s3", "kind": "fade", "seconds": 1}, "last one"),
    ("set_transition", {"shot": "s1", "kind": "cut", "seconds": 1}, "a cut has no duration"),
    ("move_shot", {"shot": "s1", "position": 9}, "past the last shot"),
    ("update_shot", {"shot": "s1", "seconds": -2}, "greater than 0"),
])
def test_bad_edits_are_observations(board, name, args, needle):
    res = call(board, name, **args)
    assert not res.ok and needle in res.error


def test_every_edit_tool_has_a_strict_schema():
    schemas = edit_registry().schemas()
    assert {s["function"]["name"] for s in schemas} == {
        "update_shot", "add_shot", "remove_shot", "move_shot", "set_transition", "set_title",
        "trim_shot", "set_speed", "set_look", "set_fades", "set_music", "set_narration", "set_narration_style"}
    assert all(s["function"]["strict"] for s in schemas)


def test_diff_names_changed_fields_only(board):
    b = call(board, "update_shot", shot="s1", seconds=5, caption="Hi", new_seed=True).value
    d = storyboard_diff(board, b)
    assert d["changes"] == [
        {"shot": "s1", "position": 1, "field": "seconds", "old": 4.0, "new": 5.0},
        {"shot": "s1", "position": 1, "field": "caption", "old": None, "new": "Hi"},
        {"shot": "s1", "position": 1, "field": "seed", "old": "current take", "new": "new take"},
    ]
    assert d["summary"] == "s1 seconds, caption, seed; now 3 shots, 12.5 s"
    assert set(d) == {"summary", "changes"} and "night" not in str(d)
    assert storyboard_diff(board, board) == {"summary": "nothing changed; now 3 shots, 11.5 s"}


def test_diff_of_added_removed_and_moved_shots(board):
    b = call(board, "add_shot", after="s1", intent="sunrise", prompt="a red circle is still on a sky background", seconds=3).value
    d = storyboard_diff(board, b)
    assert d["added"] == [{"position": 2, "shot": {"id": "s4", "intent": "sunrise",
                                                   "prompt": "a red circle is still on a sky background", "seconds": 3.0}}]
    assert "added s4 at position 2" in d["summary"] and "changed position" in d["summary"] and "order" not in d

    d = storyboard_diff(board, call(board, "remove_shot", shot="s1").value)
    assert d["removed"] == [{"shot": "s1", "position": 1}]
    assert d["changes"] == [{"shot": "s2", "position": 1, "field": "continuous", "old": True, "new": False}]

    d = storyboard_diff(board, call(board, "move_shot", shot="s3", position=1).value)
    assert d["order"] == ["s3", "s1", "s2"] and "reordered" in d["summary"]
    assert storyboard_diff(board, call(board, "remove_shot", shot="s3").value).keys() == {"summary", "removed"}


def test_titles_and_captions_are_checked_when_set_not_at_render(board):
    from longcut.tools.overlay_text import _fonts_with

    if _fonts_with("🦄"):
        pytest.skip("this machine has a font for the unicorn")
    for name, args in (("set_title", {"title": "Home 🦄"}), ("update_shot", {"shot": "s1", "caption": "🦄"})):
        res = call(board, name, **args)
        assert not res.ok and "no installed font can draw '🦄' (U+1F984)" in res.error, res.error
    res = call(board, "set_title", title="Night\r\nfalls")
    assert res.ok and res.value.title == "Night\nfalls"
    res = call(board, "set_title", title="Night\x00falls")
    assert not res.ok and "control character U+0000" in res.error
