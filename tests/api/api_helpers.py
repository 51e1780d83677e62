"""A real ``longcut serve`` in a subprocess, and a slow oracle model that logs its calls."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.fakes import WorldOracleModel

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-token-alice-0123456789"
OTHER_TOKEN = "test-token-bob-0123456789ab"
FUZZ_TOKEN = "test-token-fuzzer-01234567"  # schemathesis' own, so its jobs count against no other test's limit
SLOW = "tests.api.api_helpers:SlowOracle"
FAST = "tests.fakes:WorldOracleModel"
BAD_EXTENSION = "tests.fakes:BadExtensionModel"
THREE_SHOTS = ("a red circle moves right on grass, then a blue square moves left on sand, "
               "then a yellow star moves up on stone")


class SlowOracle(WorldOracleModel):
    """The oracle in 4-frame chunks with a pause per chunk; appends each clip request to a log.

    The log (``$LONGCUT_HOME/generate-calls.jsonl``) is shared by all worker
    processes, so a test can count how often each shot was generated.
    """

    def __init__(self) -> None:
        super().__init__(chunk_frames=4)
        self.delay = float(os.environ.get("LONGCUT_TEST_CHUNK_DELAY", "0.15"))

    def generate(self, request, history=None, on_step=None):
        with open(Path(os.environ["LONGCUT_HOME"]) / "generate-calls.jsonl", "a", encoding="utf-8") as fh:
            start = 0 if history is None else history.frames_done
            fh.write(json.dumps({"pid": os.getpid(), "prompt": request.prompt, "seed": request.seed, "start": start}) + "\n")
        for chunk in super().generate(request, history, on_step):
            time.sleep(self.delay)
            yield chunk


def generate_calls(home: Path) -> list[dict]:
    path = home / "generate-calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m longcut serve`` on a free port, with its own LONGCUT_HOME; stopped on exit."""

    def __init__(self, home: Path, workers: int = 1, models: str = f"{SLOW},{FAST}", *extra: str,
                 chunk_delay: float = 0.15) -> None:
        self.home, self.workers, self.models, self.extra = Path(home), workers, models, extra
        self.chunk_delay = chunk_delay
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        env = {**os.environ, "LONGCUT_HOME": str(self.home), "LONGCUT_API_TOKEN": f"{TOKEN},{OTHER_TOKEN},{FUZZ_TOKEN}",
               "PYTHONPATH": str(REPO), "LONGCUT_TEST_CHUNK_DELAY": str(self.chunk_delay)}
        cmd = [sys.executable, "-m", "longcut", "serve", "--port", str(self.port), "--workers", str(self.workers),
               "--models", self.models, *self.extra]
        log = open(self.home / f"server-{self.port}.log", "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s: {self.log()[-2000:]}")

    def log(self) -> str:
        return (self.home / f"server-{self.port}.log").read_text(errors="replace")

    def kill9(self) -> None:
        """kill -9 the server process alone (its workers notice and exit)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:  # anything of ours still alive in the server's process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(10)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def db(self, sql: str, *args):
        with sqlite3.connect(self.home / "jobs.sqlite") as db:
            return db.execute(sql, args).fetchall()


def headers(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def run_stuck_job(db: str, home: str) -> None:
    """In a child process: claim a job and run it with an agent that never reports progress."""
    import longcut.agent.service.worker as worker
    from longcut.agent.service.config import ServerConfig
    from longcut.agent.service.queue import JobStore

    def stuck(*_args, **_kw):
        time.sleep(60)

    worker.execute = stuck
    store = JobStore(Path(db))
    job = store.claim(os.getpid(), lease=3, max_attempts=3)
    worker.run_job(job, store, ServerConfig(home=Path(home), lease_seconds=3, cancel_grace=0.5), os.getppid())


def finished_shots(home: Path, session: str) -> set[str]:
    """Shots whose first take is recorded on disk (written last, atomically, when a take is done)."""
    return {p.parent.name for p in (home / "projects" / session / "shots").glob("*/*-t1.json")}


def generations(home: Path, shots: list[dict]) -> dict[str, int]:
    """How many times each storyboard shot (prompt and seed) was generated, by any worker.

    A shot may be made in several calls (an opening chunk, then its
    continuation from a later frame), so calls are counted per start frame
    and a shot made twice shows every start twice.
    """
    calls = generate_calls(home)
    made = {}
    for s in shots:
        starts = Counter(c["start"] for c in calls if (c["prompt"], c["seed"]) == (s["prompt"], s["seed"]))
        made[s["id"]] = max(starts.values(), default=0)
    return made
