"""In process vs Ray: a 12-chain request on the tiny model, as JSON (issue 18, docs/scale.md).

Three configurations, each in its own process (so each has its own driver
peak RSS): ``inprocess`` (the default executor), ``ray1`` and ``ray2`` (a
Ray started here with 1 or 2 logical GPUs, one backend actor each). Each
makes the request twice in a fresh ``LONGCUT_HOME``: a cold run (the
backend loads where the chains run) and a warm run with other seeds (so
nothing is cached). Figures: warm wall seconds, the ratio to in process,
and the overhead per chain of Ray with one worker (the same serial work
plus scheduling and the transfer of files both ways), and the driver's
peak RSS. On a 2-core machine two workers share the cores that one worker
already uses, so the ratio for ``ray2`` says what the seam costs more than
what a second GPU would give.

    .venv/bin/python bench/bench_scale.py [--chains 12] [--seconds 2] [--model tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUEST = "a red ball bounces on grass, then a blue square moves left on sand"


def chain_planner(chains: int, seconds: float, seed0: int):
    """A planner laying the request's shots out as ``chains`` one-shot chains (each its own seed)."""
    from longcut.agent.planning.offline import OfflinePlanner
    from longcut.agent.planning.planner import Plan
    from longcut.agent.state import Storyboard

    class Chains(OfflinePlanner):
        def plan(self, req):
            base = super().plan(replace(req, request=REQUEST, seconds=2 * seconds))
            src = base.storyboard.shots
            shots = [src[i % len(src)].model_copy(update={"id": f"c{i + 1}", "seed": seed0 + i, "seconds": seconds,
                                                          "continuous": False}) for i in range(chains)]
            return Plan(rewritten_request=base.rewritten_request, seconds=seconds * chains,
                        storyboard=Storyboard(shots=shots), references=base.references)

    return Chains(use_embeddings=False)


def one(config: str, chains: int, seconds: float, model: str) -> dict:
    """Run one configuration here (a child process): cold and warm walls, the driver's peak RSS."""
    home = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.environ["LONGCUT_HOME"] = str(home)
    from longcut.agent.turn.session import Options, Sessions

    executor = None
    if config.startswith("ray"):
        import ray

        from longcut.agent.turn.executors.base import ExecutorSpec
        from longcut.agent.turn.executors.ray_executor import RayExecutor

        workers = int(config[3:])
        t0 = time.monotonic()
        ray.init(num_cpus=2, num_gpus=workers, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
        executor = RayExecutor(ExecutorSpec(name="ray", ray_workers=workers))
        start_seconds = time.monotonic() - t0
    out = {"config": config, "chains": chains, "shot_seconds": seconds}
    if executor is not None:
        out["ray_start_seconds"] = round(start_seconds, 2)
    sessions = Sessions()
    for run, seed0 in (("cold", 0), ("warm", 1000)):
        opts = Options(model=model, candidates=1, planner_impl=chain_planner(chains, seconds, seed0),
                       executor=executor)
        t0 = time.monotonic()
        res = sessions.make(REQUEST, name=f"{run}-{config}", opts=opts)
        out[f"{run}_wall_seconds"] = round(time.monotonic() - t0, 2)
        out[f"{run}_generated"] = len(res.revision.regenerated)
    if executor is not None:
        out["sends"] = executor.sends
        out["takes_written_home"] = len(executor.written)
        executor.close()
    out["driver_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=2.0, help="length of each chain's one shot")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--configs", default="inprocess,ray1,ray2")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # run one configuration in this process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.chains, args.seconds, args.model)))
        return
    results = {}
    for config in args.configs.split(","):
        cmd = [sys.executable, __file__, "--one", config, "--chains", str(args.chains), "--seconds",
               str(args.seconds), "--model", args.model]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        results[config] = json.loads(lines[-1]) if done.returncode == 0 and lines else {
            "error": done.stderr[-2000:]}
    base = results.get("inprocess", {}).get("warm_wall_seconds")
    for r in results.values():
        if base and "warm_wall_seconds" in r:
            r["wall_ratio_to_inprocess"] = round(r["warm_wall_seconds"] / base, 3)
    one_worker = results.get("ray1", {}).get("warm_wall_seconds")
    summary = {"cpus": os.cpu_count(), "results": results}
    if base and one_worker:
        summary["ray_overhead_per_chain_seconds"] = round((one_worker - base) / args.chains, 3)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
