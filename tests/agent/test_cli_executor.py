"""--executor and --ray-address: in the CLI and in `longcut serve`, refused early and by name; a job's chains run
through the server's executor."""

import sys
import threading
import time

import pytest

from longcut.agent.cli.app import main
from longcut.agent.service import worker
from longcut.agent.service.config import ServerConfig
from longcut.agent.service.queue import JobStore
from longcut.agent.turn.executors import base

from tests.agent.test_executor_seam import RecordingExecutor

FAKE = "tests.fakes:WorldOracleModel"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(*args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code


@pytest.mark.parametrize("args, said", [
    (["--executor", "bogus"], "--executor must be one of inprocess, ray, got 'bogus'"),
    (["--ray-address", "10.0.0.1:6379"], "--ray-address '10.0.0.1:6379' needs --executor ray"),
])
def test_make_refuses_a_bad_executor_before_anything_is_saved(home, capsys, args, said):
    assert run("make", "a red ball bounces on grass", "--model", FAKE, "--session", "b", *args) == 2
    assert said in " ".join(capsys.readouterr().err.split())
    assert not (home / "projects" / "b").exists()


def test_executor_ray_without_ray_installed_says_what_to_install(home, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where it is not installed
    assert run("make", "a red ball bounces on grass", "--model", FAKE, "--executor", "ray") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--executor ray needs Ray" in err and 'pip install -e ".[ray]"' in err
    assert run("serve", "--executor", "ray", "--port", "0") == 2  # the server refuses at start, not at a job
    assert 'pip install -e ".[ray]"' in " ".join(capsys.readouterr().err.split())


def test_serve_refuses_an_unreachable_cluster_at_start(home, capsys):
    pytest.importorskip("ray", reason='the address is only probed once Ray imports: pip install -e ".[ray]"')
    t0 = time.monotonic()
    assert run("serve", "--executor", "ray", "--ray-address", "127.0.0.1:9", "--port", "0") == 2
    assert "Ray cluster at '127.0.0.1:9' cannot be reached" in " ".join(capsys.readouterr().err.split())
    assert time.monotonic() - t0 < 10


class _Listener:
    def __init__(self):
        self.stop = threading.Event()
        self.events = []

    def __call__(self, event):
        self.events.append(event)


def test_a_jobs_chains_run_through_the_servers_executor_made_once_per_worker(tmp_path, monkeypatch):
    made = []

    def build(spec):
        made.append(spec)
        return RecordingExecutor()

    monkeypatch.setattr(base, "build_executor", build)
    monkeypatch.setattr(worker, "_EXECUTORS", {})
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path))
    cfg = ServerConfig(home=tmp_path, models=(FAKE,), executor="ray", ray_address="10.0.0.1:6379")
    assert ServerConfig.from_dict(cfg.to_dict()) == cfg  # it travels to the worker processes as plain values
    store = JobStore(cfg.db_path)
    request = {"request": "a red ball bounces on grass", "seconds": 4, "model": FAKE, "planner": "offline",
               "seed": 0, "references": []}
    store.submit("a" * 32, "make", request, "ball", max_active=10)
    job = store.claim(1, lease=30, max_attempts=3)
    render, revision = worker.execute(job, store, cfg, _Listener())
    executor = worker.worker_executor(cfg)
    assert isinstance(executor, RecordingExecutor) and executor.tasks and revision == 1
    assert made == [base.ExecutorSpec(name="ray", ray_address="10.0.0.1:6379", shared=True)]  # once per worker
    assert worker.worker_executor(ServerConfig(home=tmp_path)) is None  # the default: in process
