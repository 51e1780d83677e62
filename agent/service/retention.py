"""Deleting finished jobs and their files: by request (``DELETE /v1/jobs/{id}``) or by age (the sweep).

A job is one turn of a session, and a session's files — the project folder
(``project.json``, shots, ``refs/``, renders) and its langgraph checkpoints —
are shared by its turns: a later turn reuses the shots of an earlier one. So
deleting a job removes its row, its events and its render at once, and the
whole session with its last job. Nothing is removed by a path a client gave:
the session name and render path come from the queue, and are checked again
(``ProjectStore.folder``, ``ProjectFolder.resolve``) before anything goes.

``JobStore.delete`` writes what to remove into the ``trash`` table in the
transaction that deletes the job; ``empty_trash`` removes it and clears the
note, so files left by a crash (or a removal that failed) go at the next sweep
or server start.

The sweep (``longcut serve --retention-days N``) runs in the server process at
start and every ``SWEEP_SECONDS``: it deletes finished jobs that ended more
than N days ago, through the same ``delete_job``, and uploads that no queued
or running job needs, once they are older than N days and at least a day
(their age restarts when a job uses them).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from longcut.agent.service.config import ServerConfig
from longcut.agent.service.job_records import Job, Trash
from longcut.agent.service.queue import JobStore
from longcut.errors import InputError

log = logging.getLogger(__name__)

DAY = 86400.0
SWEEP_SECONDS = 300.0
MIN_UPLOAD_AGE = DAY  # an upload not yet used by a job is kept at least this long


def delete_job(cfg: ServerConfig, store: JobStore, job_id: str, owner: str) -> Job | None:
    """Delete ``owner``'s finished job and its files; None if there is no such job. Raises ``JobActive``."""
    job = store.delete(job_id, owner)
    if job is not None:
        empty_trash(cfg.home, store)
    return job


def empty_trash(home: Path, store: JobStore) -> int:
    """Remove the files noted in ``trash``; returns how many notes were cleared (failures stay for later)."""
    cleared = 0
    for item in store.trash():
        try:
            _remove(Path(home), item)
        except OSError as err:  # e.g. a worker that lost its lease still writing: try again at the next sweep
            log.warning("could not remove the files of session %s yet: %s", item.session, err)
            continue
        store.untrash(item.n)
        cleared += 1
    return cleared


def _remove(home: Path, item: Trash) -> None:
    from longcut.agent.store import ProjectStore
    from longcut.tools.paths import ProjectFolder

    try:
        folder = ProjectStore(home / "projects").folder(item.session)
        if item.render is not None:
            if not folder.is_dir():
                return
            ProjectFolder(folder).resolve(item.render, must_exist=False)  # refuses anything outside the folder
    except InputError as err:
        log.error("trash note %d names no file of a project (%s); skipped", item.n, err)
        return
    if item.render is not None:
        (folder / item.render).unlink(missing_ok=True)
        return
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        with contextlib.suppress(FileNotFoundError):  # a concurrent empty_trash got there first
            shutil.rmtree(folder)
    _forget_checkpoints(home / "checkpoints.sqlite", item.session)


def _forget_checkpoints(path: Path, session: str) -> None:
    """Delete the session's langgraph threads (``<session>:turn-<n>``) from the checkpoint database."""
    if not path.is_file():
        return
    prefix = f"{session}:turn-"
    db = sqlite3.connect(str(path), timeout=30.0)
    try:
        with db:
            for table in ("checkpoints", "writes"):  # SqliteSaver's tables
                try:
                    db.execute(f"DELETE FROM {table} WHERE substr(thread_id, 1, ?) = ?", (len(prefix), prefix))
                except sqlite3.OperationalError as err:  # no such table: nothing was checkpointed
                    log.debug("checkpoints: %s", err)
    finally:
        db.close()


# ------------------------------------------------------------------ the sweep
@dataclass
class Swept:
    """What one sweep deleted."""

    jobs: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)


def sweep(cfg: ServerConfig, store: JobStore, max_age: float, now: float | None = None) -> Swept:
    """Delete finished jobs that ended over ``max_age`` seconds before ``now``, and stale uploads."""
    now = time.time() if now is None else now
    swept = Swept()
    empty_trash(cfg.home, store)
    for job_id, owner in store.finished_before(now - max_age):
        job = delete_job(cfg, store, job_id, owner)
        if job is not None:
            swept.jobs.append(job_id)
            log.info("retention: deleted job %s (%s %s, session %s)", job_id, job.kind, job.status, job.session)
    swept.uploads = _sweep_uploads(Path(cfg.home), store, max(max_age, MIN_UPLOAD_AGE), now)
    return swept


def _sweep_uploads(home: Path, store: JobStore, max_age: float, now: float) -> list[str]:
    needed = store.active_uploads()
    gone = []
    for path in sorted((home / "uploads").glob("*/*.png")):
        if (path.parent.name, path.stem) in needed:
            continue
        try:
            if now - path.stat().st_mtime <= max_age:
                continue
            path.unlink()
        except FileNotFoundError:  # deleted by its owner meanwhile
            continue
        gone.append(path.stem)
        log.info("retention: deleted upload %s (no active job uses it)", path.stem)
    return gone


class Sweeper(threading.Thread):
    """Runs ``sweep`` now and every ``every`` seconds until ``stop``; a failed sweep is logged and retried."""

    def __init__(self, cfg: ServerConfig, every: float = SWEEP_SECONDS) -> None:
        super().__init__(name="retention", daemon=True)
        self.cfg, self.every = cfg, every
        self.store = JobStore(cfg.db_path)
        self._stopping = threading.Event()

    def run(self) -> None:
        """The thread's loop."""
        max_age = self.cfg.retention_days * DAY
        while True:
            try:
                swept = sweep(self.cfg, self.store, max_age)
                if swept.jobs or swept.uploads:
                    log.info("retention: deleted %d jobs and %d uploads older than %g days", len(swept.jobs),
                             len(swept.uploads), self.cfg.retention_days)
            except Exception:  # a bug or a busy database must not end retention for the server's life
                log.exception("retention sweep failed; retrying in %.0fs", self.every)
            if self._stopping.wait(self.every):
                return

    def stop(self) -> None:
        """Stop after the sweep in progress, if any."""
        self._stopping.set()
        if self.is_alive():
            self.join()
