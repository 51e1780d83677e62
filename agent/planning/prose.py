"""Open-vocabulary prompts: what the offline planner writes for a backend that takes free text.

A real video model (Wan, LTX-Video) wants each shot described on its own:
the subject, what it does, the setting. The offline planner has no LLM, so
it keeps the request's own words for the action (the clause) and adds what
the clause leaves to the story — the subjects a pronoun stands for ("it
bounces back home"), the setting said earlier, the light an event left —
with a recurring subject described the same way in every shot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    """A subject as prose describes it: the request's noun and the attributes it was given."""

    noun: str
    colour: str
    size: str | None = None  # None: not said
    pattern: str | None = None  # "stripes", "dots", "checker"; None: plain
    pattern_colour: str | None = None


_PATTERN_WORDS = {"checker": "checks"}


def subject_phrase(subject: Subject) -> str:
    """The subject in words, e.g. "a small red ball with white stripes"."""
    words = [w for w in (subject.size, subject.colour, subject.noun) if w]
    text = "a " + " ".join(words)
    if subject.pattern:
        text += f" with {subject.pattern_colour or 'white'} {_PATTERN_WORDS.get(subject.pattern, subject.pattern)}"
    return text


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;:")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def open_prompt(
    clause: str, subjects: list[Subject], setting: str | None, light: str | None
) -> str:
    """The clause as a sentence, then the subjects and setting it leaves unsaid.

    ``subjects``: those the clause refers to without naming (empty when it
    names its own); ``setting``: the story's background phrase when the clause
    says none; ``light``: what an earlier event left ("at night").
    """
    parts = [_sentence(clause)]
    if subjects:
        parts.append(_sentence("Subject: " + " and ".join(subject_phrase(s) for s in subjects)))
    where = ", ".join(w for w in (setting, light) if w)
    if where:
        parts.append(_sentence(f"Setting: {where}"))
    return " ".join(p for p in parts if p)
