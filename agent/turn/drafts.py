"""Plan before you pay: a turn planned and estimated without generating, saved as a draft, approved later.

``plan_first_turn`` plans a request the way a make's plan node does
(``nodes.plan_storyboard``) and estimates it with the calibrated cost model
(``agent.costs``), reading the backend's ``ModelInfo`` without loading its
weights where the backend can (``registry.describe_backend``). Given a
session name, it saves the new project with its storyboard and a pending
first turn marked ``draft``: ``approve`` (``longcut make --session NAME`` or
``longcut approve NAME``) runs that turn, whose plan node finds the
storyboard and keeps it, so exactly the shots shown are generated.

``preview_refine`` shows what a refine would do — the revised storyboard,
which shots would be generated, what that costs — and saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from longcut.agent.costs.estimate import Estimate
from longcut.agent.costs.meter import Meter
from longcut.agent.costs.model import CostModel
from longcut.agent.costs.prices import load_prices
from longcut.agent.planning.planner import video_seconds
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.state import PendingTurn, Project, Reference, Storyboard, check_request
from longcut.agent.turn.narration import align
from longcut.agent.turn.nodes import plan_storyboard, record_planning
from longcut.agent.turn.session import (
    Options,
    Sessions,
    TurnResult,
    _check_music,
    _planner,
    _planner_spec,
    _read_reference,
)
from longcut.errors import InputError
from longcut.models.backends.base import ModelInfo
from longcut.tools.filters import check_drawable
from longcut.tools.review import ADHERENCE_SECONDS

DRAFT_NAME = "draft"  # the in-memory project of a plan that names no session


@dataclass
class PlanPreview:
    """A planned turn, not generated: its project (storyboard, references), estimate, and what it would generate."""

    project: Project
    estimate: Estimate
    generate: list[str]  # shot ids the turn would generate, in storyboard order
    saved: bool = False  # saved as the session's draft (``approve`` generates it)
    notes: list[str] = field(default_factory=list)


def _info(opts: Options, model: str) -> ModelInfo:
    """The backend's description: the injected model's, else one read without loading weights where possible."""
    if opts.video_model is not None:
        return opts.video_model.info
    from longcut.models.backends.registry import describe_backend

    return describe_backend(model, opts.weights)


def _cost_model(sessions: Sessions, opts: Options, info: ModelInfo) -> CostModel:
    return CostModel(sessions.store, info, _planner_spec(opts), opts.candidates, ADHERENCE_SECONDS, opts.judge)


def plan_first_turn(sessions: Sessions, request: str, name: str | None = None, seconds: float | None = None,
                    seed: int = 0, refs: dict | None = None, music=None, opts: Options | None = None) -> PlanPreview:
    """Plan a make without generating; with ``name``, save it as that session's draft.

    Inputs are checked as ``Sessions.make`` checks them, before anything is
    saved. Planning again under the name of a draft not yet approved
    replaces it; any other existing session is refused.
    """
    opts = opts or Options()
    request = check_request(request, seconds, seed)
    info = _info(opts, opts.model)
    planner = _planner(opts)
    load_prices()  # a damaged price table is refused before planning
    cost_model = _cost_model(sessions, opts, info)
    vocabulary = vocabulary_for(info)
    out: dict[str, Estimate] = {}

    def plan(project: Project) -> None:
        meter = Meter(planner)
        folder = sessions.store.folder(project.name)
        plan_storyboard(project, planner, vocabulary, folder if project.name != DRAFT_NAME and folder.is_dir() else None)
        out["estimate"] = record_planning(project, cost_model, "", meter)

    if name is None:
        length = video_seconds(seconds, request)
        if music:
            _check_music(music)
        supplied = [_read_reference(n, src)[0] for n, src in (refs or {}).items()]  # decoded: real images
        references = [Reference(id=n, description=f"supplied image {n}", image=f"refs/{n}.png", source="supplied")
                      for n in supplied]
        project = Project(name=DRAFT_NAME, request=request, seconds=length, model=opts.model, planner=opts.planner,
                          seed=seed, references=references)
        plan(project)
        return PlanPreview(project, out["estimate"], [s.id for s in project.storyboard.shots])
    with sessions.lock(name):
        if sessions.store.exists(name):
            old = sessions.store.load(name)
            if old.revisions or old.pending is None or not old.pending.draft:
                raise InputError(f"session {name!r} already exists; plan a change to it with "
                                 f"`longcut refine {name} \"…\" --plan-only`, or choose another --session name")
            sessions._discard(name)  # a draft not approved yet: planned again, replaced
        project = sessions._make(request, name, seconds, seed, refs, music, opts, draft=plan)
    return PlanPreview(project, out["estimate"], [s.id for s in project.storyboard.shots], saved=True)


def approve(sessions: Sessions, name: str, opts: Options | None = None) -> TurnResult:
    """Generate session ``name``'s draft as it was planned (its model and planner; nothing is planned again)."""
    opts = opts or Options()
    with sessions.lock(name, opts.cancel):
        project = sessions.store.load(name)
        if project.pending is None or not project.pending.draft:
            raise InputError(f"session {name!r} has no draft to approve; make one with "
                             f"`longcut plan \"…\" --session {name}`")
        return sessions._resume(project, opts)


