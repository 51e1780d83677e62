"""``/v1/jobs``: submit a video, list, get, cancel and delete jobs, follow their events, fetch results."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from longcut.agent.service.deps import (
    Config,
    IdemKey,
    JobId,
    Owner,
    Store,
    job_out,
    owned_job,
    project_of,
    subtitle_file,
)
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.job_records import TERMINAL, Job
from longcut.agent.service.models import ErrorOut, JobOut, JobPage, JobRequest
from longcut.agent.service.plan_store import claim_plan, release_plan
from longcut.agent.service.queue import JobActive, JobStore
from longcut.agent.service.retention import delete_job
from longcut.agent.service.upload_store import upload_path
from longcut.errors import InputError

SSE_POLL_SECONDS = 0.1
SSE_KEEPALIVE_SECONDS = 15.0

router = APIRouter()


@router.post("/v1/jobs", status_code=202, tags=["jobs"], responses={200: {"model": JobOut}, 429: {"model": ErrorOut}})
def submit(owner: Owner, cfg: Config, store: Store, body: JobRequest, idempotency_key: IdemKey = None) -> JSONResponse:
    """Queue a new video (202); the same ``Idempotency-Key`` returns the same job (200), never a second.

    With ``options.plan_id`` the job generates that plan (``POST /v1/plans``) as it was made.
    """
    opts = body.options
    budget = {k: getattr(opts, k) for k in ("max_minutes", "max_usd", "max_tries", "judge")
              if getattr(opts, k) is not None}
    if opts.judge == "vlm" and not cfg.offers_vision_judge():
        raise ApiError(422, "this server has no vision-language judge (the operator starts it with "
                       "`longcut serve --judge-base-url URL`); use judge evaluator or none")
    if opts.plan_id is None:
        request = checked_request(owner, cfg, body)
        session = "s" + secrets.token_hex(10)  # a fresh slug per job
    else:
        request, session = _planned(owner, cfg, body)
    try:
        job, new = store.submit(owner, "make", request | budget, session, cfg.max_active_jobs, idempotency_key,
                                request["model"])
    except BaseException:
        if opts.plan_id is not None:
            release_plan(cfg.home, owner, opts.plan_id)
        raise
    return JSONResponse(job_out(cfg, job).model_dump(mode="json"), 202 if new else 200)


def checked_request(owner: str, cfg, body: JobRequest) -> dict[str, Any]:
    """A new video's request checked against the server's limits and the caller's uploads: the job's request."""
    from longcut.agent.turn.spec import TurnLimits, resolve_turn

    opts = body.options
    limits = TurnLimits(models=cfg.models, planners=cfg.planners, max_seconds=cfg.max_seconds,
                        max_references=cfg.max_references, planner_option="planner", server=True)
    spec = resolve_turn(body.request, body.seconds, opts.model or cfg.models[0], opts.planner or cfg.planners[0],
                        [(r.name, r.upload_id) for r in body.references], opts.seed, opts.keep_continuity, limits)
    for r in body.references:
        path = upload_path(cfg.home, owner, r.upload_id)
        if path is None:
            raise ApiError(422, f"no upload {r.upload_id!r} (reference {r.name!r}); upload it with POST /v1/uploads")
        os.utime(path)  # its retention age restarts: an upload in use is not stale
    return {"request": body.request, "seconds": spec.seconds, "model": spec.model, "planner": spec.planner,
            "seed": spec.seed, "keep_continuity": spec.keep_continuity,
            "references": [r.model_dump() for r in body.references]} | _narration(opts)


def _narration(opts) -> dict[str, Any]:
    """The job request's ``narration`` (how lines are spoken and shown) when narration is asked; 422 without a speech engine."""
    if not (opts.narrate or opts.voice or opts.burn_subtitles):
        return {}
    from longcut.tools.narration.speaker import NoSpeechEngine, get_speaker

    try:
        get_speaker(voice=opts.voice)
    except NoSpeechEngine as err:
        raise ApiError(422, "narration needs a speech engine and this server has none (the operator installs "
                       "espeak-ng); leave out narrate, voice and burn_subtitles for a video without one") from err
    return {"narration": {"voice": opts.voice, "burn_subtitles": opts.burn_subtitles}}


def job_narration(request: dict[str, Any]):
    """The ``Narration`` a job's (or plan's) request asks for, or None (the request's own words may still ask)."""
    from longcut.agent.state import Narration

    asked = request.get("narration")
    return Narration(**asked) if asked is not None else None


def _planned(owner: str, cfg, body: JobRequest) -> tuple[dict[str, Any], str]:
    """The job request and draft session of the caller's plan ``options.plan_id``, claimed for this job."""
    record = claim_plan(cfg.home, owner, body.options.plan_id)
    if record is None:
        raise not_found("plan", body.options.plan_id)
    if record.request["request"] != body.request:
        release_plan(cfg.home, owner, record.id)
        raise ApiError(422, f"plan {record.id!r} was made for another request; send the plan's request with it")
    return record.request, record.id

@router.get("/v1/jobs", tags=["jobs"])
def list_jobs(owner: Owner, cfg: Config, store: Store, limit: Annotated[int, Query(ge=1, le=100)] = 20,
              cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
              status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None) -> JobPage:
    """Your jobs, newest first (without storyboards: get a job for its storyboard)."""
    jobs = store.list(owner, limit + 1, int(cursor) if cursor else None, status)
    more = len(jobs) > limit
    jobs = jobs[:limit]
    return JobPage(jobs=[job_out(cfg, j, with_storyboard=False) for j in jobs], next_cursor=str(jobs[-1].n) if more else None)

