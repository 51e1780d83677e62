"""``longcut serve | submit | status | wait | delete``: the job API server and its command-line client."""

from __future__ import annotations

import json
import logging
import os

import typer
from rich.console import Console

from longcut.agent.cli.display import KEEP_CONTINUITY_HELP, Display, check_out, parse_refs
from longcut.errors import InputError
from longcut.limits import DEFAULT_MODEL, DEFAULT_PLANNER, MAX_REFS, PLANNERS, offered
from longcut.tools.judge.config import DEFAULT_JUDGE_MODEL, DEFAULT_MAX_CALLS

console = Console(stderr=True)
out_console = Console()
log = logging.getLogger(__name__)

DEFAULT_SERVER = "http://127.0.0.1:8000"


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535),
    workers: int = typer.Option(1, "--workers", min=0, max=64, help="Worker processes (0: accept jobs only)."),
    models: str = typer.Option(DEFAULT_MODEL, "--models", help="Comma-separated models clients may choose (or module:Class)."),
    planners: str = typer.Option(DEFAULT_PLANNER, "--planners", help="Comma-separated planners clients may choose."),
    max_seconds: float = typer.Option(600.0, "--max-seconds", min=1.0, help="Longest video a job may ask for."),
    max_active_jobs: int = typer.Option(20, "--max-active-jobs", min=1, help="Queued + running jobs per token."),
    max_references: int = typer.Option(MAX_REFS, "--max-references", min=0, max=MAX_REFS, help="Reference images per job."),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", min=0.01, help="Largest reference image upload."),
    lease_seconds: float = typer.Option(30.0, "--lease-seconds", min=1.0,
                                        help="A job whose worker is silent this long is resumed by another."),
    retention_days: float = typer.Option(0.0, "--retention-days", min=0.0,
                                         help="Delete finished jobs (and unused uploads) older than this; "
                                              "0 keeps them forever."),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url", help="OpenAI-compatible vision endpoint "
                                              "for jobs that ask for judge vlm (default $LONGCUT_JUDGE_BASE_URL)."),
    judge_model: str = typer.Option(DEFAULT_JUDGE_MODEL, "--judge-model", help="Its vision-language model."),
    max_judge_calls: int = typer.Option(DEFAULT_MAX_CALLS, "--max-judge-calls", min=0, help="Judge calls per job."),
    executor: str = typer.Option("inprocess", "--executor", help="Where the jobs' shots are made: inprocess (each "
                                 "worker process, the default) or ray (a Ray cluster's backend workers, docs/scale.md)."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="The Ray cluster for --executor ray: HOST:PORT "
                                           "of its head (default: auto, the cluster `ray start --head` made here)."),
) -> None:
    """Run the HTTP job API with a pool of worker processes (docs at /docs)."""
    import uvicorn

    from longcut.agent.service.app import create_app
    from longcut.agent.service.auth import TOKEN_FILE, load_tokens
    from longcut.agent.service.config import ServerConfig
    from longcut.agent.store import longcut_home
    from longcut.models.backends.registry import backend_names, is_custom_spec

    model_list, planner_list = _split(models), _split(planners)
    for m in model_list:
        if m not in backend_names() and not is_custom_spec(m):
            raise InputError(f"--models: unknown model {m!r}; available: {', '.join(backend_names())} (or module:Class)")
    for p in planner_list:
        offered("--planners: planner", p, PLANNERS)
    if not model_list or not planner_list:
        raise InputError("--models and --planners need at least one entry each")
    _check_executor(executor, ray_address)
    home = longcut_home()
    tokens = load_tokens(home)
    if tokens.created:
        console.print(f"[bold]API token[/] (shown once; stored mode 600 in {home / TOKEN_FILE}):")
        out_console.print(tokens.created)
    cfg = ServerConfig(home=home, models=model_list, planners=planner_list, max_seconds=max_seconds,
                       max_active_jobs=max_active_jobs, max_references=max_references,
                       max_upload_bytes=int(max_upload_mb * 2**20), lease_seconds=lease_seconds,
                       retention_days=retention_days, judge_base_url=judge_base_url, judge_model=judge_model,
                       judge_max_calls=max_judge_calls, executor=executor, ray_address=ray_address)
    retention_log = logging.getLogger("longcut.agent.service.retention")
    if not retention_log.isEnabledFor(logging.INFO):  # what the sweep deletes is always logged
        retention_log.setLevel(logging.INFO)
    config = uvicorn.Config(create_app(cfg, tokens, workers), host=host, port=port, log_level="warning",
                            timeout_graceful_shutdown=3)
    kept = f"finished jobs kept {retention_days:g} days" if retention_days else "finished jobs kept until deleted"
    console.print(f"longcut job API on http://{host}:{port} ({workers} workers; {kept}; docs at /docs)")
    console.print(f"studio (the web page): http://{host}:{port}/studio")
    uvicorn.Server(config).run()


