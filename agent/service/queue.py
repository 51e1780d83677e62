"""The durable job queue: jobs, their progress events and sessions in SQLite (WAL).

``$LONGCUT_HOME/jobs.sqlite`` holds four tables:

* ``jobs`` — one row per accepted job: owner (hash of its token), kind
  (make/refine), status, the request as JSON, the session it runs in, and the
  lease of the worker running it;
* ``job_events`` — the job's progress events, numbered 1, 2, … (the ids of the
  Server-Sent Events stream);
* ``sessions`` — which owner a session belongs to;
* ``trash`` — files of deleted jobs still to remove (a render, or a whole
  session), written in the transaction that deletes the job, so a crash
  between the commit and the removal leaves a note, not lost files.

A job is accepted only once its row is committed (``synchronous=FULL``), so a
crash after the reply loses nothing. Workers claim jobs with one atomic
update, holding a *lease* they renew while they work; a job whose worker died
is claimed again when the lease runs out (or at once, when the pool saw the
worker die) and resumes from its checkpoint. Every write by a worker is
fenced by its claim id, so a worker that lost its lease cannot finish a job
another worker now runs.

The schema, the claim/lease/fence protocol and every query that relies on
them stay here, read together; the records the queries return (``Job``,
``Trash``) and the job statuses are in ``job_records.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from longcut.agent.service.job_records import TERMINAL, Job, Trash
from longcut.errors import LongcutError
from longcut.limits import DEFAULT_MODEL

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    idem_key TEXT,
    session TEXT NOT NULL,
    turn INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    lease_until REAL,
    worker_pid INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    error TEXT,
    render TEXT,
    revision INTEGER,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    UNIQUE (owner, idem_key)
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, n);
CREATE TABLE IF NOT EXISTS job_events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trash (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    render TEXT
);
"""


class QueueLimit(LongcutError):
    """A per-token limit was reached (HTTP 429); ``limit`` names it."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class IdempotencyConflict(LongcutError):
    """An ``Idempotency-Key`` was used before for a different request."""


class NoSession(LongcutError):
    """A turn names a session that does not exist (or was deleted) for its owner."""


class JobActive(LongcutError):
    """A queued or running job cannot be deleted; ``status`` says which it is."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(f"job {job_id!r} is {status}; cancel it first and delete it once it has stopped")
        self.status = status


def new_id(prefix: str = "j") -> str:
    """An unguessable id: a letter (so it never reads as a command-line option) + 128 random bits, URL-safe."""
    return prefix + secrets.token_urlsafe(16)


