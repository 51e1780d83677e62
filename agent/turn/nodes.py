"""The turn's nodes: module-level functions ``node(state, config)``.

What a node uses besides its state — the store, the backend, the planner,
the event sink, the retry policy, the cancel flag — is the turn's
``Runtime``, which ``session.py`` builds once per turn and ``graph.run_turn``
puts in langgraph's run config (``config["configurable"]["runtime"]``).
Nothing closes over it, so a node is called, and tested, with a state and a
config (``turn_config``).

The project lives on disk and every node is idempotent against it: it skips
work whose output is already there, because resumption after a crash is
at-least-once (FACTS.md). A node loads the project once and saves it only
when it changed it.
"""

from __future__ import annotations

import logging
import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.types import Send

from longcut.agent.costs.estimate import Estimate, about
from longcut.agent.costs.meter import Meter
from longcut.agent.costs.model import CostModel
from longcut.agent.costs.record import LLMUsage, TurnCost
from longcut.agent.planning.planner import ModelVocabulary, Planner, PlanRequest
from longcut.agent.planning.shot_actions import apply_calls, check_locks
from longcut.agent.state import Project, Revision, ShotVersion
from longcut.agent.turn.assemble import build_timeline, output_size
from longcut.agent.turn.executors.base import Executor
from longcut.agent.turn.executors.inprocess import InProcessExecutor, chain_runtime  # noqa: F401 (nodes.chain_runtime)
from longcut.agent.turn.narration import align, voiceover
from longcut.agent.turn.shots import (
    Runtime,
    cached_shots,
    chains,
    file_sha256,
    take_problems,
)
from longcut.agent.turn.task import ChainTask
from longcut.limits import PLAN_SHOT_SECONDS
from longcut.tools.generate import GenerateImageArgs, generate_image
from longcut.tools.review import ADHERENCE_SECONDS
from longcut.tools.timeline import render

log = logging.getLogger(__name__)

RUNTIME_KEY = "runtime"  # where the turn's Runtime sits in config["configurable"]
IN_PROCESS = InProcessExecutor()  # the executor of a runtime that names none


class TurnState(TypedDict, total=False):
    """What the graph carries between nodes (JSON only; the project is on disk)."""

    project: str
    turn: int
    kind: str  # "make" enters at plan, "refine" at revise (PendingTurn.kind)
    request: str  # the request, or a refine's feedback
    takes: Annotated[list[dict[str, Any]], operator.add]  # TakeOutcome dumps: version, chosen, generated
    render: str


def turn_config(rt: Runtime, thread_id: str) -> RunnableConfig:
    """The run config of one turn: its checkpoint thread, its runtime, and as many chains at once as its executor runs."""
    return {"configurable": {"thread_id": thread_id, RUNTIME_KEY: rt}, "max_concurrency": executor_of(rt).concurrency}


def executor_of(rt: Runtime | None) -> Executor:
    """The executor a turn's chains run through: the runtime's, else in this process."""
    return rt.executor if rt is not None and rt.executor is not None else IN_PROCESS


def runtime_of(config: RunnableConfig) -> Runtime:
    """The turn's ``Runtime`` from a run config (``turn_config``)."""
    rt = _runtime_in(config)
    if rt is None:
        raise TypeError(f"the run config has no Runtime under configurable[{RUNTIME_KEY!r}] (see turn_config)")
    return rt


def _runtime_in(config: RunnableConfig | None) -> Runtime | None:
    rt = ((config or {}).get("configurable") or {}).get(RUNTIME_KEY)
    return rt if isinstance(rt, Runtime) else None


def plan(state: TurnState, config: RunnableConfig) -> dict:
    """Plan the storyboard from the request (a make's first node), unless the project has one."""
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    if project.storyboard is not None:
        rt.events.emit("plan", "storyboard ready", 1.0)
        return {}
    rt.events.emit("plan", f"planning with the {rt.planner.name} planner")
    meter = Meter(rt.planner)
    plan_storyboard(project, rt.planner, rt.vocabulary, rt.store.project_folder(project.name).root)
    estimate = record_planning(project, turn_cost_model(rt), rt.model_id, meter)
    rt.store.save(project)
    rt.events.emit("plan", f"{len(project.storyboard.shots)} shots planned; {about(estimate)}", 1.0,
                   data={"storyboard": project.storyboard.model_dump(mode="json"),
                         "estimate": estimate.model_dump(mode="json")})
    return {}


