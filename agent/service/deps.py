"""What endpoints take through ``Depends``: the caller (``Owner``), the config, the queue; and the job views they share.

``create_app`` puts the config, the queue and the tokens on ``app.state``;
these dependencies read them from there, so a router module holds plain
module-level functions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from longcut.agent.service.auth import Tokens
from longcut.agent.service.config import ServerConfig
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.job_records import Job
from longcut.agent.service.models import ID_PATTERN, JobOut, Progress
from longcut.agent.service.queue import JobStore

JobId = Annotated[str, Path(pattern=ID_PATTERN, description="A job id returned by POST /v1/jobs.")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$")]

_bearer = HTTPBearer(auto_error=False, description="The server's API token.")


def _owner(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The owner id of the request's bearer token; 401 without a valid one."""
    tokens: Tokens = request.app.state.tokens
    owner = tokens.owner(creds.credentials if creds is not None else None)
    if owner is None:
        raise ApiError(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
    return owner


Owner = Annotated[str, Depends(_owner)]


def _config(request: Request) -> ServerConfig:
    return request.app.state.cfg


def _store(request: Request) -> JobStore:
    return request.app.state.store


Config = Annotated[ServerConfig, Depends(_config)]
Store = Annotated[JobStore, Depends(_store)]


def _iso(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds") if t is not None else None


def job_out(cfg: ServerConfig, job: Job, with_storyboard: bool = True) -> JobOut:
    """A job as the API shows it (the storyboard read from its project, once it started)."""
    storyboard, cost = _views(cfg, job) if with_storyboard and job.status != "queued" else (None, None)
    result = None
    if job.status == "succeeded":
        result = {"video": f"/v1/jobs/{job.id}/result", "project": f"/v1/jobs/{job.id}/result/project"}
        result |= {f"subtitles_{fmt}": f"/v1/jobs/{job.id}/result/subtitles.{fmt}" for fmt in ("srt", "vtt")
                   if subtitle_file(cfg, job, fmt) is not None}
    progress = {k: v for k, v in (job.progress or {}).items() if k in Progress.model_fields and v is not None}
    return JobOut(id=job.id, kind=job.kind, status=job.status, session=job.session, request=job.request,
                  created=_iso(job.created), started=_iso(job.started), finished=_iso(job.finished),
                  attempts=job.attempts, cancel_requested=job.cancel_requested, progress=Progress(**progress),
                  storyboard=storyboard, revision=job.revision, error=job.error, result=result, cost=cost)


def subtitle_file(cfg: ServerConfig, job: Job, fmt: str):
    """The ``.srt``/``.vtt`` sidecar beside a succeeded job's render (a narrated render writes them), or None."""
    from pathlib import PurePosixPath

    from longcut.agent.store import ProjectStore
    from longcut.errors import InputError
    from longcut.tools.paths import ProjectFolder

    if not job.render:
        return None
    try:
        path = ProjectFolder(ProjectStore(cfg.home / "projects").folder(job.session)).resolve(
            str(PurePosixPath(job.render).with_suffix(f".{fmt}")))
    except InputError:
        return None
    return path if path.is_file() else None


def project_of(cfg: ServerConfig, session: str):
    """The session's project, or None once its files are gone."""
    from longcut.agent.store import ProjectStore

    projects = ProjectStore(cfg.home / "projects")
    return projects.load(session) if projects.exists(session) else None


def _views(cfg: ServerConfig, job: Job) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The job's storyboard, and what its turn cost (its totals once finished, else the estimate so far)."""
    project = project_of(cfg, job.session)
    if project is None:
        return None, None
    rev = next((r for r in project.revisions if r.n == job.revision), None)
    board = rev.storyboard if rev is not None else project.storyboard
    if rev is not None:
        from longcut.agent.costs.totals import turn_totals

        cost = turn_totals(project, rev).model_dump(mode="json")
    else:
        pending = project.pending.cost if project.pending is not None else None
        cost = None if pending is None else {"estimate_seconds": pending.estimate_seconds,
                                             "estimate_low": pending.estimate_low,
                                             "estimate_high": pending.estimate_high,
                                             "estimate_usd": pending.estimate_usd}
    return (board.model_dump(mode="json") if board is not None else None), cost


def owned_job(store: JobStore, job_id: str, owner: str) -> Job:
    """The caller's job ``job_id``; 404 if it has none by that id."""
    job = store.get(job_id, owner)
    if job is None:
        raise not_found("job", job_id)
    return job
