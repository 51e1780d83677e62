"""Issue 5's acceptance over many seeds, as JSON.

The README's request ("a 60-second video: a red ball crosses a meadow, night
falls, then it bounces back home") made with ``longcut make``'s defaults
(offline planner, tiny model, opening search) once per seed. Per run: wall
time, the video's duration, and which shots the review passed (the evaluator
reads them as the storyboard says). One seed is one draw of a noisy model;
the share of runs with every shot passing is the figure to watch.

    .venv/bin/python bench/bench_acceptance.py --seeds 10 [--candidates 4] [--keep-continuity]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REQUEST = "a 60-second video: a red ball crosses a meadow, night falls, then it bounces back home"


def run_once(seed: int, candidates: int, model: str, home: Path, cut_fallback: bool = True) -> dict:
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.session import Options, Sessions
    from longcut.tools.media import probe

    sessions = Sessions(ProjectStore(home / "projects"), checkpoints=home / "ck.sqlite")
    t0 = time.perf_counter()
    res = sessions.make(REQUEST, name="acceptance", seed=seed, opts=Options(model=model, candidates=candidates,
                                                                             cut_fallback=cut_fallback))
    wall = time.perf_counter() - t0
    chosen = {v.take_id: v for v in res.project.versions}
    takes = [chosen[res.revision.shot_keys[shot.id]] for shot in res.revision.storyboard.shots]
    return {"seed": seed, "wall_s": round(wall, 1), "duration_s": round(probe(res.render).duration, 2),
            "passed": [t.passed for t in takes], "tries": [t.attempt for t in takes], "cut": [t.cut for t in takes]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed0", type=int, default=0, help="first seed")
    ap.add_argument("--candidates", type=int, default=4)
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--keep-continuity", action="store_true", help="continuous shots never cut (longcut make's flag)")
    args = ap.parse_args()
    runs = []
    for seed in range(args.seed0, args.seed0 + args.seeds):
        with tempfile.TemporaryDirectory() as home:
            runs.append(run_once(seed, args.candidates, args.model, Path(home), not args.keep_continuity))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    shots = [p for r in runs for p in r["passed"]]
    result = {
        "benchmark": "acceptance", "request": REQUEST, "model": args.model, "candidates": args.candidates,
        "cut_fallback": not args.keep_continuity, "runs": runs,
        "shots_passed": round(sum(shots) / len(shots), 3),
        "runs_all_shots_passed": round(sum(all(r["passed"]) for r in runs) / len(runs), 3),
        "duration_within_5pct": all(abs(r["duration_s"] - 60) <= 3 for r in runs),
        "wall_s_mean": round(sum(r["wall_s"] for r in runs) / len(runs), 1),
        "wall_s_max": max(r["wall_s"] for r in runs),
    }  # fmt: skip
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
