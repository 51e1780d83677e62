"""The job queue's records: ``Job`` (one row of ``jobs``), ``Trash`` (a note of files to remove) and the job statuses.

``JobStore`` (``queue.py``) hands these out: every read of a job builds a
``Job`` from a ``SELECT *`` row, so the fields here follow the columns of the
``jobs`` table in ``queue.py``'s schema; ``ACTIVE`` and ``TERMINAL`` group the
``status`` values a job goes through (queued → running → succeeded, failed or
cancelled). They are plain data, with no connection to the database.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

ACTIVE = ("queued", "running")
TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass
class Job:
    """One row of ``jobs``."""

    n: int
    id: str
    owner: str
    kind: str
    status: str
    request: dict[str, Any]
    session: str
    attempts: int
    cancel_requested: bool
    progress: dict[str, Any] | None
    error: str | None
    render: str | None
    revision: int | None
    turn: int | None
    created: float
    started: float | None
    finished: float | None
    claim: str | None = None
    worker_pid: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        """Build from a ``SELECT *`` row."""
        return cls(n=row["n"], id=row["id"], owner=row["owner"], kind=row["kind"], status=row["status"],
                   request=json.loads(row["request"]), session=row["session"], attempts=row["attempts"],
                   cancel_requested=bool(row["cancel_requested"]),
                   progress=json.loads(row["progress"]) if row["progress"] else None, error=row["error"],
                   render=row["render"], revision=row["revision"], turn=row["turn"], created=row["created"],
                   started=row["started"], finished=row["finished"], claim=row["claim"], worker_pid=row["worker_pid"])


@dataclass(frozen=True)
class Trash:
    """Files of deleted jobs to remove: one ``render`` of a session, or the whole session when it is None."""

    n: int
    session: str
    render: str | None
