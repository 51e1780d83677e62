"""Read how a creator wants the edit finished (offline planner): trims, speed, look, fades, music.

"trim 1 s off the start of shot 2", "play the last shot at half speed",
"make it black and white", "fade out at the end", "music at 50%" become calls
of the finishing edits in ``edits.py`` (``trim_shot``, ``set_speed``,
``set_look``, ``set_fades``, ``set_music``). ``finish_calls`` reads one
instruction of the feedback; ``feedback.feedback_calls`` tries it before the
edits that change what shots show, because words such as "fade", "cut" or
"darker" mean something else there.
"""

from __future__ import annotations

import re

from longcut.agent.planning.request_text import SECONDS_RE
from longcut.agent.state import Storyboard

Calls = list[tuple[str, dict]]

_NUMBER = r"(\d+(?:\.\d+)?)"
_SECS = rf"{_NUMBER}\s*(?:s|secs?|seconds?)\b"
_MUSIC_RE = re.compile(r"\b(?:music|soundtrack|song|background track)\b", re.IGNORECASE)
_PERCENT_RE = re.compile(rf"{_NUMBER}\s*(?:%|percent\b)", re.IGNORECASE)
_MUSIC_OFF_RE = re.compile(r"\b(?:mute|silence|no music|without|remove|drop|off|stop)\b", re.IGNORECASE)
_MUSIC_UP_RE = re.compile(r"\b(?:louder|up|raise|increase|boost)\b", re.IGNORECASE)
_MUSIC_DOWN_RE = re.compile(r"\b(?:quieter|softer|lower|down|decrease|reduce)\b", re.IGNORECASE)
_FADE_RE = re.compile(r"\bfade[sd]?\s*(?:it\s+|the\s+(?:video|picture|music|song|soundtrack)\s+)?(in|up|out|down)\b"
                      r"|\bfade[sd]?\s+(?:it\s+)?(from|to)\s+black\b", re.IGNORECASE)
_NO_FADE_RE = re.compile(r"\b(?:no|remove|drop|without)\s+(?:the\s+)?fades?(?:\s*-?\s*(in|out))?\b", re.IGNORECASE)
_TRIM_OFF_RE = re.compile(rf"\b(?:trim|cut|shave|take|remove|chop)\s+(?:off\s+)?{_SECS}\s*(?:off|from)?\s*"
                          r"(?:of\s+)?(?:the\s+|its\s+)?(start|beginning|end)\b", re.IGNORECASE)
_TRIM_SIDE_RE = re.compile(rf"\btrim\s+(?:the\s+)?(start|beginning|end)\b.*?\bby\s+{_SECS}", re.IGNORECASE)
_TRIM_TO_RE = re.compile(rf"\btrim\b.*?\bto\s+{_SECS}", re.IGNORECASE)
_TRIM_BY_RE = re.compile(rf"\btrim\b.*?\bby\s+{_SECS}", re.IGNORECASE)
_UNTRIM_RE = re.compile(r"\b(?:untrim|undo the trims?|no trims?|full length)\b", re.IGNORECASE)
_SPEEDS = {"half speed": 0.5, "slow motion": 0.5, "slow-motion": 0.5, "slow mo": 0.5, "slow-mo": 0.5,
           "double speed": 2.0, "speed up": 2.0, "sped up": 2.0, "normal speed": 1.0, "real time": 1.0,
           "quarter speed": 0.25}
_SPEED_WORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _SPEEDS) + r")\b", re.IGNORECASE)
_SPEED_X_RE = re.compile(rf"\b{_NUMBER}\s*(?:x|×|times)\s*(?:speed|as fast)?(?!\w)", re.IGNORECASE)
_GREY_RE = re.compile(r"\b(?:black[- ]and[- ]white|b&w|gr[ae]yscale|monochrome)\b"
                      r"(?!\s+(?:stripes|striped|dots|dotted|spots|checks|checkered|chequered|checker))", re.IGNORECASE)
_COLOUR_BACK_RE = re.compile(r"\b(?:back\s+in(?:to)?\s+colou?r|full colou?r|in colou?r again)\b", re.IGNORECASE)
_VIVID_RE = re.compile(r"\b(?:more\s+(?:saturated|colou?rful|vivid)|saturate)\b", re.IGNORECASE)
_DULL_RE = re.compile(r"\b(?:less\s+(?:saturated|colou?rful|vivid)|desaturate[d]?|muted colou?rs|washed[- ]out)\b",
                      re.IGNORECASE)
_CONTRAST_RE = re.compile(r"\b(more|less|higher|lower)\s+contrast\b", re.IGNORECASE)
_LIGHT_RE = re.compile(r"(?<!gets )(?<!turns )(?<!grows )\b(brighter|darker|lighter|brighten|darken)\b(?!s)",
                       re.IGNORECASE)


