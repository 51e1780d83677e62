"""What the planners write for a backend: its caption grammar, or open prose.

The one place the agent reads a backend's prompt vocabulary
(``ModelInfo.vocabulary``, see ``models/backends/capabilities.py``); no
backend is known here by name.
"""

from __future__ import annotations

import functools

from longcut import prompts
from longcut.agent.planning.planner import ModelVocabulary
from longcut.models.backends.base import ModelInfo
from longcut.models.backends.capabilities import PromptVocabulary


@functools.cache
def closed_vocabulary(grammar: PromptVocabulary) -> ModelVocabulary:
    """A caption grammar, with its guide for an LLM planner."""
    categories = [
        (cat.upper() + (f" ({grammar.hints[cat]})" if cat in grammar.hints else ""), ", ".join(grammar.spoken(cat)))
        for cat in grammar.words
    ]
    said, written = grammar.translation
    guide = prompts.render(
        "vocabulary_closed", trained_on=grammar.trained_on, grammar=grammar.grammar, categories=categories,
        rules=grammar.rules, examples=grammar.examples, said=said, written=written,
    )
    return ModelVocabulary(guide=guide, words=dict(grammar.words), synonyms=dict(grammar.synonyms), grammar=grammar)


@functools.cache
def open_vocabulary() -> ModelVocabulary:
    """Free text (e.g. the diffusers backends)."""
    return ModelVocabulary(guide=prompts.render("vocabulary_open"))


def vocabulary_for(info: ModelInfo) -> ModelVocabulary:
    """The vocabulary of a backend, from what its ``info`` says it understands."""
    return open_vocabulary() if info.vocabulary is None else closed_vocabulary(info.vocabulary)
