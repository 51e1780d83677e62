"""A remote chain's worker without Ray: it reads only what it was sent by content, and sends takes home whole."""

import pytest

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.state import PendingTurn, Project
from longcut.agent.store import ProjectStore
from longcut.agent.turn import nodes
from longcut.agent.turn.executors.ray_executor import chain_manifest, write_take
from longcut.agent.turn.executors.remote_chain import ChainWorker, sha256_bytes
from longcut.agent.turn.session import Options as SessionOptions
from longcut.agent.turn.session import _runtime
from longcut.agent.turn.task import ChainTask
from longcut.errors import InputError, LongcutError

from tests.agent.turn_helpers import REQUEST

FAKE = "tests.fakes:WorldOracleModel"


@pytest.fixture
def planned(tmp_path):
    """A planned project with its references made, and its chain tasks (the driver's side)."""
    store = ProjectStore(tmp_path / "driver")
    rt = _runtime(store, SessionOptions(model=FAKE, candidates=1, planner_impl=OfflinePlanner(use_embeddings=False)),
                  FAKE)
    store.save(Project(name="ball", request=REQUEST, seconds=12, pending=PendingTurn(n=1, kind="make",
                                                                                     request=REQUEST)))
    config = nodes.turn_config(rt, "ball:turn-1")
    state = {"project": "ball", "turn": 1, "request": REQUEST}
    nodes.plan(state, config)
    nodes.references(state, config)
    tasks = [ChainTask.model_validate(s.arg) for s in nodes.fan_out(state, config)]
    return store, tasks


def send(worker: ChainWorker, store: ProjectStore, task: ChainTask, run_id: str = "r1"):
    project = store.load(task.project)
    root = store.folder(task.project)
    manifest = chain_manifest(project, task.chain, root)
    worker.put_blobs({h: (root / rel).read_bytes() for rel, h in manifest.items() if h in worker.missing(
        list(manifest.values()))})
    items = []
    for item in worker.run(run_id, task.model_dump(mode="json"), project.model_dump(mode="json"), manifest):
        items.append(item)
        if item["kind"] == "take":
            write_take(store.project_folder(task.project), task.chain, item)
            worker.ack(run_id, item["take"])
    return manifest, items


def test_a_worker_makes_the_chain_from_what_it_was_sent_and_sends_each_take_home(planned):
    store, tasks = planned
    worker = ChainWorker()
    manifest, items = send(worker, store, tasks[0])
    assert list(manifest) == ["refs/red-circle.png"]  # a fresh chain reads its reference only
    kinds = [i["kind"] for i in items]
    assert kinds[-1] == "done" and kinds.count("take") == 2 and "event" in kinds
    first = next(i for i in items if i["kind"] == "take")
    assert [f["path"].rsplit(".", 1)[-1] for f in first["files"]][-1] == "json"  # the record comes last
    done = items[-1]["takes"]
    for t in done:  # every take the chain chose is in the driver's project, whole
        assert (store.folder("ball") / t["version"]["file"]).is_file()
    assert not any(worker.home.glob("run-*"))  # the scratch copy went with the chain
    # sent again, the chain finds its takes by their files, sent by content, and makes nothing new
    manifest, again = send(worker, store, tasks[0], "r2")
    assert len(manifest) == 1 + 2 * 3  # the reference, and each take's video, latents and record
    assert [i["kind"] for i in again if i["kind"] != "event"] == ["done"]
    assert worker.missing(list(manifest.values())) == []  # the cache holds them all


def test_a_worker_refuses_blobs_that_are_not_their_hash_and_paths_outside_its_project(planned):
    store, tasks = planned
    worker = ChainWorker()
    with pytest.raises(LongcutError, match="does not match"):
        worker.put_blobs({"0" * 64: b"not that"})
    data = b"hello"
    worker.put_blobs({sha256_bytes(data): data})
    project = store.load("ball")
    for bad in ("../../escape.txt", "/etc/passwd"):
        with pytest.raises(InputError, match="outside the project folder"):
            list(worker.run("r", tasks[0].model_dump(mode="json"), project.model_dump(mode="json"),
                            {bad: sha256_bytes(data)}))
    with pytest.raises(LongcutError, match="was not sent"):
        list(worker.run("r", tasks[0].model_dump(mode="json"), project.model_dump(mode="json"),
                        {"refs/x.png": "f" * 64}))


def test_the_driver_writes_only_takes_of_the_chain_and_undamaged(planned, tmp_path):
    store, tasks = planned
    folder = store.project_folder("ball")
    item = {"shot": "s3", "take": "k-t1", "files": []}
    with pytest.raises(LongcutError, match="not of its chain"):
        write_take(folder, ["s1", "s2"], item)
    bad = {"shot": "s1", "take": "k-t1", "files": [{"path": "refs/red-circle.png", "sha256": "", "data": b""}]}
    with pytest.raises(LongcutError, match="outside shot 's1'"):
        write_take(folder, ["s1"], bad)
    damaged = {"shot": "s1", "take": "k-t1", "files": [{"path": "shots/s1/x.mp4", "sha256": "0" * 64, "data": b"x"}]}
    with pytest.raises(LongcutError, match="damaged"):
        write_take(folder, ["s1"], damaged)
    assert not (folder.root / "shots/s1/x.mp4").exists()
