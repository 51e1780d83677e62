"""Calibrating the cost model from the store's own records: measured rates of this machine.

Every take records its wall seconds and chunks, every turn its render,
wall time and planning (``agent.costs.record``). ``calibrated_rates`` reads
the most recent projects of the store (``MAX_PROJECTS``) and replaces each
figure of the prior with the one measured for the same backend (and, for
LLM use, the same planner):

* a take's wall seconds as ``chunk_seconds × chunks + take_seconds``, a
  least-squares line through the recorded takes (chunks of the kept
  generation plus the dropped opening candidates'), both terms kept ≥ 0;
  each take's wall time is first scaled by the share of a core it had
  (``TakeCost.cpu_share``, ``agent.costs.machine``), so the line is a
  quiet machine's and a busy hour does not slow every later estimate;
* the warm takes only: a backend's first take in a process pays its lazy
  loads (the text encoder), recorded as ``cold`` and fitted apart as
  ``cold_seconds``, what such a take costs beyond a warm one;
* opening-search chunks per take as a recorded mean, and takes per
  generated shot (tries) as a mean shrunk towards one try per shot, with
  their spread; the takes' relative error about the line as its spread
  (the estimate's likely range, ``agent.costs.estimate``);
* render seconds per video second, and the rest of a turn (wall time less
  its takes and its render: loading, planning, references), as means;
* LLM calls and tokens per plan and per revision, as means.

A figure with no record keeps its prior; ``Rates.measured_*`` say how many
records stand behind it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from pydantic import ValidationError

from longcut.agent.costs.rates import LLMRate, Rates
from longcut.agent.costs.record import LLMUsage
from longcut.agent.state import Project
from longcut.agent.store import PROJECT_FILE, ProjectStore
from longcut.errors import InputError

log = logging.getLogger(__name__)

MAX_PROJECTS = 50  # the most recently saved projects are read
MAX_TAKES = 400  # the most recent measured takes are fitted
TRIES_PRIOR_WEIGHT = 3  # shots' worth of "one try each" the recorded tries are averaged with
# A measured take's relative error before its records show their own: the 2-core machine's load alone moved
# turns by ±20% between runs of bench_estimates; weighted as three takes.
CALIBRATED_TAKE_SD, TAKE_SD_WEIGHT = 0.2, 3


@dataclass
class Records:
    """What the store recorded for one backend and planner."""

    # wall seconds as on a core of their own (× the take's recorded cpu_share)
    takes: list[tuple[str, int, float]] = field(default_factory=list)  # warm: (created, chunks + dropped, wall)
    cold: list[tuple[int, float]] = field(default_factory=list)  # a backend's first takes in a process
    search_chunks: list[int] = field(default_factory=list)
    tries: list[int] = field(default_factory=list)  # takes per (project, turn, shot)
    turns: list[tuple[float, float]] = field(default_factory=list)  # (render s per video s, rest of the turn s)
    plans: list[LLMUsage] = field(default_factory=list)
    revisions: list[LLMUsage] = field(default_factory=list)


def backend_of(model_id: str) -> str:
    """The backend name of a take's model id (``name@weights``)."""
    return model_id.partition("@")[0]


