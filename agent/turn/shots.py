"""Making shots: cache keys along continuity chains, and generate → review → retry.

Shots form *chains*: a shot that is not continuous starts one, continuous
shots extend it from the previous shot's latent history, so a chain is made
in order while chains are independent (the graph fans them out).

Every finished take is recorded on disk next to its video
(``shots/<id>/<key>-t<attempt>.json``, written last and atomically), so a run
that is killed and started again reuses every finished take instead of
generating it again (resumption is at-least-once; see FACTS.md).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from longcut.agent.costs import machine
from longcut.agent.costs.budget import Spend
from longcut.agent.costs.meter import Meter, is_warm, mark_warm
from longcut.agent.costs.record import TakeCost
from longcut.agent.events import EventSink
from longcut.agent.planning.planner import ModelVocabulary, Planner
from longcut.agent.state import Project, Shot, ShotCheck, ShotVersion, Storyboard, shot_key
from longcut.agent.store import ProjectStore
from longcut.agent.turn.judging import take_judging
from longcut.agent.turn.retry import RetryPolicy
from longcut.agent.turn.task import ModelSpec, PlannerSpec
from longcut.errors import LongcutError
from longcut.models.backends.base import VideoModel, derived_seed
from longcut.tools.generate import MAX_CANDIDATES, GenerateClipArgs, clip_is_complete, generate_clip
from longcut.tools.judge.config import JudgeConfig
from longcut.tools.judge.vision import VisionJudge
from longcut.tools.paths import atomic_output
from longcut.tools.review import (
    ADHERENCE_SECONDS,
    ReviewArgs,
    expectation_of,
    opening_judge,
    review_clip,
)

if TYPE_CHECKING:
    from longcut.agent.turn.executors.base import Executor

log = logging.getLogger(__name__)

DEFAULT_CANDIDATES = 4  # opening chunks tried per take when the evaluator can judge them (tools/generate.py)


class Cancelled(LongcutError):
    """The job was cancelled; partial takes were discarded."""


class CancelFlag(Protocol):
    """What a turn polls to know it was cancelled (a ``threading.Event`` is one)."""

    def is_set(self) -> bool:
        """Whether the turn was cancelled."""
        ...


class ShotProgress:
    """Progress of the shots stage over every chain of a turn: seconds of video made of the seconds to make."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, float] = {}  # shot id -> seconds generated
        self._seconds = 0.0

    def start(self, seconds_to_make: float, reset: bool = True) -> None:
        """Set the seconds the shots stage covers (``reset=False``: only if not set yet, e.g. on resume)."""
        with self._lock:
            if reset or not self._seconds:
                self._made.clear()
                self._seconds = max(seconds_to_make, 1e-6)

    def fraction(self, shot: Shot, fraction: float) -> float:
        """Record that ``fraction`` of ``shot`` is made; the fraction of the whole stage made."""
        with self._lock:
            self._made[shot.id] = fraction * shot.seconds
            return sum(self._made.values()) / self._seconds