def preview_refine(sessions: Sessions, name: str, feedback: str, opts: Options | None = None) -> PlanPreview:
    """What ``refine(name, feedback)`` would do: the revised storyboard, the shots it would generate, the cost.

    Nothing is saved. A shot counts as on record when its key, with the
    model of the session's current takes, has a passing take (the same
    keys a turn computes).
    """
    project = sessions.store.load(name)
    if project.pending is not None:
        raise sessions._unfinished(project)
    if not feedback.strip():
        raise InputError("the feedback is empty; say what to change, e.g. 'make the second shot green'")
    opts = opts or Options(model=project.model)
    info = _info(opts, project.model)
    planner = _planner(opts)
    meter = Meter(planner)
    project.pending = PendingTurn(n=len(project.revisions) + 1, kind="refine", request=feedback.strip())
    project.storyboard = planner.revise(project, feedback.strip(), vocabulary_for(info))
    align(project, sessions.store.folder(name))
    estimate = record_planning(project, _cost_model(sessions, opts, info), _model_id(project), meter)
    return PlanPreview(project, estimate, [s.shot for s in estimate.shots if not s.cached])


def _model_id(project: Project) -> str:
    """The model id (``name@weights``) of the takes of the session's current revision."""
    if not project.revisions:
        return ""
    keys = set(project.revisions[-1].shot_keys.values())
    return next((v.model for v in project.versions if v.take_id in keys), "")


def edit_draft(sessions: Sessions, name: str, board: Storyboard, opts: Options | None = None) -> PlanPreview:
    """Replace the storyboard of session ``name``'s draft (not approved yet) and estimate it again.

    The creator's hand edits before approval (``PUT /v1/plans/{id}/storyboard``):
    the board is checked whole (``Storyboard``), every reference it names
    must be one of the project's, and its title and captions must be
    drawable with the installed fonts; its narration lines are spoken and the
    shots fitted to them (``narration.align``). What planning spent stays counted.
    """
    opts = opts or Options()
    with sessions.lock(name):
        project = sessions.store.load(name)
        if project.pending is None or not project.pending.draft:
            raise InputError(f"session {name!r} has no draft to edit (it was approved already)")
        known = {r.id for r in project.references}
        for shot in board.shots:
            unknown = sorted(set(shot.refs) - known)
            if unknown:
                raise InputError(f"shot {shot.id!r} names references {unknown}; this plan has {sorted(known)}")
        for text in [board.title, *(s.caption for s in board.shots)]:
            if text:
                check_drawable(text)
        info = _info(opts, project.model)
        opts = replace(opts, model=project.model, planner=project.planner)
        project.storyboard = board
        align(project, sessions.store.folder(name))  # lines edited by hand are spoken again, the shots fitted
        estimate = record_planning(project, _cost_model(sessions, opts, info), "", Meter())
        project.note("plan", f"draft edited by hand: {len(board.shots)} shots, {board.seconds:g}s")
        sessions.store.save(project)
    return PlanPreview(project, estimate, [s.id for s in board.shots], saved=True)