def plan_storyboard(project: Project, planner: Planner, vocabulary: ModelVocabulary, root: Path | None = None) -> None:
    """Plan ``project``'s storyboard from its request, in place: its shots, its references, a log line.

    The plan node and ``longcut plan`` (``agent.turn.drafts``) both plan through here.
    Narration lines are spoken and the shots fitted to them before anything is
    generated (``narration.align``; ``root``: the project folder, where the
    spoken lines are kept).
    """
    supplied = {r.id: r.image or "" for r in project.references if r.source == "supplied"}
    result = planner.plan(PlanRequest(
        request=project.request, seconds=project.seconds, vocabulary=vocabulary,
        supplied_refs=supplied, max_shot_seconds=PLAN_SHOT_SECONDS, seed=project.seed,
        narrate=project.narration is not None))
    known = {r.id: r for r in project.references}
    project.references = [known.get(r.id, r) for r in result.references]
    project.storyboard = result.storyboard
    if project.narration is not None:
        project.storyboard = project.storyboard.model_copy(update={"narration": project.narration})
    project.note("plan", f"{len(result.storyboard.shots)} shots, {result.storyboard.seconds:g}s: "
                 f"{result.rewritten_request[:300]}")
    align(project, root)


def turn_cost_model(rt: Runtime) -> CostModel:
    """The cost model of a turn's backend, planner and opening search."""
    return CostModel(rt.store, rt.model.info, rt.planner_spec, rt.candidates, ADHERENCE_SECONDS, rt.judge)


def record_planning(project: Project, cost_model: CostModel, model_id: str, meter: Meter) -> Estimate:
    """Record in the pending turn what planning (or revising) asked of the LLM, and the turn's estimate."""
    planning = meter.llm + (project.pending.cost.planning if project.pending is not None else LLMUsage())
    estimate = cost_model.estimate(project.storyboard, cached_shots(project, model_id), planning)
    if project.pending is not None:
        project.pending.cost = estimate.as_turn_cost(project.pending.cost.model_copy(update={"planning": planning}))
    return estimate


def entry(state: TurnState) -> str:
    """Where a turn enters the graph: ``plan`` for a make, ``revise`` for a refine."""
    return "revise" if state.get("kind") == "refine" else "plan"


def revise(state: TurnState, config: RunnableConfig) -> dict:
    """Apply a refine's feedback to the storyboard through the planner, once per turn.

    The pending turn says whether the feedback is in the storyboard yet
    (``PendingTurn.awaits_revise``, cleared in the same save as the new
    storyboard), so a turn resumed after a crash never revises twice.
    """
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    if project.pending is None or not project.pending.awaits_revise:
        rt.events.emit("plan", "storyboard ready", 1.0)
        return {}
    meter = Meter(rt.planner)
    before = project.storyboard
    if project.pending.edits:  # exact edit calls (the studio's shot actions): no planner is asked
        rt.events.emit("plan", f"applying {len(project.pending.edits)} storyboard edits")
        project.storyboard = apply_calls(before, project.pending.edits)
    else:
        rt.events.emit("plan", f"revising the storyboard with the {rt.planner.name} planner")
        project.storyboard = rt.planner.revise(project, state["request"], rt.vocabulary)
        check_locks(before, project.storyboard)
    align(project, rt.store.project_folder(project.name).root)
    project.pending = project.pending.model_copy(update={"awaits_revise": False})
    estimate = record_planning(project, turn_cost_model(rt), rt.model_id, meter)
    project.note("plan", f"turn {state['turn']} revised the storyboard: {state['request'][:300]}")
    rt.store.save(project)
    rt.events.emit("plan", f"storyboard revised: {len(project.storyboard.shots)} shots; {about(estimate)}", 1.0,
                   data={"storyboard": project.storyboard.model_dump(mode="json"),
                         "estimate": estimate.model_dump(mode="json")})
    return {}


def references(state: TurnState, config: RunnableConfig) -> dict:
    """Generate the reference images the storyboard names and the user did not supply."""
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    if rt.spend is not None and rt.spend.budget.capped:  # before anything is generated: the plan within budget?
        planning = project.pending.cost.planning if project.pending is not None else LLMUsage()
        rt.spend.budget.check_plan(turn_cost_model(rt).estimate(project.storyboard, cached_shots(project, rt.model_id),
                                                                planning))
    folder = rt.store.project_folder(project.name)
    todo = [r for r in project.references if r.image is None and r.source == "generated"]
    for i, ref in enumerate(todo):
        rt.check_cancel()
        rel = f"refs/{ref.id}.png"
        if not (folder.root / rel).is_file():
            generate_image(GenerateImageArgs(prompt=ref.description, seed=project.seed, out=rel), folder, rt.model)
        ref.image, ref.sha256 = rel, file_sha256(folder.root / rel)
        rt.events.emit("references", f"reference {ref.id} ready", (i + 1) / len(todo))
    if todo:
        rt.store.save(project)
    return {}