class JobStore:
    """All queue operations; safe to use from many threads and processes (one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        try:
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _tx(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``: writers are serialised, no upgrade deadlocks)."""
        with self._connect(durable) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------ submitting
    def submit(self, owner: str, kind: str, request: dict[str, Any], session: str, max_active: int,
               idem_key: str | None = None, model: str | None = None) -> tuple[Job, bool]:
        """Queue a job; returns it and whether it is new (False: the same ``idem_key`` was seen)."""
        body = json.dumps(request, sort_keys=True)
        digest = json.dumps([kind, session if kind == "refine" else None, request], sort_keys=True)
        with self._tx() as db:
            if idem_key is not None:
                row = db.execute("SELECT * FROM jobs WHERE owner=? AND idem_key=?", (owner, idem_key)).fetchone()
                if row is not None:
                    if row["request_hash"] != digest:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was already used for a different request; use a new key")
                    return Job.from_row(row), False
            active = db.execute("SELECT COUNT(*) FROM jobs WHERE owner=? AND status IN ('queued','running')",
                                (owner,)).fetchone()[0]
            if active >= max_active:
                raise QueueLimit("max_active_jobs", f"limit max_active_jobs={max_active} reached: this token has "
                                 f"{active} jobs queued or running; wait for one to finish or cancel one")
            if kind == "refine" and db.execute("SELECT 1 FROM sessions WHERE name=? AND owner=?",
                                               (session, owner)).fetchone() is None:
                raise NoSession(f"no session {session[:64]!r}")  # checked here too: a delete may have raced
            job_id, now = new_id(), time.time()
            if kind == "make":
                db.execute("INSERT INTO sessions (name, owner, model, created) VALUES (?,?,?,?)",
                           (session, owner, model or DEFAULT_MODEL, now))
            db.execute("INSERT INTO jobs (id, owner, kind, status, request, request_hash, idem_key, session, created)"
                       " VALUES (?,?,?,?,?,?,?,?,?)", (job_id, owner, kind, "queued", body, digest, idem_key,
                                                        session, now))
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return Job.from_row(row), True

    # -------------------------------------------------------------- reading
    def get(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job, if it exists (and belongs to ``owner`` when given)."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return Job.from_row(row)

    def list(self, owner: str, limit: int, before: int | None = None, status: str | None = None) -> list[Job]:
        """The owner's jobs, newest first; ``before`` is the ``n`` of the last job of the previous page."""
        sql, args = "SELECT * FROM jobs WHERE owner=?", [owner]
        if before is not None:
            sql, args = sql + " AND n<?", [*args, before]
        if status is not None:
            sql, args = sql + " AND status=?", [*args, status]
        with self._connect() as db:
            rows = db.execute(sql + " ORDER BY n DESC LIMIT ?", (*args, limit)).fetchall()
        return [Job.from_row(r) for r in rows]

    def session(self, name: str, owner: str) -> dict[str, Any] | None:
        """The session row, if ``owner`` owns it."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE name=? AND owner=?", (name, owner)).fetchone()
        return dict(row) if row is not None else None

    def session_jobs(self, name: str, owner: str) -> list[Job]:
        """The jobs of one session, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE session=? AND owner=? ORDER BY n", (name, owner)).fetchall()
        return [Job.from_row(r) for r in rows]

    def events_after(self, job_id: str, after: int, limit: int = 500) -> list[tuple[int, str]]:
        """Events with ``seq > after``: (seq, JSON body)."""
        with self._connect() as db:
            rows = db.execute("SELECT seq, body FROM job_events WHERE job_id=? AND seq>? ORDER BY seq LIMIT ?",
                              (job_id, after, limit)).fetchall()
        return [(r["seq"], r["body"]) for r in rows]

    # ------------------------------------------------------------ changing
    def cancel(self, job_id: str, owner: str) -> Job | None:
        """Cancel a queued job at once; ask the worker of a running one to stop."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status='cancelled', finished=? WHERE id=? AND owner=? AND status='queued'",
                       (time.time(), job_id, owner))
            db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=? AND owner=? AND status='running'",
                       (job_id, owner))
        return self.get(job_id, owner)

    def delete(self, job_id: str, owner: str) -> Job | None:
        """Forget a finished job and note its files in ``trash``; None if ``owner`` has no such job.

        One transaction checks the state and deletes, so a worker can never
        claim the job in between (claims take the same write lock). The
        session's files are shared by its turns: the job's render goes now,
        the project folder with the session's last job. Raises ``JobActive``
        for a queued or running job.
        """
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=? AND owner=?", (job_id, owner)).fetchone()
            if row is None:
                return None
            if row["status"] not in TERMINAL:
                raise JobActive(job_id, row["status"])
            db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
            db.execute("DELETE FROM job_events WHERE job_id=?", (job_id,))
            session, render = row["session"], row["render"]
            if db.execute("SELECT 1 FROM jobs WHERE session=? LIMIT 1", (session,)).fetchone() is None:
                db.execute("DELETE FROM sessions WHERE name=?", (session,))
                db.execute("INSERT INTO trash (session, render) VALUES (?, NULL)", (session,))
            elif render and db.execute("SELECT 1 FROM jobs WHERE session=? AND render=? LIMIT 1",
                                       (session, render)).fetchone() is None:
                db.execute("INSERT INTO trash (session, render) VALUES (?, ?)", (session, render))
        return Job.from_row(row)

    def trash(self) -> list[Trash]:
        """Files still to remove, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM trash ORDER BY n").fetchall()
        return [Trash(r["n"], r["session"], r["render"]) for r in rows]

    def untrash(self, n: int) -> None:
        """Drop a ``trash`` note once its files are gone."""
        with self._tx() as db:
            db.execute("DELETE FROM trash WHERE n=?", (n,))

    def finished_before(self, cutoff: float) -> list[tuple[str, str]]:
        """(id, owner) of the jobs that ended before ``cutoff`` (a Unix time), oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT id, owner FROM jobs WHERE status IN ('succeeded','failed','cancelled') "
                              "AND COALESCE(finished, created) < ? ORDER BY n", (cutoff,)).fetchall()
        return [(r["id"], r["owner"]) for r in rows]

    def active_uploads(self) -> set[tuple[str, str]]:
        """(owner, upload id) of every upload a queued or running job still needs."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT jobs.owner, json_extract(ref.value, '$.upload_id') FROM jobs, "
                              "json_each(jobs.request, '$.references') AS ref "
                              "WHERE jobs.status IN ('queued','running') AND jobs.kind='make'").fetchall()
        return {(r[0], r[1]) for r in rows}

    def append_event(self, job_id: str, event: dict[str, Any], progress: bool = True) -> int:
        """Add one event; with ``progress`` it also becomes the job's current progress."""
        body = json.dumps(event)
        with self._tx(durable=False) as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM job_events WHERE job_id=?",
                             (job_id,)).fetchone()[0]
            db.execute("INSERT INTO job_events (job_id, seq, body) VALUES (?,?,?)", (job_id, seq, body))
            if progress:
                db.execute("UPDATE jobs SET progress=? WHERE id=?", (body, job_id))
        return seq

    def running(self) -> list[Job]:
        """Jobs marked running (by any worker, alive or not)."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status='running'").fetchall()
        return [Job.from_row(r) for r in rows]

    # ------------------------------------------------------------- workers
    def claim(self, pid: int, lease: float, max_attempts: int) -> Job | None:
        """Atomically take the oldest runnable job (queued, or running with an expired lease).

        A session runs one job at a time, so turns of one session run in order.
        """
        now = time.time()
        with self._connect() as db:  # cheap read first: most polls find nothing
            if db.execute("SELECT 1 FROM jobs WHERE status='queued' OR (status='running' AND lease_until<?) LIMIT 1",
                          (now,)).fetchone() is None:
                return None
        with self._tx() as db:
            db.execute("UPDATE jobs SET status='cancelled', finished=?, claim=NULL WHERE status='running' "
                       "AND lease_until<? AND cancel_requested=1", (now, now))
            while True:
                row = db.execute(
                    "SELECT id, attempts FROM jobs WHERE (status='queued' OR (status='running' AND lease_until<?)) "
                    "AND session NOT IN (SELECT session FROM jobs WHERE status='running' AND lease_until>=?) "
                    "ORDER BY n LIMIT 1", (now, now)).fetchone()
                if row is None:
                    return None
                if row["attempts"] < max_attempts:
                    break
                db.execute("UPDATE jobs SET status='failed', finished=?, claim=NULL, lease_until=NULL, error=? "
                           "WHERE id=?", (now, f"the job's worker stopped {row['attempts']} times; giving up",
                                          row["id"]))
            claim = secrets.token_hex(8)
            db.execute("UPDATE jobs SET status='running', claim=?, lease_until=?, worker_pid=?, attempts=attempts+1, "
                       "started=COALESCE(started, ?) WHERE id=?", (claim, now + lease, pid, now, row["id"]))
            job = Job.from_row(db.execute("SELECT * FROM jobs WHERE id=?", (row["id"],)).fetchone())
        return job

    def renew(self, job_id: str, claim: str, lease: float) -> tuple[bool, bool]:
        """Extend the lease; returns (still ours, cancel requested)."""
        with self._tx(durable=False) as db:
            cur = db.execute("UPDATE jobs SET lease_until=? WHERE id=? AND claim=? AND status='running'",
                             (time.time() + lease, job_id, claim))
            row = db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (job_id,)).fetchone()
        return cur.rowcount == 1, bool(row and row["cancel_requested"])

    def set_turn(self, job_id: str, claim: str, turn: int) -> None:
        """Record which session turn a job runs (so a retried refine never makes a second one)."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET turn=? WHERE id=? AND claim=?", (turn, job_id, claim))

    def finish(self, job_id: str, claim: str, status: str, error: str | None = None, render: str | None = None,
               revision: int | None = None) -> bool:
        """End a job (fenced by the claim); returns False if the worker had lost it."""
        if status not in TERMINAL:
            raise ValueError(f"status {status!r} is not terminal; use one of {TERMINAL}")
        with self._tx() as db:
            cur = db.execute("UPDATE jobs SET status=?, error=?, render=?, revision=?, finished=?, claim=NULL, "
                             "lease_until=NULL WHERE id=? AND claim=? AND status='running'",
                             (status, error, render, revision, time.time(), job_id, claim))
        return cur.rowcount == 1

    def release_worker(self, pid: int) -> list[str]:
        """Requeue the jobs of a worker that is gone (cancelled ones end); returns their ids."""
        with self._tx() as db:
            ids = [r["id"] for r in db.execute("SELECT id FROM jobs WHERE status='running' AND worker_pid=?", (pid,))]
            db.execute("UPDATE jobs SET status=CASE WHEN cancel_requested=1 THEN 'cancelled' ELSE 'queued' END, "
                       "finished=CASE WHEN cancel_requested=1 THEN ? ELSE NULL END, claim=NULL, lease_until=NULL, "
                       "worker_pid=NULL WHERE status='running' AND worker_pid=?", (time.time(), pid))
        return ids