@dataclass
class Runtime:
    """Everything a turn's nodes use that is not state: store, model, planner, events, policy, cancel flag.

    ``model_spec`` and ``planner_spec`` say, as data, which backend and
    planner ``model`` and ``planner`` are: a chain task carries them
    (``agent.turn.task``).
    """

    store: ProjectStore
    model: VideoModel
    planner: Planner
    vocabulary: ModelVocabulary
    model_spec: ModelSpec
    planner_spec: PlannerSpec
    events: EventSink = field(default_factory=EventSink)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    candidates: int = DEFAULT_CANDIDATES
    cancel: CancelFlag = field(default_factory=threading.Event)
    progress: ShotProgress = field(default_factory=ShotProgress)
    spend: Spend | None = None  # the turn's budget and what it spent (None: no cap)
    judge: JudgeConfig = field(default_factory=JudgeConfig)  # which judge reviews the takes (agent.turn.judging)
    vision: VisionJudge | None = None  # the vision-language judge, when judge_mode is "vlm"
    executor: Executor | None = None  # where the turn's chains run (agent.turn.executors); None: in this process
    on_take: Callable[[Path, ShotVersion], None] | None = None  # called with each new take's record, once written

    @property
    def judge_mode(self) -> str:
        """``judge`` resolved for this backend: none, evaluator or vlm (``agent.turn.judging.turn_judge``)."""
        return self.judge.resolved_mode(self.model.info.reader is not None)

    @property
    def model_id(self) -> str:
        """Model name and weights hash: part of every shot key."""
        info = self.model.info
        return f"{info.name}@{info.weights_id}"

    def check_cancel(self) -> None:
        """Raise ``Cancelled`` if the job was cancelled, ``BudgetExceeded`` if the turn is over its budget."""
        if self.cancel.is_set():
            raise Cancelled("the job was cancelled")
        if self.spend is not None:
            self.spend.check()

    def start_shots(self, seconds_to_make: float, reset: bool = True) -> None:
        """Set the seconds the shots stage covers (``reset=False``: only if not set yet, e.g. on resume)."""
        self.progress.start(seconds_to_make, reset)

    def shot_progress(self, shot: Shot, index: int, total: int, fraction: float, message: str,
                      attempt: int = 1) -> None:
        """Report progress of one try of a shot as part of the whole shots stage."""
        overall = self.progress.fraction(shot, fraction)
        self.events.emit("shots", message, overall, shot=shot.id, shot_index=index, shots=total, attempt=attempt)


def cached_shots(project: Project, model_id: str) -> set[str]:
    """Ids of the storyboard's shots whose chosen take is on record: what a turn would not generate.

    The same keys ``make_chain`` computes: a continuous shot whose
    predecessor is not on record is not either (its key names the new take).
    """
    board, out = project.storyboard, set()
    for chain in chains(board):
        prev: ShotVersion | None = None
        for shot_id in chain:
            shot = board.shot(shot_id)
            source = prev.take_id if (shot.continuous and prev is not None) else None
            prev = project.version(shot_key(model_id, shot.prompt, shot.seed, shot.seconds,
                                            ref_hashes(project, shot), source))
            if prev is None:
                break
            out.add(shot_id)
    return out


def chains(board: Storyboard) -> list[list[str]]:
    """Shot ids grouped into continuity chains, in order."""
    out: list[list[str]] = []
    for s in board.shots:
        if s.continuous and out:
            out[-1].append(s.id)
        else:
            out.append([s.id])
    return out


def ref_hashes(project: Project, shot: Shot) -> list[str]:
    """Hashes of the reference images a shot uses (part of its key)."""
    return [project.reference(r).sha256 or "" for r in shot.refs]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def search_width(candidates: int, attempt: int) -> int:
    """Openings searched on this try: ``candidates`` at first, doubling on each retry, at most MAX_CANDIDATES.

    A shot that failed has shown its prompt is hard for the model; a wider
    search costs only opening chunks (one each), a retry the whole shot.
    1 keeps the search off on every try.
    """
    if candidates <= 1:
        return 1
    return min(MAX_CANDIDATES, candidates * 2 ** (attempt - 1))


def take_seed(seed: int, attempt: int) -> int:
    """The seed of a retry: attempt 1 uses the shot's own seed."""
    return seed if attempt == 1 else derived_seed(seed, str(attempt))


def _record_path(folder: Path, shot_id: str, key: str, attempt: int) -> Path:
    return folder / "shots" / shot_id / f"{key}-t{attempt}.json"


def _load_take(path: Path) -> ShotVersion | None:
    if not path.is_file():
        return None
    version = ShotVersion.model_validate_json(path.read_text(encoding="utf-8"))
    return version if clip_is_complete(path.parent.parent.parent / version.file) else None


@dataclass(frozen=True)
class TakeOutcome:
    """A take a chain produced or reused: ``chosen`` for the shot, ``generated`` by this turn.

    ``generated`` comes from the take's own record (``ShotVersion.turn``), not
    from whether this run made it: after a crash the resumed run finds the
    takes the turn made before it on disk, and they were still made by the turn.
    """

    version: ShotVersion
    chosen: bool
    generated: bool


