"""The embedded world as backend capabilities: its caption grammar and its evaluator.

A backend trained on the procedural world (the tiny model, and the test
double that renders the world exactly) puts ``WORLD_VOCABULARY`` and
``WORLD_READER`` on its ``ModelInfo``; the agent writes captions and checks
shots through them without knowing which backend it talks to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from longcut.models.backends.capabilities import PromptVocabulary
from longcut.models.world import vocab as wv
from longcut.models.world.captions import (
    MOTION_PHRASE,
    PATTERN_NOUN,
    SPEED_ADVERB,
    canonical_caption,
    parse_canonical,
)

WORLD_EXAMPLES = (
    "a big red circle moves right slowly on a grass background",
    "a small blue star with white stripes bounces quickly on a night background",
    "a big yellow square stays still on a sand background, then the sky darkens",
    "a big pink triangle moves in circles slowly and a small green circle stays still on a stone background",
)

WORLD_VOCABULARY = PromptVocabulary(
    words={
        "size": wv.SIZES,
        "colour": wv.COLOUR_NAMES,
        "shape": wv.SHAPES,
        "pattern": wv.PATTERNS,
        "motion": wv.MOTIONS,
        "speed": wv.SPEEDS,
        "background": wv.BACKGROUNDS,
        "event": wv.EVENTS,
    },
    synonyms=dict(wv.SYNONYMS),
    write=canonical_caption,
    read=parse_canonical,
    trained_on="a small procedural world",
    grammar="a SIZE COLOUR SHAPE [with COLOUR PATTERN] MOTION [SPEED] [and a SIZE COLOUR SHAPE ... MOTION [SPEED]] "
    "on a BACKGROUND background[, then EVENT]",
    phrases={
        "pattern": tuple(PATTERN_NOUN.values()),
        "motion": tuple(MOTION_PHRASE.values()),
        "speed": tuple(SPEED_ADVERB.values()),
    },
    hints={"pattern": 'after "with" and a second colour', "speed": 'not after "stays still"'},
    rules="At most two objects per shot.",
    examples=WORLD_EXAMPLES,
    translation=("crimson ball drifting leftward", "a big red circle moves left slowly"),
)


@dataclass(frozen=True)
class WorldExpectation:
    """A canonical caption's scene, read against frames by the world's evaluator."""

    scene: wv.SceneAttributes

    @property
    def moving(self) -> bool:
        """Whether an object moves or an event changes the light."""
        return any(o.motion != "still" for o in self.scene.objects) or self.scene.event is not None

    def hits(self, frames: np.ndarray) -> dict[str, bool]:
        """Per attribute (colour, shape, motion, background, …), whether the frames show it."""
        from longcut.models.world.evaluate import adherence

        return adherence(frames, self.scene)

    def describe(self, frames: np.ndarray) -> str:
        """The objects and background the evaluator reads, e.g. "red circle left on grass"."""
        from longcut.models.world.evaluate import read_clip

        reading = read_clip(frames)
        objs = ", ".join(f"{o.colour} {o.shape} {o.motion}" for o in reading.objects) or "no object"
        return f"{objs} on {reading.background}"


class WorldReader:
    """The world's evaluator as a ``PromptReader``: reads canonical captions, nothing else."""

    def expect(self, prompt: str) -> WorldExpectation | None:
        """The caption's scene, or None for text outside the canonical grammar."""
        try:
            return WorldExpectation(parse_canonical(prompt))
        except ValueError:
            return None


WORLD_READER = WorldReader()
