"""A session's per-shot actions, undo, and each revision's video: what the studio's review page calls.

``POST /v1/sessions/{name}/edits`` takes a creator's actions on shots —
regenerate (a new seed), a new prompt, delete, move, choose an earlier take,
lock, unlock — checks them against the session's storyboard, and queues a
refine job that applies exactly those edits (``planning.shot_actions``)
instead of asking the planner; like any refinement it generates only the
shots whose content changed. ``POST /v1/sessions/{name}/undo`` goes back to
the previous revision (``Sessions.undo``: nothing is generated), and
``GET /v1/sessions/{name}/revisions/{n}/video`` serves a revision's render
(with Range requests). Only the session's owner reaches any of them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse
from pydantic import Field

from longcut.agent.service.deps import Config, IdemKey, Owner, Store, job_out, project_of
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.models import NOT_BLANK, SLUG_PATTERN, ErrorOut, JobOut, RevisionOut, _In
from longcut.agent.service.queue import NoSession
from longcut.agent.state import MAX_SHOTS, PlannerName
from longcut.errors import InputError

router = APIRouter()

SessionName = Annotated[str, PathParam(pattern=SLUG_PATTERN)]


class ShotAction(_In):
    """One action on one shot; ``prompt`` goes with ``prompt``, ``position`` with ``move``, ``take_id`` with ``choose``."""

    action: Literal["regenerate", "prompt", "delete", "move", "choose", "lock", "unlock"]
    shot: str = Field(pattern=SLUG_PATTERN, description="The shot's id (s1, s2, …).")
    prompt: str | None = Field(None, min_length=1, max_length=2000, pattern=NOT_BLANK)
    position: int | None = Field(None, ge=1, le=MAX_SHOTS, description="The shot's new 1-based position.")
    take_id: str | None = Field(None, pattern=r"^[0-9a-f]{20}-t[0-9]{1,4}$",
                                description="A take an earlier revision rendered for this shot.")


class EditsRequest(_In):
    """Per-shot actions, applied in order as one refinement."""

    edits: list[ShotAction] = Field(min_length=1, max_length=50)
    planner: PlannerName | None = Field(None, description="The planner that rewrites a prompt after failed tries.")


def _need(action: ShotAction, field: str) -> Any:
    value = getattr(action, field)
    if value is None:
        raise ApiError(422, f"action {action.action!r} on shot {action.shot!r} needs {field!r}")
    return value


def _chosen(project, action: ShotAction) -> dict[str, Any]:
    """The content a revision rendered ``take_id`` from: what ``set_take`` gives the shot back."""
    take_id = _need(action, "take_id")
    for rev in reversed(project.revisions):
        if rev.shot_keys.get(action.shot) == take_id:
            shot = next(s for s in rev.storyboard.shots if s.id == action.shot)
            return {"shot": action.shot, "prompt": shot.prompt, "seed": shot.seed, "seconds": shot.seconds}
    raise ApiError(422, f"take {take_id!r} is not one a revision rendered for shot {action.shot!r}; "
                   "choose one of the takes listed in its revisions")


def edit_calls(project, actions: list[ShotAction]) -> list[dict[str, Any]]:
    """The actions as storyboard edit calls (``{"name", "args"}``)."""
    calls = []
    for a in actions:
        if a.action == "regenerate":
            calls.append({"name": "update_shot", "args": {"shot": a.shot, "new_seed": True}})
        elif a.action == "prompt":
            calls.append({"name": "update_shot", "args": {"shot": a.shot, "prompt": _need(a, "prompt")}})
        elif a.action == "delete":
            calls.append({"name": "remove_shot", "args": {"shot": a.shot}})
        elif a.action == "move":
            calls.append({"name": "move_shot", "args": {"shot": a.shot, "position": _need(a, "position")}})
        elif a.action == "choose":
            calls.append({"name": "set_take", "args": _chosen(project, a)})
        else:
            calls.append({"name": "set_lock", "args": {"shot": a.shot, "locked": a.action == "lock"}})
    return calls


def _summary(actions: list[ShotAction]) -> str:
    words = {"regenerate": "regenerate {} (a new take)", "prompt": "new prompt for {}", "delete": "delete {}",
             "move": "move {} to position {}", "choose": "use take {1} for {0}", "lock": "lock {}", "unlock": "unlock {}"}
    parts = [words[a.action].format(a.shot, a.position if a.action == "move" else a.take_id) for a in actions]
    return ("studio: " + "; ".join(parts))[:2000]


def _session_project(cfg, store, name: str, owner: str):
    if store.session(name, owner) is None:
        raise not_found("session", name)
    project = project_of(cfg, name)
    if project is None or project.storyboard is None or not project.revisions:
        raise ApiError(409, f"session {name!r} has no finished video yet; wait for its first job")
    return project


@router.post("/v1/sessions/{name}/edits", status_code=202, tags=["sessions"],
             responses={200: {"model": JobOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                        429: {"model": ErrorOut}})
def edit(owner: Owner, cfg: Config, store: Store, name: SessionName, body: EditsRequest,
         idempotency_key: IdemKey = None) -> JSONResponse:
    """Regenerate, re-prompt, delete, move, choose a take, lock or unlock shots: a refine job of exactly these edits."""
    from longcut.agent.planning.shot_actions import apply_calls
    from longcut.agent.turn.spec import TurnLimits, resolve_planner

    project = _session_project(cfg, store, name, owner)
    if project.pending is not None:
        raise ApiError(409, f"session {name!r} has an unfinished turn; wait for its job (or cancel it)")
    calls = edit_calls(project, body.edits)
    try:
        apply_calls(project.storyboard, calls)  # refused now, not in the worker
    except InputError as err:
        raise ApiError(422, str(err)) from err
    planner = resolve_planner(body.planner or cfg.planners[0],
                              TurnLimits(planners=cfg.planners, planner_option="planner", server=True))
    try:
        job, new = store.submit(owner, "refine", {"feedback": _summary(body.edits), "edits": calls, "planner": planner},
                                name, cfg.max_active_jobs, idempotency_key)
    except NoSession as err:
        raise not_found("session", name) from err
    return JSONResponse(job_out(cfg, job).model_dump(mode="json"), 202 if new else 200)


@router.post("/v1/sessions/{name}/undo", tags=["sessions"], responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def undo(owner: Owner, cfg: Config, store: Store, name: SessionName) -> RevisionOut:
    """Back to the previous revision, as a new revision (nothing is generated: its takes and render exist)."""
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.session import Sessions

    _session_project(cfg, store, name, owner)
    try:
        rev = Sessions(ProjectStore(cfg.home / "projects"), checkpoints=cfg.home / "checkpoints.sqlite").undo(name)
    except InputError as err:  # busy, unfinished, or nothing to go back to
        raise ApiError(409, str(err)) from err
    return RevisionOut(n=rev.n, at=rev.at, request=rev.request, seconds=rev.storyboard.seconds,
                       shots=len(rev.storyboard.shots), regenerated=rev.regenerated)


@router.get("/v1/sessions/{name}/revisions/{n}/video", tags=["sessions"], response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}}, 404: {"model": ErrorOut}, 410: {"model": ErrorOut}})
def revision_video(owner: Owner, cfg: Config, store: Store, name: SessionName,
                   n: Annotated[int, PathParam(ge=1, le=100000)]) -> FileResponse:
    """The video a revision rendered (supports Range requests)."""
    from longcut.agent.store import ProjectStore
    from longcut.tools.paths import ProjectFolder

    project = _session_project(cfg, store, name, owner)
    rev = next((r for r in project.revisions if r.n == n), None)
    if rev is None or rev.render is None:
        raise not_found("revision", str(n))
    try:
        path = ProjectFolder(ProjectStore(cfg.home / "projects").folder(name)).resolve(rev.render)
    except InputError as err:
        raise ApiError(410, f"the video of revision {n} is no longer on the server") from err
    return FileResponse(path, media_type="video/mp4", filename=f"longcut-{name}-r{n}.mp4")
