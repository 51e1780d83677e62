"""The Ray executor: each chain runs on a backend actor of a Ray cluster (docs/scale.md).

The only module that imports ``ray``, and only when a ``RayExecutor`` is
made. One backend actor per GPU of the cluster (``num_gpus=1``; one per CPU
slot on a cluster without GPUs) keeps its model loaded between chains; a
chain is one streaming call on an idle actor. The driver — the turn's
process — sends the chain's files by content (``chain_manifest``), relays
the actor's events onto the turn's sink in order, writes each take it gets
back into the project atomically (record last), and sends the chain again
when its actor dies, so takes already written are found, not made again.
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

from longcut.agent.state import Project, ShotVersion
from longcut.agent.store import ProjectStore
from longcut.agent.turn.executors.base import RAY_INSTALL_HINT, ExecutorSpec
from longcut.agent.turn.executors.remote_chain import ChainWorker, sha256_bytes
from longcut.agent.turn.shots import Runtime, TakeOutcome, file_sha256
from longcut.agent.turn.task import ChainTask
from longcut.errors import InputError, LongcutError
from longcut.tools.paths import ProjectFolder, atomic_output, is_temp_name

log = logging.getLogger(__name__)

CONNECT_SECONDS = 5.0  # a cluster address that does not answer within this is refused
ACTORS_READY_SECONDS = 120.0  # backend workers that cannot all start within this: the cluster has no room
POLL_SECONDS = 0.2  # how long the driver waits for a chain's next item before it looks at the cancel flag
CANCEL_GRACE_SECONDS = 5.0  # a cancelled chain still running after this has its actor killed (it restarts)
MAX_SENDS = 3  # a chain whose worker dies is sent again, at most this many times in all
ACTOR_RESTARTS = 4  # how often Ray brings a dead backend actor back (its model loads again)


def import_ray():
    """The ``ray`` module, or an ``InputError`` saying what to install."""
    try:
        import ray
    except ImportError as err:
        raise InputError(f"--executor ray needs Ray, which is not installed here: {RAY_INSTALL_HINT}") from err
    return ray


def probe_address(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """Refuse, fast and by name, a cluster address nothing answers at (``ray.init`` would wait far longer)."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(f"--ray-address {address!r} is not HOST:PORT (or ray://HOST:PORT, auto, local)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as err:
        raise InputError(f"the Ray cluster at {address!r} cannot be reached ({err.strerror or err}); start one "
                         "with `ray start --head` there, or check --ray-address") from None


def chain_manifest(project: Project, chain: list[str], root: Path, hashes: dict | None = None) -> dict[str, str]:
    """What a chain may read, ``{project-relative path: sha256}``: its references and its shots' take files.

    Every finished take under the chain's shot folders goes, so a chain sent
    again after its worker died finds the takes already written home.
    ``hashes`` caches sha256 by (path, size, mtime) between calls.
    """
    board, out = project.storyboard, {}
    paths: list[Path] = []
    for shot_id in chain:
        for ref_id in board.shot(shot_id).refs:
            image = project.reference(ref_id).image
            if image:
                paths.append(root / image)
        shot_dir = root / "shots" / shot_id
        if shot_dir.is_dir():
            paths += sorted(p for p in shot_dir.iterdir() if p.is_file() and not is_temp_name(p.name))
    for path in paths:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        digest = hashes.get(key) if hashes is not None else None
        if digest is None:
            digest = file_sha256(path)
            if hashes is not None:
                hashes[key] = digest
        out[path.relative_to(root).as_posix()] = digest
    return out


def write_take(folder: ProjectFolder, chain: list[str], item: dict[str, Any]) -> ShotVersion:
    """Write a take a worker sent into the project: each file checked and written atomically, the record last."""
    shot = item["shot"]
    if shot not in chain:
        raise LongcutError(f"a worker sent a take of shot {shot!r}, not of its chain {chain}")
    files = item["files"]
    for f in files:
        rel = f["path"]
        if not rel.startswith(f"shots/{shot}/"):
            raise LongcutError(f"a worker sent {rel[:200]!r}, outside shot {shot!r}'s folder")
        if sha256_bytes(f["data"]) != f["sha256"]:
            raise LongcutError(f"{rel!r} arrived damaged (its sha256 does not match)")
    version = ShotVersion.model_validate_json(files[-1]["data"])  # the record: a valid take, or nothing is written
    for f in files:
        with atomic_output(folder.output(f["path"])) as tmp:
            tmp.write_bytes(f["data"])
    return version


class RayExecutor:
    """Runs chains on backend actors of a Ray cluster: ``spec.ray_address``, or one this process starts."""

    name = "ray"

    def __init__(self, spec: ExecutorSpec = ExecutorSpec(name="ray")) -> None:
        self._ray = ray = import_ray()
        self._started = False
        if spec.ray_address not in (None, "auto", "local"):
            probe_address(spec.ray_address)
        if not ray.is_initialized():
            try:
                ray.init(address=spec.ray_address, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.WARNING)
            except ConnectionError as err:  # address auto with no cluster on this machine
                raise InputError(f"no Ray cluster at {spec.ray_address!r}: {str(err)[:300]}; start one with "
                                 "`ray start --head`") from None
            self._started = True
        self._shared = spec.shared
        gpus = int(ray.cluster_resources().get("GPU", 0))
        free = int(ray.available_resources().get("GPU", 0))
        # one actor per GPU: a shared pool names one per GPU of the cluster, a private one takes the free ones
        count = spec.ray_workers or max(1, gpus if spec.shared else free)
        need = {"num_gpus": 1, "num_cpus": 0} if gpus else {"num_cpus": 1}  # a GPU worker holds no CPU slot
        backend = ray.remote(max_restarts=ACTOR_RESTARTS, concurrency_groups={"control": 2})(ChainWorker)
        named = ({"namespace": "longcut", "lifetime": "detached", "get_if_exists": True} if spec.shared else {})
        self._actors = [backend.options(scheduling_strategy="SPREAD", **need, **named,
                                        **({"name": f"longcut-backend-{i}"} if spec.shared else {})).remote()
                        for i in range(count)]
        try:
            ray.get([a.pid.remote() for a in self._actors], timeout=ACTORS_READY_SECONDS)
            self.nodes = ray.get([a.__ray_call__.remote(lambda _: ray.get_runtime_context().get_node_id())
                                  for a in self._actors])  # where each actor runs
        except ray.exceptions.GetTimeoutError:
            self.close()
            what = "1 GPU" if gpus else "1 CPU"
            raise InputError(f"the Ray cluster has no room for {count} backend workers of {what} each "
                             f"(free: {ray.available_resources()}); lower the workers or add nodes") from None
        self._idle: queue.Queue = queue.Queue()
        for a in self._actors:
            self._idle.put(a)
        self.concurrency = count
        self._lock = threading.Lock()  # chains' threads share the turn's sink and progress
        self._hashes: dict = {}
        self.written: list[str] = []  # take ids written home, in order (a take twice would be one made twice)
        self.sends = 0  # chains sent, first sends and sends again after a worker died
        self.ran_on: list[int] = []  # which actor (its index) each send went to

    def run_chain(self, task: ChainTask, turn: Runtime | None) -> list[TakeOutcome]:
        """Run the chain on an idle actor; sent again (at most ``MAX_SENDS`` in all) if the actor dies."""
        errors = self._ray.exceptions
        store = turn.store if turn is not None else ProjectStore(Path(task.projects))
        for send in range(1, MAX_SENDS + 1):
            actor = self._idle.get()
            try:
                return self._send(actor, task, turn, store)
            except errors.RayActorError as err:
                if send == MAX_SENDS:
                    raise LongcutError(f"chain {', '.join(task.chain)}: its worker died {send} times; "
                                       f"the last: {str(err)[:300]}") from None
                log.warning("chain %s: its worker died (%s); sending it again", task.chain, str(err)[:200])
                self._emit(turn, None, {"stage": "shots", "message": f"chain {', '.join(task.chain)}: its worker "
                                        f"died; sending it again (send {send + 1} of {MAX_SENDS})",
                                        "fraction": None, "fields": {}})
            finally:
                self._idle.put(actor)
        raise AssertionError("unreachable")

    def _send(self, actor, task: ChainTask, turn: Runtime | None, store: ProjectStore) -> list[TakeOutcome]:
        ray = self._ray
        self.ran_on.append(self._actors.index(actor))
        project = store.load(task.project)
        folder = store.project_folder(task.project)
        manifest = chain_manifest(project, task.chain, folder.root, self._hashes)
        control = {"concurrency_group": "control"}  # beside a chain another driver may be running on a shared actor
        missing = set(ray.get(actor.missing.options(**control).remote(list(manifest.values()))))
        if missing:
            blobs = {h: (folder.root / rel).read_bytes() for rel, h in manifest.items() if h in missing}
            ray.get(actor.put_blobs.options(**control).remote(blobs))
        run_id = secrets.token_hex(8)
        self.sends += 1
        gen = actor.run.remote(run_id, task.model_dump(mode="json"), project.model_dump(mode="json"), manifest)
        try:
            while True:
                ready, _ = ray.wait([gen], timeout=POLL_SECONDS)
                if turn is not None:
                    turn.check_cancel()  # the job's cancel (or a budget): Cancelled / BudgetExceeded
                if not ready:
                    continue
                item = ray.get(next(gen))
                if item["kind"] == "done":
                    return [TakeOutcome(ShotVersion.model_validate(t["version"]), t["chosen"], t["generated"])
                            for t in item["takes"]]
                self._handle(item, task, turn, project, folder)
                if item["kind"] == "take":
                    actor.ack.options(concurrency_group="control").remote(run_id, item["take"])
        except ray.exceptions.RayTaskError as err:
            cause = getattr(err, "cause", None)
            if isinstance(cause, LongcutError):
                raise cause from None  # the chain's own error (Cancelled, a bad input), without Ray's wrapping
            raise
        except LongcutError:  # cancelled or over budget here: stop the remote chain, keep what it finished
            self._stop(actor, run_id, gen, task, turn, project, folder)
            raise

    def _handle(self, item: dict, task: ChainTask, turn: Runtime | None, project: Project,
                folder: ProjectFolder) -> None:
        if item["kind"] == "event":
            self._emit(turn, project, item)
        elif item["kind"] == "take":
            version = write_take(folder, task.chain, item)
            with self._lock:
                self.written.append(version.take_id)
                if turn is not None and turn.spend is not None:
                    if version.cost is not None:
                        turn.spend.add_judge(version.cost.judge)
                    turn.spend.start_try()  # counted as it comes home: a cap can pass by the takes in flight

    def _emit(self, turn: Runtime | None, project: Project | None, item: dict) -> None:
        """Put a remote event on the turn's sink; a shot's own fraction becomes the turn's (``RelayProgress``)."""
        if turn is None:
            log.info("[%s] %s", item["stage"], item["message"])
            return
        fields, fraction = dict(item["fields"]), item["fraction"]
        with self._lock:
            if item["stage"] == "shots" and fields.get("shot") and fraction is not None and project is not None:
                fraction = turn.progress.fraction(project.storyboard.shot(fields["shot"]), fraction)
            turn.events.emit(item["stage"], item["message"], fraction, **fields)

    def _stop(self, actor, run_id: str, gen, task: ChainTask, turn: Runtime | None, project: Project,
              folder: ProjectFolder) -> None:
        """Cancel a remote chain; takes it finishes meanwhile still come home; killed if it outlives the grace."""
        ray = self._ray
        actor.cancel.options(concurrency_group="control").remote(run_id)
        deadline = time.monotonic() + CANCEL_GRACE_SECONDS
        while time.monotonic() < deadline:
            ready, _ = ray.wait([gen], timeout=POLL_SECONDS)
            if not ready:
                continue
            try:
                item = ray.get(next(gen))
            except (StopIteration, ray.exceptions.RayError):
                return  # it stopped (with Cancelled, as asked)
            if item["kind"] == "take":
                self._handle(item, task, None, project, folder)
                actor.ack.options(concurrency_group="control").remote(run_id, item["take"])
            elif item["kind"] == "done":
                return
        log.warning("chain %s did not stop within %.0f s of its cancel: its worker is killed", task.chain,
                    CANCEL_GRACE_SECONDS)
        ray.kill(actor, no_restart=False)

    def close(self) -> None:
        """Kill the backend actors (a shared pool stays, warm, for its other drivers); shut Ray down if it started it."""
        alive = self._ray.is_initialized()  # after a shutdown a Ray call would start a new local Ray
        for a in [] if getattr(self, "_shared", False) or not alive else getattr(self, "_actors", []):
            try:
                self._ray.kill(a, no_restart=True)
            except Exception:  # noqa: BLE001 - an actor already gone has nothing to let go of
                log.debug("backend actor already gone")
        self._actors = []
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False

