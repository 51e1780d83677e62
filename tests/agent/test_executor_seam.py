"""The executor seam: every chain of a turn runs through the turn's executor, and only through it."""

import threading

from longcut.agent.turn import nodes
from longcut.agent.turn.executors.base import Executor
from longcut.agent.turn.executors.inprocess import InProcessExecutor

from tests.agent.turn_helpers import REQUEST, opts
from tests.fakes import WorldOracleModel


class RecordingExecutor(InProcessExecutor):
    """Runs chains in this process, recording each task and how many ran at once."""

    name = "recording"

    def __init__(self, concurrency: int = 1) -> None:
        self.concurrency = concurrency
        self.tasks = []
        self.threads = set()
        self._running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self._both = threading.Barrier(2, timeout=10) if concurrency > 1 else None

    def run_chain(self, task, turn):
        with self._lock:
            self.tasks.append(task)
            self.threads.add(threading.get_ident())
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        try:
            if self._both is not None:
                self._both.wait()  # both chains of the request must be running together to pass here
            return super().run_chain(task, turn)
        finally:
            with self._lock:
                self._running -= 1


def test_the_in_process_executor_is_an_executor_and_the_default():
    assert isinstance(InProcessExecutor(), Executor)
    assert nodes.executor_of(None).name == "inprocess"


def test_a_turn_runs_every_chain_through_its_executor(sessions):
    executor = RecordingExecutor()
    model = WorldOracleModel()
    res = sessions.make(REQUEST, name="ball", opts=opts(model, executor=executor))
    assert [t.chain for t in executor.tasks] == [["s1", "s2"], ["s3"]]
    assert res.revision.regenerated == ["s1", "s2", "s3"] and len(model.calls) == 3
    assert executor.most_at_once == 1  # concurrency 1: one chain at a time, as before the seam
    # a refine that changes nothing regenerates nothing: the executor is asked, finds every take on disk
    again = sessions.refine("ball", "make the second shot green", opts(model, executor=RecordingExecutor()))
    assert again.revision.regenerated == ["s2"]


def test_an_executor_that_runs_chains_at_once_gets_them_at_once(sessions):
    executor = RecordingExecutor(concurrency=2)
    res = sessions.make(REQUEST, name="ball", opts=opts(WorldOracleModel(), executor=executor))
    assert executor.most_at_once == 2 and len(executor.threads) == 2
    assert res.render.is_file() and sorted(res.revision.shot_keys) == ["s1", "s2", "s3"]


def test_executor_ray_without_ray_says_what_to_install(monkeypatch):
    import sys

    import pytest

    from longcut.agent.turn.executors.base import ExecutorSpec, build_executor
    from longcut.errors import InputError

    monkeypatch.setitem(sys.modules, "ray", None)  # as where Ray is not installed: `import ray` fails
    with pytest.raises(InputError, match=r'--executor ray needs Ray.*pip install -e "\.\[ray\]"'):
        build_executor(ExecutorSpec(name="ray"))
    assert build_executor(ExecutorSpec()).name == "inprocess"  # the default needs nothing more


def test_a_cluster_address_nothing_answers_at_is_refused_fast_and_by_name():
    import time

    import pytest

    from longcut.agent.turn.executors.ray_executor import probe_address
    from longcut.errors import InputError

    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"Ray cluster at '127\.0\.0\.1:9' cannot be reached"):
        probe_address("127.0.0.1:9")
    with pytest.raises(InputError, match="is not HOST:PORT"):
        probe_address("somewhere")
    assert time.monotonic() - t0 < 6
