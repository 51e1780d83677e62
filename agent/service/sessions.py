"""``/v1/sessions``: a turn of feedback on a session's latest draft, and the session's revisions and jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from longcut.agent.service.deps import Config, IdemKey, Owner, Store, job_out, project_of
from longcut.agent.service.errors import not_found
from longcut.agent.service.models import (
    SLUG_PATTERN,
    ErrorOut,
    JobOut,
    RevisionOut,
    SessionOut,
    TurnRequest,
)
from longcut.agent.service.queue import NoSession

router = APIRouter()


@router.post("/v1/sessions/{name}/turns", status_code=202, tags=["sessions"],
          responses={200: {"model": JobOut}, 404: {"model": ErrorOut}, 429: {"model": ErrorOut}})
def turn(owner: Owner, cfg: Config, store: Store, name: Annotated[str, Path(pattern=SLUG_PATTERN)], body: TurnRequest,
         idempotency_key: IdemKey = None) -> JSONResponse:
    """Feedback on the session's latest draft: a new job that regenerates only what changed."""
    if store.session(name, owner) is None:
        raise not_found("session", name)
    from longcut.agent.turn.spec import TurnLimits, resolve_planner

    planner = resolve_planner(body.planner or cfg.planners[0],
                              TurnLimits(planners=cfg.planners, planner_option="planner", server=True))
    try:
        job, new = store.submit(owner, "refine", {"feedback": body.feedback, "planner": planner}, name,
                                cfg.max_active_jobs, idempotency_key)
    except NoSession as err:  # its last job was deleted since the check above
        raise not_found("session", name) from err
    return JSONResponse(job_out(cfg, job).model_dump(mode="json"), 202 if new else 200)

@router.get("/v1/sessions/{name}", tags=["sessions"], responses={404: {"model": ErrorOut}})
def session(owner: Owner, cfg: Config, store: Store, name: Annotated[str, Path(pattern=SLUG_PATTERN)]) -> SessionOut:
    """A session's revisions (oldest first) and its jobs."""
    row = store.session(name, owner)
    if row is None:
        raise not_found("session", name)
    project = project_of(cfg, name)
    revisions = [RevisionOut(n=r.n, at=r.at, request=r.request, seconds=r.storyboard.seconds,
                             shots=len(r.storyboard.shots), regenerated=r.regenerated)
                 for r in (project.revisions if project else [])]
    jobs = [{"id": j.id, "kind": j.kind, "status": j.status} for j in store.session_jobs(name, owner)]
    board = project.storyboard if project else None
    narration = board.narration.model_dump(mode="json") if board is not None and board.narrated else None
    return SessionOut(name=name, model=row["model"], revisions=revisions, jobs=jobs, narration=narration,
                      storyboard=board.model_dump(mode="json") if board is not None else None)