@router.get("/v1/jobs/{job_id}", tags=["jobs"], responses={404: {"model": ErrorOut}})
def get_job(owner: Owner, cfg: Config, store: Store, job_id: JobId) -> JobOut:
    """Status, progress (stage, shot i of n, percent), storyboard and error of a job."""
    return job_out(cfg, owned_job(store, job_id, owner))

@router.post("/v1/jobs/{job_id}/cancel", status_code=202, tags=["jobs"], responses={404: {"model": ErrorOut}})
def cancel(owner: Owner, cfg: Config, store: Store, job_id: JobId) -> JobOut:
    """Stop a job: a queued one at once, a running one within seconds. Finished jobs are unchanged."""
    before = owned_job(store, job_id, owner)
    job = store.cancel(job_id, owner)
    if before.status == "queued" and job.status == "cancelled":
        from longcut.agent.service.worker import job_event

        store.append_event(job_id, job_event("cancelled", "cancelled before it started"), progress=False)
    return job_out(cfg, job)

@router.delete("/v1/jobs/{job_id}", status_code=204, tags=["jobs"],
            responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def delete(owner: Owner, cfg: Config, store: Store, job_id: JobId) -> None:
    """Delete a finished job, its events and its video; the session's files go with its last job.

    A queued or running job answers 409: cancel it first.
    """
    try:
        job = delete_job(cfg, store, job_id, owner)
    except JobActive as err:
        raise ApiError(409, f"job {job_id!r} is {err.status}; cancel it first (POST /v1/jobs/{job_id}/cancel) "
                       "and delete it once it has stopped") from err
    if job is None:
        raise not_found("job", job_id)

@router.get("/v1/jobs/{job_id}/events", tags=["jobs"], response_class=StreamingResponse,
         responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": ErrorOut}})
async def events(request: Request, owner: Owner, store: Store, job_id: JobId,
                 last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,18}$")] = None,
                 after: Annotated[int | None, Query(ge=0, le=10**18)] = None) -> StreamingResponse:
    """Server-Sent Events of the job's progress until it ends; resume with ``Last-Event-ID``."""
    if await to_thread.run_sync(store.get, job_id, owner) is None:
        raise not_found("job", job_id)
    start = int(last_event_id) if last_event_id is not None else (after or 0)
    return StreamingResponse(_stream(request, store, job_id, owner, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

async def _stream(request: Request, store: JobStore, job_id: str, owner: str, last: int):
    yield "retry: 1000\n\n"
    quiet = 0.0
    while True:
        job = await to_thread.run_sync(store.get, job_id, owner)
        batch = await to_thread.run_sync(store.events_after, job_id, last)
        for seq, body in batch:
            yield f"id: {seq}\nevent: progress\ndata: {body}\n\n"
            last = seq
        if job is None or (job.status in TERMINAL and len(batch) < 500):
            end = {"status": job.status if job else "gone", "error": job.error if job else None}
            yield f"event: end\ndata: {json.dumps(end)}\n\n"
            return
        if batch:
            quiet = 0.0
            continue
        if await request.is_disconnected():
            return
        await asyncio.sleep(SSE_POLL_SECONDS)
        quiet += SSE_POLL_SECONDS
        if quiet >= SSE_KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"

def succeeded_job(store: JobStore, job_id: str, owner: str) -> Job:
    """The caller's job ``job_id`` if it succeeded; 409 while it has no result."""
    job = owned_job(store, job_id, owner)
    if job.status != "succeeded" or not job.render:
        raise ApiError(409, f"job {job_id!r} is {job.status}; a result exists only once it succeeded")
    return job

@router.get("/v1/jobs/{job_id}/result", tags=["results"], response_class=FileResponse,
         responses={200: {"content": {"video/mp4": {}}}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def result(owner: Owner, cfg: Config, store: Store, job_id: JobId) -> FileResponse:
    """The finished video (supports Range requests)."""
    from longcut.agent.store import ProjectStore
    from longcut.tools.paths import ProjectFolder

    job = succeeded_job(store, job_id, owner)
    try:
        path = ProjectFolder(ProjectStore(cfg.home / "projects").folder(job.session)).resolve(job.render)
    except InputError as err:
        raise ApiError(410, f"the result of job {job_id!r} is no longer on the server") from err
    return FileResponse(path, media_type="video/mp4", filename=f"longcut-{job_id}.mp4")

SUBTITLE_TYPES = {"srt": "application/x-subrip", "vtt": "text/vtt"}


@router.get("/v1/jobs/{job_id}/result/subtitles.{fmt}", tags=["results"], response_class=FileResponse,
            responses={200: {"content": {t: {} for t in SUBTITLE_TYPES.values()}}, 404: {"model": ErrorOut},
                       409: {"model": ErrorOut}})
def result_subtitles(owner: Owner, cfg: Config, store: Store, job_id: JobId, fmt: Literal["srt", "vtt"]) -> FileResponse:
    """The narration's subtitles of a finished narrated video, as SubRip (srt) or WebVTT (vtt)."""
    job = succeeded_job(store, job_id, owner)
    path = subtitle_file(cfg, job, fmt)
    if path is None:
        raise ApiError(404, f"job {job_id!r} has no subtitles (its video is not narrated, or they are gone)")
    return FileResponse(path, media_type=SUBTITLE_TYPES[fmt], filename=f"longcut-{job_id}.{fmt}")

@router.get("/v1/jobs/{job_id}/result/project", tags=["results"],
         responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
def result_project(owner: Owner, cfg: Config, store: Store, job_id: JobId) -> dict[str, Any]:
    """The project JSON (storyboard, shot versions, revisions) of a finished job."""
    job = succeeded_job(store, job_id, owner)
    project = project_of(cfg, job.session)
    if project is None:
        raise ApiError(410, f"the project of job {job_id!r} is no longer on the server")
    return project.model_dump(mode="json")
