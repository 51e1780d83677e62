"""Agent benchmark (issue 5), as JSON.

* wall time and peak RSS of ``make`` for a 60 s and a 10-minute request with
  the offline planner (memory should be flat in length: shots stream to disk,
  the render streams through ffmpeg);
* cache hit rate over a 5-turn refinement (shots reused ÷ shots in the turn);
* with ``--candidates 1,4``, the first length once per opening-search width
  (1 = off), so the search's price in wall time and its gain in shots that
  pass review come out of one run.

``--model tiny`` (default) measures the shipped model; ``--model
tests.fakes:WorldOracleModel`` measures the agent's own overhead (rendering
the world instead of sampling a DiT). Each length runs in a fresh process so
peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUEST = "a {n}-second video: a red ball crosses a meadow, night falls, then it bounces back home"
TURNS = [
    "make the second shot green",
    "add a title 'Home'",
    "make the last shot longer",
    "another take of shot 1",
    "use a crossfade after shot 1",
]


def _child(model: str, seconds: int, home: str, turns: bool, candidates: int) -> None:
    import resource

    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.session import Options, Sessions

    sessions = Sessions(ProjectStore(Path(home) / "projects"), checkpoints=Path(home) / "ck.sqlite")
    opts = Options(model=model, candidates=candidates)
    t0 = time.perf_counter()
    res = sessions.make(REQUEST.format(n=seconds), name="bench", opts=opts)
    out = {"seconds": seconds, "candidates": candidates, "wall_s": round(time.perf_counter() - t0, 2), "shots": len(res.project.storyboard.shots),
           "wall_s_per_video_s": round((time.perf_counter() - t0) / seconds, 3)}
    # does the video show what the storyboard says? each shot's chosen take and its review checks
    chosen = {v.take_id: v for v in res.project.versions}
    takes = [chosen.get(res.revision.shot_keys.get(shot.id, "")) for shot in res.revision.storyboard.shots]
    takes = [t for t in takes if t is not None]
    out["shots_passed"] = round(sum(t.passed for t in takes) / max(len(takes), 1), 3)
    out["mean_tries"] = round(sum(t.attempt for t in takes) / max(len(takes), 1), 2)
    out["failed_checks"] = sorted({c.name for t in takes for c in t.checks if not c.passed})
    if turns:
        per_turn = []
        for feedback in TURNS:
            t1 = time.perf_counter()
            r = sessions.refine("bench", feedback, opts=opts)
            n = len(r.revision.storyboard.shots)
            per_turn.append({"feedback": feedback, "shots": n, "generated": len(r.revision.regenerated),
                             "wall_s": round(time.perf_counter() - t1, 2)})
        total = sum(t["shots"] for t in per_turn)
        reused = total - sum(t["generated"] for t in per_turn)
        out["refinement"] = {"turns": per_turn, "cache_hit_rate": round(reused / total, 3)}
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    json.dump(out, sys.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--lengths", default="60,600")
    ap.add_argument("--candidates", default="4", help="opening-search widths; the first length runs once per width")
    ap.add_argument("--child", nargs=4)
    args = ap.parse_args()
    if args.child:
        seconds, home, turns, candidates = args.child
        _child(args.model, int(seconds), home, turns == "1", int(candidates))
        return
    widths = [int(x) for x in args.candidates.split(",")]
    lengths = [int(x) for x in args.lengths.split(",")]
    plan = [(lengths[0], c, c == widths[-1]) for c in widths] + [(n, widths[-1], False) for n in lengths[1:]]
    runs = []
    for n, c, turns in plan:
        with tempfile.TemporaryDirectory() as home:
            proc = subprocess.run(
                [sys.executable, __file__, "--model", args.model, "--child", str(n), home, "1" if turns else "0", str(c)],
                capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result = {"benchmark": "agent", "model": args.model, "planner": "offline", "runs": runs}
    same_width = [r for r in runs if r["candidates"] == widths[-1]]
    if len(same_width) >= 2:
        result["rss_ratio_long_over_short"] = round(same_width[-1]["peak_rss_mib"] / same_width[0]["peak_rss_mib"], 3)
    if len(widths) >= 2:
        first, last = runs[0], runs[len(widths) - 1]
        result["search"] = {"widths": widths, "wall_ratio": round(last["wall_s"] / first["wall_s"], 3),
                            "shots_passed": [r["shots_passed"] for r in runs[: len(widths)]]}
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
