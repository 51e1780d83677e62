"""How good are the estimates made before generation? Estimate vs measured wall time, as JSON.

In a fresh ``LONGCUT_HOME``: 3 calibration jobs (their takes and turns are
the records the cost model learns from), then 10 requests of 8 to 120 s on
the tiny backend. Each request is planned first (``longcut plan --session``:
no weights, the estimate), then generated from that draft (``longcut
approve``), and its measured turn wall time compared with the estimate made
before it. Every finished job adds records, as in use. Figures: median and
max relative error |estimate − measured| / measured (goal: median ≤ 20%,
max ≤ 50%), and the fraction of measured turns inside the estimate's likely
range (meant to be about 80%). Beside each estimate, in the same run, the
one a load-unaware model would have made from the same records (takes
fitted on their raw wall time, no share of a core measured now): the
figure ``agent.costs.machine`` is there to improve on a shared machine.

    .venv/bin/python bench/bench_estimates.py [--model tiny] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

CALIBRATION = [
    ("a small blue square moves left on a sand background", 10.0),
    ("a red ball crosses a meadow, night falls, then it bounces back home", 30.0),
    ("a big yellow star moves up on a stone background, then it stays still", 60.0),
]
REQUESTS = [
    ("a red circle bounces on grass", 8.0),
    ("a green triangle moves right on a sky background", 12.0),
    ("a purple square shrinks on a night background", 20.0),
    ("a white star circles on a sunset background, then the sky darkens", 30.0),
    ("an orange ball moves left on sand, then a blue square moves up on stone", 40.0),
    ("a pink circle grows on grass", 50.0),
    ("a red ball crosses a meadow, night falls, then it bounces back home", 60.0),
    ("a brown square moves down on a stone background, then it stays still", 75.0),
    ("a yellow star moves right on a sky background, then a green circle bounces on grass", 90.0),
    ("a blue ball bounces on sand, the light comes up, then it moves left", 120.0),
]


def unaware_estimate(sessions, board, model: str, opts) -> float | None:
    """The wall seconds a load-unaware cost model gives ``board``: every take's recorded share of a core ignored."""
    from longcut.agent.costs import calibrate
    from longcut.agent.costs.estimate import estimate_turn
    from longcut.agent.costs.meter import is_warm
    from longcut.agent.costs.rates import prior_rates
    from longcut.models.backends.registry import describe_backend
    from longcut.tools.review import ADHERENCE_SECONDS

    info = describe_backend(model)
    projects = []
    for p in calibrate.recent_projects(sessions.store):
        versions = [v.model_copy(update={"cost": v.cost.model_copy(update={"cpu_share": None})}) if v.cost else v
                    for v in p.versions]
        projects.append(p.model_copy(update={"versions": versions}))
    prior = prior_rates(info, "offline", opts.candidates, ADHERENCE_SECONDS)
    rates = calibrate.calibrated_rates(prior, calibrate.gather(projects, prior.backend, "offline"))
    return estimate_turn(board, info, rates, cold=not is_warm(info.name)).wall_seconds


def run(request: str, seconds: float, name: str, model: str, home: Path) -> dict:
    """Plan (estimate) then generate one request; what was estimated and what it took."""
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.drafts import approve, plan_first_turn
    from longcut.agent.turn.session import Options, Sessions

    sessions = Sessions(ProjectStore(home / "projects"), checkpoints=home / "ck.sqlite")
    preview = plan_first_turn(sessions, request, name, seconds, opts=Options(model=model))
    est = preview.estimate
    unaware = unaware_estimate(sessions, preview.project.storyboard, model, Options(model=model))
    t0 = time.perf_counter()
    res = approve(sessions, name, Options(model=model))
    outside = time.perf_counter() - t0
    measured = res.seconds
    return {"request": request, "seconds": seconds, "shots": len(res.revision.storyboard.shots),
            "estimate_s": None if est.wall_seconds is None else round(est.wall_seconds, 2),
            "likely_s": None if est.wall_low is None else [round(est.wall_low, 2), round(est.wall_high, 2)],
            "in_likely_range": None if est.wall_low is None else est.wall_low <= measured <= est.wall_high,
            "measured_s": round(measured, 2), "approve_call_s": round(outside, 2),
            "calibrated_from_takes": est.measured_takes, "tries_estimated": round(est.tries, 2),
            "tries_measured": sum(1 for v in res.project.versions if v.turn == 1),
            "relative_error": None if est.wall_seconds is None else round(abs(est.wall_seconds - measured) / measured, 3),
            "cpu_share_at_estimate": round(est.cpu_share, 2),
            "unaware_estimate_s": None if unaware is None else round(unaware, 2),
            "unaware_relative_error": None if unaware is None else round(abs(unaware - measured) / measured, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--quick", action="store_true", help="shorter videos (a smoke run, not the figure)")
    args = ap.parse_args()
    scale = 0.25 if args.quick else 1.0
    calibration, measured = [], []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for i, (request, seconds) in enumerate(CALIBRATION):
            calibration.append(run(request, max(4.0, seconds * scale), f"calibrate-{i}", args.model, home))
            print(json.dumps(calibration[-1]), file=sys.stderr, flush=True)
        for i, (request, seconds) in enumerate(REQUESTS):
            measured.append(run(request, max(4.0, seconds * scale), f"request-{i}", args.model, home))
            print(json.dumps(measured[-1]), file=sys.stderr, flush=True)
    errors = [r["relative_error"] for r in measured if r["relative_error"] is not None]
    unaware = [r["unaware_relative_error"] for r in measured if r["unaware_relative_error"] is not None]
    result = {
        "benchmark": "estimates", "model": args.model, "quick": args.quick,
        "calibration": calibration, "requests": measured,
        "estimated": len(errors), "median_relative_error": round(statistics.median(errors), 3) if errors else None,
        "max_relative_error": max(errors) if errors else None,
        "goal": {"median": 0.2, "max": 0.5},
        "unaware_median_relative_error": round(statistics.median(unaware), 3) if unaware else None,
        "unaware_max_relative_error": max(unaware) if unaware else None,
        # the likely range is meant to hold about 80% of turns
        "in_likely_range": sum(1 for r in measured if r["in_likely_range"]) / max(1, len(measured)),
        "first_estimate_uncalibrated_error": calibration[0]["relative_error"],
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
