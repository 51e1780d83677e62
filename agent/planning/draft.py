"""The LLM's storyboard draft: the strict structured-output schema ``plan`` asks for, and ``draft_to_plan``.

``OpenAIPlanner.plan`` (``openai.py``) asks the endpoint for an ``LLMPlan``
in strict ``json_schema`` mode (``plan_response_format``: every field
required, nullable where optional, no extra properties, ids assigned by us)
and hands the reply to ``draft_to_plan``, which turns it into our ``Plan``,
fixing deterministically what is safe to fix (lengths scaled to the target,
ids renumbered, long shots split into continuous parts, surplus references
dropped) and raising ``DraftProblem`` for what only the LLM can fix; its
message is the follow-up the planner sends back. Nothing here talks to the
endpoint.
"""

from __future__ import annotations

import math
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from longcut.agent.planning.narration import asks_for_narration
from longcut.agent.planning.planner import Plan, PlanRequest
from longcut.agent.planning.request_text import parse_seconds
from longcut.agent.state import (
    MAX_SHOTS,
    Reference,
    Shot,
    Transition,
    TransitionKind,
    check_video_seconds,
    slugify,
)
from longcut.errors import InputError
from longcut.limits import MAX_REFS, MAX_VIDEO_SECONDS, MIN_VIDEO_SECONDS
from longcut.models.backends.base import derived_seed
from longcut.tools.filters import check_drawable

DEFAULT_TRANSITION_SECONDS = 0.5


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
    narration: str | None = None  # what the narrator says while the shot plays; kept only when narration is asked


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
            "narration": shot.narration if i == 0 else None,  # spoken once, from the shot's start
        }))
    return parts


def validation_problems(err: ValidationError) -> str:
    """Pydantic's errors as one line the LLM reads: ``where: what``, joined by ``; ``."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in err.errors())


def _shot(i: int, s: LLMShot, alias: dict[str, str | None], seed: int, last: bool, narrate: bool) -> Shot:
    """Shot ``i`` of the draft as a ``Shot`` (lengths not yet fitted to the target; its line only if ``narrate``)."""
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
            narration=((s.narration or "").strip() or None) if narrate else None,
        )
    except ValidationError as err:
        raise DraftProblem(f"shot {i + 1}: {validation_problems(err)}") from None


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
        narrate = req.narrate or asks_for_narration(req.request)
        shots = [_shot(i, s, alias, req.seed, last=i == len(draft.shots) - 1, narrate=narrate)
                 for i, s in enumerate(draft.shots)]
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
        raise DraftProblem(validation_problems(err)) from None
