"""Sessions: make a video, refine it turn by turn, undo, list revisions.

A session is a project folder plus one langgraph thread per turn. One turn runs
at a time per session, across processes (CLI commands and API workers alike): a
turn holds the session's file lock from reading ``project.json`` to its render,
and a second one is refused (``SessionBusy``) or, with ``wait=True``, waits for
it. A turn is marked *pending* in ``project.json`` before it starts and cleared
when its render exists, so running the same command again after a crash (even
``kill -9``) resumes the turn instead of starting over; finished shots are never
generated again because their takes are on disk (see ``agent.shots``).

Everything a turn is given (model, planner, references, music) is checked
before anything is saved, so a bad option never leaves a session behind; a
pending first turn run again with another model or planner starts over with
them, and ``discard`` (``longcut undo`` on an unfinished turn) drops one.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from longcut.agent.costs.budget import Budget, Spend
from longcut.agent.costs.prices import Price, load_prices
from longcut.agent.costs.totals import record_finished_turn
from longcut.agent.events import Event, EventSink
from longcut.agent.planning.planner import Planner, video_seconds
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.state import (
    Narration,
    PendingTurn,
    Project,
    Reference,
    Revision,
    check_request,
    slugify,
)
from longcut.agent.store import ProjectStore
from longcut.agent.turn.executors.base import Executor
from longcut.agent.turn.graph import checkpointer, forget_turn, run_turn
from longcut.agent.turn.judging import turn_judge
from longcut.agent.turn.retry import DEFAULT_MAX_TRIES, DEFAULT_REWRITE_AFTER, RetryPolicy
from longcut.agent.turn.shots import DEFAULT_CANDIDATES, Cancelled, Runtime, file_sha256
from longcut.agent.turn.task import ModelSpec, PlannerSpec, build_planner
from longcut.errors import InputError
from longcut.limits import DEFAULT_MODEL, DEFAULT_PLANNER
from longcut.models.backends.base import VideoModel
from longcut.tools.images import read_image_file
from longcut.tools.judge.config import JudgeConfig
from longcut.tools.media import probe
from longcut.tools.paths import atomic_output, check_input_file, sweep_stale_temps

log = logging.getLogger(__name__)

MAX_MUSIC_BYTES = 200 * 1024 * 1024
MUSIC_SUFFIXES = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac", ".opus")
LOCK_POLL_SECONDS = 0.2  # how often a waiting turn tries the session's lock (and looks at its cancel event)


class SessionBusy(InputError):
    """Another turn of the session is running (in this or another process)."""


@dataclass
class Options:
    """How to run turns: which model and planner, and where events go."""

    model: str = DEFAULT_MODEL
    weights: Path | None = None  # local weights folder for ``model`` (diffusers backends)
    planner: str = DEFAULT_PLANNER
    base_url: str | None = None  # OpenAI-compatible endpoint
    llm_model: str = "gpt-4o-mini"
    max_tries: int = DEFAULT_MAX_TRIES
    rewrite_after: int = DEFAULT_REWRITE_AFTER  # failed tries before the planner rewrites the prompt; 0: never
    candidates: int = DEFAULT_CANDIDATES  # opening chunks tried per take when the evaluator can judge them; 1 = off
    cut_fallback: bool = True  # a continuous shot's last try starts fresh when extending failed (shots.extends_take)
    listeners: list[Callable[[Event], None]] = field(default_factory=list)
    video_model: VideoModel | None = None  # injected (tests, the job API's warm worker)
    planner_impl: Planner | None = None
    cancel: threading.Event | None = None  # set it to stop the turn at the next chunk (the job API's cancel)
    budget: Budget = field(default_factory=Budget)  # caps on minutes, dollars and tries (agent.costs.budget)
    judge: JudgeConfig = field(default_factory=JudgeConfig)  # which judge reviews the shots (--judge)
    executor: Executor | None = None  # where chains run (--executor; agent.turn.executors); None: in this process
    narration: Narration | None = None  # --narrate and how the lines are spoken (a first turn's; None: as asked)


@dataclass
class TurnResult:
    """What a finished turn produced."""

    project: Project
    revision: Revision
    render: Path  # absolute path inside the project
    seconds: float  # wall time
    events: list[Event]


def _planner_spec(opts: Options) -> PlannerSpec:
    return PlannerSpec(name=opts.planner, base_url=opts.base_url, llm_model=opts.llm_model)


def _planner(opts: Options) -> Planner:
    """The planner ``opts`` was given, else the one it names (``NotOffered`` for a name not offered)."""
    return opts.planner_impl if opts.planner_impl is not None else build_planner(_planner_spec(opts))


def _runtime(store: ProjectStore, opts: Options, model_name: str) -> Runtime:
    """The turn's runtime: the backend and planner ``opts`` name (or were given), loaded once per turn."""
    load_prices()  # a damaged price table is refused before anything is saved
    if opts.video_model is not None:
        model = opts.video_model
    else:
        from longcut.models.backends.registry import load_backend

        model = load_backend(model_name, opts.weights)
    model_spec = ModelSpec(name=model_name, weights=str(opts.weights) if opts.weights is not None else None,
                           weights_id=model.info.weights_id)
    planner = _planner(opts)
    _, vision = turn_judge(opts.judge, model.info)
    return Runtime(store=store, model=model, planner=planner, vocabulary=vocabulary_for(model.info),
                   model_spec=model_spec, planner_spec=_planner_spec(opts), events=EventSink(opts.listeners),
                   candidates=opts.candidates, retry=RetryPolicy(opts.max_tries, opts.rewrite_after, opts.cut_fallback),
                   cancel=opts.cancel if opts.cancel is not None else threading.Event(), spend=_spend(opts, planner),
                   judge=opts.judge, vision=vision, executor=opts.executor)


