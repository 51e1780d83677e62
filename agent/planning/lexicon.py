"""Map user words onto the model's vocabulary: a phrase lexicon first, embeddings second.

FACTS.md measured MiniLM nearest-neighbour over single attribute words as
unreliable (crimson→purple, golden→purple), so the rewriter matches phrases
from a lexicon shared with the world's caption grammar (``SYNONYMS``) plus a
few planner-only words, longest phrase first, over verb forms too ("drifts",
"drifting", "drift"). ``EmbeddingFallback`` is consulted only for a category
the lexicon left empty, and only above a similarity threshold.

The categories are those of ``READING_VOCABULARY``, the embedded world's
caption grammar: whatever the backend, the offline planner reads a request
into these attributes (subjects, motions, backgrounds, events) and then
writes each shot in the backend's own vocabulary, a caption of that grammar
or open prose (``planning.offline``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from longcut.models.world.capabilities import WORLD_VOCABULARY

Category = str  # "colour", "shape", "size", "pattern", "motion", "speed", "background", "event"

READING_VOCABULARY = WORLD_VOCABULARY  # the attribute categories the offline planner reads requests into
_READ_ORDER = ("colour", "shape", "size", "pattern", "motion", "speed", "background", "event")
CATEGORY_WORDS: dict[Category, tuple[str, ...]] = {
    cat: tuple(w for w in READING_VOCABULARY.words[cat] if w != "solid") for cat in _READ_ORDER
}  # "solid" is no word a user says: it is what an object is when no pattern is named
SYNONYMS = READING_VOCABULARY.synonyms

# Words users say that the caption grammar does not use. Kept small and
# unambiguous; the bench's paraphrase set measures what is missing.
EXTRA_PHRASES: dict[str, tuple[str, ...]] = {
    "red": ("ruby",), "orange": ("ginger",), "yellow": ("golden", "gold"), "green": ("olive", "jade"),
    "blue": ("navy", "sapphire", "indigo"), "purple": ("magenta", "lavender", "mauve"),
    "pink": ("salmon", "fuchsia"), "white": ("pale", "milky"), "black": ("dark-coloured", "inky", "charcoal"),
    "brown": ("tan", "bronze", "copper"),
    "circle": ("orb", "sphere", "round", "coin", "bubble"), "square": ("cubes", "crate", "tile"),
    "triangle": ("triangles", "arrowhead"), "star": ("stars", "twinkle"),
    "small": ("tiny", "mini", "miniature"), "big": ("enormous", "massive"),
    "stripes": ("striped", "stripe"), "dots": ("dotted", "spotted", "polka-dot"),
    "checker": ("checkered", "chequered", "checked", "checkerboard"),
    "right": ("crosses", "rolls", "moves across", "travels", "goes right", "rightward", "rightwards"),
    "left": ("goes left", "returns left", "leftward", "leftwards"),
    "up": ("ascends", "flies up", "lifts off", "jumps up", "upward", "upwards"),
    "down": ("descends", "drops", "lands", "downward", "downwards"),
    "bounces": ("hops", "jumps", "bounces back", "bouncing back", "ricochets"),
    "circles": ("spins around", "loops", "whirls", "goes round", "in a circle", "in circles"),
    "still": ("waits", "stops", "rests", "pauses", "sleeps", "sits"),
    "grows": ("inflates", "gets larger"), "shrinks": ("deflates", "gets tiny"),
    "fast": ("speedily", "at speed", "hurries", "races", "zooms", "dashes"), "slow": ("lazily", "calmly"),
    "grass": ("field", "park", "garden", "prairie", "pasture"), "sand": ("beach", "dunes", "shore"),
    "stone": ("rock", "rocks", "cave", "pavement", "wall"), "sky": ("daytime", "clouds", "heaven"),
    "night": ("midnight", "nighttime", "night-time", "darkness"),
    "sunset": ("dusk", "evening", "twilight", "sundown", "sunset sky"),
    "the sky darkens": ("night comes", "gets dark", "turns dark", "darkness falls", "the sun sets", "sun goes down"),
    "the light comes up": ("sunrise", "morning comes", "the sun rises", "gets light", "gets brighter", "day returns"),
}


def verb_forms(phrase: str) -> set[str]:
    """A 3rd-person verb phrase and its base and -ing forms ("drifts left" → "drift left", "drifting left")."""
    first, _, rest = phrase.partition(" ")
    forms = {phrase}
    if not first.endswith("s") or first.endswith("ss") or len(first) < 4:
        return forms
    base = first[:-2] if first.endswith(("ches", "shes", "xes", "sses")) else first[:-1]
    if base.endswith("ie"):
        ing = base[:-2] + "ying"
    elif base.endswith("e") and not base.endswith("ee"):
        ing = base[:-1] + "ing"
    elif len(base) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", base):
        ing = base + base[-1] + "ing"  # sit → sitting, drop → dropping
    else:
        ing = base + "ing"
    tail = f" {rest}" if rest else ""
    forms |= {base + tail, ing + tail}
    return forms


@dataclass(frozen=True)
class Match:
    """A lexicon hit in a text: where, which category, which canonical word."""

    start: int
    end: int
    category: Category
    word: str
    phrase: str


def _category_of(canonical: str) -> Category:
    for cat, words in CATEGORY_WORDS.items():
        if canonical in words:
            return cat
    raise KeyError(canonical)


class Lexicon:
    """Phrase → (category, canonical word), matched longest first on word boundaries."""

    def __init__(self) -> None:
        entries: dict[str, tuple[Category, str]] = {}
        sources: list[tuple[str, tuple[str, ...]]] = [(w, (w,)) for ws in CATEGORY_WORDS.values() for w in ws]
        sources += list(SYNONYMS.items()) + list(EXTRA_PHRASES.items())
        for canonical, phrases in sources:
            cat = _category_of(canonical)
            for p in phrases:
                forms = verb_forms(p) if cat == "motion" else {p}
                for f in forms:
                    entries.setdefault(f.lower(), (cat, canonical))
        # "stripes" as a canonical pattern word also appears as the noun "checks"
        entries.setdefault("checks", ("pattern", "checker"))
        self.entries = entries
        alternation = "|".join(re.escape(p) for p in sorted(entries, key=len, reverse=True))
        shade = rf"[a-z]+-(?:{'|'.join(CATEGORY_WORDS['colour'])})"  # "mustard-yellow", "sky-blue": the colour
        self._re = re.compile(rf"(?<![\w-])(?:{alternation}|{shade})(?![\w-])")

    def find(self, text: str) -> list[Match]:
        """All non-overlapping lexicon phrases in ``text`` (lower-cased), left to right."""
        out = []
        for m in self._re.finditer(text.lower()):
            cat, word = self.entries.get(m.group(0)) or ("colour", m.group(0).rpartition("-")[2])
            out.append(Match(m.start(), m.end(), cat, word, m.group(0)))
        return out


class EmbeddingFallback:
    """MiniLM similarity between a user phrase and a category's canonical phrases.

    Used only when the lexicon found nothing for a category that matters,
    and only when the best similarity clears ``threshold`` and beats the
    runner-up by ``margin`` (FACTS.md: single words are unreliable).
    """

    def __init__(self, threshold: float = 0.55, margin: float = 0.05) -> None:
        self.threshold, self.margin = threshold, margin

    def best(self, phrase: str, category: Category) -> tuple[str, float] | None:
        """The canonical word for ``phrase`` in ``category``, with its score, or None."""
        from longcut.models.text import get_text_encoder

        words = CATEGORY_WORDS[category]
        labels = [SYNONYMS.get(w, (w,))[0] if category == "motion" else w for w in words]
        vecs = get_text_encoder().sentence([phrase, *labels])
        sims = (vecs[1:] @ vecs[0]).tolist()
        ranked = sorted(zip(sims, words, strict=True), reverse=True)
        (s1, w1), (s2, _) = ranked[0], ranked[1]
        if s1 >= self.threshold and s1 - s2 >= self.margin:
            return w1, s1
        return None
