"""Storyboard edits: how feedback ("make shot 2 green, add a title") becomes changes.

Both planners express a refinement as calls to these tools; the OpenAI
planner through tool calling (schemas derived by the registry), the offline
planner by parsing the feedback itself. Besides what the shots show, they
set how the edit is finished — trims, playback speed and colour of a shot,
fades at the video's ends, the music's volume and fades — which the
timeline applies at render without generating anything. Each tool validates its arguments,
applies one change to a *copy* of the storyboard and returns it, so a failed
turn changes nothing. Shots are named by id (``s1``) or by 1-based position.

An LLM reads what an edit did as ``storyboard_diff`` (the changed fields, not
the whole storyboard: that would be resent with every result), and reads the
storyboard itself through the read-only ``get_storyboard`` (``READ_TOOLS``),
in the same compact form (``board_view``) it was first shown.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from longcut.agent.state import (
    MAX_FADE_SECONDS,
    MAX_MUSIC_FADE_SECONDS,
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
from longcut.tools.timeline import MAX_SPEED, MIN_SPEED

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
    """The edited board checked whole; what it refuses (a shot trimmed to nothing, fades longer than the video) is an ``InputError``."""
    try:
        return Storyboard.model_validate(board.model_dump())
    except ValidationError as err:
        raise InputError("; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())) from err


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


def _check_fits_transitions(board: Storyboard, i: int) -> None:
    """A shot made shorter (trimmed, sped up) must still outlast the transitions it takes part in."""
    shot = board.shots[i]
    overlap = shot.transition.seconds if i < len(board.shots) - 1 else 0.0
    overlap += board.shots[i - 1].transition.seconds if i else 0.0
    if shot.shown_seconds <= overlap:
        raise InputError(f"shot {shot.id!r} would be on screen {shot.shown_seconds:.2f}s, not longer than its "
                         f"transitions ({overlap:g}s); shorten them first")


class TrimShotArgs(_Args):
    """A shot and how much of its take to cut off."""

    shot: str = Field(description="shot id or 1-based position")
    start: float | None = Field(None, ge=0, le=MAX_CLIP_SECONDS,
                                description="seconds of the take cut off its start (0 restores it), or null to keep")
    end: float | None = Field(None, ge=0, le=MAX_CLIP_SECONDS,
                              description="seconds of the take cut off its end (0 restores it), or null to keep")


def trim_shot(args: TrimShotArgs, board: Storyboard) -> Storyboard:
    """Cut the start and/or end off a shot's take, without generating it again; values are totals, not increments."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    shot = board.shots[i]
    start = shot.trim_start if args.start is None else args.start
    end = shot.trim_end if args.end is None else args.end
    if args.start is None and args.end is None:
        raise InputError(f"trim_shot on {shot.id!r} changes nothing; give start or end")
    if start + end >= shot.seconds:
        raise InputError(f"trimming {start:g}s + {end:g}s off shot {shot.id!r} ({shot.seconds:g}s) leaves nothing")
    board.shots[i] = shot.model_copy(update={"trim_start": start, "trim_end": end})
    _check_fits_transitions(board, i)
    return _validated(board)


class SetSpeedArgs(_Args):
    """A shot and how fast it plays."""

    shot: str = Field(description="shot id or 1-based position")
    speed: float = Field(ge=MIN_SPEED, le=MAX_SPEED,
                         description="playback speed: 2 = twice as fast (half as long), 0.5 = slow motion, 1 = normal")