def _spend(opts: Options, planner: Planner) -> Spend | None:
    """What a capped turn spends, from now on (None: no cap)."""
    price = load_prices().price(opts.llm_model) if opts.planner != "offline" else Price()
    judge_price = load_prices().price(opts.judge.model) if opts.judge.mode == "vlm" else Price()
    return Spend(opts.budget, planner, price, judge_price) if opts.budget.capped else None


def _read_reference(name: str, src: str | Path):
    """A supplied reference image, checked by content before anything is written: (id, RGB image)."""
    ref_id = slugify(name)
    if ref_id != name:
        raise InputError(f"reference name {name!r} may use only lower-case letters, digits, '-' and '_'")
    return ref_id, read_image_file(src, "reference image")


def _save_reference(folder: Path, ref_id: str, rgb, src: str | Path) -> Reference:
    """Store a checked reference image (re-encoded as PNG, private to its owner)."""
    rel = f"refs/{ref_id}.png"
    with atomic_output(folder / rel, private=True) as tmp:
        rgb.save(tmp, format="PNG")
    return Reference(id=ref_id, description=f"supplied image {Path(src).name}", image=rel, source="supplied",
                     sha256=file_sha256(folder / rel))


def _check_music(src: str | Path) -> Path:
    """The music file the user named, probed as media by its content before anything is copied."""
    shown = f"music file {str(src)!r}"
    path = check_input_file(src, "music file", MAX_MUSIC_BYTES)
    if not probe(path, shown).has_audio:
        raise InputError(f"{shown} has no audio stream")
    return path


def _copy_music(folder: Path, src: str | Path, path: Path) -> str:
    """Copy checked music (``path``, typed as ``src``) into the project, private; the copy is probed again."""
    shown = f"music file {str(src)!r}"
    suffix = path.suffix.lower() if path.suffix.lower() in MUSIC_SUFFIXES else ".audio"
    rel = f"audio/music{suffix}"
    with atomic_output(folder / rel, private=True) as tmp:
        try:
            shutil.copyfile(path, tmp)
        except OSError as err:
            if str(err.filename) == str(tmp):
                raise
            raise InputError(f"{shown} cannot be read: {err.strerror or err}") from err
        if not probe(tmp, shown).has_audio:  # what was copied is what passed, even if the source changed
            raise InputError(f"{shown} has no audio stream")
    return rel


