"""The Ray executor on a two-node local cluster (logical GPUs): same takes as in process, faults, cancel, progress.

One cluster and one executor for the whole module (starting Ray costs
seconds on two cores). CI installs the ``ray`` extra, so these run there;
without Ray they skip.
"""

import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[ray]" (CI installs it)')

from ray.cluster_utils import Cluster  # noqa: E402

from longcut.agent.state import ShotVersion  # noqa: E402
from longcut.agent.store import ProjectStore  # noqa: E402
from longcut.agent.turn.executors.base import ExecutorSpec  # noqa: E402
from longcut.agent.turn.executors.ray_executor import RayExecutor  # noqa: E402
from longcut.agent.turn.session import Options, Sessions  # noqa: E402
from longcut.agent.turn.shots import Cancelled, chains  # noqa: E402
from longcut.errors import InputError  # noqa: E402
from longcut.tools.media import read_frames  # noqa: E402
from longcut.tools.paths import is_temp_name  # noqa: E402

from tests.agent.ray_helpers import SixChainPlanner  # noqa: E402
from tests.agent.turn_helpers import REQUEST  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FAKE, SLOW, DYING = (f"tests.fakes:{c}" for c in ("WorldOracleModel", "SlowOracleModel", "DyingOracleModel"))


@pytest.fixture(scope="module")
def executor():
    """Two nodes of 1 CPU and 2 logical GPUs each; two backend actors, spread: one per node (two GPUs stay free)."""
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 2})
    cluster.add_node(num_cpus=1, num_gpus=2)
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})  # the workers import tests.fakes
    ex = RayExecutor(ExecutorSpec(name="ray", ray_workers=2))
    try:
        yield ex
    finally:
        ex.close()
        ray.shutdown()
        cluster.shutdown()


def sessions_in(folder: Path) -> Sessions:
    return Sessions(ProjectStore(folder / "projects"), checkpoints=folder / "ck.sqlite")


def options(model: str = FAKE, **kw) -> Options:
    return Options(**({"model": model, "candidates": 1, "planner_impl": SixChainPlanner(use_embeddings=False)} | kw))


@pytest.fixture(scope="module")
def six_chains(executor, tmp_path_factory):
    """The six-chain request made in process and on the cluster: (local result, events), (remote result, events)."""
    runs = []
    for where in ("local", "remote"):
        events = []
        opts = options(listeners=[events.append], executor=executor if where == "remote" else None)
        before = len(executor.written)
        res = sessions_in(tmp_path_factory.mktemp(where)).make(REQUEST, name="six", opts=opts)
        runs.append((res, events, executor.written[before:]))
    return runs


def takes(result) -> dict[tuple, ShotVersion]:
    return {(v.shot_id, v.key, v.attempt): v for v in result.project.versions}


def test_six_chains_on_two_nodes_make_the_takes_in_process_makes(six_chains, executor):
    (here, _, made_here), (there, _, made_there) = six_chains
    assert len(chains(there.project.storyboard)) == 6
    assert made_here == [] and sorted(made_there) == sorted(v.take_id for v in there.project.versions)
    assert takes(here).keys() == takes(there).keys() and len(takes(there)) == 8  # same keys: same takes
    assert here.revision.shot_keys == there.revision.shot_keys
    for k, v in takes(there).items():
        a = np.stack(list(read_frames(here.render.parents[1] / takes(here)[k].file)))
        b = np.stack(list(read_frames(there.render.parents[1] / v.file)))
        assert a.shape == b.shape and np.array_equal(a, b), k  # same frames
    assert set(executor.ran_on) == {0, 1} and len(set(executor.nodes)) == 2  # both nodes' actors ran chains


def test_remote_progress_reaches_the_turn_in_order(six_chains):
    (_, local, _), (_, remote, _) = six_chains

    def per_shot(events):
        out = {}
        for e in events:
            if e.stage == "shots" and e.shot:
                out.setdefault(e.shot, []).append((e.message, e.attempt))
        return out

    assert per_shot(remote) == per_shot(local)  # each shot's progress, event for event, in order
    percents = [e.percent for e in remote]
    assert percents == sorted(percents) and remote[-1].stage == "done"
    shots = [e for e in remote if e.stage == "shots" and e.shot]
    assert shots[-1].percent > shots[0].percent  # mapped onto the whole turn, not one shot's share


def test_a_worker_killed_mid_chain_is_sent_again_and_no_finished_take_is_made_twice(executor, tmp_path):
    weights = tmp_path / "dying"
    weights.mkdir()
    sends, before = executor.sends, len(executor.written)
    res = sessions_in(tmp_path).make(REQUEST, name="six", opts=options(DYING, weights=weights, executor=executor))
    assert (weights / "died").is_file()  # a worker did die: the first extension (c2, after c1's take came home)
    assert executor.sends == sends + 7  # six chains, one of them sent twice
    written = Counter(executor.written[before:])
    assert set(written.values()) == {1} and len(written) == 8  # every take written once: none made twice
    assert all(v.passed for v in res.project.versions) and res.render.is_file()


def test_cancel_stops_remote_chains_within_seconds_and_nothing_half_made_lands(executor, tmp_path):
    cancel, started = threading.Event(), threading.Event()
    box = {}

    def on_event(e):
        if e.stage == "shots" and "frames" in e.message:
            started.set()

    def turn():
        try:
            sessions_in(tmp_path).make("a 24-second video: a red ball crosses a meadow, night falls", name="slow",
                                       opts=Options(model=SLOW, candidates=1, cancel=cancel, listeners=[on_event],
                                                    executor=executor))
        except Cancelled as err:
            box["error"], box["at"] = err, time.monotonic()

    thread = threading.Thread(target=turn)
    thread.start()
    assert started.wait(120)
    cancel.set()
    set_at = time.monotonic()
    thread.join(30)
    assert not thread.is_alive() and "error" in box
    assert box["at"] - set_at < 3.0  # the driver stops at once; the remote chain at its next chunk
    shots = tmp_path / "projects" / "slow" / "shots"
    files = {p.relative_to(shots.parent).as_posix() for p in shots.rglob("*") if p.is_file()}
    recorded = set()
    for rec in (p for p in shots.rglob("*.json")):
        v = ShotVersion.model_validate_json(rec.read_text())
        recorded |= {v.file, v.history, rec.relative_to(shots.parent).as_posix()}
    assert files <= recorded and not any(is_temp_name(Path(f).name) for f in files)  # only whole takes
    # the actors are free again: the executor still runs a chain at once
    t0 = time.monotonic()
    res = sessions_in(tmp_path / "again").make(REQUEST, name="after", opts=options(executor=executor))
    assert res.render.is_file() and time.monotonic() - t0 < 120


def test_an_unreachable_cluster_is_refused_at_once_by_its_address():
    t0 = time.monotonic()
    with pytest.raises(InputError, match=r"Ray cluster at '127\.0\.0\.1:9' cannot be reached"):
        RayExecutor(ExecutorSpec(name="ray", ray_address="127.0.0.1:9"))
    assert time.monotonic() - t0 < 6


def test_make_with_executor_ray_from_the_command_line(executor, tmp_path, monkeypatch, capsys):
    from longcut.agent.cli.app import main

    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as exc:  # Ray is up in this process: the command's executor joins its cluster
        main(["make", "a 6-second video: a big blue square moves left on a sand background", "--model", FAKE,
              "--candidates", "1", "--session", "sq", "--executor", "ray", "-o", str(tmp_path / "sq.mp4")])
    assert exc.value.code in (0, None) and (tmp_path / "sq.mp4").is_file()
    assert "session sq" in capsys.readouterr().out
