"""What a backend knows beyond making frames: the prompts it understands and how to read its footage.

A backend's ``ModelInfo`` carries these (``vocabulary``, ``reader``); the
agent reads them there and nowhere else, so no code above ``models`` needs a
backend's name to know what to write or how to check a shot. ``None`` means
*open*: the backend takes free text, and nothing reads its frames against a
prompt (only the model-independent checks run). Torch-free.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity: one instance per grammar
class PromptVocabulary:
    """A closed prompt vocabulary: the caption grammar a backend was trained on.

    ``words``: category → canonical words ("colour" → ("red", …)).
    ``synonyms``: canonical word → other phrases its captions use for it.
    ``write`` turns scene attributes (the grammar's own record) into a
    caption and ``read`` reads one back, raising ``ValueError`` for text
    outside the grammar. The rest describes the grammar to an LLM planner
    (the agent renders it into a guide): ``trained_on`` (what the captions
    describe), ``grammar`` (the caption pattern, categories in capitals),
    ``phrases`` (category → how a caption says its words, "left" → "moves
    left"; a category missing here is said with its canonical words),
    ``hints`` (category → where its words may go), ``rules``, ``examples``
    and ``translation`` (a user's phrase and the caption it becomes).
    """

    words: Mapping[str, tuple[str, ...]]
    synonyms: Mapping[str, tuple[str, ...]]
    write: Callable[[Any], str]
    read: Callable[[str], Any]
    trained_on: str = ""
    grammar: str = ""
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)
    rules: str = ""
    examples: tuple[str, ...] = ()
    translation: tuple[str, str] = ("", "")

    def spoken(self, category: str) -> tuple[str, ...]:
        """How captions say the words of ``category``."""
        return tuple(self.phrases.get(category, self.words[category]))

    def understands(self, prompt: str) -> bool:
        """Whether ``prompt`` is a caption of this grammar."""
        try:
            self.read(prompt)
        except ValueError:
            return False
        return True


@runtime_checkable
class Expectation(Protocol):
    """What frames made from one prompt should show, as a reader understands it."""

    @property
    def moving(self) -> bool:
        """Whether the prompt asks for motion or a change (a frozen clip then fails)."""
        ...

    def hits(self, frames: np.ndarray) -> dict[str, bool]:
        """Per attribute the reader checks, whether ``frames`` (uint8 ``thwc``) show it as asked."""
        ...

    def describe(self, frames: np.ndarray) -> str:
        """What the reader saw in ``frames``, in words (for a failed check's detail)."""
        ...


@runtime_checkable
class PromptReader(Protocol):
    """A backend's evaluator: reads its footage against the prompts it understands."""

    def expect(self, prompt: str) -> Expectation | None:
        """The expectation of ``prompt``, or None when this reader cannot read it."""
        ...
