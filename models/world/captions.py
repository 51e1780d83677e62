"""Captions of the embedded world: the canonical form, a varied grammar, and the parser.

Canonical form (one per scene, what ``parse_canonical`` reads back)::

    a big red circle with white stripes moves left quickly on a sky background, then the sky darkens
    a small blue star stays still and a big pink square bounces slowly on a grass background

object := "a" SIZE COLOUR SHAPE ["with" COLOUR ("stripes" | "dots" | "checks")] MOTION [SPEED];
MOTION is the first synonym of the motion in ``SYNONYMS`` ("moves left", "stays still",
"moves in circles", …) and SPEED "slowly"/"quickly" (omitted for "stays still"; optional
when parsing, so "a big red circle moves left on a sky background" parses too).

The varied grammar (``caption``) draws synonyms from ``SYNONYMS`` and varies the
word order; it says the same attributes, never more, never fewer.
"""

from __future__ import annotations

import random
import re

from longcut.models.world.vocab import (
    BACKGROUNDS,
    COLOUR_NAMES,
    EVENTS,
    MOTIONS,
    SHAPES,
    SIZES,
    SYNONYMS,
    ObjectAttributes,
    SceneAttributes,
    SceneSpec,
)

PATTERN_NOUN: dict[str, str] = {"stripes": "stripes", "dots": "dots", "checker": "checks"}
SPEED_ADVERB: dict[str, str] = {"slow": "slowly", "fast": "quickly"}
MOTION_PHRASE: dict[str, str] = {m: SYNONYMS[m][0] for m in MOTIONS}

# ───────────────────────────── canonical ─────────────────────────────


def _canonical_object(o: ObjectAttributes) -> str:
    words = ["a", o.size, o.colour, o.shape]
    if o.pattern != "solid":
        words += ["with", str(o.pattern_colour), PATTERN_NOUN[o.pattern]]
    words.append(MOTION_PHRASE[o.motion])
    if o.motion != "still" and o.speed is not None:
        words.append(SPEED_ADVERB[o.speed])
    return " ".join(words)


def canonical_caption(scene: SceneSpec | SceneAttributes) -> str:
    """The one canonical caption of a scene (see the module docstring for the grammar)."""
    a = scene.attributes if isinstance(scene, SceneSpec) else scene
    text = " and ".join(_canonical_object(o) for o in a.objects)
    text += f" on a {a.background} background"
    if a.event is not None:
        text += f", then {a.event}"
    return text


def _alt(options: tuple[str, ...] | list[str]) -> str:
    return "(" + "|".join(re.escape(o) for o in sorted(options, key=len, reverse=True)) + ")"


_OBJECT_RE = (
    rf"a {_alt(SIZES)} {_alt(COLOUR_NAMES)} {_alt(SHAPES)}"
    rf"(?: with {_alt(COLOUR_NAMES)} {_alt(list(PATTERN_NOUN.values()))})?"
    rf" {_alt(list(MOTION_PHRASE.values()))}(?: {_alt(list(SPEED_ADVERB.values()))})?"
)
_SCENE_RE = re.compile(
    rf"^(?P<o1>{_OBJECT_RE})(?: and (?P<o2>{_OBJECT_RE}))? on an? {_alt(BACKGROUNDS)} background"
    rf"(?:,? then {_alt(EVENTS)})?\.?$"
)
_ONE_OBJECT_RE = re.compile(rf"^{_OBJECT_RE}$")


