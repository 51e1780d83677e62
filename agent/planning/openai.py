"""``OpenAIPlanner``: the planner over any OpenAI-compatible chat endpoint.

OpenAI, vLLM, Ollama, llama.cpp server: anything that speaks
``/v1/chat/completions`` with tool calling and ``json_schema`` structured
output. Three decision points (``agent.planner.Planner``):

* ``plan`` asks for the storyboard as strict structured output (``LLMPlan``,
  a model shaped for strict mode), then turns it into our ``Plan``, fixing
  deterministically what is safe to fix (lengths scaled to the target, ids
  renumbered, long shots split into continuous parts, surplus references
  dropped). What cannot be fixed goes back to the LLM as a follow-up message,
  for at most ``max_rounds`` calls; then ``PlannerError``.
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

The file runs past 400 lines on purpose: the tool schemas, the conversation
loop and the checks of each reply are one protocol and read together.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import replace
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from longcut import prompts
from longcut.agent.planning.edits import READ_TOOLS, board_view, edit_registry, storyboard_diff
from longcut.agent.planning.planner import (
    ModelVocabulary,
    Plan,
    PlannerError,
    PlannerUsage,
    PlanRequest,
)
from longcut.agent.planning.request_text import parse_seconds
from longcut.agent.state import (
    MAX_SHOTS,
    Project,
    Reference,
    Shot,
    Storyboard,
    Transition,
    TransitionKind,
    check_video_seconds,
    slugify,
)
from longcut.errors import InputError, LongcutError
from longcut.limits import (
    DEFAULT_SECONDS,
    MAX_PROMPT_CHARS,
    MAX_REFS,
    MAX_VIDEO_SECONDS,
    MIN_VIDEO_SECONDS,
)
from longcut.models.backends.base import derived_seed
from longcut.tools.filters import check_drawable

log = logging.getLogger(__name__)

API_KEY_ENV = ("LONGCUT_OPENAI_API_KEY", "OPENAI_API_KEY")
LOCAL_API_KEY = "not-needed"  # local servers ignore the key, but the client insists on one
DEFAULT_TRANSITION_SECONDS = 0.5


class LLMEndpointError(LongcutError):
    """The LLM endpoint could not be reached or answered with an error."""


# ---------------------------------------------------------------------------
# What the LLM fills in for ``plan`` (strict structured output: every field
# required, nullable where optional, no extra properties; ids assigned by us)
# ---------------------------------------------------------------------------


class _LLMModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMReference(_LLMModel):
    """A recurring subject, pinned by an image."""

    id: str
    description: str


class LLMShot(_LLMModel):
    """One shot as the LLM writes it."""

    intent: str
    prompt: str
    seconds: float
    refs: list[str]
    continuous: bool
    transition: TransitionKind
    transition_seconds: float
    caption: str | None


class LLMPlan(_LLMModel):
    """The storyboard as the LLM writes it; converted to ``Plan`` by ``draft_to_plan``."""

    rewritten_request: str
    seconds: float
    title: str | None
    style: str
    references: list[LLMReference]
    shots: list[LLMShot]


def plan_response_format() -> dict[str, Any]:
    """The strict ``json_schema`` response format for ``LLMPlan``."""
    schema = openai.pydantic_function_tool(LLMPlan, name="storyboard")["function"]["parameters"]
    return {"type": "json_schema", "json_schema": {"name": "storyboard", "strict": True, "schema": schema}}


# ---------------------------------------------------------------------------
# Deterministic fix-ups: LLM draft -> Plan
# ---------------------------------------------------------------------------


class DraftProblem(ValueError):
    """Something in the LLM's draft that only the LLM can fix; the message goes back to it."""


def _references(draft: LLMPlan, req: PlanRequest) -> tuple[list[Reference], dict[str, str | None]]:
    """References as ``Reference``s (at most ``MAX_REFS``, supplied ones kept first).

    Returns them and a map from every id the draft may use to the kept id,
    or to None for a reference dropped as surplus.
    """
    supplied = {slugify(name, "ref"): name for name in req.supplied_refs}
    described: dict[str, str] = {}
    alias: dict[str, str] = {}
    for r in draft.references:
        rid = slugify(r.id, "ref")
        alias[r.id] = alias[rid] = rid
        described.setdefault(rid, r.description.strip() or r.id)
    for rid, name in supplied.items():
        alias[name] = rid
        described.setdefault(rid, name)
    order = [rid for rid in described if rid in supplied] + [rid for rid in described if rid not in supplied]
    kept = order[:MAX_REFS]
    refs = [
        Reference(id=rid, description=described[rid], source="supplied" if rid in supplied else "generated")
        for rid in kept
    ]
    return refs, {k: (v if v in kept else None) for k, v in alias.items()}


def _shot_refs(shot: LLMShot, alias: dict[str, str | None]) -> list[str]:
    out: list[str] = []
    for ref in shot.refs:
        rid = alias.get(ref, alias.get(slugify(ref, "ref"), ""))
        if rid == "":
            raise DraftProblem(f"shot {shot.intent[:40]!r} uses reference {ref!r}, which is not in 'references' ({sorted(v for v in alias.values() if v)})")
        if rid is not None and rid not in out:
            out.append(rid)
    return out[:MAX_REFS]


def _transition(kind: TransitionKind, seconds: float, last: bool) -> Transition:
    """A valid transition: cuts have no length, others get a default one, the last shot cuts."""
    if last or kind == "cut":
        return Transition()
    if not 0 < seconds <= 5:
        seconds = DEFAULT_TRANSITION_SECONDS if seconds <= 0 else 5.0
    return Transition(kind=kind, seconds=seconds)


