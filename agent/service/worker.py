"""Worker processes: claim a job, run it as a session turn, report progress, repeat.

A worker is a separate process (``multiprocessing`` spawn) that keeps its
video model warm between jobs. For each job it runs ``Sessions.make`` (a new
session) or ``Sessions.refine`` (a turn of an existing one); the agent's
progress events go to the job's event log. A heartbeat thread renews the
job's lease, watches for a cancel request and for the death of the server:

* cancel → the next progress event raises ``Cancelled`` (partial takes are
  discarded, finished ones stay as drafts); if the job is still running
  ``cancel_grace`` seconds later, the worker marks it cancelled and exits;
* lease lost (another worker took the job) → the job is abandoned silently;
* server gone → the worker exits; the job's lease runs out and a worker of
  the next server resumes it.

``WorkerPool`` (in the server process) starts N workers, restarts any that
die, and requeues the job a dead worker held at once, so it resumes from its
last checkpoint without regenerating finished shots (``agent.session``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from longcut.agent.service.config import ServerConfig
from longcut.agent.service.job_records import Job
from longcut.agent.service.queue import JobStore
from longcut.errors import InputError, LongcutError
from longcut.limits import offered

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal error while running the job; the server log has the details"


def job_event(status: str, message: str, **data: Any) -> dict[str, Any]:
    """A job-level event (stage ``job``) in the same shape as the agent's progress events."""
    return {"stage": "job", "message": message, "percent": 100.0 if status == "succeeded" else None, "shot": None,
            "shot_index": None, "shots": None, "data": {"status": status, **data}, "at": time.time()}


class _Listener:
    """Appends each agent event to the job's log; raises ``Cancelled`` once a stop was asked.

    The job's percent never goes down, also when a worker resumes it from
    the start of the turn: it starts from the percent the job had reached.
    """

    def __init__(self, store: JobStore, job_id: str, stop: threading.Event, percent: float = 0.0) -> None:
        self.store, self.job_id, self.stop, self.percent = store, job_id, stop, percent

    def __call__(self, event) -> None:
        body = event.to_dict()
        self.percent = body["percent"] = max(self.percent, body["percent"])
        self.store.append_event(self.job_id, body)
        if self.stop.is_set():
            from longcut.agent.turn.shots import Cancelled

            raise Cancelled("the job was cancelled")


class _Heartbeat(threading.Thread):
    """Renews the lease; turns a cancel request or a lost lease into ``stop``; exits with the server."""

    def __init__(self, store: JobStore, job: Job, cfg: ServerConfig, parent_pid: int) -> None:
        super().__init__(name=f"heartbeat-{job.id[:6]}", daemon=True)
        self.store, self.job, self.cfg, self.parent_pid = store, job, cfg, parent_pid
        self.stop, self.lost, self.done = threading.Event(), threading.Event(), threading.Event()

    def run(self) -> None:
        cancelled_at: float | None = None
        while not self.done.wait(min(0.5, self.cfg.lease_seconds / 3)):
            if os.getppid() != self.parent_pid:
                log.warning("server process is gone; worker %d exits", os.getpid())
                os._exit(1)
            try:
                ours, cancel = self.store.renew(self.job.id, self.job.claim, self.cfg.lease_seconds)
            except sqlite3.Error as err:  # a busy database: try again at the next beat
                log.warning("job %s: lease renewal failed: %s", self.job.id, err)
                continue
            if not ours:
                log.warning("job %s: lease lost; abandoning it", self.job.id)
                self.lost.set()
                self.stop.set()
            elif cancel:
                self.stop.set()
                cancelled_at = cancelled_at or time.monotonic()
                if time.monotonic() - cancelled_at > self.cfg.cancel_grace:
                    log.warning("job %s did not stop within %.0fs of its cancel; worker exits", self.job.id,
                                self.cfg.cancel_grace)
                    self.store.append_event(self.job.id, job_event("cancelled", "cancelled"), progress=False)
                    self.store.finish(self.job.id, self.job.claim, "cancelled", error="cancelled by the client")
                    os._exit(0)


