"""``OpenAIPlanner``: the planner over any OpenAI-compatible chat endpoint.

OpenAI, vLLM, Ollama, llama.cpp server: anything that speaks
``/v1/chat/completions`` with tool calling and ``json_schema`` structured
output. Three decision points (``agent.planner.Planner``):

* ``plan`` asks for the storyboard as strict structured output (``LLMPlan``,
  a model shaped for strict mode), then turns it into our ``Plan``, fixing
  deterministically what is safe to fix (lengths scaled to the target, ids
  renumbered, long shots split into continuous parts, surplus references
  dropped; the schema and those fix-ups are ``draft.py``). What cannot be
  fixed goes back to the LLM as a follow-up message, for at most
  ``max_rounds`` calls; then ``PlannerError``.
* ``revise`` offers only the storyboard-edit tools (``agent.edits``) and the
  read-only ``get_storyboard``; every call goes through the registry, so a
  malformed call, an unknown tool or invalid arguments is a tool error the LLM
  reads and can fix (STYLE.md habit 9). The storyboard is sent once, in the
  first message; an edit's result is only what it changed (``storyboard_diff``),
  so a long storyboard is not resent with every result. The creator's feedback
  is quoted data, never instructions to us.
* ``rewrite_failed`` is one plain completion.

Every prompt is a template in ``prompts/``. An unreachable or failing endpoint
is a ``LongcutError`` (``LLMEndpointError``) that says which endpoint failed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from typing import Any

import openai
from pydantic import ValidationError

from longcut import prompts
from longcut.agent.planning.draft import (
    DraftProblem,
    LLMPlan,
    draft_to_plan,
    plan_response_format,
    target_seconds,
    validation_problems,
)
from longcut.agent.planning.edits import READ_TOOLS, board_view, edit_registry, storyboard_diff
from longcut.agent.planning.narration import asks_for_narration
from longcut.agent.planning.planner import (
    ModelVocabulary,
    Plan,
    PlannerError,
    PlannerUsage,
    PlanRequest,
)
from longcut.agent.state import Project, Storyboard, slugify
from longcut.errors import InputError, LongcutError
from longcut.limits import DEFAULT_SECONDS, MAX_PROMPT_CHARS, MAX_REFS

log = logging.getLogger(__name__)

API_KEY_ENV = ("LONGCUT_OPENAI_API_KEY", "OPENAI_API_KEY")
LOCAL_API_KEY = "not-needed"  # local servers ignore the key, but the client insists on one


class LLMEndpointError(LongcutError):
    """The LLM endpoint could not be reached or answered with an error."""


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------


def _api_key(api_key: str | None, base_url: str | None) -> str:
    key = api_key or next((os.environ[v] for v in API_KEY_ENV if os.environ.get(v)), None)
    if key:
        return key
    if base_url:
        return LOCAL_API_KEY
    raise LongcutError(
        "the OpenAI planner needs an endpoint: set LONGCUT_OPENAI_API_KEY (or OPENAI_API_KEY) "
        "for api.openai.com, or give --base-url for a local OpenAI-compatible server (vLLM, Ollama, llama.cpp)"
    )


def _assistant_message(msg: Any) -> dict[str, Any]:
    """The assistant turn to send back, tool calls included."""
    out: dict[str, Any] = {"role": "assistant", "content": msg.content}
    if msg.tool_calls:
        out["tool_calls"] = [tc.model_dump(mode="json", exclude_none=True) for tc in msg.tool_calls]
    return out


class OpenAIPlanner:
    """The ``Planner`` over an OpenAI-compatible endpoint (``--base-url``, ``--model``)."""

    name = "openai"

    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None = None,
        max_rounds: int = 4,
        timeout: float = 60,
        client: openai.OpenAI | None = None,
        max_retries: int = 2,
    ) -> None:
        if max_rounds < 1:
            raise InputError(f"max_rounds must be at least 1, got {max_rounds}")
        if not model:
            raise InputError("the OpenAI planner needs a model name (--model)")
        self.model = model
        self.max_rounds = max_rounds
        self.usage = PlannerUsage()
        self.client = client or openai.OpenAI(
            base_url=base_url, api_key=_api_key(api_key, base_url), timeout=timeout, max_retries=max_retries
        )

    # -- one call ------------------------------------------------------------

    def _chat(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """One chat completion; endpoint failures become ``LLMEndpointError``."""
        where = f"{self.client.base_url} (model {self.model!r})"
        try:
            resp = self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)
        except openai.APITimeoutError as err:
            raise LLMEndpointError(f"the LLM endpoint {where} timed out: {err}") from err
        except openai.APIConnectionError as err:
            raise LLMEndpointError(f"cannot reach the LLM endpoint {where}: {err}") from err
        except openai.AuthenticationError as err:
            raise LLMEndpointError(
                f"the LLM endpoint {where} refused the API key (HTTP {err.status_code}); "
                f"set {' or '.join(API_KEY_ENV)}"
            ) from err
        except openai.APIStatusError as err:
            raise LLMEndpointError(f"the LLM endpoint {where} failed with HTTP {err.status_code}: {err.message}") from err
        except openai.APIError as err:  # e.g. a reply that is not a chat completion
            raise LLMEndpointError(f"the LLM endpoint {where} gave an unusable reply: {err}") from err
        self.usage.calls += 1
        if resp.usage is not None:
            self.usage.prompt_tokens += resp.usage.prompt_tokens or 0
            self.usage.completion_tokens += resp.usage.completion_tokens or 0
        if not resp.choices:
            raise LLMEndpointError(f"the LLM endpoint {where} returned no choices")
        return resp.choices[0]

    # -- plan ----------------------------------------------------------------

    def plan(self, req: PlanRequest) -> Plan:
        """Rewrite and decompose a request into shots whose lengths add up to the target."""
        seconds = target_seconds(req)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompts.render(
                "plan_system",
                guide=req.vocabulary.guide,
                seconds=None if seconds is None else f"{seconds:g}",
                default_seconds=f"{DEFAULT_SECONDS:g}",
                max_shot_seconds=f"{req.max_shot_seconds:g}",
                max_refs=MAX_REFS,
                supplied_refs=sorted(slugify(name, "ref") for name in req.supplied_refs),
                narrate=req.narrate or asks_for_narration(req.request),
            )},
            {"role": "user", "content": prompts.render("plan_user", request_json=json.dumps(req.request))},
        ]
        problem = ""
        for attempt in range(1, self.max_rounds + 1):
            choice = self._chat(messages, response_format=plan_response_format())
            msg = choice.message
            if getattr(msg, "refusal", None):
                raise PlannerError(f"the LLM refused to plan this request: {msg.refusal}")
            try:
                if choice.finish_reason == "length":
                    raise DraftProblem("the reply was cut off (too long); use fewer shots and shorter text")
                try:
                    draft = LLMPlan.model_validate_json(msg.content or "")
                except ValidationError as err:
                    raise DraftProblem("the reply is not a storyboard in the required JSON schema: " + validation_problems(err)) from None
                return draft_to_plan(draft, req)
            except DraftProblem as err:
                problem = str(err)
            self.usage.tool_errors += 1
            log.info("plan round %d/%d rejected: %s", attempt, self.max_rounds, problem)
            messages.append({"role": "assistant", "content": msg.content or ""})
            messages.append({"role": "user", "content": prompts.render("plan_fix", problem=problem)})
        raise PlannerError(f"the LLM gave no valid storyboard in {self.max_rounds} rounds; last problem: {problem}")

    # -- revise --------------------------------------------------------------

    def revise(self, project: Project, feedback: str, vocabulary: ModelVocabulary) -> Storyboard:
        """Turn a creator's feedback into storyboard edits, through the edit tools (and a read-only view) only."""
        if project.storyboard is None:
            raise InputError(f"project {project.name!r} has no storyboard yet; make it before refining")
        reg = edit_registry(with_reads=True)
        allowed = set(reg.names())
        reads = {fn.__name__ for fn in READ_TOOLS}
        board = project.storyboard
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompts.render("revise_system", guide=vocabulary.guide, tools=reg.names())},
            {"role": "user", "content": prompts.render(
                "revise_user",
                storyboard_json=json.dumps(board_view(board), ensure_ascii=False, separators=(",", ":")),
                references_json=json.dumps([{"id": r.id, "description": r.description} for r in project.references]),
                seconds=f"{project.seconds:g}",
                has_music=project.music is not None,
                feedback_json=json.dumps(feedback),
            )},
        ]
        last_error = ""
        for attempt in range(1, self.max_rounds + 1):
            msg = self._chat(messages, tools=reg.schemas()).message
            if not msg.tool_calls:
                return board
            messages.append(_assistant_message(msg))
            for tc in msg.tool_calls:
                name = tc.function.name if tc.type == "function" else str(tc.type)
                args = tc.function.arguments if tc.type == "function" else "{}"
                result = reg.call(name, args, context={"board": board}, allowed=allowed)
                if not result.ok:
                    self.usage.tool_errors += 1
                    last_error = f"{name}: {result.error}"
                    log.info("revise round %d/%d: tool error %s", attempt, self.max_rounds, last_error)
                elif name not in reads:  # an edit: the LLM reads what changed, not the whole new board
                    diff = storyboard_diff(board, result.value)
                    board, result = result.value, replace(result, value=diff)
                messages.append({"role": "tool", "tool_call_id": tc.id, "content": result.for_llm()})
        detail = f"; last tool error: {last_error}" if last_error else ""
        raise PlannerError(f"the LLM did not finish its edits within {self.max_rounds} rounds{detail}")

    # -- rewrite -------------------------------------------------------------

    def rewrite_failed(self, intent: str, prompt: str, problem: str, vocabulary: ModelVocabulary) -> str:
        """A new prompt for a shot that failed its checks; ``problem`` says what was read instead."""
        messages = [
            {"role": "system", "content": prompts.render("rewrite_system", guide=vocabulary.guide)},
            {"role": "user", "content": prompts.render(
                "rewrite_user",
                intent_json=json.dumps(intent),
                prompt_json=json.dumps(prompt),
                problem_json=json.dumps(problem),
            )},
        ]
        text = self._chat(messages).message.content or ""
        line = next((ln for ln in text.splitlines() if ln.strip()), "")
        new = line.strip().strip("\"'`“”‘’").strip()
        if not new:
            raise PlannerError(f"the LLM returned no prompt for the shot {intent[:60]!r}")
        if len(new) > MAX_PROMPT_CHARS:
            raise PlannerError(f"the LLM's new prompt is {len(new)} characters; at most {MAX_PROMPT_CHARS} allowed")
        return new
