"""The HTTP job API (FastAPI): submit jobs, watch them, cancel them, fetch results, delete them.

``create_app(cfg, tokens, workers)`` builds the app and its ``WorkerPool``;
``longcut serve`` runs it under uvicorn. Everything under ``/v1`` needs
``Authorization: Bearer <token>``; only ``/healthz`` (and the static schema
and docs pages) do not. A client names jobs, sessions and uploads by ids the
server made, never by paths, and sees only what its own token created
(anything else is 404). Errors are JSON ``{"detail": …, "limit": …}``;
``limit`` names the server limit that was hit. Unexpected errors answer a
generic 500 and are logged with their traceback, never sent. With
``cfg.retention_days`` set, the server also deletes old finished jobs
(``agent.retention``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import Depends, FastAPI, File, Header, Path, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from longcut import __version__
from longcut.agent.api_models import (
    ID_PATTERN,
    SLUG_PATTERN,
    ErrorOut,
    JobOut,
    JobPage,
    JobRequest,
    Progress,
    RevisionOut,
    SessionOut,
    TurnRequest,
    UploadOut,
)
from longcut.agent.auth import Tokens
from longcut.agent.jobs import (
    TERMINAL,
    IdempotencyConflict,
    Job,
    JobActive,
    JobStore,
    NoSession,
    QueueLimit,
    ServerConfig,
)
from longcut.agent.retention import Sweeper, delete_job, empty_trash
from longcut.agent.uploads import delete_upload, store_upload, upload_path
from longcut.errors import InputError, LongcutError
from longcut.limits import offered

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 256 * 1024
SSE_POLL_SECONDS = 0.1
SSE_KEEPALIVE_SECONDS = 15.0
JobId = Annotated[str, Path(pattern=ID_PATTERN, description="A job id returned by POST /v1/jobs.")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$")]


class ApiError(Exception):
    """An HTTP error with a message for the client (and the limit it hit, if any)."""

    def __init__(self, status: int, detail: str, limit: str | None = None, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.limit, self.headers = status, detail, limit, headers


# ------------------------------------------------------------------ helpers
def _iso(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds") if t is not None else None


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings ('nan', 'inf'): JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def validation_errors(err: RequestValidationError) -> list[dict[str, Any]]:
    """A 422's ``detail``: each error's place, a message that names the field, and the input given."""
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
        out.append({"loc": list(e.get("loc", ())), "msg": f"{field}: {e.get('msg', '')}" if field else e.get("msg", ""),
                    "type": e.get("type"), "input": e.get("input"), "ctx": e.get("ctx")})
    return _json_safe(jsonable_encoder(out))


def _not_found(what: str, value: str) -> ApiError:
    return ApiError(404, f"no {what} {value[:64]!r}")


class _BodyLimit:
    """Refuses request bodies over the limit before reading them (ASGI middleware)."""

    def __init__(self, app, upload_bytes: int) -> None:
        self.app, self.upload_bytes = app, upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            is_upload = scope["path"].rstrip("/") == "/v1/uploads"
            limit, name = (self.upload_bytes + 64 * 1024, "max_upload_bytes") if is_upload else (MAX_JSON_BYTES,
                                                                                               "max_request_bytes")
            length = headers.get(b"content-length")
            error = None
            if length is None and headers.get(b"transfer-encoding"):
                error = (411, "send a Content-Length header (chunked bodies are not accepted)")
            elif length is not None and (not length.isdigit() or int(length) > limit):
                error = (413, f"the request body is over the limit {name}={limit - (64 * 1024 if is_upload else 0)}")
            if error:
                resp = JSONResponse({"detail": error[1], "limit": name if error[0] == 413 else None}, error[0])
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


_bearer = HTTPBearer(auto_error=False, description="The server's API token.")


def _owner(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The owner id of the request's bearer token; 401 without a valid one."""
    tokens: Tokens = request.app.state.tokens
    owner = tokens.owner(creds.credentials if creds is not None else None)
    if owner is None:
        raise ApiError(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
    return owner


Owner = Annotated[str, Depends(_owner)]


DOCS_ASSETS = "/docs-assets"


def _self_hosted_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the files of the ``swagger-ui-bundle-v2`` package, so it works offline.

    FastAPI's default page loads Swagger UI from a CDN (FastAPI's "self-hosting
    JavaScript and CSS for docs" recipe). ReDoc is not offered: no package
    ships its bundle. Like ``/openapi.json``, the page needs no token.
    """
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def create_app(cfg: ServerConfig, tokens: Tokens, workers: int = 0) -> FastAPI:
    """The job API over the queue at ``cfg.db_path``, running ``workers`` worker processes while it serves.

    The workers start with the app and stop with it (lifespan), so a graceful
    shutdown returns their running jobs to the queue before the process exits.
    The retention sweep, if any, runs in a thread of this process.
    """
    store = JobStore(cfg.db_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from longcut.agent.worker import WorkerPool

        await to_thread.run_sync(empty_trash, cfg.home, store)  # files a crash left after a delete
        sweeper = Sweeper(cfg) if cfg.retention_days > 0 else None
        if sweeper is not None:
            sweeper.start()
        pool = WorkerPool(cfg, workers)
        await to_thread.run_sync(pool.start)
        app.state.pool = pool
        try:
            yield
        finally:
            await to_thread.run_sync(pool.stop)
            if sweeper is not None:
                await to_thread.run_sync(sweeper.stop)

    app = FastAPI(title="longcut job API", version=__version__, lifespan=lifespan,
                  description="Submit long-video jobs, follow their progress, cancel them and fetch results.",
                  responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
                  docs_url=None, redoc_url=None)  # /docs is served from local files below
    _self_hosted_docs(app)
    app.add_middleware(_BodyLimit, upload_bytes=cfg.max_upload_bytes)
    app.state.tokens = tokens

    # -------------------------------------------------------------- errors
    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, err: ApiError) -> JSONResponse:
        return JSONResponse({"detail": err.detail, "limit": err.limit}, err.status, headers=err.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(err), "limit": None}, 422)

    @app.exception_handler(QueueLimit)
    async def _limit(_req: Request, err: QueueLimit) -> JSONResponse:
        return JSONResponse({"detail": str(err), "limit": err.limit}, 429)

    @app.exception_handler(LongcutError)
    async def _user_error(_req: Request, err: LongcutError) -> JSONResponse:
        status = 422 if isinstance(err, InputError | IdempotencyConflict) else 400
        return JSONResponse({"detail": str(err), "limit": getattr(err, "limit", None)}, status)

    @app.exception_handler(Exception)
    async def _bug(req: Request, err: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", req.method, req.url.path, exc_info=err)
        return JSONResponse({"detail": "internal error; the server log has the details", "limit": None}, 500)

    # ------------------------------------------------------------- helpers
    def job_out(job: Job, with_storyboard: bool = True) -> JobOut:
        storyboard = _storyboard(job) if with_storyboard and job.status != "queued" else None
        result = None
        if job.status == "succeeded":
            result = {"video": f"/v1/jobs/{job.id}/result", "project": f"/v1/jobs/{job.id}/result/project"}
        progress = {k: v for k, v in (job.progress or {}).items() if k in Progress.model_fields and v is not None}
        return JobOut(id=job.id, kind=job.kind, status=job.status, session=job.session, request=job.request,
                      created=_iso(job.created), started=_iso(job.started), finished=_iso(job.finished),
                      attempts=job.attempts, cancel_requested=job.cancel_requested, progress=Progress(**progress),
                      storyboard=storyboard, revision=job.revision, error=job.error, result=result)

    def _project(session: str):
        from longcut.agent.store import ProjectStore

        projects = ProjectStore(cfg.home / "projects")
        return projects.load(session) if projects.exists(session) else None

    def _storyboard(job: Job) -> dict[str, Any] | None:
        project = _project(job.session)
        if project is None:
            return None
        rev = next((r for r in project.revisions if r.n == job.revision), None)
        board = rev.storyboard if rev is not None else project.storyboard
        return board.model_dump(mode="json") if board is not None else None

    def owned_job(job_id: str, owner: str) -> Job:
        job = store.get(job_id, owner)
        if job is None:
            raise _not_found("job", job_id)
        return job

    # ---------------------------------------------------------- endpoints
    @app.get("/healthz", tags=["health"])
    def health(request: Request) -> dict[str, str | int]:
        """Liveness and the number of live workers (no token needed)."""
        pool = getattr(request.app.state, "pool", None)
        return {"status": "ok", "workers": len(pool.pids()) if pool is not None else 0}

    @app.post("/v1/uploads", status_code=201, tags=["uploads"])
    def upload(owner: Owner, file: Annotated[UploadFile, File(description="A PNG or JPEG image.")]) -> UploadOut:
        """Store a reference image; jobs name it by the returned id."""
        data = file.file.read(cfg.max_upload_bytes + 1)
        if len(data) > cfg.max_upload_bytes:
            raise ApiError(413, f"the upload is over the limit max_upload_bytes={cfg.max_upload_bytes}",
                           "max_upload_bytes")
        up = store_upload(cfg.home, owner, data, cfg.max_upload_bytes, cfg.max_image_pixels, cfg.max_uploads)
        return UploadOut(id=up.id, bytes=up.bytes, width=up.width, height=up.height, format=up.format)

    @app.delete("/v1/uploads/{upload_id}", status_code=204, tags=["uploads"])
    def remove_upload(owner: Owner, upload_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> None:
        """Delete an upload (jobs already submitted keep their copy once they started)."""
        if not delete_upload(cfg.home, owner, upload_id):
            raise _not_found("upload", upload_id)

    @app.post("/v1/jobs", status_code=202, tags=["jobs"], responses={200: {"model": JobOut}, 429: {"model": ErrorOut}})
    def submit(owner: Owner, body: JobRequest, idempotency_key: IdemKey = None) -> JSONResponse:
        """Queue a new video (202); the same ``Idempotency-Key`` returns the same job (200), never a second."""
        from longcut.agent.planner import video_seconds

        opts = body.options
        model = offered("model", opts.model or cfg.models[0], cfg.models, "models")
        planner = offered("planner", opts.planner or cfg.planners[0], cfg.planners, "planners")
        seconds = video_seconds(body.seconds, body.request)
        if seconds > cfg.max_seconds:
            raise ApiError(422, f"{seconds:g} seconds is over the limit max_seconds={cfg.max_seconds:g}",
                           "max_seconds")
        if len(body.references) > cfg.max_references:
            raise ApiError(422, f"{len(body.references)} references is over the limit "
                           f"max_references={cfg.max_references}", "max_references")
        names = [r.name for r in body.references]
        if len(set(names)) != len(names):
            raise ApiError(422, f"reference names must be unique, got {names}")
        for r in body.references:
            path = upload_path(cfg.home, owner, r.upload_id)
            if path is None:
                raise ApiError(422, f"no upload {r.upload_id!r} (reference {r.name!r}); upload it with POST /v1/uploads")
            os.utime(path)  # its retention age restarts: an upload in use is not stale
        request = {"request": body.request, "seconds": seconds, "model": model, "planner": planner,
                   "seed": opts.seed, "keep_continuity": opts.keep_continuity,
                   "references": [r.model_dump() for r in body.references]}
        session = "s" + secrets.token_hex(10)  # a fresh slug per job
        job, new = store.submit(owner, "make", request, session, cfg.max_active_jobs, idempotency_key, model)
        return JSONResponse(job_out(job).model_dump(mode="json"), 202 if new else 200)

    @app.get("/v1/jobs", tags=["jobs"])
    def list_jobs(owner: Owner, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                  cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
                  status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None) -> JobPage:
        """Your jobs, newest first (without storyboards: get a job for its storyboard)."""
        jobs = store.list(owner, limit + 1, int(cursor) if cursor else None, status)
        more = len(jobs) > limit
        jobs = jobs[:limit]
        return JobPage(jobs=[job_out(j, with_storyboard=False) for j in jobs], next_cursor=str(jobs[-1].n) if more else None)

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], responses={404: {"model": ErrorOut}})
    def get_job(owner: Owner, job_id: JobId) -> JobOut:
        """Status, progress (stage, shot i of n, percent), storyboard and error of a job."""
        return job_out(owned_job(job_id, owner))

    @app.post("/v1/jobs/{job_id}/cancel", status_code=202, tags=["jobs"], responses={404: {"model": ErrorOut}})
    def cancel(owner: Owner, job_id: JobId) -> JobOut:
        """Stop a job: a queued one at once, a running one within seconds. Finished jobs are unchanged."""
        before = owned_job(job_id, owner)
        job = store.cancel(job_id, owner)
        if before.status == "queued" and job.status == "cancelled":
            from longcut.agent.worker import job_event

            store.append_event(job_id, job_event("cancelled", "cancelled before it started"), progress=False)
        return job_out(job)

    @app.delete("/v1/jobs/{job_id}", status_code=204, tags=["jobs"],
                responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
    def delete(owner: Owner, job_id: JobId) -> None:
        """Delete a finished job, its events and its video; the session's files go with its last job.

        A queued or running job answers 409: cancel it first.
        """
        try:
            job = delete_job(cfg, store, job_id, owner)
        except JobActive as err:
            raise ApiError(409, f"job {job_id!r} is {err.status}; cancel it first (POST /v1/jobs/{job_id}/cancel) "
                           "and delete it once it has stopped") from err
        if job is None:
            raise _not_found("job", job_id)

    @app.get("/v1/jobs/{job_id}/events", tags=["jobs"], response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}}, 404: {"model": ErrorOut}})
    async def events(request: Request, owner: Owner, job_id: JobId,
                     last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,18}$")] = None,
                     after: Annotated[int | None, Query(ge=0, le=10**18)] = None) -> StreamingResponse:
        """Server-Sent Events of the job's progress until it ends; resume with ``Last-Event-ID``."""
        if await to_thread.run_sync(store.get, job_id, owner) is None:
            raise _not_found("job", job_id)
        start = int(last_event_id) if last_event_id is not None else (after or 0)
        return StreamingResponse(_stream(request, job_id, owner, start), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _stream(request: Request, job_id: str, owner: str, last: int):
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

    def succeeded_job(job_id: str, owner: str) -> Job:
        job = owned_job(job_id, owner)
        if job.status != "succeeded" or not job.render:
            raise ApiError(409, f"job {job_id!r} is {job.status}; a result exists only once it succeeded")
        return job

    @app.get("/v1/jobs/{job_id}/result", tags=["results"], response_class=FileResponse,
             responses={200: {"content": {"video/mp4": {}}}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
    def result(owner: Owner, job_id: JobId) -> FileResponse:
        """The finished video (supports Range requests)."""
        from longcut.agent.store import ProjectStore
        from longcut.tools.paths import ProjectFolder

        job = succeeded_job(job_id, owner)
        try:
            path = ProjectFolder(ProjectStore(cfg.home / "projects").folder(job.session)).resolve(job.render)
        except InputError as err:
            raise ApiError(410, f"the result of job {job_id!r} is no longer on the server") from err
        return FileResponse(path, media_type="video/mp4", filename=f"longcut-{job_id}.mp4")

    @app.get("/v1/jobs/{job_id}/result/project", tags=["results"],
             responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}})
    def result_project(owner: Owner, job_id: JobId) -> dict[str, Any]:
        """The project JSON (storyboard, shot versions, revisions) of a finished job."""
        job = succeeded_job(job_id, owner)
        project = _project(job.session)
        if project is None:
            raise ApiError(410, f"the project of job {job_id!r} is no longer on the server")
        return project.model_dump(mode="json")

    @app.post("/v1/sessions/{name}/turns", status_code=202, tags=["sessions"],
              responses={200: {"model": JobOut}, 404: {"model": ErrorOut}, 429: {"model": ErrorOut}})
    def turn(owner: Owner, name: Annotated[str, Path(pattern=SLUG_PATTERN)], body: TurnRequest,
             idempotency_key: IdemKey = None) -> JSONResponse:
        """Feedback on the session's latest draft: a new job that regenerates only what changed."""
        if store.session(name, owner) is None:
            raise _not_found("session", name)
        planner = offered("planner", body.planner or cfg.planners[0], cfg.planners, "planners")
        try:
            job, new = store.submit(owner, "refine", {"feedback": body.feedback, "planner": planner}, name,
                                    cfg.max_active_jobs, idempotency_key)
        except NoSession as err:  # its last job was deleted since the check above
            raise _not_found("session", name) from err
        return JSONResponse(job_out(job).model_dump(mode="json"), 202 if new else 200)

    @app.get("/v1/sessions/{name}", tags=["sessions"], responses={404: {"model": ErrorOut}})
    def session(owner: Owner, name: Annotated[str, Path(pattern=SLUG_PATTERN)]) -> SessionOut:
        """A session's revisions (oldest first) and its jobs."""
        row = store.session(name, owner)
        if row is None:
            raise _not_found("session", name)
        project = _project(name)
        revisions = [RevisionOut(n=r.n, at=r.at, request=r.request, seconds=r.storyboard.seconds,
                                 shots=len(r.storyboard.shots), regenerated=r.regenerated)
                     for r in (project.revisions if project else [])]
        jobs = [{"id": j.id, "kind": j.kind, "status": j.status} for j in store.session_jobs(name, owner)]
        return SessionOut(name=name, model=row["model"], revisions=revisions, jobs=jobs)

    return app