def _clean(message: str, home: Path) -> str:
    """A user-facing message without server paths."""
    for root in {str(home), str(Path(home).resolve())}:
        message = message.replace(root, "<server>")
    return message


def execute(job: Job, store: JobStore, cfg: ServerConfig, listener) -> tuple[str, int]:
    """Run the job's session turn (resuming it if it was started); returns (render path, revision)."""
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.session import Sessions

    # A turn of the same session started outside the queue (a CLI command on this home) is waited for.
    sessions = Sessions(ProjectStore(cfg.home / "projects"), checkpoints=cfg.home / "checkpoints.sqlite", wait=True)
    with sessions.lock(job.session, listener.stop):  # held from reading the project to its render
        return _execute_turn(job, store, cfg, listener, sessions)


def _execute_turn(job: Job, store: JobStore, cfg: ServerConfig, listener, sessions) -> tuple[str, int]:
    from longcut.agent.costs.budget import Budget
    from longcut.agent.service.jobs import job_narration
    from longcut.agent.service.upload_store import upload_path
    from longcut.agent.turn.session import Options
    from longcut.models.backends.registry import load_backend

    req = job.request
    model = req["model"] if job.kind == "make" else sessions.store.load(job.session).model
    offered("model", model, cfg.models, "models")  # the server may have dropped it since the job was queued
    opts = Options(model=model, planner=req["planner"], base_url=os.environ.get("LONGCUT_OPENAI_BASE_URL"),
                   listeners=[listener], video_model=load_backend(model), cancel=listener.stop,
                   cut_fallback=not req.get("keep_continuity", False),  # jobs queued before the option: default
                   budget=Budget(req.get("max_minutes"), req.get("max_usd"), req.get("max_tries")),
                   judge=cfg.judge_config(req.get("judge")), narration=job_narration(req),
                   executor=worker_executor(cfg))
    if job.kind == "make":
        refs = {}
        for ref in req["references"]:
            path = upload_path(cfg.home, job.owner, ref["upload_id"])
            if path is None:
                raise InputError(f"upload {ref['upload_id']!r} (reference {ref['name']!r}) no longer exists")
            refs[ref["name"]] = path
        result = sessions.make(req["request"], name=job.session, seconds=req["seconds"], seed=req["seed"],
                               refs=refs, opts=opts)
        return result.revision.render, result.revision.n
    project = sessions.store.load(job.session)
    turn = job.turn
    if turn is None:  # first attempt: remember the turn, so a retry never starts another one
        turn = project.pending.n if project.pending is not None else len(project.revisions) + 1
        store.set_turn(job.id, job.claim, turn)
    finished = next((r for r in project.revisions if r.n == turn), None)
    if finished is not None and project.pending is None:
        return finished.render, finished.n
    result = sessions.refine(job.session, req["feedback"], opts, edits=req.get("edits"))
    return result.revision.render, result.revision.n


_EXECUTORS: dict[str, Any] = {}  # this worker process's executor, made at its first job


def worker_executor(cfg: ServerConfig):
    """Where this worker's jobs run their chains: None in process; with Ray, the cluster's shared backend pool.

    Made once per worker process; its backend actors are named and shared
    by every worker of the server, and stay warm when a worker dies.
    """
    if cfg.executor == "inprocess":
        return None
    if cfg.executor not in _EXECUTORS:
        from longcut.agent.turn.executors.base import ExecutorSpec, build_executor

        _EXECUTORS[cfg.executor] = build_executor(ExecutorSpec(name=cfg.executor, ray_address=cfg.ray_address or "auto",
                                                               shared=True))
    return _EXECUTORS[cfg.executor]