def recent_projects(store: ProjectStore, limit: int = MAX_PROJECTS) -> list[Project]:
    """The ``limit`` most recently saved projects of ``store``; damaged ones are skipped."""
    files = sorted(store.root.glob(f"*/{PROJECT_FILE}"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    out = []
    for path in files:
        try:
            out.append(store.load(path.parent.name))
        except (InputError, ValidationError, OSError) as err:  # a damaged project says nothing of speed
            log.debug("cost records: skipping %s (%s)", path.parent.name, err)
    return out


def gather(projects: list[Project], backend: str, planner: str) -> Records:
    """The cost records of ``backend`` (and ``planner``'s LLM use) in ``projects``."""
    rec = Records()
    for project in projects:
        ours = [v for v in project.versions if backend_of(v.model) == backend]
        per_shot: dict[tuple[int | None, str], int] = {}
        for v in ours:
            per_shot[(v.turn, v.shot_id)] = per_shot.get((v.turn, v.shot_id), 0) + 1
            if v.cost is not None and v.cost.wall_seconds > 0:
                chunks = v.cost.chunks + v.cost.search_chunks
                wall = v.cost.wall_seconds * (v.cost.cpu_share or 1.0)
                if v.cost.cold:
                    rec.cold.append((chunks, wall))
                else:
                    rec.takes.append((v.created, chunks, wall))
                rec.search_chunks.append(v.cost.search_chunks)
        rec.tries += [n for (turn, _), n in per_shot.items() if turn is not None]
        if not ours and project.model != backend:
            continue
        for rev in project.revisions:
            cost = rev.cost
            if cost is None or cost.wall_seconds <= 0:
                continue
            takes = [v for v in ours if v.turn == rev.n]
            if any(v.cost is None for v in takes):
                continue
            rest = cost.wall_seconds - sum(v.cost.wall_seconds for v in takes) - cost.render_seconds
            rec.turns.append((cost.render_seconds / max(rev.storyboard.seconds, 1e-6), max(0.0, rest)))
            if project.planner == planner and cost.planning.calls:
                (rec.plans if rev.n == 1 else rec.revisions).append(cost.planning)
    rec.takes.sort()
    rec.takes = rec.takes[-MAX_TAKES:]
    return rec


def fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """``(slope, intercept)`` of the least-squares line through the points, both ≥ 0.

    One distinct x (or a fit that would go negative) falls back to the
    ratio through the origin, or to the mean with no slope.
    """
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    if var > 0:
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
        intercept = my - slope * mx
        if slope >= 0 and intercept >= 0:
            return slope, intercept
        if slope < 0:
            return 0.0, my
    total = sum(xs)
    return (sum(ys) / total, 0.0) if total > 0 else (0.0, my)


def _llm_rate(usages: list[LLMUsage], prior: LLMRate) -> LLMRate:
    if not usages:
        return prior
    n = len(usages)
    return LLMRate(calls=sum(u.calls for u in usages) / n, prompt_tokens=sum(u.prompt_tokens for u in usages) / n,
                   completion_tokens=sum(u.completion_tokens for u in usages) / n, measured=n)


def calibrated_rates(prior: Rates, rec: Records) -> Rates:
    """``prior`` with every figure the records measure replaced by the measured one."""
    update: dict = {"plan": _llm_rate(rec.plans, prior.plan), "revise": _llm_rate(rec.revisions, prior.revise)}
    takes = rec.takes or [("", c, w) for c, w in rec.cold]  # only cold takes so far: better than the prior
    if takes:
        slope, intercept = fit_line([float(c) for _, c, _ in takes], [w for _, _, w in takes])
        update |= {"chunk_seconds": slope, "take_seconds": intercept, "measured_takes": len(takes),
                   "search_chunks": prior.search_chunks and sum(rec.search_chunks) / len(rec.search_chunks)}
        errors = [(w / p - 1.0) ** 2 for p, w in ((slope * c + intercept, w) for _, c, w in takes) if p > 0]
        # shrunk towards the prior's spread: a line through three takes fits them too well
        update["take_sd"] = math.sqrt((sum(errors) + TAKE_SD_WEIGHT * CALIBRATED_TAKE_SD ** 2)
                                      / (len(errors) + TAKE_SD_WEIGHT))
        if rec.takes and rec.cold:  # what a first take costs beyond a warm one of its size
            update["cold_seconds"] = sum(max(0.0, w - slope * c - intercept) for c, w in rec.cold) / len(rec.cold)
    if rec.tries:  # shrunk towards one try per shot: a few shots say little about the pass rate
        n = len(rec.tries) + TRIES_PRIOR_WEIGHT
        mean = max(1.0, (sum(rec.tries) + TRIES_PRIOR_WEIGHT) / n)
        spread = sum((t - mean) ** 2 for t in rec.tries) + TRIES_PRIOR_WEIGHT * (1.0 - mean) ** 2
        update |= {"tries_per_shot": mean, "tries_sd": math.sqrt(spread / n)}
    if rec.turns:
        n = len(rec.turns)
        update |= {"render_per_second": sum(r for r, _ in rec.turns) / n,
                   "turn_seconds": sum(t for _, t in rec.turns) / n, "measured_turns": n}
    return prior.model_copy(update=update)


def rates_for(store: ProjectStore, prior: Rates, planner: str) -> Rates:
    """The rates of ``prior``'s backend on this machine: the prior calibrated by ``store``'s records."""
    return calibrated_rates(prior, gather(recent_projects(store), prior.backend, planner))
