"""The in-process executor: a chain runs in the turn's own process (the default; the behaviour before the seam).

``chain_runtime`` builds the runtime a chain needs from its task alone; the
Ray executor's backend actor builds its runtime through it too, so a chain
runs the same code wherever it runs.
"""

from __future__ import annotations

from pathlib import Path

from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.store import ProjectStore
from longcut.agent.turn.judging import turn_judge
from longcut.agent.turn.shots import Runtime, TakeOutcome, make_chain
from longcut.agent.turn.task import ChainTask, build_planner
from longcut.errors import LongcutError


def chain_runtime(task: ChainTask, turn: Runtime | None = None) -> Runtime:
    """The runtime a chain task runs with, built from the task's data.

    The backend comes through the registry (``load_backend`` loads each once
    per process) and must be the one the turn planned with (its weights id
    is part of every shot key). In the turn's own process, the turn's
    runtime (``turn``) lends what serves the same specs: its backend and
    planner (an injected one, too), and its event sink, shot progress and
    cancel flag; elsewhere the task gets its own.
    """
    projects = Path(task.projects)
    store = turn.store if turn is not None and turn.store.root.resolve() == projects else ProjectStore(projects)
    if turn is not None and turn.model_spec == task.model:
        model = turn.model
    else:
        from longcut.models.backends.registry import load_backend

        model = load_backend(task.model.name, Path(task.model.weights) if task.model.weights else None)
    if model.info.weights_id != task.model.weights_id:
        raise LongcutError(f"model {task.model.name!r} now has weights {model.info.weights_id!r}, but the turn "
                           f"was planned with {task.model.weights_id!r}; run the turn again to plan it anew")
    planner = turn.planner if turn is not None and turn.planner_spec == task.planner else build_planner(task.planner)
    shared = {} if turn is None else {"events": turn.events, "cancel": turn.cancel, "progress": turn.progress,
                                      "spend": turn.spend}
    if turn is not None and turn.judge == task.judge:
        vision = turn.vision  # one judge per turn in its process: its cap on calls is the request's
    else:
        _, vision = turn_judge(task.judge, model.info)
    return Runtime(store=store, model=model, planner=planner, vocabulary=vocabulary_for(model.info),
                   model_spec=task.model, planner_spec=task.planner, retry=task.retry, candidates=task.candidates,
                   judge=task.judge, vision=vision, **shared)


def run_chain(task: ChainTask, rt: Runtime) -> list[TakeOutcome]:
    """Make (or find on disk) the takes of ``task``'s chain with runtime ``rt``; the project is not saved."""
    project = rt.store.load(task.project)
    index_of = {s.id: i + 1 for i, s in enumerate(project.storyboard.shots)}
    return make_chain(rt, project, task.chain, index_of, task.turn)


class InProcessExecutor:
    """Runs each chain here, one at a time (the graph's ``max_concurrency`` of 1 on a CPU machine)."""

    name = "inprocess"
    concurrency = 1

    def run_chain(self, task: ChainTask, turn: Runtime | None) -> list[TakeOutcome]:
        """Make the chain's takes in this process, with what the turn's runtime lends."""
        return run_chain(task, chain_runtime(task, turn))

    def close(self) -> None:
        """Nothing to let go of."""