class Sessions:
    """Make, refine, undo and list the turns of sessions stored in ``store``."""

    def __init__(self, store: ProjectStore | None = None, checkpoints: Path | None = None, wait: bool = False) -> None:
        self.store = store or ProjectStore()
        self.checkpoints = checkpoints
        self.wait = wait  # a turn on a busy session waits for the running one instead of being refused
        self._locks: dict[str, FileLock] = {}

    @contextmanager
    def lock(self, name: str, cancel: threading.Event | None = None) -> Iterator[None]:
        """Hold session ``name``'s turn lock (an OS file lock; reentrant within this object).

        Busy: ``SessionBusy``, or with ``wait`` poll until it is free (``Cancelled`` if ``cancel`` is set meanwhile).
        """
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = FileLock(self.store.lock_path(name))
        while True:
            try:
                lock.acquire(timeout=LOCK_POLL_SECONDS if self.wait else 0)
                break
            except Timeout:
                if not self.wait:
                    raise SessionBusy(f"session {name!r} is busy: another turn of it is running (another longcut "
                                      "command or an API job); wait for it to finish, or add --wait") from None
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the job was cancelled while waiting for another turn of its session") from None
        try:
            yield
        finally:
            lock.release()

    def default_name(self, request: str) -> str:
        """A new session name from the request and the time."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return f"{slugify(request[:24], 'video')}-{stamp}"

    def make(self, request: str, name: str | None = None, seconds: float | None = None, seed: int = 0,
             refs: dict[str, str | Path] | None = None, music: str | Path | None = None,
             opts: Options | None = None) -> TurnResult:
        """Turn 1 of a session: plan, generate, review, edit, render. Resumes an unfinished one.

        Every input is checked before anything is saved (the model and planner
        loaded, references decoded, music probed): a failure leaves no session.
        """
        opts = opts or Options()
        request = check_request(request, seconds, seed)
        name = name or self.default_name(request)
        with self.lock(name, opts.cancel):
            return self._make(request, name, seconds, seed, refs, music, opts)

    def _make(self, request: str, name: str, seconds: float | None, seed: int,
              refs: dict[str, str | Path] | None, music: str | Path | None, opts: Options,
              draft: Callable[[Project], None] | None = None) -> TurnResult | Project:
        """``draft``: plan the new project with it (``agent.turn.drafts``) and return it, generating nothing."""
        if self.store.exists(name):
            project = self.store.load(name)
            if project.pending is not None and project.pending.request == request:
                return self._resume(project, opts)
            if project.pending is None and project.revisions and project.request == request:
                rev = project.revisions[-1]
                return TurnResult(project, rev, self.store.folder(name) / rev.render, 0.0, [])
            raise InputError(f"session {name!r} already exists; use `longcut refine {name} \"…\"` "
                             "to change it, or choose another --session name")
        seconds = video_seconds(seconds, request)
        supplied = [(_read_reference(n, p), p) for n, p in (refs or {}).items()]
        music_path = _check_music(music) if music else None
        rt = _runtime(self.store, opts, opts.model) if draft is None else None  # a draft loads no weights
        created = not self.store.folder(name).exists()
        try:
            folder = self.store.project_folder(name).root
            references = [_save_reference(folder, ref_id, rgb, src) for (ref_id, rgb), src in supplied]
            project = Project(name=name, request=request, seconds=seconds, model=opts.model,
                              planner=opts.planner, seed=seed, references=references, narration=opts.narration,
                              music=_copy_music(folder, music, music_path) if music_path else None,
                              pending=PendingTurn(n=1, kind="make", request=request, draft=draft is not None))
            if draft is not None:
                draft(project)
            self.store.save(project)
        except BaseException:
            if created:  # what this failed first turn created goes with it
                shutil.rmtree(self.store.folder(name), ignore_errors=True)
            raise
        return project if draft is not None else self._run(project, opts, rt)

    def refine(self, name: str, feedback: str, opts: Options | None = None, edits: list[dict] | None = None) -> TurnResult:
        """A new turn from feedback (or exact edit calls, ``edits``: ``planning.shot_actions``); only changed shots are generated."""
        opts = opts or Options(model=self.store.load(name).model)
        with self.lock(name, opts.cancel):
            return self._refine(name, feedback, opts, edits)

    def _refine(self, name: str, feedback: str, opts: Options, edits: list[dict] | None = None) -> TurnResult:
        project = self.store.load(name)
        if project.pending is not None:
            if project.pending.request == feedback.strip():
                return self._resume(project, opts)
            raise self._unfinished(project)
        if not feedback.strip():
            raise InputError("the feedback is empty; say what to change, e.g. 'make the second shot green'")
        rt = _runtime(self.store, opts, project.model)
        project.pending = PendingTurn(n=len(project.revisions) + 1, kind="refine", request=feedback.strip(),
                                      awaits_revise=True, edits=edits)  # the graph's revise node applies it
        self.store.save(project)
        return self._run(project, opts, rt)

    def undo(self, name: str) -> Revision:
        """Go back to the previous revision (no generation: its takes and render exist)."""
        with self.lock(name):
            return self._undo(name)

    def _undo(self, name: str) -> Revision:
        project = self.store.load(name)
        if project.pending is not None:
            raise self._unfinished(project)
        if len(project.revisions) < 2:
            raise InputError(f"session {name!r} has {len(project.revisions)} revision(s); nothing to undo")
        back = project.revisions[-2]
        rev = Revision(n=len(project.revisions) + 1, request=f"undo: back to revision {back.n}",
                       storyboard=back.storyboard, shot_keys=back.shot_keys, render=back.render)
        project.storyboard = back.storyboard
        project.revisions.append(rev)
        project.note("undo", rev.request)
        self.store.save(project)
        return rev

    def discard(self, name: str) -> tuple[PendingTurn, Revision | None]:
        """Drop the unfinished turn of session ``name``: (the turn, the revision now current).

        An unfinished first turn takes the session with it (there is no
        video to go back to; the revision is None); an unfinished refinement
        goes back to the last revision's storyboard. Takes already made stay
        on disk, so running the turn again reuses them.
        """
        with self.lock(name):
            return self._discard(name)

    def _discard(self, name: str) -> tuple[PendingTurn, Revision | None]:
        project = self.store.load(name)
        turn = project.pending
        if turn is None:
            raise InputError(f"session {name!r} has no unfinished turn")
        self._forget(project.name, turn.n)
        if not project.revisions:
            shutil.rmtree(self.store.folder(name), ignore_errors=True)
            return turn, None
        current = project.revisions[-1]
        project.storyboard, project.pending = current.storyboard, None
        project.note("undo", f"unfinished turn {turn.n} ({turn.kind}: {turn.request[:200]}) discarded")
        self.store.save(project)
        return turn, current

    def history(self, name: str) -> list[Revision]:
        """The session's revisions, oldest first."""
        return self.store.load(name).revisions

    def _unfinished(self, project: Project) -> InputError:
        n = project.pending.n
        return InputError(f"turn {n} of {project.name!r} is unfinished; run it again to resume it, "
                          f"or `longcut undo {project.name}` to discard it")

    def _forget(self, name: str, turn: int) -> None:
        with checkpointer(self.checkpoints) as saver:
            forget_turn(saver, name, turn)

    def _resume(self, project: Project, opts: Options) -> TurnResult:
        """Run a pending turn again with ``opts``, checked first.

        A first turn given another model or planner than it was started
        with starts over with them (its checkpoint and plan are dropped;
        takes on disk whose keys still match are reused).
        """
        fresh = project.pending.kind == "make" and not project.pending.draft  # a draft runs as it was planned
        rt = _runtime(self.store, opts, opts.model if fresh else project.model)
        if project.pending.draft:  # approved: from here it is an unfinished turn like any other
            project.pending.draft = False
            self.store.save(project)
        elif fresh and (opts.model, opts.planner) != (project.model, project.planner):
            project.note("turn", f"turn 1 restarted with model {opts.model!r}, planner {opts.planner!r} "
                         f"(was {project.model!r}, {project.planner!r})")
            project.model, project.planner, project.storyboard = opts.model, opts.planner, None
            project.references = [r for r in project.references if r.source == "supplied"]
            self.store.save(project)
            self._forget(project.name, project.pending.n)
        return self._run(project, opts, rt)

    def _drop_unrevised(self, name: str, turn: int, saver) -> None:
        """A refine that failed before its feedback reached the storyboard leaves nothing behind.

        (The planner refused it, or could not answer.) Once the revised storyboard is saved, a failure keeps the turn.
        """
        project = self.store.load(name)
        if project.pending is not None and project.pending.n == turn and project.pending.awaits_revise:
            project.pending = None
            self.store.save(project)
            forget_turn(saver, name, turn)

    def _run(self, project: Project, opts: Options, rt: Runtime | None = None) -> TurnResult:
        rt = rt or _runtime(self.store, opts, project.model)
        turn = project.pending.n
        started = time.monotonic()
        sweep_stale_temps(self.store.folder(project.name), recursive=True)  # left by a killed process
        with checkpointer(self.checkpoints) as saver:
            try:
                render_rel = run_turn(rt, project.name, turn, project.pending.request, saver, project.pending.kind)
            except BaseException:
                self._drop_unrevised(project.name, turn, saver)
                raise
        project = self.store.load(project.name)
        project.pending = None
        rev = next(r for r in project.revisions if r.n == turn)
        wall = time.monotonic() - started
        record_finished_turn(project, rev, wall, rt.planner_spec.llm_model)
        self.store.save(project)
        return TurnResult(project, rev, self.store.folder(project.name) / render_rel, wall, rt.events.events)