def fan_out(state: TurnState, config: RunnableConfig) -> list[Send]:
    """One ``make_chain`` task per continuity chain of the storyboard; each payload is JSON data (``ChainTask``)."""
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    rt.start_shots(sum(s.seconds for s in project.storyboard.shots))
    return [Send("make_chain", ChainTask(
        project=project.name, projects=str(rt.store.root.resolve()), chain=c, turn=state["turn"],
        model=rt.model_spec, planner=rt.planner_spec, retry=rt.retry, candidates=rt.candidates, judge=rt.judge,
    ).model_dump(mode="json")) for c in chains(project.storyboard)]


def chain(payload: dict[str, Any], config: RunnableConfig) -> dict:
    """Make (or find on disk) the takes of one chain; they go to the state, the project is not saved.

    Runs from its payload alone, through the turn's executor (in this
    process without one: ``chain_runtime``); a turn's runtime in ``config``
    lends its live objects.
    """
    task = ChainTask.model_validate(payload)
    turn = _runtime_in(config)
    made = executor_of(turn).run_chain(task, turn)
    return {"takes": [{"version": t.version.model_dump(mode="json"), "chosen": t.chosen, "generated": t.generated}
                      for t in made]}


def merge(state: TurnState, config: RunnableConfig) -> dict:
    """Merge every take the chains produced into the project, and log what failed and why.

    The review itself ran inside each chain, before a continuous successor
    extended a take; this node only merges. Its events keep the stage name
    ``review`` (what the CLI and the job API show).
    """
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    known = {(v.key, v.attempt) for v in project.versions}
    failed, added = [], []
    for item in state.get("takes", []):
        v = ShotVersion.model_validate(item["version"])
        if (v.key, v.attempt) not in known:
            project.versions.append(v)
            known.add((v.key, v.attempt))
            added.append(v)
            if not v.passed and item["generated"]:
                project.note("review", f"shot {v.shot_id} take {v.attempt} failed: {take_problems(v)}")
        if not v.passed and item["chosen"]:
            failed.append(f"{v.shot_id} ({take_problems(v)})")
    if failed:
        project.note("review", f"kept after {rt.retry.max_tries} tries despite failed checks: {'; '.join(failed)}")
    if added or failed:  # every take already in the project and all passing: nothing to save
        rt.store.save(project)
    rt.events.emit("review", "all shots pass their checks" if not failed else f"{len(failed)} shots failed checks",
                   1.0, data={"failed": failed})
    return {}


def edit_and_render(state: TurnState, config: RunnableConfig) -> dict:
    """Build the timeline from the chosen takes, render it, and record the turn's revision."""
    rt = runtime_of(config)
    project = rt.store.load(state["project"])
    folder = rt.store.project_folder(project.name)
    out_rel = f"renders/turn-{state['turn']}.mp4"
    takes = chosen_takes(state)
    meter = Meter()
    if not (folder.root / out_rel).is_file():
        info = rt.model.info
        size = output_size(info.width, info.height)
        voice = voiceover(project, folder.root, f"renders/turn-{state['turn']}", *size)
        timeline = build_timeline(project, takes, info.width, info.height, info.fps, voice)
        (folder.root / f"renders/turn-{state['turn']}.timeline.json").write_text(
            timeline.model_dump_json(indent=2), encoding="utf-8")
        rt.events.emit("edit", f"timeline of {len(timeline.clips)} clips, {len(timeline.overlays)} overlays", 1.0)
        render(timeline, folder.root / out_rel, folder,
               on_progress=lambda f: rt.events.emit("render", f"rendering {f:.0%}", f))
    generated = _generated(state, project)
    if not any(r.n == state["turn"] for r in project.revisions):
        project.revisions.append(Revision(
            n=state["turn"], request=state["request"], storyboard=project.storyboard,
            shot_keys={sid: v.take_id for sid, v in takes.items()}, render=out_rel, regenerated=generated,
            cost=_turn_cost(project).model_copy(update={"render_seconds": meter.wall_seconds})))
        project.note("render", f"turn {state['turn']}: {out_rel}; regenerated {generated or 'nothing'}")
        rt.store.save(project)
    rt.events.emit("done", f"rendered {out_rel}", 1.0, data={"render": out_rel, "regenerated": generated})
    return {"render": out_rel}


def _turn_cost(project: Project) -> TurnCost:
    """What the pending turn recorded so far (planning, the estimate); a fresh record without one."""
    return project.pending.cost if project.pending is not None else TurnCost()


def chosen_takes(state: TurnState) -> dict[str, ShotVersion]:
    """Shot id → the take chosen for it, from the takes the chains produced."""
    takes: dict[str, ShotVersion] = {}
    for item in state.get("takes", []):
        if item["chosen"]:
            v = ShotVersion.model_validate(item["version"])
            takes[v.shot_id] = v
    return takes


def _generated(state: TurnState, project: Project) -> list[str]:
    """Ids of the shots this turn generated, in storyboard order."""
    order = [s.id for s in project.storyboard.shots]
    return sorted({t["version"]["shot_id"] for t in state.get("takes", []) if t["generated"]}, key=order.index)
