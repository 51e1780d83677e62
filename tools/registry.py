"""The tool registry: typed functions the planner may call.

A tool is a plain function whose first parameter is a pydantic argument model
and whose docstring says what it does; anything else it needs (the project
folder, the video model) arrives as keyword context from the caller, never
from the LLM. The registry derives strict OpenAI tool schemas from the models,
validates every call, and turns a bad call (unknown tool, invalid JSON or
arguments, a ``LongcutError`` from the tool) into a ``ToolResult`` the planner
can read and fix. Bugs in our own code still propagate (STYLE.md habit 9).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints

import openai
from pydantic import BaseModel, ValidationError

from longcut.errors import LongcutError

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 600


class ToolDefinitionError(TypeError):
    """A function cannot be registered as a tool (our bug, raised at import)."""


@dataclass(frozen=True)
class Tool:
    """A registered tool: name, argument model, function, description."""

    name: str
    args_model: type[BaseModel]
    fn: Callable[..., Any]
    description: str
    context: tuple[str, ...]  # keyword parameters the caller supplies

    def schema(self) -> dict[str, Any]:
        """Strict OpenAI function-tool schema."""
        return openai.pydantic_function_tool(self.args_model, name=self.name, description=self.description)


@dataclass(frozen=True)
class ToolResult:
    """What a call returned, or why it failed, as the planner will read it."""

    name: str
    ok: bool
    value: Any = None
    error: str | None = None

    def for_llm(self) -> str:
        """JSON text for a ``tool`` message."""
        if self.ok:
            return json.dumps({"ok": True, "result": _jsonable(self.value)})
        return json.dumps({"ok": False, "error": self.error})


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # paths and the like


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _validation_message(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "arguments"
        parts.append(f"{where}: {e['msg']}")
    return "invalid arguments: " + "; ".join(parts)


class ToolRegistry:
    """Named tools with derived schemas and validated calls."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, fn: Callable[..., Any], name: str | None = None) -> Callable[..., Any]:
        """Register ``fn``; fails loudly if it lacks a docstring or a pydantic first parameter."""
        name = name or fn.__name__
        if name in self._tools:
            raise ToolDefinitionError(f"tool {name!r} registered twice")
        doc = inspect.getdoc(fn)
        if not doc:
            raise ToolDefinitionError(f"tool {name!r} has no docstring; the planner needs one")
        params = list(inspect.signature(fn).parameters.values())
        hints = get_type_hints(fn)
        if not params:
            raise ToolDefinitionError(f"tool {name!r} takes no argument model")
        model = hints.get(params[0].name)
        if not (inspect.isclass(model) and issubclass(model, BaseModel)):
            raise ToolDefinitionError(f"tool {name!r}: first parameter must be a pydantic model, got {model!r}")
        if model.model_config.get("extra") != "forbid":
            raise ToolDefinitionError(f"tool {name!r}: {model.__name__} must forbid extra fields")
        context = tuple(p.name for p in params[1:])
        self._tools[name] = Tool(name, model, fn, doc.split("\n\n")[0], context)
        return fn

    def names(self) -> list[str]:
        """Registered tool names, sorted."""
        return sorted(self._tools)

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def schemas(self, only: list[str] | None = None) -> list[dict[str, Any]]:
        """OpenAI tool schemas, for all tools or the named subset."""
        names = self.names() if only is None else only
        return [self._tools[n].schema() for n in names]

    def call(
        self,
        name: str,
        arguments: str | Mapping[str, Any],
        context: Mapping[str, Any] | None = None,
        allowed: set[str] | None = None,
    ) -> ToolResult:
        """Validate and run one call; user-fixable failures come back as ``ok=False``."""
        if name not in self._tools or (allowed is not None and name not in allowed):
            offered = sorted(allowed) if allowed is not None else self.names()
            return ToolResult(name, False, error=f"unknown tool {name!r}; available: {offered}")
        tool = self._tools[name]
        try:
            raw = json.loads(arguments) if isinstance(arguments, str) else dict(arguments)
        except json.JSONDecodeError as err:
            return ToolResult(name, False, error=f"arguments are not valid JSON: {err}")
        if not isinstance(raw, dict):
            return ToolResult(name, False, error="arguments must be a JSON object")
        try:
            args = tool.args_model.model_validate(raw)
        except ValidationError as err:
            return ToolResult(name, False, error=_short(_validation_message(err)))
        ctx = dict(context or {})
        missing = [c for c in tool.context if c not in ctx]
        if missing:  # our bug: the caller forgot to pass what the tool needs
            raise TypeError(f"tool {name!r} needs context {missing}")
        try:
            value = tool.fn(args, **{c: ctx[c] for c in tool.context})
        except LongcutError as err:
            log.info("tool %s failed: %s", name, err)
            return ToolResult(name, False, error=_short(str(err)))
        except ValidationError as err:  # state the tool built from the arguments is invalid
            log.info("tool %s produced invalid state: %s", name, err)
            return ToolResult(name, False, error=_short(_validation_message(err)))
        return ToolResult(name, True, value=value)
