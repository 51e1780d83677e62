"""``/v1/plans``: plan a video and estimate it without generating; a job then starts from the plan.

``POST /v1/plans`` takes the body of ``POST /v1/jobs``, checked the same way
(``jobs.checked_request``: the server's allowlists and caps, the caller's
uploads), plans it into a draft session (``agent.turn.drafts``: no weights
are loaded where the backend can say what it makes without them) and
answers the storyboard and the estimate. ``PUT /v1/plans/{id}/storyboard``
replaces the storyboard by the creator's hand edits (the studio's plan
cards) and estimates it again. ``POST /v1/jobs`` with
``options.plan_id`` generates that draft unchanged. A plan is its owner's
only (``plan_store``); another token gets 404.

The front process plans with the offline planner's lexicon only (no
embedding model: loading MiniLM there would take ~14 s cold and its memory);
a job from the plan generates the storyboard as it was planned.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from longcut.agent.service.deps import Config, Owner
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.jobs import checked_request, job_narration
from longcut.agent.service.models import ErrorOut, JobRequest, PlanOut, _In
from longcut.agent.service.plan_store import PlanRecord, check_room, load_plan, save_plan
from longcut.agent.service.upload_store import upload_path

router = APIRouter()

# One plan at a time in the front process: planning imports what it needs on first use (a backend's module,
# the planner's), and concurrent first imports of some libraries (transformers) fail.
_PLANNING = threading.Lock()

PlanId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{15,39}$", description="A plan id from POST /v1/plans.")]


def _out(cfg, record: PlanRecord) -> PlanOut | None:
    """The plan as its draft session holds it (None once the session is gone)."""
    from longcut.agent.service.deps import project_of

    project = project_of(cfg, record.id)
    if project is None or project.storyboard is None or project.pending is None:
        return None
    return PlanOut(id=record.id, created=record.created, request=record.request,
                   storyboard=project.storyboard.model_dump(mode="json"),
                   references=[r.model_dump(mode="json", include={"id", "description", "source"})
                               for r in project.references],
                   generate=[s.id for s in project.storyboard.shots],
                   estimate=record.estimate)


@router.post("/v1/plans", status_code=201, tags=["plans"], responses={422: {"model": ErrorOut}, 429: {"model": ErrorOut}})
def create_plan(owner: Owner, cfg: Config, body: JobRequest) -> PlanOut:
    """Plan a video (the body of POST /v1/jobs) without generating it: its storyboard and estimate."""
    import secrets

    from longcut.agent.planning.offline import OfflinePlanner
    from longcut.agent.state import now
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.drafts import plan_first_turn
    from longcut.agent.turn.session import Options, Sessions

    request = checked_request(owner, cfg, body)
    check_room(cfg.home, owner)
    refs = {r["name"]: upload_path(cfg.home, owner, r["upload_id"]) for r in request["references"]}
    sessions = Sessions(ProjectStore(cfg.home / "projects"), checkpoints=cfg.home / "checkpoints.sqlite")
    opts = Options(model=request["model"], planner=request["planner"],
                   base_url=os.environ.get("LONGCUT_OPENAI_BASE_URL"),
                   planner_impl=OfflinePlanner(use_embeddings=False) if request["planner"] == "offline" else None,
                   narration=job_narration(request))
    plan_id = "p" + secrets.token_hex(10)
    with _PLANNING:
        preview = plan_first_turn(sessions, request["request"], plan_id, request["seconds"], request["seed"], refs,
                                  None, opts)
    record = PlanRecord(id=plan_id, created=now(), request=request,
                        estimate=preview.estimate.model_dump(mode="json"))
    save_plan(cfg.home, owner, record)
    return _out(cfg, record)


@router.get("/v1/plans/{plan_id}", tags=["plans"], responses={404: {"model": ErrorOut}})
def get_plan(owner: Owner, cfg: Config, plan_id: PlanId) -> PlanOut:
    """One of your plans not started yet: its storyboard and estimate."""
    record = load_plan(cfg.home, owner, plan_id)
    out = _out(cfg, record) if record is not None else None
    if out is None:
        raise not_found("plan", plan_id)
    return out


class PlanEdit(_In):
    """A plan's storyboard as the creator edited it: the ``storyboard`` of ``GET /v1/plans/{id}``, changed."""

    storyboard: dict[str, Any] = Field(description="The whole storyboard (shots, title, fades, music); it "
                                       "replaces the plan's and is checked as a turn's storyboard is.")


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@router.put("/v1/plans/{plan_id}/storyboard", tags=["plans"],
            responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
def edit_plan(owner: Owner, cfg: Config, plan_id: PlanId, body: PlanEdit) -> PlanOut:
    """Replace one of your plans' storyboard (prompts, seconds, continuity, transitions, captions, title) and estimate it again."""
    from pydantic import ValidationError

    from longcut.agent.state import Storyboard
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.drafts import edit_draft
    from longcut.agent.turn.session import Sessions

    record = load_plan(cfg.home, owner, plan_id)
    if record is None or _out(cfg, record) is None:
        raise not_found("plan", plan_id)
    if not _finite(body.storyboard):
        raise ApiError(422, "the storyboard holds a number that is not finite (NaN or Infinity)")
    try:
        board = Storyboard.model_validate(body.storyboard)
    except ValidationError as err:
        raise ApiError(422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())) from err
    sessions = Sessions(ProjectStore(cfg.home / "projects"), checkpoints=cfg.home / "checkpoints.sqlite")
    with _PLANNING:
        preview = edit_draft(sessions, plan_id, board)
    record = record.model_copy(update={"estimate": preview.estimate.model_dump(mode="json")})
    save_plan(cfg.home, owner, record)
    return _out(cfg, record)
