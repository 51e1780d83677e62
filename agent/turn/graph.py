"""The agent's graph: plan → references → shots (fan-out) → review → edit → render.

A deterministic langgraph ``StateGraph``; the planner is called only at
decision points (planning, rewriting a failed shot's prompt). The graph's
own state is small (project name, turn, the takes chains produced); the
project itself lives on disk and every node is idempotent: it skips work
whose output is already there, because resumption after a crash is
at-least-once (FACTS.md). Checkpoints go to SQLite with ``durability="sync"``.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from longcut.agent.planning.planner import PlanRequest
from longcut.agent.state import Project, Revision, ShotVersion
from longcut.agent.store import longcut_home
from longcut.agent.turn.assemble import build_timeline
from longcut.agent.turn.shots import (
    Runtime,
    chains,
    file_sha256,
    generation_estimate,
    make_chain,
    take_problems,
)
from longcut.limits import PLAN_SHOT_SECONDS
from longcut.tools.generate import GenerateImageArgs, generate_image
from longcut.tools.timeline import render

log = logging.getLogger(__name__)



class TurnState(TypedDict, total=False):
    """What the graph carries between nodes (JSON only; the project is on disk)."""

    project: str
    turn: int
    request: str
    takes: Annotated[list[dict[str, Any]], operator.add]  # TakeOutcome dumps: version, chosen, generated
    render: str


class ChainTask(TypedDict):
    """Payload of one fanned-out chain."""

    project: str
    chain: list[str]
    turn: int


def build_graph(rt: Runtime, checkpointer: SqliteSaver | None = None):
    """Compile the graph around a runtime (model, planner, store, events)."""

    def load(state: TurnState | ChainTask) -> Project:
        return rt.store.load(state["project"])

    def plan(state: TurnState) -> dict:
        project = load(state)
        if project.storyboard is not None:
            rt.events.emit("plan", "storyboard ready", 1.0)
            return {}
        rt.events.emit("plan", f"planning with the {rt.planner.name} planner")
        supplied = {r.id: r.image or "" for r in project.references if r.source == "supplied"}
        result = rt.planner.plan(PlanRequest(
            request=project.request, seconds=project.seconds, vocabulary=rt.vocabulary,
            supplied_refs=supplied, max_shot_seconds=PLAN_SHOT_SECONDS, seed=project.seed))
        known = {r.id: r for r in project.references}
        project.references = [known.get(r.id, r) for r in result.references]
        project.storyboard = result.storyboard
        project.note("plan", f"{len(result.storyboard.shots)} shots, {result.storyboard.seconds:g}s: "
                     f"{result.rewritten_request[:300]}")
        rt.store.save(project)
        estimate = generation_estimate(result.storyboard.seconds, rt.model.info)
        about = "" if estimate is None else f"; about {estimate:.0f} s of generation before any retry"
        rt.events.emit("plan", f"{len(result.storyboard.shots)} shots planned{about}", 1.0,
                       data={"storyboard": result.storyboard.model_dump(mode="json")})
        return {}

    def references(state: TurnState) -> dict:
        project = load(state)
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

    def fan_out(state: TurnState) -> list[Send]:
        project = load(state)
        rt.start_shots(sum(s.seconds for s in project.storyboard.shots))
        return [Send("make_chain", ChainTask(project=project.name, chain=c, turn=state["turn"])) for c in chains(project.storyboard)]

    def chain_node(task: ChainTask) -> dict:
        project = load(task)
        index_of = {s.id: i + 1 for i, s in enumerate(project.storyboard.shots)}
        made = make_chain(rt, project, task["chain"], index_of, task.get("turn"))
        return {"takes": [{"version": t.version.model_dump(mode="json"), "chosen": t.chosen, "generated": t.generated}
                          for t in made]}

    def review(state: TurnState) -> dict:
        project = load(state)
        known = {(v.key, v.attempt) for v in project.versions}
        failed = []
        for item in state.get("takes", []):
            v = ShotVersion.model_validate(item["version"])
            if (v.key, v.attempt) not in known:
                project.versions.append(v)
                known.add((v.key, v.attempt))
            if not v.passed and item["generated"]:
                project.note("review", f"shot {v.shot_id} take {v.attempt} failed: {take_problems(v)}")
            if not v.passed and item["chosen"]:
                failed.append(f"{v.shot_id} ({take_problems(v)})")
        if failed:
            project.note("review", f"kept after {rt.retry.max_tries} tries despite failed checks: {'; '.join(failed)}")
        rt.store.save(project)
        rt.events.emit("review", "all shots pass their checks" if not failed else f"{len(failed)} shots failed checks",
                       1.0, data={"failed": failed})
        return {}

    def edit_and_render(state: TurnState) -> dict:
        project = load(state)
        folder = rt.store.project_folder(project.name)
        out_rel = f"renders/turn-{state['turn']}.mp4"
        takes = _chosen_takes(state)
        if not (folder.root / out_rel).is_file():
            info = rt.model.info
            timeline = build_timeline(project, takes, info.width, info.height, info.fps)
            (folder.root / f"renders/turn-{state['turn']}.timeline.json").write_text(
                timeline.model_dump_json(indent=2), encoding="utf-8")
            rt.events.emit("edit", f"timeline of {len(timeline.clips)} clips, {len(timeline.overlays)} overlays", 1.0)
            render(timeline, folder.root / out_rel, folder,
                   on_progress=lambda f: rt.events.emit("render", f"rendering {f:.0%}", f))
        generated = sorted({t["version"]["shot_id"] for t in state.get("takes", []) if t["generated"]},
                           key=lambda i: [s.id for s in project.storyboard.shots].index(i))
        if not any(r.n == state["turn"] for r in project.revisions):
            project.revisions.append(Revision(
                n=state["turn"], request=state["request"], storyboard=project.storyboard,
                shot_keys={sid: v.take_id for sid, v in takes.items()}, render=out_rel, regenerated=generated))
            project.note("render", f"turn {state['turn']}: {out_rel}; regenerated {generated or 'nothing'}")
            rt.store.save(project)
        rt.events.emit("done", f"rendered {out_rel}", 1.0, data={"render": out_rel, "regenerated": generated})
        return {"render": out_rel}

    g = StateGraph(TurnState)
    g.add_node("plan", plan)
    g.add_node("references", references)
    g.add_node("make_chain", chain_node)
    g.add_node("review", review)
    g.add_node("render", edit_and_render)
    g.add_edge(START, "plan")
    g.add_edge("plan", "references")
    g.add_conditional_edges("references", fan_out, ["make_chain"])
    g.add_edge("make_chain", "review")
    g.add_edge("review", "render")
    g.add_edge("render", END)
    return g.compile(checkpointer=checkpointer)


def _chosen_takes(state: TurnState) -> dict[str, ShotVersion]:
    takes: dict[str, ShotVersion] = {}
    for item in state.get("takes", []):
        if item["chosen"]:
            v = ShotVersion.model_validate(item["version"])
            takes[v.shot_id] = v
    return takes


@contextmanager
def checkpointer(path: Path | None = None):
    """A SQLite checkpointer at ``$LONGCUT_HOME/checkpoints.sqlite`` (WAL, shared across threads)."""
    path = Path(path) if path is not None else longcut_home() / "checkpoints.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


def _thread_id(project: str, turn: int) -> str:
    return f"{project}:turn-{turn}"


def forget_turn(saver: SqliteSaver, project: str, turn: int) -> None:
    """Drop the checkpoints of one turn, so running it again starts from its beginning."""
    saver.delete_thread(_thread_id(project, turn))


def run_turn(rt: Runtime, project: str, turn: int, request: str, saver: SqliteSaver) -> str:
    """Run (or resume) one turn of a project; returns the render's project path."""
    graph = build_graph(rt, saver)
    config = {"configurable": {"thread_id": _thread_id(project, turn)}, "max_concurrency": 1}
    snapshot = graph.get_state(config)
    if snapshot.next:  # a checkpoint with work left: resume where it stopped
        rt.events.emit("plan", f"resuming turn {turn} at {', '.join(snapshot.next)}")
        result = graph.invoke(None, config, durability="sync")
    else:
        result = graph.invoke(TurnState(project=project, turn=turn, request=request, takes=[]), config,
                              durability="sync")
    return result["render"]
