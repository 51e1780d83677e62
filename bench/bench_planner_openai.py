"""LLM calls and tokens per minute of output video, OpenAI planner path.

Runs the real ``OpenAIPlanner`` and ``openai`` client against the scripted
fake server (tests/fake_openai.py), which counts tokens as about four
characters each, for a session of one ``make`` plus one refine turn at several
video lengths:

* plan: one structured-output call (the "retry" variant adds one invalid
  reply first, i.e. one fix-up round);
* refine: one round of two edit tool calls, then the model's closing message;
* rewrite: ``rewrite_failed`` for one shot in ten (shots that failed checks twice).

The scripted storyboard has one shot per ~8 s with prompts of typical length,
so the figures scale like a real LLM's would; absolute token counts depend on
the real tokenizer and on how verbose the model is. Prints JSON.

    .venv/bin/python bench/bench_planner_openai.py
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.fake_openai

from longcut.agent.planning.openai import OpenAIPlanner  # noqa: E402
from longcut.agent.planning.planner import ModelVocabulary, PlanRequest  # noqa: E402
from longcut.agent.state import Project  # noqa: E402

from tests.fake_openai import FakeOpenAI, call, message, structured, tool_calls  # noqa: E402

# A guide the size of the embedded model's caption grammar (DESIGN.md "The embedded world").
GUIDE = """Captions describe one or two objects, a motion and a background, in this grammar:
"<size> <colour> <shape> [with <surface> in <colour>] <motion> on a <background> background".
Colours: red, orange, yellow, green, blue, purple, pink, white, black, brown.
Shapes: circle (ball, disc), square (box, block), triangle, star, diamond, hexagon.
Sizes: small, big. Surfaces: solid, stripes, dots, checker (only a reference image pins the exact pattern).
Motions: is still, moves left, moves right, moves up, moves down, bounces, circles, grows, shrinks.
Backgrounds: sky, night, grass, sand, stone, sunset. Global events: the sky darkens, the light comes up.
Examples: "a big red circle moves right on a grass background";
"a small blue star with dots in white bounces on a night background, the sky darkens"."""
VOCAB = ModelVocabulary(guide=GUIDE)
REQUEST = ("a {minutes}-minute video: a red ball crosses a meadow, meets a blue box, they chase each "
           "other around, night falls, the ball bounces home and the light comes up")
MOTIONS = ["moves right", "bounces", "circles", "moves left", "is still", "grows"]
BACKGROUNDS = ["grass", "grass", "sunset", "night", "night", "sky"]
SHOT_SECONDS = 8.0


def storyboard_reply(seconds: float) -> dict:
    """A storyboard as a capable LLM would write it: one shot per ~8 s."""
    n = max(1, math.ceil(seconds / SHOT_SECONDS))
    shots = []
    for i in range(n):
        motion, bg = MOTIONS[i % len(MOTIONS)], BACKGROUNDS[i * len(BACKGROUNDS) // n]
        shots.append({
            "intent": f"part {i + 1} of the story: the ball {motion.replace('is ', '')} over the {bg}",
            "prompt": f"a big red circle {motion} on a {bg} background, a small blue square is still",
            "seconds": SHOT_SECONDS, "refs": ["red-ball", "blue-box"], "continuous": i % 3 == 1,
            "transition": "dissolve" if i % 5 == 4 else "cut",
            "transition_seconds": 0.5 if i % 5 == 4 else 0.0, "caption": None,
        })
    return {
        "rewritten_request": "A red ball crosses a meadow, meets a blue box, they chase each other, "
                             "night falls and the ball bounces home at dawn.",
        "seconds": seconds, "title": None, "style": "bright flat colours",
        "references": [{"id": "red-ball", "description": "a big red circle"},
                       {"id": "blue-box", "description": "a small blue square"}],
        "shots": shots,
    }


def session(seconds: float, retry: bool) -> dict:
    """One make + one refine turn; returns calls and tokens per stage."""
    reply = storyboard_reply(seconds)
    n_rewrites = max(1, round(len(reply["shots"]) / 10))
    edit = {"shot": "2", "intent": None, "prompt": "a big green circle bounces on a grass background",
            "seconds": None, "caption": None, "new_seed": False}
    script = ([structured('{"rewritten_request": "A red ball", "shots": [')] if retry else []) + [
        structured(reply),
        tool_calls(call("update_shot", edit), call("set_title", {"title": "Home Again"})),
        message("Shot 2 is now a green ball and the video has a title."),
    ] + [message("a big red circle moves right on a grass background")] * n_rewrites
    stages: dict[str, dict] = {}
    with FakeOpenAI(script) as server:
        planner = OpenAIPlanner(server.base_url, "fake-model", api_key="bench", max_retries=0)

        def stage(name: str, fn) -> object:
            before = (planner.usage.calls, planner.usage.prompt_tokens, planner.usage.completion_tokens)
            t0 = time.perf_counter()
            out = fn()
            u = planner.usage
            stages[name] = {"calls": u.calls - before[0], "prompt_tokens": u.prompt_tokens - before[1],
                            "completion_tokens": u.completion_tokens - before[2],
                            "wall_s": round(time.perf_counter() - t0, 4)}
            return out

        req = PlanRequest(request=REQUEST.format(minutes=f"{seconds / 60:g}"), seconds=seconds, vocabulary=VOCAB)
        plan = stage("plan", lambda: planner.plan(req))
        proj = Project(name="bench", request=req.request, seconds=seconds, planner="openai",
                       storyboard=plan.storyboard, references=plan.references)
        stage("refine", lambda: planner.revise(proj, "make the ball in shot 2 green and add a title", VOCAB))
        for _ in range(n_rewrites):
            stage("rewrite", lambda: planner.rewrite_failed("the ball rolls right", "a crimson orb rolls east",
                                                            "blue circle, still", VOCAB))
        stages["rewrite"]["calls"] = n_rewrites  # stage() keeps the last; report all of them
        assert planner.usage.prompt_tokens == server.prompt_tokens  # the planner counted what the server did
        u = planner.usage
    minutes = seconds / 60
    total = u.prompt_tokens + u.completion_tokens
    return {
        "seconds": seconds, "retry_round": retry, "shots": len(plan.storyboard.shots), "rewrites": n_rewrites,
        "calls": u.calls, "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
        "tool_errors": u.tool_errors,
        "calls_per_min": round(u.calls / minutes, 2), "tokens_per_min": round(total / minutes),
        "plan_tokens_per_min": round((stages["plan"]["prompt_tokens"] + stages["plan"]["completion_tokens"]) / minutes),
        "refine_tokens_per_min": round((stages["refine"]["prompt_tokens"] + stages["refine"]["completion_tokens"]) / minutes),
        "stages": {k: v for k, v in stages.items() if k != "rewrite"},
    }


def main() -> None:
    runs = [session(s, retry=False) for s in (30.0, 90.0, 300.0, 600.0)]
    runs += [session(s, retry=True) for s in (90.0, 600.0)]
    print(json.dumps({
        "bench": "planner_openai",
        "tokenizer": "fake server: ceil(chars / 4) over messages + tools + response_format",
        "session": "plan + one refine turn (2 edit calls + closing reply) + rewrite_failed for 1 shot in 10",
        "runs": runs,
    }, indent=1))


if __name__ == "__main__":
    main()