def make_chain(rt: Runtime, project: Project, chain: list[str], index_of: dict[str, int],
               turn: int | None = None) -> list[TakeOutcome]:
    """Make (or find) the chosen take of every shot of one chain, with any failed takes before it.

    New takes are marked as made by ``turn``.
    """
    board = project.storyboard
    rt.start_shots(sum(s.seconds for s in board.shots), reset=False)
    folder = rt.store.project_folder(project.name)
    out: list[TakeOutcome] = []
    prev: ShotVersion | None = None
    for shot_id in chain:
        rt.check_cancel()
        shot = board.shot(shot_id)
        source = prev.take_id if (shot.continuous and prev is not None) else None
        key = shot_key(rt.model_id, shot.prompt, shot.seed, shot.seconds, ref_hashes(project, shot), source)
        cached = project.version(key)
        if cached is not None:
            prev = cached
            out.append(TakeOutcome(cached, chosen=True, generated=turn is not None and cached.turn == turn))
            rt.shot_progress(shot, index_of[shot_id], len(board.shots), 1.0, f"shot {shot_id}: cached")
            continue
        takes = _make_shot(rt, project, folder, shot, key, prev, index_of[shot_id], turn)
        prev = next(t.version for t in takes if t.chosen)  # a continuous successor extends the chosen take
        out += takes
    return out


def _make_shot(rt: Runtime, project: Project, folder, shot: Shot, key: str, prev: ShotVersion | None,
               index: int, turn: int | None) -> list[TakeOutcome]:
    """Takes of one shot until one passes or its tries are spent (``try_plan``).

    The passing take is chosen; when none passes, the one nearest to passing
    (``take_rank``) is, so a weak model's best try reaches the cut rather than
    its last.
    """
    total = len(project.storyboard.shots)
    prompt = shot.prompt
    take: ShotVersion | None = None
    outcomes: list[TakeOutcome] = []
    for attempt, extend in enumerate(rt.retry.tries(shot, prev), start=1):
        record = _record_path(folder.root, shot.id, key, attempt)
        found = _load_take(record)
        generated = found is None or (turn is not None and found.turn == turn)
        if found is not None:  # finished before a crash (this turn's) or in an earlier turn
            take = found
        else:
            rt.check_cancel()
            if rt.spend is not None:
                rt.spend.start_try()
            meter = Meter(rt.planner)  # from before a rewrite: its tokens are this try's
            if rt.retry.rewrites_at(attempt) and take is not None:  # enough failures: ask for a new prompt
                prompt = rt.planner.rewrite_failed(shot.intent, shot.prompt, take_problems(take), rt.vocabulary)
            cut = shot.continuous and prev is not None and not extend
            if cut:
                rt.events.emit("review", f"shot {shot.id}: extending shot {prev.shot_id} failed {attempt - 1} times; "
                               f"try {attempt} starts fresh (a cut)", shot=shot.id, shot_index=index, shots=total,
                               attempt=attempt)
            take = _generate_take(rt, project, folder, shot, key, prompt, attempt, prev if extend else None,
                                  index, total, meter, cut=cut, turn=turn)
            with atomic_output(record) as tmp:
                tmp.write_text(take.model_dump_json(indent=2), encoding="utf-8")
            if rt.on_take is not None:  # e.g. a remote chain sends the finished take home at once
                rt.on_take(record, take)
        outcomes.append(TakeOutcome(take, chosen=False, generated=generated))
        if take.passed:
            break
        prompt = take.prompt
        rt.events.emit("review", f"shot {shot.id} attempt {attempt} failed: {take_problems(take)}",
                       shot=shot.id, shot_index=index, shots=total, attempt=attempt)
    best = len(outcomes) - 1
    if not outcomes[best].version.passed:
        best = min(range(len(outcomes)), key=lambda i: take_rank(outcomes[i].version))  # ties: the earlier take
        rt.events.emit("review", f"shot {shot.id}: no try passed; keeping try {best + 1} "
                       f"({take_problems(outcomes[best].version)})", shot=shot.id, shot_index=index, shots=total)
    outcomes[best] = TakeOutcome(outcomes[best].version, chosen=True, generated=outcomes[best].generated)
    return outcomes