def finish_calls(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    """The finishing-edit calls one instruction asks for, or None when it asks for none.

    ``targets``: the shots the instruction names (None: it names none); a
    shot edit with no target applies to every shot, a trim to the first shot
    (its start) or the last (its end).
    """
    for read in (_music, _fades, _trims, _speed, _look):
        calls = read(part, targets, board)
        if calls:
            return calls
    return None


def _seconds(part: str, default: float) -> float:
    m = SECONDS_RE.search(part)
    return float(m.group(1)) if m else default


def _music(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    if not _MUSIC_RE.search(part):
        return None
    args: dict[str, float | None] = {"volume": None, "fade_in": None, "fade_out": None}
    fade = _FADE_RE.search(part)
    if fade:
        way = (fade.group(1) or fade.group(2) or "").lower()
        args["fade_in" if way in ("in", "up", "from") else "fade_out"] = _seconds(part, 2.0)
    percent = _PERCENT_RE.search(part)
    if percent:
        args["volume"] = min(4.0, float(percent.group(1)) / 100)
    elif fade:
        pass
    elif _MUSIC_OFF_RE.search(part):
        args["volume"] = 0.0
    elif _MUSIC_UP_RE.search(part):
        args["volume"] = min(4.0, round(max(board.music.volume, 0.2) * 1.5, 3))
    elif _MUSIC_DOWN_RE.search(part):
        args["volume"] = round(board.music.volume * 0.5, 3)
    return [("set_music", args)] if any(v is not None for v in args.values()) else None


def _fades(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    gone = _NO_FADE_RE.search(part)
    if gone:
        way = (gone.group(1) or "").lower()
        return [("set_fades", {"fade_in": 0.0 if way in ("", "in") else None,
                               "fade_out": 0.0 if way in ("", "out") else None})]
    if targets and re.search(r"\b(?:between|after|into)\b", part, re.IGNORECASE):
        return None  # "fade to black after shot 2" is a transition
    args: dict[str, float | None] = {"fade_in": None, "fade_out": None}
    for m in _FADE_RE.finditer(part):
        way = (m.group(1) or m.group(2)).lower()
        args["fade_in" if way in ("in", "up", "from") else "fade_out"] = _seconds(part, 1.0)
    if re.search(r"\bfade\s+in\s+and\s+out\b", part, re.IGNORECASE):
        args["fade_in"] = args["fade_out"] = _seconds(part, 1.0)
    return [("set_fades", args)] if any(v is not None for v in args.values()) else None


def _trims(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    if _UNTRIM_RE.search(part):
        return [("trim_shot", {"shot": t, "start": 0.0, "end": 0.0}) for t in targets or [s.id for s in board.shots]]
    side, amount = None, None
    for pattern in (_TRIM_OFF_RE, _TRIM_SIDE_RE):
        m = pattern.search(part)
        if m:
            found = m.groups()
            side = next(g for g in found if not re.fullmatch(_NUMBER, g)).lower()
            amount = float(next(g for g in found if re.fullmatch(_NUMBER, g)))
            break
    to = None if side else _TRIM_TO_RE.search(part)
    if side is None and to is None:
        by = _TRIM_BY_RE.search(part)
        if not by:
            return None
        side, amount = "end", float(by.group(1))
    at_start = side in ("start", "beginning")
    here = targets or [board.shots[0 if at_start else -1].id]
    calls: Calls = []
    for t in here:
        shot = board.shot(t)
        if to is not None:  # "trim shot 2 to 3 s": keep 3 s of the take, cut from its end
            calls.append(("trim_shot", {"shot": t, "start": None,
                                        "end": round(shot.seconds - shot.trim_start - float(to.group(1)), 4)}))
        elif at_start:
            calls.append(("trim_shot", {"shot": t, "start": round(shot.trim_start + amount, 4), "end": None}))
        else:
            calls.append(("trim_shot", {"shot": t, "start": None, "end": round(shot.trim_end + amount, 4)}))
    return calls


def _speed(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    word, times = _SPEED_WORD_RE.search(part), _SPEED_X_RE.search(part)
    if word:
        speed = _SPEEDS[re.sub(r"\s+", " ", word.group(0).lower())]
    elif times and re.search(r"\b(?:play|speed|fast|at)\b", part, re.IGNORECASE):
        speed = float(times.group(1))
    else:
        return None
    return [("set_speed", {"shot": t, "speed": speed}) for t in targets or [s.id for s in board.shots]]


def _look(part: str, targets: list[str] | None, board: Storyboard) -> Calls | None:
    calls: Calls = []
    for t in targets or [s.id for s in board.shots]:
        look = board.shot(t).look
        args: dict[str, float | None] = {"shot": t, "brightness": None, "contrast": None, "saturation": None}
        if _GREY_RE.search(part):
            args["saturation"] = 0.0
        elif _COLOUR_BACK_RE.search(part):
            args["saturation"] = 1.0
        elif _VIVID_RE.search(part):
            args["saturation"] = min(3.0, round(max(look.saturation, 0.5) * 1.5, 3))
        elif _DULL_RE.search(part):
            args["saturation"] = round(look.saturation * 0.5, 3)
        contrast = _CONTRAST_RE.search(part)
        if contrast:
            up = contrast.group(1).lower() in ("more", "higher")
            args["contrast"] = min(3.0, round(look.contrast * (1.3 if up else 0.75), 3))
        light = _LIGHT_RE.search(part)
        if light:
            up = light.group(1).lower() in ("brighter", "lighter", "brighten")
            args["brightness"] = max(-1.0, min(1.0, round(look.brightness + (0.15 if up else -0.15), 3)))
        if any(args[k] is not None for k in ("brightness", "contrast", "saturation")):
            calls.append(("set_look", args))
    return calls or None
