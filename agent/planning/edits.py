"""Storyboard edits: how feedback ("make shot 2 green, add a title") becomes changes.

Both planners express a refinement as calls to these tools; the OpenAI
planner through tool calling (schemas derived by the registry), the offline
planner by parsing the feedback itself. Each tool validates its arguments,
applies one change to a *copy* of the storyboard and returns it, so a failed
turn changes nothing. Shots are named by id (``s1``) or by 1-based position.

An LLM reads what an edit did as ``storyboard_diff`` (the changed fields, not
the whole storyboard: that would be resent with every result), and reads the
storyboard itself through the read-only ``get_storyboard`` (``READ_TOOLS``),
in the same compact form (``board_view``) it was first shown.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from longcut.agent.state import (
    MAX_SHOTS,
    Caption,
    ShortText,
    Shot,
    Storyboard,
    Transition,
    TransitionKind,
)
from longcut.errors import InputError
from longcut.limits import MAX_CLIP_SECONDS, SEED_LIMIT
from longcut.tools.filters import check_drawable
from longcut.tools.registry import ToolRegistry

# A title or caption an edit sets: drawable with the installed fonts (checked now, not at render time).
DrawnText = Annotated[Caption, AfterValidator(check_drawable)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _index(board: Storyboard, shot: str) -> int:
    ids = [s.id for s in board.shots]
    if shot in ids:
        return ids.index(shot)
    if shot.isdigit() and 1 <= int(shot) <= len(ids):
        return int(shot) - 1
    raise InputError(f"no shot {shot!r}; shots are {ids} (or positions 1..{len(ids)})")


def _fresh_id(board: Storyboard) -> str:
    used = {s.id for s in board.shots}
    n = len(board.shots) + 1
    while f"s{n}" in used:
        n += 1
    return f"s{n}"


def _validated(board: Storyboard) -> Storyboard:
    return Storyboard.model_validate(board.model_dump())


class UpdateShotArgs(_Args):
    """Which shot to change and what to change in it."""

    shot: str = Field(description="shot id (e.g. 's2') or 1-based position (e.g. '2')")
    intent: ShortText | None = Field(None, description="new description of the shot in the user's words, or null to keep")
    prompt: ShortText | None = Field(None, description="new prompt in the model's vocabulary, or null to keep")
    seconds: float | None = Field(None, gt=0, le=MAX_CLIP_SECONDS, description="new length in seconds, or null to keep")
    caption: DrawnText | None = Field(None, description="text shown while the shot plays; '' removes it; null keeps it")
    new_seed: bool = Field(False, description="true to generate a different take of the same content")


def update_shot(args: UpdateShotArgs, board: Storyboard) -> Storyboard:
    """Change one shot's content, length or caption; fields left null are kept."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    shot = board.shots[i]
    changes = {}
    for name in ("intent", "prompt", "seconds"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.caption is not None:
        changes["caption"] = args.caption or None
    if args.new_seed:
        changes["seed"] = (shot.seed + 7919) % SEED_LIMIT
    if not changes:
        raise InputError(f"update_shot on {shot.id!r} changes nothing; give at least one field")
    board.shots[i] = shot.model_copy(update=changes)
    return _validated(board)


class AddShotArgs(_Args):
    """Where to insert a shot and what it shows."""

    after: str | None = Field(description="shot id or position to insert after; null inserts at the start")
    intent: ShortText = Field(description="what the new shot shows, in the user's words")
    prompt: ShortText = Field(description="the new shot's prompt in the model's vocabulary")
    seconds: float = Field(gt=0, le=MAX_CLIP_SECONDS)


def add_shot(args: AddShotArgs, board: Storyboard) -> Storyboard:
    """Insert a new shot after the given one."""
    board = board.model_copy(deep=True)
    if len(board.shots) >= MAX_SHOTS:
        raise InputError(f"a storyboard holds at most {MAX_SHOTS} shots")
    at = 0 if args.after is None else _index(board, args.after) + 1
    board.shots.insert(at, Shot(id=_fresh_id(board), intent=args.intent, prompt=args.prompt, seconds=args.seconds))
    return _validated(board)


class RemoveShotArgs(_Args):
    """The shot to delete."""

    shot: str = Field(description="shot id or 1-based position")


def remove_shot(args: RemoveShotArgs, board: Storyboard) -> Storyboard:
    """Delete a shot (the storyboard must keep at least one)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    if len(board.shots) == 1:
        raise InputError("cannot remove the only shot")
    del board.shots[i]
    if board.shots and board.shots[0].continuous:
        board.shots[0] = board.shots[0].model_copy(update={"continuous": False})
    return _validated(board)


class MoveShotArgs(_Args):
    """The shot to move and where to."""

    shot: str = Field(description="shot id or 1-based position")
    position: int = Field(ge=1, description="new 1-based position")


def move_shot(args: MoveShotArgs, board: Storyboard) -> Storyboard:
    """Move a shot to another position (moved shots become cuts, not continuations)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    if args.position > len(board.shots):
        raise InputError(f"position {args.position} is past the last shot ({len(board.shots)})")
    shot = board.shots.pop(i).model_copy(update={"continuous": False})
    board.shots.insert(args.position - 1, shot)
    if board.shots[0].continuous:
        board.shots[0] = board.shots[0].model_copy(update={"continuous": False})
    return _validated(board)


class SetTransitionArgs(_Args):
    """A shot and how it hands over to the next one."""

    shot: str = Field(description="shot id or position; the transition goes from it into the next shot")
    kind: TransitionKind
    seconds: float = Field(ge=0, le=5, description="0 for a cut")


def set_transition(args: SetTransitionArgs, board: Storyboard) -> Storyboard:
    """Set how a shot hands over to the next one (cut, fade, dissolve, wipes, slides)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    if i == len(board.shots) - 1 and args.kind != "cut":
        raise InputError(f"shot {board.shots[i].id!r} is the last one; there is nothing to transition into")
    board.shots[i] = board.shots[i].model_copy(update={"transition": Transition(kind=args.kind, seconds=args.seconds)})
    return _validated(board)


class SetTitleArgs(_Args):
    """The title card's text."""

    title: DrawnText | None = Field(description="title shown at the start of the video; null removes it")


def set_title(args: SetTitleArgs, board: Storyboard) -> Storyboard:
    """Set or remove the video's title card."""
    return _validated(board.model_copy(update={"title": args.title or None}, deep=True))


# ---------------------------------------------------------------------------
# What an LLM reads: the storyboard, compactly, and what an edit changed
# ---------------------------------------------------------------------------

_NO_SEEDS = {"shots": {"__all__": {"seed"}}}  # seeds mean nothing to the LLM; new_seed asks for a new one


def board_view(board: Storyboard) -> dict[str, Any]:
    """The storyboard as an LLM sees it: complete, but without defaults and seeds."""
    return board.model_dump(mode="json", exclude_defaults=True, exclude=_NO_SEEDS)


def _shot_view(shot: Shot) -> dict[str, Any]:
    return shot.model_dump(mode="json", exclude_defaults=True, exclude={"seed"})


def _field_change(shot: Shot, position: int, name: str, old: Any, new: Any) -> dict[str, Any]:
    if name == "seed":
        old, new = "current take", "new take"
    return {"shot": shot.id, "position": position, "field": name, "old": old, "new": new}


def storyboard_diff(old: Storyboard, new: Storyboard) -> dict[str, Any]:
    """What changed from ``old`` to ``new``, with a one-line summary; unchanged shots are not mentioned.

    Keys (each only when not empty): ``changes`` (field, old and new value;
    ``shot`` and its 1-based ``position`` for a shot's field), ``added``
    (the new shots with their ids), ``removed`` (id and former position),
    ``order`` (all ids, when shots were reordered).
    """
    before = {s.id: (i + 1, s) for i, s in enumerate(old.shots)}
    after = {s.id: (i + 1, s) for i, s in enumerate(new.shots)}
    changes: list[dict[str, Any]] = [
        {"field": name, "old": getattr(old, name), "new": getattr(new, name)}
        for name in ("title", "style") if getattr(old, name) != getattr(new, name)
    ]
    for position, shot in after.values():
        if shot.id in before:
            was = before[shot.id][1].model_dump(mode="json")
            now = shot.model_dump(mode="json")
            changes += [_field_change(shot, position, k, was[k], now[k]) for k in now if was[k] != now[k]]
    added = [{"position": p, "shot": _shot_view(s)} for p, s in after.values() if s.id not in before]
    removed = [{"shot": s.id, "position": p} for p, s in before.values() if s.id not in after]
    kept = [i for i in after if i in before]
    reordered = kept != [i for i in before if i in after]
    shifted = any(before[i][0] != after[i][0] for i in kept)

    fields: dict[str, list[str]] = {}  # what changed, by shot id ("" for the whole video)
    for c in changes:
        fields.setdefault(c.get("shot", ""), []).append(c["field"])
    said = [f"{shot} {', '.join(names)}".strip() for shot, names in fields.items()]
    said += [f"added {a['shot']['id']} at position {a['position']}" for a in added]
    said += [f"removed {r['shot']} (was position {r['position']})" for r in removed]
    if reordered:
        said.append("shots reordered (see 'order')")
    elif shifted:
        said.append("the shots after it changed position")
    out: dict[str, Any] = {
        "summary": f"{'; '.join(said) or 'nothing changed'}; now {len(new.shots)} shots, {new.seconds:.1f} s"
    }
    out.update((k, v) for k, v in (("changes", changes), ("added", added), ("removed", removed)) if v)
    if reordered:
        out["order"] = [s.id for s in new.shots]
    return out


class GetStoryboardArgs(_Args):
    """Which shots to show."""

    shots: list[str] | None = Field(
        description="shot ids or 1-based positions to show; null shows the whole storyboard"
    )


def get_storyboard(args: GetStoryboardArgs, board: Storyboard) -> dict[str, Any]:
    """Show the current storyboard, or some of its shots; changes nothing."""
    if args.shots is None:
        return board_view(board)
    return {"shots": [{"position": i + 1, **_shot_view(board.shots[i])} for i in (_index(board, s) for s in args.shots)]}


EDIT_TOOLS = (update_shot, add_shot, remove_shot, move_shot, set_transition, set_title)
READ_TOOLS = (get_storyboard,)  # return a view, not a storyboard


def edit_registry(*, with_reads: bool = False) -> ToolRegistry:
    """The storyboard-edit tools, and with ``with_reads`` the read-only ``READ_TOOLS`` an LLM may call."""
    reg = ToolRegistry()
    for fn in EDIT_TOOLS + (READ_TOOLS if with_reads else ()):
        reg.register(fn)
    return reg
