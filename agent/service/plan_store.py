"""Plans made with ``POST /v1/plans``: who made each, which draft session holds it, the job request it becomes.

A plan is a draft session in the server's project store (``agent.turn.drafts``)
plus this record, ``$LONGCUT_HOME/plans/<owner>/<id>.json`` (folders 0700,
files 0600), so only its owner can read or use it. A job started from a plan
claims it by renaming the record (``claim_plan``): one plan starts at most one
job, even when two submits race.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from longcut.agent.service.queue import QueueLimit
from longcut.tools.paths import atomic_output, make_private_dir

PLAN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{15,39}$")  # the draft session's name
MAX_PLANS = 100  # unclaimed plans per token


class PlanRecord(BaseModel):
    """A plan's owner-side record."""

    id: str  # also the name of the draft session
    created: str
    request: dict[str, Any]  # the job request it starts (JobRequest, resolved)
    estimate: dict[str, Any]  # the estimate made with the plan (agent.costs.estimate.Estimate)


def _owner_dir(home: Path, owner: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", owner):
        raise ValueError(f"owner id {owner!r} is not a token hash")
    return Path(home) / "plans" / owner


def _path(home: Path, owner: str, plan_id: str) -> Path | None:
    return _owner_dir(home, owner) / f"{plan_id}.json" if PLAN_ID_RE.match(plan_id) else None


def check_room(home: Path, owner: str) -> None:
    """Refuse a new plan when the owner has ``MAX_PLANS`` unclaimed ones."""
    folder = _owner_dir(home, owner)
    if folder.is_dir() and sum(1 for _ in folder.glob("*.json")) >= MAX_PLANS:
        raise QueueLimit("max_plans", f"limit max_plans={MAX_PLANS} reached: start jobs from your plans "
                         "(options.plan_id) or let them go")


def save_plan(home: Path, owner: str, record: PlanRecord) -> None:
    """Write ``record`` for ``owner``, atomically and private."""
    folder = make_private_dir(_owner_dir(home, owner))
    with atomic_output(folder / f"{record.id}.json", private=True) as tmp:
        tmp.write_text(record.model_dump_json(), encoding="utf-8")


def load_plan(home: Path, owner: str, plan_id: str) -> PlanRecord | None:
    """``owner``'s unclaimed plan ``plan_id``, else None."""
    path = _path(home, owner, plan_id)
    if path is None or not path.is_file():
        return None
    return PlanRecord.model_validate_json(path.read_text(encoding="utf-8"))


def claim_plan(home: Path, owner: str, plan_id: str) -> PlanRecord | None:
    """Take ``owner``'s plan ``plan_id`` for a job (None: no such unclaimed plan); ``release_plan`` undoes it."""
    path = _path(home, owner, plan_id)
    if path is None:
        return None
    claimed = path.with_suffix(".claimed")
    try:
        os.rename(path, claimed)  # atomic: of two racing claims one finds nothing
    except FileNotFoundError:
        return None
    return PlanRecord.model_validate_json(claimed.read_text(encoding="utf-8"))


def release_plan(home: Path, owner: str, plan_id: str) -> None:
    """Give a claimed plan back (its job could not be queued)."""
    path = _path(home, owner, plan_id)
    if path is not None and path.with_suffix(".claimed").is_file():
        os.rename(path.with_suffix(".claimed"), path)
