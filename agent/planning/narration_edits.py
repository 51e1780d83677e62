"""The storyboard edits of narration: what a shot's narrator says, and how lines are spoken and shown.

Like every edit (``agent.planning.edits``), each applies one change to a
copy of the storyboard. None of them touches a shot key: a refine that
changes only narration renders the sound again and generates no shot (the
turn fits the shots to the new lines by playing them slower if it must).
"""

from __future__ import annotations

from pydantic import Field

from longcut.agent.planning.edits import _Args, _index, _validated
from longcut.agent.state import MAX_NARRATION_LEAD, NarrationLine, Storyboard
from longcut.errors import InputError
from longcut.tools.narration.speaker import MAX_WPM, MIN_WPM, check_voice


class SetNarrationArgs(_Args):
    """A shot and the line its narrator says."""

    shot: str = Field(description="shot id (e.g. 's2') or 1-based position (e.g. '2')")
    text: NarrationLine | None = Field(description="what the narrator says while the shot plays, verbatim; "
                                                   "null removes the shot's narration")


def set_narration(args: SetNarrationArgs, board: Storyboard) -> Storyboard:
    """Set or remove what the narrator says during a shot (spoken from the shot's start, subtitled)."""
    board = board.model_copy(deep=True)
    i = _index(board, args.shot)
    board.shots[i] = board.shots[i].model_copy(update={"narration": args.text, "narration_seconds": None})
    return _validated(board)


class SetNarrationStyleArgs(_Args):
    """How the narration is spoken and shown; null keeps."""

    voice: str | None = Field(None, description="the speech engine's voice name (e.g. 'en', 'en-us', 'en+f3'), "
                                                "or null to keep")
    wpm: int | None = Field(None, ge=MIN_WPM, le=MAX_WPM, description="speaking rate in words per minute, or null")
    lead: float | None = Field(None, ge=0, le=MAX_NARRATION_LEAD,
                               description="seconds after its shot starts that a line begins, or null")
    subtitles: bool | None = Field(None, description="subtitle track and .srt/.vtt files on or off, or null")
    burn_subtitles: bool | None = Field(None, description="draw the subtitles into the picture, or null")


def set_narration_style(args: SetNarrationStyleArgs, board: Storyboard) -> Storyboard:
    """Change the narrator's voice or rate, the lines' lead, or how subtitles are shown."""
    changes = {k: v for k in ("voice", "wpm", "lead", "subtitles", "burn_subtitles")
               if (v := getattr(args, k)) is not None}
    if not changes:
        raise InputError("set_narration_style changes nothing; give voice, wpm, lead, subtitles or burn_subtitles")
    if "voice" in changes:
        check_voice(changes["voice"])
    board = board.model_copy(update={"narration": board.narration.model_copy(update=changes)}, deep=True)
    return _validated(board)


NARRATION_TOOLS = (set_narration, set_narration_style)