def _check_executor(name: str, ray_address: str | None) -> None:
    """Refuse at start, not at the first job: an unknown executor, Ray not installed, a cluster nothing answers at."""
    from longcut.agent.turn.executors.base import check_executor

    spec = check_executor(name, ray_address)
    if spec.name == "ray":
        from longcut.agent.turn.executors.ray_executor import import_ray, probe_address

        import_ray()
        if ray_address not in (None, "auto", "local"):
            probe_address(ray_address)


def _client(server: str | None, token: str | None):
    from longcut.agent.service.auth import client_token
    from longcut.agent.store import longcut_home
    from longcut.client import Client

    url = server or os.environ.get("LONGCUT_SERVER") or DEFAULT_SERVER
    return Client(url, client_token(longcut_home(), token))


_SERVER = typer.Option(None, "--server", help=f"API URL (default: $LONGCUT_SERVER or {DEFAULT_SERVER}).")
_TOKEN = typer.Option(None, "--token", help="API token (default: $LONGCUT_API_TOKEN or $LONGCUT_HOME/api-token).")


def submit(
    request: str = typer.Argument(..., help="What the video shows, in plain words."),
    seconds: float | None = typer.Option(None, "--seconds"),
    model: str | None = typer.Option(None, "--model", help="One of the server's models."),
    planner: str | None = typer.Option(None, "--planner"),
    seed: int = typer.Option(0, "--seed", min=0),
    ref: list[str] = typer.Option([], "--ref", help="NAME=PATH of a reference image (uploaded first)."),
    idempotency_key: str | None = typer.Option(None, "--idempotency-key", help="Same key, same job."),
    keep_continuity: bool = typer.Option(False, "--keep-continuity", help=KEEP_CONTINUITY_HELP),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
) -> None:
    """Submit a job to a server; prints its id."""
    with _client(server, token) as api:
        job = api.submit(request, seconds=seconds, model=model, planner=planner, seed=seed,
                         references=parse_refs(ref), idempotency_key=idempotency_key,
                         keep_continuity=keep_continuity)
    console.print(f"job {job['id']} {job['status']} (session {job['session']})")
    out_console.print(job["id"])


def status(
    job_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="Print the whole status as JSON."),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
) -> None:
    """Show a job's status and progress."""
    with _client(server, token) as api:
        job = api.status(job_id)
    if as_json:
        out_console.print_json(json.dumps(job))
        return
    p = job["progress"]
    shot = f", shot {p['shot_index']} of {p['shots']}" if p.get("shot_index") else ""
    out_console.print(f"{job['id']}  {job['status']}  {p['percent']:.0f}%  {p.get('stage') or ''}{shot}"
                      + (f"\nerror: {job['error']}" if job.get("error") else ""), highlight=False)


def wait(
    job_id: str = typer.Argument(...),
    out: str | None = typer.Option(None, "-o", "--out", help="Download the video here (.mp4) when done."),
    timeout: float | None = typer.Option(None, "--timeout", help="Give up after this many seconds."),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
) -> None:
    """Follow a job until it ends (progress bar), then download its video."""
    from longcut.agent.events import Event
    from longcut.errors import LongcutError

    out = check_out(out)
    display = Display()

    def show(e: dict) -> None:
        if e.get("stage") != "job":
            display(Event(stage=e["stage"], message=e.get("message", ""), percent=e.get("percent") or 0.0))

    with _client(server, token) as api, display.progress:
        job = api.wait(job_id, timeout=timeout, on_event=show)
    if job["status"] != "succeeded":
        raise LongcutError(f"job {job_id} {job['status']}" + (f": {job['error']}" if job.get("error") else ""))
    if out is not None:
        with _client(server, token) as api:
            api.download(job_id, out)
    out_console.print(f"job {job_id} succeeded" + (f" → {out}" if out else ""))


def delete(
    job_id: str = typer.Argument(..., help="A finished job (cancel a queued or running one first)."),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
) -> None:
    """Delete a finished job and its files from the server."""
    with _client(server, token) as api:
        api.delete(job_id)
    out_console.print(f"deleted job {job_id}", highlight=False)
