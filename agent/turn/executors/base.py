"""The executor seam: the one interface the graph's chain fan-out runs through.

A chain is a ``ChainTask`` (JSON data, ``agent.turn.task``); an executor
runs it and returns its takes (``TakeOutcome``), whose files are in the
project when it returns. ``InProcessExecutor`` (``inprocess.py``) runs it in
the turn's own process, as before the seam; ``RayExecutor``
(``ray_executor.py``) ships it to a backend actor on a Ray cluster. Nothing
else in the agent knows which one a turn uses: the session puts it in the
turn's ``Runtime``, the ``make_chain`` node calls ``run_chain`` and the run
config lets langgraph run ``concurrency`` chains at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from longcut.agent.turn.task import ChainTask
from longcut.errors import InputError

if TYPE_CHECKING:
    from longcut.agent.turn.shots import Runtime, TakeOutcome

EXECUTORS = ("inprocess", "ray")
RAY_INSTALL_HINT = 'pip install -e ".[ray]" (or: pip install "ray==2.60.0")'


@runtime_checkable
class Executor(Protocol):
    """Runs chain tasks somewhere; the graph sees only this."""

    name: str
    concurrency: int  # chains the graph may run through it at once (langgraph's max_concurrency)

    def run_chain(self, task: ChainTask, turn: Runtime | None) -> list[TakeOutcome]:
        """Make (or find) the takes of one chain; their files and records are in the project on return.

        ``turn`` is the runtime of the turn that sent the task when it runs
        in this process (its events, shot progress and cancel flag), else
        None. Raises ``Cancelled`` when the turn is cancelled.
        """
        ...

    def close(self) -> None:
        """Let go of what the executor holds (actors, connections); it may not be used after."""
        ...


class ExecutorSpec(BaseModel):
    """Which executor, as data: ``--executor`` and ``--ray-address``, or ``longcut serve``'s config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Literal["inprocess", "ray"] = "inprocess"
    ray_address: str | None = Field(default=None, max_length=500)  # None with ray: a local cluster of this machine
    ray_workers: int | None = Field(default=None, ge=1, le=1024)  # backend actors; None: one per GPU (see RayExecutor)
    shared: bool = False  # named backend actors that outlive this process, shared by drivers (serve's job workers)



def check_executor(name: str, ray_address: str | None = None) -> ExecutorSpec:
    """The spec ``--executor`` and ``--ray-address`` name, refused with a message quoting the bad value."""
    if name not in EXECUTORS:
        raise InputError(f"--executor must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if ray_address is not None and name != "ray":
        raise InputError(f"--ray-address {ray_address!r} needs --executor ray (the executor is {name!r})")
    return ExecutorSpec(name=name, ray_address=ray_address)


def build_executor(spec: ExecutorSpec) -> Executor:
    """The executor a spec names; Ray is imported only for ``ray`` (an ``InputError`` says what to install)."""
    if spec.name == "inprocess":
        from longcut.agent.turn.executors.inprocess import InProcessExecutor

        return InProcessExecutor()
    from longcut.agent.turn.executors.ray_executor import RayExecutor

    return RayExecutor(spec)
