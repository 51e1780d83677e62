"""Job API throughput and latency: a real ``longcut serve`` on 127.0.0.1, same machine, same run.

Prints one JSON object:

* ``jobs_per_minute`` for 20 concurrent 4-second jobs with 1 and 2 workers,
  and their ratio (2 workers / 1 worker);
* time to first event (submit → first Server-Sent Event received), p50/p95,
  on an idle server (jobs one at a time) and within the concurrent batch;
* API overhead per job: mean wall seconds of a job through the API (submit →
  end of its event stream) ÷ the same job run in-process with ``Sessions.make``.

The default model is the test oracle (it renders the prompt's world scene, so
the figures measure the API and agent, not a diffusion model); pass
``--model tiny`` once its weights exist. Usage:
``python bench/bench_api.py [--jobs 20] [--seconds 4] [--model MODULE:CLASS]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the oracle model and the server launcher live in tests/

from longcut.client import Client  # noqa: E402

from tests.api.api_helpers import TOKEN, Server  # noqa: E402

REQUEST = "a red ball bounces on grass, then a blue square moves left on sand"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def one_job(url: str, model: str, seconds: float, seed: int) -> dict:
    """Submit, follow the events to the end; returns time to first event and total seconds."""
    with Client(url, TOKEN) as api:
        t0 = time.perf_counter()
        job = api.submit(REQUEST, seconds=seconds, model=model, seed=seed)
        first = None
        for _ in api.events(job["id"]):
            first = first or time.perf_counter() - t0
        total = time.perf_counter() - t0
        status = api.status(job["id"])["status"]
    return {"ttfe": first, "total": total, "status": status}


def batch(server: Server, model: str, jobs: int, seconds: float) -> dict:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda i: one_job(server.url, model, seconds, 1000 + i), range(jobs)))
    wall = time.perf_counter() - t0
    ok = sum(r["status"] == "succeeded" for r in results)
    return {"wall_s": round(wall, 2), "succeeded": ok, "jobs_per_minute": round(60 * ok / wall, 2),
            "ttfe_p50_s": pct([r["ttfe"] for r in results], 0.5), "ttfe_p95_s": pct([r["ttfe"] for r in results], 0.95)}


def in_process(model_spec: str, runs: int, seconds: float) -> list[float]:
    """The same job through ``Sessions.make`` in this process (warm model), wall seconds each."""
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.session import Options, Sessions
    from longcut.models.backends.registry import load_backend

    home = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
    sessions = Sessions(ProjectStore(home / "projects"), checkpoints=home / "ck.sqlite")
    model = load_backend(model_spec)
    times = []
    for i in range(runs + 1):  # the first run warms up
        t0 = time.perf_counter()
        sessions.make(REQUEST, name=f"bench-{i}", seconds=seconds, seed=2000 + i,
                      opts=Options(model=model_spec, video_model=model))
        if i:
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--model", default="tests.fakes:WorldOracleModel")
    ap.add_argument("--serial", type=int, default=8, help="jobs one at a time (idle latency, overhead)")
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = str(REPO)
    out: dict = {"bench": "api", "model": args.model, "jobs": args.jobs, "video_seconds": args.seconds,
                 "cpus": os.cpu_count(), "python": platform.python_version()}
    serial: list[dict] = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(prefix="bench-api-") as home:
            with Server(Path(home), workers, args.model, "--max-active-jobs", str(args.jobs + 5)) as server:
                with ThreadPoolExecutor(workers) as pool:  # warm every worker
                    list(pool.map(lambda i: one_job(server.url, args.model, 1, i), range(2 * workers)))
                if workers == 1:
                    serial = [one_job(server.url, args.model, args.seconds, 500 + i) for i in range(args.serial)]
                out[f"workers_{workers}"] = batch(server, args.model, args.jobs, args.seconds)
    out["throughput_ratio_2_vs_1"] = round(out["workers_2"]["jobs_per_minute"] / out["workers_1"]["jobs_per_minute"], 3)
    out["idle_ttfe_p50_s"] = pct([r["ttfe"] for r in serial], 0.5)
    out["idle_ttfe_p95_s"] = pct([r["ttfe"] for r in serial], 0.95)
    api_mean = statistics.mean(r["total"] for r in serial)
    local = in_process(args.model, args.serial, args.seconds)
    out["api_seconds_per_job"] = round(api_mean, 3)
    out["in_process_seconds_per_job"] = round(statistics.mean(local), 3)
    out["api_overhead_ratio"] = round(api_mean / statistics.mean(local), 3)
    out["api_overhead_seconds_per_job"] = round(api_mean - statistics.mean(local), 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
