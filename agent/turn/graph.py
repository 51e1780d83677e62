"""The agent's graph: plan | revise → references → chains (fan-out) → merge → edit → render.

A make enters at ``plan``, a refine at ``revise`` (the planner's revision of
the storyboard, checkpointed like the plan); the rest of the path is shared.

A deterministic langgraph ``StateGraph``; the planner is called only at
decision points (planning, rewriting a failed shot's prompt). ``build_graph``
only wires the nodes, module-level functions of ``nodes.py`` that read the
turn's ``Runtime`` from the run config. The graph's own state is small
(project name, turn, the takes chains produced); the project itself lives on
disk. Checkpoints go to SQLite with ``durability="sync"``.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from longcut.agent.store import longcut_home
from longcut.agent.turn import nodes
from longcut.agent.turn.nodes import TurnState, turn_config
from longcut.agent.turn.shots import Runtime

log = logging.getLogger(__name__)


def build_graph(checkpointer: SqliteSaver | None = None):
    """Compile the turn's graph; its nodes take their runtime from the run config (``turn_config``)."""
    g = StateGraph(TurnState)
    g.add_node("plan", nodes.plan)
    g.add_node("revise", nodes.revise)
    g.add_node("references", nodes.references)
    g.add_node("make_chain", nodes.chain)
    g.add_node("merge", nodes.merge)
    g.add_node("render", nodes.edit_and_render)
    g.add_conditional_edges(START, nodes.entry, ["plan", "revise"])
    g.add_edge("plan", "references")
    g.add_edge("revise", "references")
    g.add_conditional_edges("references", nodes.fan_out, ["make_chain"])
    g.add_edge("make_chain", "merge")
    g.add_edge("merge", "render")
    g.add_edge("render", END)
    return g.compile(checkpointer=checkpointer)


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


def run_turn(rt: Runtime, project: str, turn: int, request: str, saver: SqliteSaver, kind: str = "make") -> str:
    """Run (or resume) one turn of a project (``kind``: make or refine); returns the render's project path."""
    graph = build_graph(saver)
    config = turn_config(rt, _thread_id(project, turn))
    snapshot = graph.get_state(config)
    if snapshot.next:  # a checkpoint with work left: resume where it stopped
        rt.events.emit("plan", f"resuming turn {turn} at {', '.join(snapshot.next)}")
        return graph.invoke(None, config, durability="sync")["render"]
    if snapshot.values:  # finished, or left by a graph whose nodes had other names (``review`` before ``merge``)
        log.info("turn %d of %s: its checkpoint has nothing left to run; the turn starts again", turn, project)
        forget_turn(saver, project, turn)  # its takes are on disk; the state's list would only repeat them
    result = graph.invoke(TurnState(project=project, turn=turn, kind=kind, request=request, takes=[]), config,
                          durability="sync")
    return result["render"]