def parse_canonical(text: str) -> SceneAttributes:
    """Read a canonical caption back into the attributes it names.

    Raises ``ValueError`` (quoting the text) when it is not in the canonical grammar.
    """
    norm = " ".join(text.strip().lower().split())
    m = _SCENE_RE.match(norm)
    if m is None:
        raise ValueError(
            f"not a canonical caption: {text!r}; expected e.g. "
            "'a big red circle with white stripes moves left slowly on a sky background'"
        )
    objects = []
    for key in ("o1", "o2"):
        if m.group(key) is None:
            continue
        g = _ONE_OBJECT_RE.match(m.group(key))
        if g is None:  # cannot happen: the scene pattern embeds the object pattern
            raise ValueError(f"cannot parse object phrase {m.group(key)!r}")
        size, colour, shape, pcolour, pnoun, motion_phrase, adverb = g.groups()
        pattern = {v: k for k, v in PATTERN_NOUN.items()}[pnoun] if pnoun else "solid"
        motion = {v: k for k, v in MOTION_PHRASE.items()}[motion_phrase]
        speed = {v: k for k, v in SPEED_ADVERB.items()}[adverb] if adverb else None
        objects.append(ObjectAttributes(
            shape=shape, colour=colour, size=size, pattern=pattern,
            pattern_colour=pcolour if pnoun else None, motion=motion,
            speed=None if motion == "still" else speed,
        ))
    groups = m.groups()
    background, event = groups[-2], groups[-1]
    return SceneAttributes(objects=tuple(objects), background=background, event=event)


# ───────────────────────────── varied grammar ─────────────────────────────


def _word(canonical: str, rng: random.Random, p_canonical: float = 0.35) -> str:
    """The canonical word or one of its synonyms."""
    if rng.random() < p_canonical:
        return canonical
    return rng.choice(SYNONYMS[canonical])


def _article(phrase: str) -> str:
    return "an" if phrase[0] in "aeiou" else "a"


def _noun_phrase(o: ObjectAttributes, rng: random.Random) -> str:
    size, colour, shape = _word(o.size, rng), _word(o.colour, rng), _word(o.shape, rng)
    form = rng.randrange(3)
    if form == 0:
        np_ = f"{size} {colour} {shape}"
    elif form == 1:
        np_ = f"{colour} {shape}, {size},"
    else:
        np_ = f"{size} {shape} coloured {colour}"
    np_ = f"{_article(np_)} {np_}"
    if o.pattern != "solid":
        pc, pat = _word(str(o.pattern_colour), rng), _word(o.pattern, rng)
        if pat.endswith("pattern"):  # a singular noun: "with a yellow checkerboard pattern"
            np_ = np_.rstrip(",") + f" with {_article(pc)} {pc} {pat}"
        else:
            np_ = np_.rstrip(",") + f" with {pc} {pat}"
    return np_


def _verb_phrase(o: ObjectAttributes, rng: random.Random) -> str:
    verb = rng.choice(SYNONYMS[o.motion])
    if o.motion == "still" or o.speed is None:
        return verb
    adverb = rng.choice(SYNONYMS[o.speed])
    if rng.random() < 0.5 and adverb != "fast":
        return f"{adverb} {verb}"
    return f"{verb} {adverb}"


def caption(scene: SceneSpec | SceneAttributes, rng: random.Random) -> str:
    """A varied caption: synonyms from ``SYNONYMS`` and one of several word orders.

    Says exactly the attributes of the canonical caption (speed included), e.g.
    "against a blue sky, a large crimson ball drifts leftward slowly".
    """
    a = scene.attributes if isinstance(scene, SceneSpec) else scene
    clauses = [f"{_noun_phrase(o, rng)} {_verb_phrase(o, rng)}" for o in a.objects]
    bg = _word(a.background, rng, p_canonical=0.2)
    if bg in BACKGROUNDS:
        bg = f"{bg} background"
    bg = f"{_article(bg)} {bg}"
    joiner = rng.choice([" and ", " while ", ", and "])
    body = joiner.join(clauses)
    form = rng.randrange(4)
    if form == 0:
        text = f"{body} {rng.choice(['on', 'against', 'across', 'in front of'])} {bg}"
    elif form == 1:
        text = f"{rng.choice(['against', 'on', 'over'])} {bg}, {body}"
    elif form == 2:
        text = f"{bg}: {body}"
    else:
        text = f"{body}; the backdrop is {bg}"
    if a.event is not None:
        ev = _word(a.event, rng, p_canonical=0.3)
        text += rng.choice([f", then {ev}", f", and {ev}", f"; later {ev}", f" as {ev}"])
    text = text.replace(",,", ",").replace(", ;", ";").replace(", :", ":")
    return " ".join(text.split())
