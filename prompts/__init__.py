"""Prompt templates (text files in this folder) and their loader.

Prompts are data: each template is ``<name>.txt`` next to this file, rendered
with jinja2's ``StrictUndefined`` so a missing variable raises instead of
silently producing an empty string.
"""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

_env = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,  # plain-text prompts for an LLM, not HTML
)


class PromptNotFoundError(KeyError):
    """No template of that name ships with longcut."""


def available() -> list[str]:
    """Names of the shipped templates."""
    return sorted(
        p.name.removesuffix(".txt")
        for p in resources.files(__package__).iterdir()
        if p.name.endswith(".txt")
    )


@functools.cache
def _template(name: str) -> jinja2.Template:
    path = resources.files(__package__) / f"{name}.txt"
    if not path.is_file():
        raise PromptNotFoundError(f"no prompt template {name!r}; have {available()}")
    return _env.from_string(path.read_text(encoding="utf-8"))


def render(name: str, **variables: object) -> str:
    """Render template ``name``; a variable the template uses but is not given raises."""
    return _template(name).render(**variables).strip()