def run_job(job: Job, store: JobStore, cfg: ServerConfig, parent_pid: int) -> str:
    """Run one claimed job to its end; returns the status written."""
    beat = _Heartbeat(store, job, cfg, parent_pid)
    beat.start()
    store.append_event(job.id, job_event("running", f"attempt {job.attempts} on worker {os.getpid()}",
                                         attempt=job.attempts), progress=False)
    render = revision = error = None
    try:
        reached = (job.progress or {}).get("percent") or 0.0
        render, revision = execute(job, store, cfg, _Listener(store, job.id, beat.stop, reached))
        status = "succeeded"
    except Exception as err:  # the job's end, whatever it was: it must not take the worker down
        if beat.stop.is_set():
            status, error = "cancelled", "cancelled by the client"
        elif isinstance(err, LongcutError):
            status, error = "failed", _clean(str(err), cfg.home)
        else:
            log.exception("job %s failed", job.id)
            status, error = "failed", INTERNAL_ERROR
    finally:
        beat.done.set()
        beat.join()
    if beat.lost.is_set():
        return "lost"
    store.append_event(job.id, job_event(status, error or status, revision=revision), progress=False)
    store.finish(job.id, job.claim, status, error=error, render=render, revision=revision)
    return status


def _warm_up(cfg: ServerConfig) -> None:
    """Import the agent and load the allowed models before the first job (a warm worker)."""
    import longcut.agent.turn.session  # noqa: F401  (the graph, tools and torch)
    from longcut.models.backends.registry import load_backend

    for name in cfg.models:
        try:
            load_backend(name)
        except LongcutError as err:  # the jobs that ask for it will fail with this message
            log.warning("model %s is not loadable yet: %s", name, err)


def worker_main(cfg_dict: dict[str, Any], parent_pid: int) -> None:
    """Entry point of a worker process: claim and run jobs until the server goes away."""
    cfg = ServerConfig.from_dict(cfg_dict)
    os.environ["LONGCUT_HOME"] = str(cfg.home)
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s worker-{os.getpid()} %(name)s: %(message)s")
    store = JobStore(cfg.db_path)
    _warm_up(cfg)
    while os.getppid() == parent_pid:
        job = store.claim(os.getpid(), cfg.lease_seconds, cfg.max_attempts)
        if job is None:
            time.sleep(cfg.poll_seconds)
            continue
        run_job(job, store, cfg, parent_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerPool:
    """N worker processes, restarted when they die; their jobs are requeued at once."""

    def __init__(self, cfg: ServerConfig, workers: int) -> None:
        self.cfg, self.n = cfg, workers
        self.store = JobStore(cfg.db_path)
        self.procs: list[multiprocessing.Process | None] = [None] * workers
        self._spawned = [0.0] * workers  # monotonic time of each slot's last start (restart backoff)
        self._ctx = multiprocessing.get_context("spawn")
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="worker-pool", daemon=True)

    def pids(self) -> list[int]:
        """Pids of the live workers."""
        return [p.pid for p in self.procs if p is not None and p.is_alive() and p.pid is not None]

    def start(self) -> None:
        """Requeue jobs left by dead workers of an earlier server, then start the workers."""
        for job in self.store.running():
            if job.worker_pid is None or not _alive(job.worker_pid):
                self._release(job.worker_pid or -1, "the server restarted")
        for slot in range(self.n):
            self._spawn(slot)
        self._thread.start()

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(target=worker_main, args=(self.cfg.to_dict(), os.getpid()),
                                 name=f"longcut-worker-{slot}", daemon=True)
        proc.start()
        self.procs[slot], self._spawned[slot] = proc, time.monotonic()
        log.info("worker %d started (pid %s)", slot, proc.pid)

    def _release(self, pid: int, why: str) -> None:
        for job_id in self.store.release_worker(pid):
            self.store.append_event(job_id, job_event("queued", f"{why}; the job resumes from its last checkpoint"),
                                    progress=False)
            log.warning("job %s requeued: %s", job_id, why)

    def _supervise(self) -> None:
        while not self._stopping.wait(0.25):
            for slot, proc in enumerate(self.procs):
                if proc is None or proc.is_alive() or time.monotonic() - self._spawned[slot] < 1.0:
                    continue  # a worker that dies at once is restarted at most once a second
                proc.join(0)
                log.warning("worker pid %s exited with code %s; restarting it", proc.pid, proc.exitcode)
                self._release(proc.pid, f"its worker stopped (exit code {proc.exitcode})")
                if not self._stopping.is_set():
                    self._spawn(slot)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; their running jobs go back to the queue (a restart resumes them)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        live = [p for p in self.procs if p is not None]
        for p in live:
            if p.is_alive():
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in live:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
            self._release(p.pid, "the server stopped")
