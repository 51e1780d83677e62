"""The planner's side of narration: which lines a storyboard speaks, and the durations rule.

Lines (``narration_lines``): when the request asks for narration (``--narrate``,
or "narrated"/"narration"/"narrator" in it), quoted text in the request is
spoken verbatim, sentence by sentence, spread over the shots in order; with
no quote, each shot speaks its own clause as a sentence.

Durations (``fit_narration``): a line starts at its shot's start plus the
lead and must end ``TAIL`` seconds before the next shot begins (its
incoming transition included), so lines never overlap and none is cut off
mid-word. A shot too short for its line is lengthened *before generation*
— its ``seconds`` when it has no take yet, else (a refine) it plays slower
(``speed``, down to ``MIN_NARRATION_SPEED``) so no shot is generated again —
and the other not-yet-generated shots give back what they can spare, so
the video still lasts the asked length within ±5 %; when it cannot, a note
says why. Every change is returned as a note for the plan's log.
"""

from __future__ import annotations

import math
import re

from longcut.agent.planning.request_text import QUOTED_RE, quoted, without_title
from longcut.agent.state import Storyboard
from longcut.errors import InputError
from longcut.limits import PLAN_SHOT_SECONDS

NARRATE_RE = re.compile(r"\bnarrat(?:ed|ion|or|e|es|ing)\b", re.IGNORECASE)
_NARRATED_WORD_RE = re.compile(r"\b(?:and\s+)?narrated(?:\s+by\s+\w+)?\s*:?", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"(?<=[.!?…])\s+")
TAIL = 0.3  # seconds of picture after a line ends, before the next shot begins
LENGTH_TOLERANCE = 0.05  # the video lasts the asked length within ±5 %
MIN_SHOT_SHOWN = 1.0  # a shot that gives time back keeps at least this on screen (beyond its transitions)
MIN_NARRATION_SPEED = 0.5  # a generated shot slowed down further than this is generated longer instead
_STEP = 0.5  # lengths move in the offline planner's steps (SHOT_GRANULARITY): takes last whole chunks


def asks_for_narration(request: str) -> bool:
    """Whether the request's words ask for a narrated video."""
    return bool(NARRATE_RE.search(request))


def spoken_quotes(request: str) -> list[str]:
    """The quoted texts of the request (the title's excepted), stripped, in order."""
    return [q for m in QUOTED_RE.finditer(without_title(request)) if (q := quoted(m).strip())]


def story_text(request: str) -> str:
    """The request without what is spoken (its quotes, the title's excepted) and the word "narrated"."""
    title = re.search(r"\btitled?\b", request, re.IGNORECASE)
    body = QUOTED_RE.sub(lambda m: m.group(0) if title and _in_title(request, m) else " ", request)
    return _NARRATED_WORD_RE.sub(" ", body)


def _in_title(request: str, m: re.Match) -> bool:
    return without_title(request[: m.end()]) != request[: m.end()]


def sentences(text: str) -> list[str]:
    """``text`` split after sentence ends (``. ! ? …``)."""
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]


def clause_line(clause: str) -> str:
    """A shot's clause as a spoken sentence: capitalised, with a full stop."""
    line = clause.strip(" ,;:-")
    if not line:
        return line
    line = line[0].upper() + line[1:]
    return line if line[-1] in ".!?…" else line + "."


