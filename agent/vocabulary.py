"""What each video model understands, for the planners to rewrite into."""

from __future__ import annotations

import functools

from longcut import prompts
from longcut.agent.planner import ModelVocabulary
from longcut.models import world_vocab as wv
from longcut.models.world_captions import MOTION_PHRASE, PATTERN_NOUN, SPEED_ADVERB

WORLD_EXAMPLES = (
    "a big red circle moves right slowly on a grass background",
    "a small blue star with white stripes bounces quickly on a night background",
    "a big yellow square stays still on a sand background, then the sky darkens",
    "a big pink triangle moves in circles slowly and a small green circle stays still on a stone background",
)


@functools.cache
def world_vocabulary() -> ModelVocabulary:
    """The embedded world's caption grammar (the tiny model)."""
    guide = prompts.render(
        "vocabulary_world",
        sizes=", ".join(wv.SIZES), colours=", ".join(wv.COLOUR_NAMES), shapes=", ".join(wv.SHAPES),
        patterns=", ".join(PATTERN_NOUN.values()), motions=", ".join(MOTION_PHRASE.values()),
        speeds=", ".join(SPEED_ADVERB.values()), backgrounds=", ".join(wv.BACKGROUNDS),
        events=", ".join(wv.EVENTS), examples=WORLD_EXAMPLES,
    )
    words = {"size": wv.SIZES, "colour": wv.COLOUR_NAMES, "shape": wv.SHAPES, "pattern": wv.PATTERNS,
             "motion": wv.MOTIONS, "speed": wv.SPEEDS, "background": wv.BACKGROUNDS, "event": wv.EVENTS}
    return ModelVocabulary(guide=guide, words=words, synonyms=dict(wv.SYNONYMS))


@functools.cache
def open_vocabulary() -> ModelVocabulary:
    """Free text (diffusers backends)."""
    return ModelVocabulary(guide=prompts.render("vocabulary_open"))


def vocabulary_for(model_name: str) -> ModelVocabulary:
    """The vocabulary of a backend by name."""
    return world_vocabulary() if model_name in ("tiny", "oracle") else open_vocabulary()
