"""Read a creator's feedback into storyboard edit-tool calls (offline planner).

"make the second shot green and add a title 'Home'" becomes
``update_shot(shot="s2", prompt="a big green circle …")`` and
``set_title(title="Home")``. Feedback is split into instructions; each names
its target shots ("shot 2", "the last shot", "all shots", or a subject such
as "the ball") or inherits the previous instruction's targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from longcut.agent.planning.finish_phrases import finish_calls
from longcut.agent.planning.lexicon import Lexicon
from longcut.agent.planning.request_text import QUOTED_RE, SECONDS_RE, quoted
from longcut.agent.state import Storyboard
from longcut.errors import InputError
from longcut.models.backends.capabilities import PromptVocabulary
from longcut.models.world.vocab import SceneAttributes  # the records the lexicon reads into

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
            "eighth": 8, "ninth": 9, "tenth": 10, "opening": 1, "1st": 1, "2nd": 2, "3rd": 3}
_QUOTED = r"""["'“‘]([^"'”’]{1,200})["'”’]"""
_MASK_RE = re.compile("\ue000(\\d+)\ue001")
_TITLE_RE = re.compile(
    rf"(?:\b(?:add|set|put|use|give it|change|make)\s+(?:it\s+)?(?:a|an|the)?\s*)?\btitle\b[^\"'“‘]*{_QUOTED}",
    re.IGNORECASE)
_FILLER_RE = re.compile(r"^(?:(?:please|also|and|add|set|put|a|an|the|it|with|then|too|thanks|thank you)\b\s*)*$",
                        re.IGNORECASE)
_NO_TITLE_RE = re.compile(r"\b(?:remove|drop|delete|no)\b.*\btitle\b", re.IGNORECASE)
_NARRATOR_RE = re.compile(rf"\b(?:narrat\w*|voice-?over|voice)\b[^\"'“‘]*?\b(?:say|says|speak|speaks|read|reads)\b[^\"'“‘]*{_QUOTED}"
                          rf"|\b(?:say|speak|read)\b[^\"'“‘]*{_QUOTED}[^\"'“‘]*\b(?:narrat\w*|voice-?over)\b", re.IGNORECASE)
_NO_NARRATION_RE = re.compile(r"\b(?:remove|drop|delete|no|without)\b.*\b(?:narration|narrator|voice-?over)\b",
                              re.IGNORECASE)
_CAPTION_RE = re.compile(rf"\b(?:caption|subtitle|text)\b[^\"'“‘]*{_QUOTED}", re.IGNORECASE)
_NOT_SECONDS = r"(?!\.?\d|\s*(?:s|secs?|seconds?)\b)"
_SHOT_NUM_RE = re.compile(rf"\bshots?\s+(\d+){_NOT_SECONDS}(?:\s*(?:and|,|&|to|-)\s*(\d+){_NOT_SECONDS})?", re.IGNORECASE)
_SHOT_ORD_RE = re.compile(rf"\b(?:the\s+)?({'|'.join(ORDINALS)}|last|final)\s+(?:shot|scene|part)\b", re.IGNORECASE)
_ALL_RE = re.compile(r"\b(?:all|every|each)\s+(?:the\s+)?(?:shots?|scenes?)\b|\beverywhere\b", re.IGNORECASE)
_SPLIT_RE = re.compile(r"\s*(?:(?:[;!?]|\.(?!\d))+|,\s*(?:and\s+)?|\s+and\s+(?=(?:make|add|remove|delete|drop|set|change|use|put|give|turn|let|the|shot|regenerate|redo|swap|trim|fade|mute|play)\b))\s*", re.IGNORECASE)
_TRANSITION_WORDS = {"crossfade": "fade", "cross-fade": "fade", "fade": "fade", "dissolve": "dissolve",
                     "wipe": "wipeleft", "slide": "slideleft", "circle open": "circleopen", "cut": "cut"}
_TRANSITION_RE = re.compile(r"\b(crossfade|cross-fade|dissolve|fade|wipe|slide|circle open|hard cut)\b", re.IGNORECASE)

EXAMPLES = ("make the second shot green", "make shot 3 longer", "add a title 'Home'",
            "remove the last shot", "use a crossfade after shot 1", "another take of shot 2",
            "trim 1 s off the start of shot 2", "fade out at the end", "music at 50%",
            "make the narrator say 'Home at last' in shot 2")


def _targets(text: str, board: Storyboard, lexicon: Lexicon) -> list[str] | None:
    n = len(board.shots)
    if _ALL_RE.search(text):
        return [s.id for s in board.shots]
    ids = []
    for m in _SHOT_NUM_RE.finditer(text):
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        ids += [board.shots[i - 1].id for i in range(a, b + 1) if 1 <= i <= n] or [f"shot {a}"]
    for m in _SHOT_ORD_RE.finditer(text):
        word = m.group(1).lower()
        i = n if word in ("last", "final") else ORDINALS[word]
        ids.append(board.shots[i - 1].id if 1 <= i <= n else f"shot {i}")
    if ids:
        bad = [i for i in ids if i.startswith("shot ")]
        if bad:
            raise InputError(f"feedback names {bad[0]}, but the storyboard has {n} shots")
        return list(dict.fromkeys(ids))
    shapes = {m.word for m in lexicon.find(text) if m.category == "shape"}
    if shapes and re.search(r"\b(?:the|it|its)\b", text, re.IGNORECASE):
        hits = [s.id for s in board.shots if any(f" {sh}" in s.prompt for sh in shapes)]
        return hits or None
    return None


def _recolour(prompt: str, text: str, lexicon: Lexicon, grammar: PromptVocabulary | None) -> str | None:
    """The prompt with the attributes named in ``text`` changed, or None if nothing changes."""
    if grammar is None:
        raise InputError(f"the offline planner edits prompts only in a caption grammar; {prompt!r} is prose for an "
                         "open-vocabulary model: use --planner openai to change what a shot shows")
    try:
        scene = grammar.read(prompt)
    except ValueError as err:
        raise InputError(f"cannot edit a shot whose prompt is not in the model's vocabulary: {prompt!r}") from err
    matches = lexicon.find(text)
    # The subject is the object whose shape the feedback names, else the first one.
    named_shapes = [m for m in matches if m.category == "shape"]
    idx = 0
    for m in named_shapes:
        for i, o in enumerate(scene.objects):
            if o.shape == m.word:
                idx = i
                break
    obj = scene.objects[idx]
    changes: dict[str, str | None] = {}
    # "with white stripes": a colour right before a pattern word is the pattern's colour.
    pattern_colours = [a.word for a, b in zip(matches, matches[1:], strict=False)
                       if a.category == "colour" and b.category == "pattern"]
    colours = [m.word for i, m in enumerate(matches) if m.category == "colour"
               and not (i + 1 < len(matches) and matches[i + 1].category == "pattern")]
    if pattern_colours:
        changes["pattern_colour"] = pattern_colours[-1]
    if colours and colours[-1] != obj.colour:
        changes["colour"] = colours[-1]
        if obj.pattern_colour == colours[-1]:
            changes["pattern_colour"] = obj.colour
    # A shape that is none of the scene's objects is a new shape ("make the ball a star").
    new_shapes = [m.word for m in named_shapes if all(o.shape != m.word for o in scene.objects)]
    if new_shapes:
        changes["shape"] = new_shapes[-1]
    for cat in ("size", "motion", "speed"):
        words = [m.word for m in matches if m.category == cat]
        if words:
            changes[cat] = words[-1]
    patterns = [m.word for m in matches if m.category == "pattern"]
    if patterns:
        changes["pattern"] = patterns[-1]
        if "pattern_colour" not in changes and obj.pattern_colour is None:
            changes["pattern_colour"] = "white" if changes.get("colour", obj.colour) != "white" else "black"
    if re.search(r"\b(?:solid|plain|no pattern)\b", text, re.IGNORECASE):
        changes["pattern"], changes["pattern_colour"] = "solid", None
    if changes.get("motion") == "still":
        changes["speed"] = None
    new_obj = replace(obj, **changes)
    objects = list(scene.objects)
    objects[idx] = new_obj
    backgrounds = [m.word for m in matches if m.category == "background"]
    new = SceneAttributes(objects=tuple(objects), background=backgrounds[-1] if backgrounds else scene.background,
                          event=scene.event)
    out = grammar.write(new)
    return None if out == prompt else out


def _mask_quotes(text: str) -> tuple[str, Callable[[str], str]]:
    """``text`` with each quoted span swapped for a numbered stand-in token, and the function that restores them."""
    spans: list[str] = []

    def hide(m: re.Match) -> str:
        spans.append(quoted(m))
        return f'"\ue000{len(spans) - 1}\ue001"'

    masked = QUOTED_RE.sub(hide, text)
    return masked, lambda s: _MASK_RE.sub(lambda m: spans[int(m.group(1))], s)


def feedback_calls(feedback: str, board: Storyboard, lexicon: Lexicon,
                   grammar: PromptVocabulary | None) -> list[tuple[str, dict]]:
    """Tool calls (name, arguments) that carry out ``feedback`` on ``board``.

    Quoted text (a title, a caption) is taken whole first, so its commas and
    full stops never split the feedback into clauses. ``grammar``: the
    backend's caption grammar, in which attribute changes are written; None
    (open prose): only edits that leave prompts alone.
    """
    calls: list[tuple[str, dict]] = []
    feedback, unmask = _mask_quotes(feedback)
    title = _TITLE_RE.search(feedback)
    if title:
        calls.append(("set_title", {"title": unmask(title.group(1))}))
        feedback = feedback.replace(title.group(0), " ")
    elif _NO_TITLE_RE.search(feedback):
        calls.append(("set_title", {"title": None}))
        feedback = _NO_TITLE_RE.sub(" ", feedback)
    targets: list[str] | None = None
    for part in filter(None, (p.strip() for p in _SPLIT_RE.split(feedback))):
        if _FILLER_RE.match(part):
            continue
        targets = _targets(part, board, lexicon) or targets
        low = part.lower()
        here = targets or [s.id for s in board.shots]
        said = _NARRATOR_RE.search(part)
        if said:
            text = unmask(said.group(1) or said.group(2))
            calls += [("set_narration", {"shot": t, "text": text}) for t in here]
            continue
        if _NO_NARRATION_RE.search(part):
            calls += [("set_narration", {"shot": t, "text": None}) for t in here]
            continue
        caption = _CAPTION_RE.search(part)
        if caption:
            calls += [("update_shot", {"shot": t, "caption": unmask(caption.group(1))}) for t in here]
            continue
        finishing = finish_calls(part, targets, board)
        if finishing:
            calls += finishing
            continue
        if re.search(r"\b(?:remove|delete|drop|cut out)\b", low):
            if targets is None:
                raise InputError(f"which shot should go? (feedback: {unmask(part)!r})")
            calls += [("remove_shot", {"shot": t}) for t in sorted(targets, reverse=True, key=lambda s: [x.id for x in board.shots].index(s))]
            continue
        if re.search(r"\b(?:another take|regenerate|redo|re-do|try again|new take)\b", low):
            calls += [("update_shot", {"shot": t, "new_seed": True}) for t in here]
            continue
        tr = _TRANSITION_RE.search(part)
        if tr and re.search(r"\b(?:between|after|into|transition|from)\b", low):
            kind = _TRANSITION_WORDS[tr.group(1).lower().replace("hard ", "")]
            secs = SECONDS_RE.search(part)
            first = (targets or [board.shots[0].id])[0]
            calls.append(("set_transition", {"shot": first, "kind": kind,
                                             "seconds": 0.0 if kind == "cut" else float(secs.group(1)) if secs else 1.0}))
            continue
        secs = SECONDS_RE.search(part)
        factor = 2.0 if "twice as long" in low else 1.5 if "longer" in low else 0.67 if "shorter" in low else None
        if secs or factor:
            for t in here:
                cur = board.shot(t).seconds
                calls.append(("update_shot", {"shot": t, "seconds": float(secs.group(1)) if secs else round(cur * factor, 2)}))
            continue
        edited = False
        for t in here:
            new_prompt = _recolour(board.shot(t).prompt, part, lexicon, grammar)
            if new_prompt:
                calls.append(("update_shot", {"shot": t, "prompt": new_prompt}))
                edited = True
        if not edited and not targets:
            raise InputError(f"could not understand {unmask(part)!r}; try e.g. " + "; ".join(repr(e) for e in EXAMPLES))
    if not calls:
        raise InputError("the feedback asks for no change I can make; try e.g. " + "; ".join(repr(e) for e in EXAMPLES))
    return calls
