"""What a remote backend worker does with a chain; plain Python, no Ray (``ray_executor`` wraps it in an actor).

A ``ChainWorker`` lives as long as its actor: it keeps its backend loaded
(the registry loads each once per process) and a content-addressed cache
of the files it was sent (``missing`` / ``put_blobs``). For each chain it
lays out a scratch copy of the project from that cache — the project's
record and the manifest's files, at their project-relative paths — runs
the chain there with the same code as in process (``chain_runtime`` +
``make_chain``), and streams back, in order: progress events, each
finished take (its record and files, as bytes with their sha256) as soon
as it is written, and the chain's outcomes. The scratch copy is removed
after the chain. It never reads a path it was not sent.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from longcut.agent.events import EventSink
from longcut.agent.state import Project, Shot, ShotVersion
from longcut.agent.store import ProjectStore
from longcut.agent.turn.executors.inprocess import chain_runtime, run_chain
from longcut.agent.turn.shots import ShotProgress
from longcut.agent.turn.task import ChainTask
from longcut.errors import LongcutError
from longcut.tools.paths import atomic_output

log = logging.getLogger(__name__)

_SHA_CHARS = set("0123456789abcdef")
ACK_SECONDS = 60.0  # a finished take the driver has not written home in this long: the driver is gone (a shared actor is freed)


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of some bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def is_sha256(value: str) -> bool:
    """Whether ``value`` is a hex SHA-256 (a cache file name, so nothing else may be one)."""
    return len(value) == 64 and set(value) <= _SHA_CHARS


class RelayProgress(ShotProgress):
    """A remote chain's shot progress: the shot's own fraction, which the driver maps onto the whole turn."""

    def fraction(self, shot: Shot, fraction: float) -> float:
        """``fraction`` of ``shot`` is made: passed on as it is (the driver knows the turn's other chains)."""
        return fraction


class RelaySink(EventSink):
    """Puts every event a remote chain emits on a queue, as data, in the order they are made."""

    def __init__(self, out: queue.Queue) -> None:
        super().__init__()
        self._out = out

    def emit(self, stage: str, message: str, fraction: float | None = None, **kw: Any):
        """Queue the event for the driver (its fraction is its shot's, see ``RelayProgress``)."""
        self._out.put({"kind": "event", "stage": stage, "message": message, "fraction": fraction, "fields": kw})


def take_item(root: Path, record: Path, take: ShotVersion) -> dict[str, Any]:
    """A finished take as data: its files' bytes and hashes, the record last (the driver writes it last)."""
    paths = [take.file] + ([take.history] if take.history else []) + [record.relative_to(root).as_posix()]
    files = []
    for rel in paths:
        data = (root / rel).read_bytes()
        files.append({"path": rel, "sha256": sha256_bytes(data), "data": data})
    return {"kind": "take", "shot": take.shot_id, "take": take.take_id, "files": files}


class ChainWorker:
    """One backend worker: its blob cache and the chains it runs, one at a time."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="longcut-worker-"))
        self.blobs = self.home / "blobs"
        self.blobs.mkdir()
        self._cancel: dict[str, threading.Event] = {}
        self._acks: dict[tuple[str, str], threading.Event] = {}  # (run, take id) -> set when it is written home

    def pid(self) -> int:
        """The worker's process id (tests, and telling a restarted worker apart)."""
        return os.getpid()

    def missing(self, hashes: list[str]) -> list[str]:
        """Which of ``hashes`` this worker does not hold yet."""
        return [h for h in dict.fromkeys(hashes) if not (self.blobs / h).is_file()]

    def put_blobs(self, blobs: dict[str, bytes]) -> int:
        """Store blobs by their hash, each checked against its bytes; returns how many were stored."""
        for h, data in blobs.items():
            if not is_sha256(h) or sha256_bytes(data) != h:
                raise LongcutError(f"blob {h[:80]!r} does not match its content's sha256")
            with atomic_output(self.blobs / h) as tmp:
                tmp.write_bytes(data)
        return len(blobs)

    def cancel(self, run_id: str) -> bool:
        """Stop chain ``run_id`` at its next chunk; whether it was running."""
        flag = self._cancel.get(run_id)
        if flag is not None:
            flag.set()
        return flag is not None

    def ack(self, run_id: str, take_id: str) -> None:
        """The driver wrote take ``take_id`` of chain ``run_id`` home: the chain may go on."""
        flag = self._acks.get((run_id, take_id))
        if flag is not None:
            flag.set()

    def _send_home(self, run_id: str, out: queue.Queue, item: dict[str, Any], cancel: threading.Event) -> None:
        """Queue a finished take and wait until the driver has written it (or the chain is cancelled).

        So a worker killed in the next shot never takes a finished take with
        it: the chain goes on only once the take is in the project.
        """
        flag = self._acks[(run_id, item["take"])] = threading.Event()
        out.put(item)
        deadline = time.monotonic() + ACK_SECONDS
        while not flag.wait(0.1):
            if cancel.is_set():
                break
            if time.monotonic() > deadline:
                raise LongcutError(f"the driver did not take take {item['take']} within {ACK_SECONDS:.0f} s")
        self._acks.pop((run_id, item["take"]), None)

    def run(self, run_id: str, task: dict[str, Any], project: dict[str, Any],
            manifest: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Run one chain; yields its events and finished takes in order, then ``{"kind": "done", "takes": …}``.

        ``project`` is the project's record (``project.json`` as data);
        ``manifest`` maps project-relative paths to the sha256 of the
        files the chain may read, all of them already in the cache.
        """
        flag = self._cancel[run_id] = threading.Event()
        scratch = Path(tempfile.mkdtemp(prefix="run-", dir=self.home))
        out: queue.Queue = queue.Queue()
        try:
            chain_task = ChainTask.model_validate(task).model_copy(update={"projects": str(scratch)})
            store = ProjectStore(scratch)
            self._lay_out(store, Project.model_validate(project), manifest)
            rt = chain_runtime(chain_task, None)
            rt = replace(rt, store=store, events=RelaySink(out), progress=RelayProgress(), cancel=flag,
                         on_take=lambda record, take: self._send_home(
                             run_id, out, take_item(store.folder(chain_task.project), record, take), flag))
            yield from self._pump(out, lambda: run_chain(chain_task, rt))
        finally:
            self._cancel.pop(run_id, None)
            shutil.rmtree(scratch, ignore_errors=True)

    def _lay_out(self, store: ProjectStore, project: Project, manifest: dict[str, str]) -> None:
        """The scratch project: its record, and each manifest file from the cache at its relative path."""
        folder = store.project_folder(project.name)
        for rel, h in manifest.items():
            if not is_sha256(h) or not (self.blobs / h).is_file():
                raise LongcutError(f"file {rel[:200]!r} was not sent to this worker (sha256 {h[:80]!r})")
            path = folder.output(rel)  # refused when outside the scratch project (absolute, '..', a URL)
            shutil.copyfile(self.blobs / h, path)
        store.save(project)

    @staticmethod
    def _pump(out: queue.Queue, work) -> Iterator[dict[str, Any]]:
        """Run ``work`` in a thread; yield what it queues while it runs, then its outcomes (or raise its error)."""
        result: dict[str, Any] = {}

        def target() -> None:
            try:
                result["takes"] = work()
            except BaseException as err:  # noqa: BLE001 - re-raised in the generator, where Ray reports it
                result["error"] = err
            finally:
                out.put(None)

        thread = threading.Thread(target=target, name="longcut-chain", daemon=True)
        thread.start()
        while (item := out.get()) is not None:
            yield item
        thread.join()
        if "error" in result:
            raise result["error"]
        yield {"kind": "done", "takes": [{"version": t.version.model_dump(mode="json"), "chosen": t.chosen,
                                          "generated": t.generated} for t in result["takes"]]}
