"""A creator's per-shot actions (the studio's buttons) as storyboard edit calls, and shot locks.

Regenerate, a new prompt, delete and move are the planners' own edit tools
(``edits.update_shot``, ``remove_shot``, ``move_shot``). Two more exist
only for a client that names them exactly, never for an LLM: ``set_take``
brings back the shot content a chosen take was made from (its prompt, seed
and length, so the shot cache finds that take and nothing is generated) and
``set_lock`` locks a shot. A refine turn given such calls
(``PendingTurn.edits``) applies them instead of asking the planner
(``apply_calls``). A locked shot may not be changed or removed by any
refinement, the planner's included (``check_locks``): unlock it first.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from longcut.agent.planning.edits import _Args, _index, _validated, edit_registry
from longcut.agent.state import ShortText, Shot, Storyboard
from longcut.errors import InputError
from longcut.limits import MAX_CLIP_SECONDS, SEED_LIMIT
from longcut.tools.registry import ToolRegistry

# What makes a shot's pictures (its key) and where it sits: what a lock keeps.
LOCKED_FIELDS = ("prompt", "seed", "seconds", "refs", "continuous")


class SetTakeArgs(_Args):
    """The content a shot's chosen take was made from."""

    shot: str = Field(description="shot id or 1-based position")
    prompt: ShortText
    seed: int = Field(ge=0, lt=SEED_LIMIT)
    seconds: float = Field(gt=0, le=MAX_CLIP_SECONDS)


def set_take(args: SetTakeArgs, board: Storyboard) -> Storyboard:
    """Give a shot back the prompt, seed and length of one of its earlier takes (the cache then reuses it)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    board.shots[i] = board.shots[i].model_copy(update={"prompt": args.prompt, "seed": args.seed,
                                                       "seconds": args.seconds})
    return _validated(board)


class SetLockArgs(_Args):
    """A shot and whether refinements may change it."""

    shot: str = Field(description="shot id or 1-based position")
    locked: bool


def set_lock(args: SetLockArgs, board: Storyboard) -> Storyboard:
    """Lock a shot (no refinement may change or remove it) or unlock it."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    board.shots[i] = board.shots[i].model_copy(update={"locked": args.locked})
    return board


def action_registry() -> ToolRegistry:
    """The planners' edit tools and the two that only a client calls (``set_take``, ``set_lock``)."""
    reg = edit_registry()
    reg.register(set_take)
    reg.register(set_lock)
    return reg


def apply_calls(board: Storyboard, calls: list[dict[str, Any]]) -> Storyboard:
    """``board`` after each ``{"name": …, "args": {…}}`` in order; the first refused call is an ``InputError``."""
    reg = action_registry()
    before = board
    for call in calls:
        result = reg.call(call["name"], call["args"], context={"board": board})
        if not result.ok:
            raise InputError(f"could not apply {call['name']}: {result.error}")
        board = result.value
    check_locks(before, board, unlocking={c["args"]["shot"] for c in calls
                                          if c["name"] == "set_lock" and not c["args"]["locked"]})
    return board


def _same(a: Shot, b: Shot) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in LOCKED_FIELDS)


def check_locks(before: Storyboard, after: Storyboard, unlocking: set[str] = frozenset()) -> None:
    """Refuse ``after`` if it removed or changed a shot locked in ``before`` (unless the same edit unlocks it)."""
    now = {s.id: s for s in after.shots}
    for i, shot in enumerate(before.shots):
        if not shot.locked or shot.id in unlocking or str(i + 1) in unlocking:
            continue
        if shot.id not in now:
            raise InputError(f"shot {shot.id!r} is locked and cannot be removed; unlock it first")
        if not _same(shot, now[shot.id]):
            changed = [f for f in LOCKED_FIELDS if getattr(shot, f) != getattr(now[shot.id], f)]
            raise InputError(f"shot {shot.id!r} is locked; this change would alter its {', '.join(changed)}; "
                             "unlock it first")