def spread(lines: list[str], slots: int) -> list[str | None]:
    """``lines`` over ``slots`` shots in order: one per shot, evenly apart, or several joined per shot."""
    if not lines:
        return [None] * slots
    if len(lines) <= slots:
        out: list[str | None] = [None] * slots
        for i, line in enumerate(lines):
            out[i * slots // len(lines)] = line
        return out
    return [" ".join(lines[j * len(lines) // slots:(j + 1) * len(lines) // slots]) for j in range(slots)]


def narration_lines(request: str, clauses: list[str]) -> list[str | None]:
    """One line (or None) per clause of the story: the request's quotes verbatim, else each clause."""
    quotes = spoken_quotes(request)
    if quotes:
        return spread([s for q in quotes for s in sentences(q)], len(clauses))
    return [clause_line(c) or None for c in clauses]


def _up(seconds: float) -> float:
    return math.ceil(seconds / _STEP - 1e-6) * _STEP


def _overlaps(board: Storyboard, i: int) -> tuple[float, float]:
    """Seconds shot ``i`` shares with the shot before it and the shot after it (their transitions)."""
    before = board.shots[i - 1].transition.seconds if i else 0.0
    after = board.shots[i].transition.seconds if i + 1 < len(board.shots) else 0.0
    return before, after


def needed_shown(board: Storyboard, i: int, lead: float) -> float:
    """How long shot ``i`` must be on screen for its line (0 without one)."""
    shot = board.shots[i]
    if not shot.narration or not shot.narration_seconds:
        return 0.0
    return lead + shot.narration_seconds + TAIL + _overlaps(board, i)[1]


def fit_narration(board: Storyboard, target: float | None, generated: set[str] = frozenset()) -> tuple[Storyboard, list[str]]:
    """``board`` with every shot long enough for its line, and notes saying what changed and why.

    ``generated``: ids of shots whose takes exist and must not be generated
    again (a refine): they are slowed down instead of lengthened. ``target``:
    the asked length, which the not-yet-generated shots keep within ±5 %.
    """
    board = board.model_copy(deep=True)
    lead = board.narration.lead
    notes: list[str] = []
    grown: set[str] = set()
    for i, shot in enumerate(board.shots):
        need = needed_shown(board, i, lead)
        if need <= shot.shown_seconds + 1e-6:
            continue
        kept = shot.seconds - shot.trim_start - shot.trim_end
        if shot.id in generated and kept / need >= MIN_NARRATION_SPEED:
            speed = math.floor(kept / need * 1000) / 1000
            board.shots[i] = shot.model_copy(update={"speed": speed})
            notes.append(f"shot {shot.id} plays at {speed:g}× ({board.shots[i].shown_seconds:.1f}s on screen) to "
                         f"fit its narration ({shot.narration_seconds:.1f}s spoken); nothing is generated again")
            continue
        seconds = _up(need * shot.speed + shot.trim_start + shot.trim_end)
        if seconds > PLAN_SHOT_SECONDS:
            raise InputError(f"the narration of shot {shot.id} is spoken in {shot.narration_seconds:.1f}s, longer than "
                             f"a shot may last ({PLAN_SHOT_SECONDS:g}s); split the line over several shots")
        notes.append(f"shot {shot.id} lengthened {shot.seconds:g}s → {seconds:g}s to fit its narration "
                     f"({shot.narration_seconds:.1f}s spoken)")
        board.shots[i] = shot.model_copy(update={"seconds": seconds})
        grown.add(shot.id)
    if target is not None and grown:
        notes += _give_back(board, target, generated | grown, lead)
    return Storyboard.model_validate(board.model_dump()), notes


def _give_back(board: Storyboard, target: float, fixed: set[str], lead: float) -> list[str]:
    """Shorten the shots not in ``fixed`` (in place), in proportion to what each can spare, towards ``target``."""
    excess = board.seconds - target
    spare: dict[int, float] = {}
    for i, shot in enumerate(board.shots):
        if shot.id in fixed:
            continue
        floor = max(needed_shown(board, i, lead), sum(_overlaps(board, i)) + MIN_SHOT_SHOWN)
        if shot.shown_seconds - floor > _STEP:
            spare[i] = shot.shown_seconds - floor
    total_spare = sum(spare.values())
    if excess > 0 and total_spare > 0:
        take = min(excess, total_spare)
        for i, room in spare.items():
            shot = board.shots[i]
            cut = math.floor(take * room / total_spare * shot.speed / _STEP) * _STEP
            if cut > 0:
                board.shots[i] = shot.model_copy(update={"seconds": round(shot.seconds - cut, 6)})
    off = board.seconds - target
    if abs(off) > LENGTH_TOLERANCE * target:
        return [f"the narration needs {board.seconds:.1f}s, {off / target:+.0%} off the asked {target:g}s: the lines "
                "are longer than the shots can hold (shorten the lines or ask for a longer video)"]
    return [f"the other shots gave the time back: the video lasts {board.seconds:.1f}s (asked {target:g}s)"]