def set_speed(args: SetSpeedArgs, board: Storyboard) -> Storyboard:
    """Play a shot faster or slower (its sound keeps its pitch), without generating it again."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    board.shots[i] = board.shots[i].model_copy(update={"speed": args.speed})
    _check_fits_transitions(board, i)
    return _validated(board)


class SetLookArgs(_Args):
    """A shot and its colour; fields left null are kept."""

    shot: str = Field(description="shot id or 1-based position")
    brightness: float | None = Field(None, ge=-1, le=1, description="added brightness -1..1 (0 = as generated)")
    contrast: float | None = Field(None, ge=0, le=3, description="contrast factor 0..3 (1 = as generated)")
    saturation: float | None = Field(None, ge=0, le=3,
                                     description="saturation 0..3 (0 = black and white, 1 = as generated)")


def set_look(args: SetLookArgs, board: Storyboard) -> Storyboard:
    """Change a shot's brightness, contrast or saturation (black and white, more vivid, darker, …)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    shot = board.shots[i]
    changes = {k: v for k in ("brightness", "contrast", "saturation") if (v := getattr(args, k)) is not None}
    if not changes:
        raise InputError(f"set_look on {shot.id!r} changes nothing; give brightness, contrast or saturation")
    board.shots[i] = shot.model_copy(update={"look": shot.look.model_copy(update=changes)})
    return _validated(board)


class SetFadesArgs(_Args):
    """How the video fades in at its start and out at its end; null keeps."""

    fade_in: float | None = Field(None, ge=0, le=MAX_FADE_SECONDS,
                                  description="seconds of fade from black at the start (0 = none), or null to keep")
    fade_out: float | None = Field(None, ge=0, le=MAX_FADE_SECONDS,
                                   description="seconds of fade to black at the end (0 = none), or null to keep")


def set_fades(args: SetFadesArgs, board: Storyboard) -> Storyboard:
    """Fade the whole video in from black and/or out to black (titles and sound with it)."""
    changes = {k: v for k in ("fade_in", "fade_out") if (v := getattr(args, k)) is not None}
    if not changes:
        raise InputError("set_fades changes nothing; give fade_in or fade_out")
    return _validated(board.model_copy(update=changes, deep=True))


class SetMusicArgs(_Args):
    """How the session's music is mixed; null keeps."""

    volume: float | None = Field(None, ge=0, le=4,
                                 description="music volume: 1 = as the file is, 0.5 = half, 0 = no music; null keeps")
    fade_in: float | None = Field(None, ge=0, le=MAX_MUSIC_FADE_SECONDS,
                                  description="seconds the music fades in at the start, or null to keep")
    fade_out: float | None = Field(None, ge=0, le=MAX_MUSIC_FADE_SECONDS,
                                   description="seconds the music fades out at the end, or null to keep")


def set_music(args: SetMusicArgs, board: Storyboard) -> Storyboard:
    """Set the music's volume (0 mutes it) and its fades; the music file itself is given with --music."""
    changes = {k: v for k in ("volume", "fade_in", "fade_out") if (v := getattr(args, k)) is not None}
    if not changes:
        raise InputError("set_music changes nothing; give volume, fade_in or fade_out")
    return _validated(board.model_copy(update={"music": board.music.model_copy(update=changes)}, deep=True))


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
    was_board, now_board = old.model_dump(mode="json", exclude={"shots"}), new.model_dump(mode="json", exclude={"shots"})
    changes: list[dict[str, Any]] = [
        {"field": name, "old": was_board[name], "new": now_board[name]}
        for name in now_board if was_board[name] != now_board[name]
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


EDIT_TOOLS = (update_shot, add_shot, remove_shot, move_shot, set_transition, set_title,
              trim_shot, set_speed, set_look, set_fades, set_music)
READ_TOOLS = (get_storyboard,)  # return a view, not a storyboard


def edit_registry(*, with_reads: bool = False) -> ToolRegistry:
    """The storyboard-edit tools, and with ``with_reads`` the read-only ``READ_TOOLS`` an LLM may call."""
    from longcut.agent.planning.narration_edits import (
        NARRATION_TOOLS,  # it builds on this module's helpers
    )

    reg = ToolRegistry()
    for fn in EDIT_TOOLS + NARRATION_TOOLS + (READ_TOOLS if with_reads else ()):
        reg.register(fn)
    return reg