def take_rank(take: ShotVersion) -> tuple[int, int]:
    """How far a take is from passing, lower is nearer: failed checks, then attributes read wrong."""
    failed = [c for c in take.checks if not c.passed]
    return len(failed), sum(len(c.wrong) for c in failed)


def take_problems(take: ShotVersion) -> str:
    """What a take's failed checks said."""
    return "; ".join(f"{c.name}: {c.detail}" for c in take.checks if not c.passed) or "no problem"


def _generate_take(rt: Runtime, project: Project, folder, shot: Shot, key: str, prompt: str, attempt: int,
                   prev: ShotVersion | None, index: int, total: int, meter: Meter, cut: bool = False,
                   turn: int | None = None) -> ShotVersion:
    """One try of a shot: extends ``prev``'s take when given, else starts fresh; then the review.

    The take records what it cost (``TakeCost``), measured by ``meter``, and
    what the turn's estimate expected of it.
    """
    seed = take_seed(shot.seed, attempt)
    rel = f"shots/{shot.id}/{key}-t{attempt}.mp4"
    named = {r: project.reference(r).image for r in shot.refs if project.reference(r).image}
    refs = list(named.values())
    max_refs = rt.model.info.max_refs
    if len(refs) > max_refs:  # e.g. a text-only model: the prompt alone must carry the subject
        rt.events.emit("shots", f"{rt.model.info.name} takes {max_refs} reference(s); shot {shot.id} uses the first "
                       f"{max_refs} of {len(refs)}", shot=shot.id)
        refs = refs[:max_refs]
    label = f"shot {index}/{total} ({shot.id})" + (f", try {attempt}" if attempt > 1 else "")

    def progress(done: int, frames: int) -> None:
        rt.check_cancel()
        rt.shot_progress(shot, index, total, done / frames, f"{label}: {done}/{frames} frames", attempt)

    # read once: the search and the review share it; the judge sees every reference the shot names
    expected = expectation_of(prompt, rt.model.info.reader) if rt.judge_mode == "evaluator" else None
    judging = take_judging(rt.vision, prompt, folder, named)
    judge = opening_judge(expected)
    args = GenerateClipArgs(prompt=prompt, seconds=shot.seconds, seed=seed, refs=refs,
                            continue_from=prev.file if prev is not None else None, out=rel,
                            candidates=search_width(rt.candidates, attempt) if judge is not None else 1,
                            search_seconds=ADHERENCE_SECONDS)
    cold = not is_warm(rt.model.info.name)
    result = generate_clip(args, folder, rt.model, on_progress=progress, judge=judge)
    mark_warm(rt.model.info.name)
    share = machine.cpu_share()  # the generating thread's, while it is hot
    report = review_clip(ReviewArgs(file=result.file, prompt=prompt, seconds=shot.seconds,
                                    chunk_frames=result.chunk_frames, chunk_starts=result.chunk_starts,
                                    latent_starts=result.latent_starts), folder, expected, judging.check)
    judged = judging.usage
    if rt.spend is not None:
        rt.spend.add_judge(judged)
    return ShotVersion(
        shot_id=shot.id, key=key, file=result.file, history=result.history, prompt=prompt, seed=result.seed,
        model=rt.model_id, attempt=attempt, cut=cut, turn=turn,
        checks=[ShotCheck(name=c.name, passed=c.passed, detail=c.detail, wrong=c.wrong) for c in report.checks],
        cost=TakeCost(wall_seconds=meter.wall_seconds, cpu_seconds=meter.cpu_seconds, chunks=result.chunks,
                      search_chunks=result.searched_chunks, llm=meter.llm + judged, judge=judged, cold=cold, cpu_share=share,
                      estimate_seconds=project.pending.cost.shot_estimates.get(shot.id) if project.pending else None),
    )


ProgressFn = Callable[[float], None]
