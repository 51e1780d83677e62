"""Per-shot actions as a refine turn's edit calls, and locks that no refinement may break."""

import pytest

from longcut.agent.planning.shot_actions import apply_calls, check_locks
from longcut.errors import InputError

from tests.agent.turn_helpers import REQUEST, opts
from tests.fakes import WorldOracleModel


def regenerate(shot):
    return {"name": "update_shot", "args": {"shot": shot, "new_seed": True}}


def lock(shot, locked=True):
    return {"name": "set_lock", "args": {"shot": shot, "locked": locked}}


def test_a_turn_of_edit_calls_regenerates_only_its_shot_and_choosing_the_old_take_generates_nothing(sessions):
    model = WorldOracleModel()
    first = sessions.make(REQUEST, name="ball", opts=opts(model))
    last = first.project.storyboard.shots[-1]
    assert not last.continuous  # the last shot starts fresh: regenerating it touches no other
    n = len(model.calls)
    res = sessions.refine("ball", "studio: regenerate the last shot", opts=opts(model), edits=[regenerate(last.id)])
    assert res.revision.regenerated == [last.id] and len(model.calls) == n + 1
    assert res.revision.shot_keys[last.id] != first.revision.shot_keys[last.id]
    assert {k: v for k, v in res.revision.shot_keys.items() if k != last.id} == \
        {k: v for k, v in first.revision.shot_keys.items() if k != last.id}
    back = {"name": "set_take", "args": {"shot": last.id, "prompt": last.prompt, "seed": last.seed,
                                         "seconds": last.seconds}}
    res = sessions.refine("ball", "studio: use the first take", opts=opts(model), edits=[back])
    assert res.revision.regenerated == [] and len(model.calls) == n + 1
    assert res.revision.shot_keys == first.revision.shot_keys


def test_a_locked_shot_refuses_the_planners_change_and_the_studios(sessions):
    model = WorldOracleModel()
    sessions.make(REQUEST, name="ball", opts=opts(model))
    res = sessions.refine("ball", "studio: lock s1", opts=opts(model), edits=[lock("s1")])
    assert res.project.storyboard.shots[0].locked and res.revision.regenerated == []
    n = len(model.calls)
    with pytest.raises(InputError, match="'s1' is locked"):
        sessions.refine("ball", "another take of shot 1", opts=opts(model))
    with pytest.raises(InputError, match="'s1' is locked"):
        sessions.refine("ball", "studio: delete s1", opts=opts(model), edits=[{"name": "remove_shot", "args": {"shot": "s1"}}])
    assert len(model.calls) == n and len(sessions.history("ball")) == 2  # nothing generated, no revision
    res = sessions.refine("ball", "studio: unlock and redo s1", opts=opts(model), edits=[lock("s1", False), regenerate("s1")])
    assert "s1" in res.revision.regenerated and not res.project.storyboard.shots[0].locked


def test_check_locks_allows_what_a_lock_does_not_cover(sessions):
    sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel()))
    board = sessions.store.load("ball").storyboard
    locked = apply_calls(board, [lock("s2")])
    captioned = apply_calls(locked, [{"name": "set_title", "args": {"title": "Home"}},
                                     {"name": "update_shot", "args": {"shot": "s2", "caption": "hi"}}])
    assert captioned.shots[1].caption == "hi"  # the caption is drawn over the take, not part of it
    with pytest.raises(InputError, match="prompt"):
        check_locks(locked, apply_calls(board, [{"name": "update_shot", "args": {"shot": "s2", "prompt": "a blue star"}}]))
    with pytest.raises(InputError, match="could not apply"):
        apply_calls(board, [{"name": "set_lock", "args": {"shot": "s9", "locked": True}}])