def _scale(shots: list[Shot], target: float) -> list[Shot]:
    """Scale shot lengths so the edit (shots minus transition overlaps) lasts ``target``."""
    overlap = sum(s.transition.seconds for s in shots[:-1])
    total = sum(s.seconds for s in shots)
    if target + overlap <= 0 or total <= 0:
        raise DraftProblem("shot lengths must be positive")
    factor = (target + overlap) / total
    return [s.model_copy(update={"seconds": round(s.seconds * factor, 3)}) for s in shots]


def _clamp_transitions(shots: list[Shot]) -> list[Shot]:
    """A transition may overlap at most half of either shot it joins."""
    out = list(shots)
    for i in range(len(out) - 1):
        t = out[i].transition
        room = round(min(out[i].seconds, out[i + 1].seconds) / 2, 3)
        if t.seconds > room:
            fixed = Transition() if room <= 0 else Transition(kind=t.kind, seconds=room)
            out[i] = out[i].model_copy(update={"transition": fixed})
    return out


def _settle(shots: list[Shot], target: float, max_seconds: float) -> list[Shot]:
    """Put the rounding remainder on a shot that has room, so the edit lasts ``target``."""
    drift = target - (sum(s.seconds for s in shots) - sum(s.transition.seconds for s in shots[:-1]))
    for i in reversed(range(len(shots))):
        seconds = round(shots[i].seconds + drift, 3)
        if 0 < seconds <= max_seconds:
            shots[i] = shots[i].model_copy(update={"seconds": seconds})
            break
    return shots


def _split(shot: Shot, max_seconds: float) -> list[Shot]:
    """A shot longer than ``max_seconds`` as equal continuous parts (same content, one take)."""
    n = math.ceil(shot.seconds / max_seconds - 1e-9)
    if n <= 1:
        return [shot]
    part = round(shot.seconds / n, 3)
    parts = []
    for i in range(n):
        parts.append(shot.model_copy(update={
            "seconds": part,
            "continuous": shot.continuous if i == 0 else True,
            "transition": shot.transition if i == n - 1 else Transition(),
        }))
    return parts


def _problems(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in err.errors())


def _shot(i: int, s: LLMShot, alias: dict[str, str | None], seed: int, last: bool) -> Shot:
    """Shot ``i`` of the draft as a ``Shot`` (lengths not yet fitted to the target)."""
    try:
        return Shot(
            id=f"s{i + 1}",
            intent=s.intent.strip(),
            prompt=s.prompt.strip(),
            seconds=s.seconds,
            refs=_shot_refs(s, alias),
            continuous=s.continuous and i > 0,
            transition=_transition(s.transition, s.transition_seconds, last=last),
            caption=(s.caption or "").strip() or None,
            seed=derived_seed(seed, str(i)),  # as the offline planner seeds shot i
        )
    except ValidationError as err:
        raise DraftProblem(f"shot {i + 1}: {_problems(err)}") from None


def target_seconds(req: PlanRequest) -> float | None:
    """The length the caller or the request text asks for (as the offline planner reads it), or None."""
    seconds = req.seconds if req.seconds is not None else parse_seconds(req.request)
    if seconds is None:
        return None
    return check_video_seconds(seconds, "seconds" if req.seconds is not None else "the length the request asks for")


def draft_to_plan(draft: LLMPlan, req: PlanRequest) -> Plan:
    """Validate an LLM draft into a ``Plan``, fixing what is safe; ``DraftProblem`` otherwise."""
    target = target_seconds(req) or draft.seconds
    if not MIN_VIDEO_SECONDS <= target <= MAX_VIDEO_SECONDS:
        raise DraftProblem(f"'seconds' is {target}; it must be at least {MIN_VIDEO_SECONDS:g} and at most "
                           f"{MAX_VIDEO_SECONDS:g}")
    if not draft.shots:
        raise DraftProblem("'shots' is empty; give at least one shot")
    bad = [i + 1 for i, s in enumerate(draft.shots) if not s.seconds > 0]
    if bad:
        raise DraftProblem(f"shots {bad} have no positive length; every shot needs seconds > 0")
    texts = [("title", draft.title)] + [(f"shot {i + 1}'s caption", s.caption) for i, s in enumerate(draft.shots)]
    for where, text in texts:
        if text and text.strip():
            try:
                check_drawable(text.strip())
            except InputError as err:
                raise DraftProblem(f"{where}: {err}") from None
    try:
        refs, alias = _references(draft, req)
        shots = [_shot(i, s, alias, req.seed, last=i == len(draft.shots) - 1) for i, s in enumerate(draft.shots)]
        shots = [p for s in _scale(shots, target) for p in _split(s, req.max_shot_seconds)]
        for _ in range(8):  # shorter overlaps shrink the shots a little: clamp again until stable
            clamped = _clamp_transitions(shots)
            if clamped == shots:
                break
            shots = _scale(clamped, target)
        if len(shots) > MAX_SHOTS:
            raise DraftProblem(
                f"{len(shots)} shots (after splitting shots longer than {req.max_shot_seconds:g} s); "
                f"use at most {MAX_SHOTS}"
            )
        shots = [s.model_copy(update={"id": f"s{i + 1}"}) for i, s in enumerate(shots)]
        shots = _settle(shots, target, req.max_shot_seconds)
        return Plan.model_validate({  # from plain data: model_copy above does not re-validate
            "rewritten_request": draft.rewritten_request.strip(),
            "seconds": target,
            "storyboard": {
                "title": (draft.title or "").strip() or None,
                "style": draft.style.strip(),
                "shots": [s.model_dump() for s in shots],
            },
            "references": [r.model_dump() for r in refs],
        })
    except ValidationError as err:
        raise DraftProblem(_problems(err)) from None


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
                    raise DraftProblem("the reply is not a storyboard in the required JSON schema: " + _problems(err)) from None
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
