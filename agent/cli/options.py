"""The options ``make``, ``plan``, ``approve`` and ``refine`` share, and the run ``Options`` they build.

Each option is declared once here and used as the parameter default of every
command that takes it (as ``serve.py`` does with ``--server``), so its flag,
bounds and help cannot drift apart between commands.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

import typer

from longcut.agent.cli.display import KEEP_CONTINUITY_HELP
from longcut.errors import InputError
from longcut.limits import DEFAULT_MODEL, DEFAULT_PLANNER
from longcut.tools.judge.config import DEFAULT_JUDGE_MODEL, JUDGE_MODES

CANDIDATES_MAX = 8  # tools.generate.MAX_CANDIDATES, not imported here: it would load torch at start-up
CANDIDATES_HELP = ("Seeds tried for each shot's opening chunk when the evaluator can read the prompt; "
                   "the best is continued, and each retry tries twice as many, up to 8 (1 = off; default 4).")
WAIT_HELP = "If another turn of the session is running, wait for it to finish (default: refuse)."

OUT = typer.Option(None, "-o", "--out", help="Write the video here (.mp4).")
SECONDS = typer.Option(None, "--seconds", help="Length (default: from the request, else 20).")
REFS = typer.Option([], "--ref", help="NAME=PATH of a reference image (repeatable).")
MUSIC = typer.Option(None, "--music", help="Music file, faded and trimmed to the video.")
PLANNER = typer.Option(DEFAULT_PLANNER, "--planner", help="offline (default) or openai.")
MODEL = typer.Option(DEFAULT_MODEL, "--model", help="Video model backend.")
WEIGHTS = typer.Option(None, "--weights", help="Local weights folder for --model (docs/gpu.md).")
SEED = typer.Option(0, "--seed", min=0)
BASE_URL = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (openai planner).")
LLM_MODEL = typer.Option("gpt-4o-mini", "--llm-model", help="LLM name (openai planner).")
CANDIDATES = typer.Option(None, "--candidates", min=1, max=CANDIDATES_MAX, help=CANDIDATES_HELP)
KEEP_CONTINUITY = typer.Option(False, "--keep-continuity", help=KEEP_CONTINUITY_HELP)
WAIT = typer.Option(False, "--wait", help=WAIT_HELP)
MAX_MINUTES = typer.Option(None, "--max-minutes", help="Refuse a plan estimated over N minutes; stop at the "
                           "next chunk past them (takes kept).")
MAX_USD = typer.Option(None, "--max-usd", help="Refuse a plan estimated over N dollars of LLM tokens; stop past "
                       "them (the price table).")
MAX_TRIES = typer.Option(None, "--max-tries", help="Refuse a plan expected to take over N tries; stop before "
                         "try N+1 (every shot's retries count).")

JUDGE = typer.Option(None, "--judge", help="Who reviews each shot: evaluator (the backend's own; the default where "
                     "it has one, as tiny does), vlm (a vision-language model over an OpenAI-compatible endpoint) or "
                     "none (only duration, black/frozen frames and seams; the default for other backends).")
JUDGE_MODEL = typer.Option(DEFAULT_JUDGE_MODEL, "--judge-model", help="Vision-language model name (--judge vlm).")
JUDGE_BASE_URL = typer.Option(None, "--judge-base-url", help="OpenAI-compatible vision endpoint (--judge vlm; "
                              "default $LONGCUT_JUDGE_BASE_URL, else api.openai.com with an API key).")
MAX_JUDGE_CALLS = typer.Option(None, "--max-judge-calls", min=0, help="Judge calls per request at most "
                               "(--judge vlm; default 60); past them a shot's verdict is unsure.")
NARRATE = typer.Option(False, "--narrate", help="Add a narrator: each shot speaks a line (quoted text in the "
                       "request verbatim, else the shot's words), spoken offline (espeak-ng), subtitled, music ducked.")
VOICE = typer.Option(None, "--voice", help="The narrator's voice: an espeak-ng voice (en, en-us, en+f3, …), a "
                     "Piper voice (joe; the piper extra), or PATH to a Piper model.onnx (added to $LONGCUT_HOME/voices).")
BURN_SUBTITLES = typer.Option(False, "--burn-subtitles", help="Also draw the narration's subtitles into the picture.")


def narration(narrate: bool, voice: str | None, burn_subtitles: bool):
    """The ``--narrate``/``--voice``/``--burn-subtitles`` options as the first turn's ``Narration`` (None: not asked)."""
    from pydantic import ValidationError

    from longcut.agent.state import Narration

    if not (narrate or voice or burn_subtitles):
        return None
    if voice is not None and ("/" in voice or voice.endswith(".onnx")):  # a voice file: copied into the library
        from longcut.tools.narration.piper import add_voice

        voice = add_voice(voice)
    try:
        return Narration(voice=voice, burn_subtitles=burn_subtitles)
    except ValidationError as err:
        raise InputError(f"bad narration option: {err.errors()[0]['msg'].removeprefix('Value error, ')}") from None


EXECUTOR = typer.Option("inprocess", "--executor", help="Where the shots are made: inprocess (this process, the "
                        "default) or ray (backend workers on a Ray cluster, docs/scale.md; pip install -e \".[ray]\").")
RAY_ADDRESS = typer.Option(None, "--ray-address", help="The Ray cluster for --executor ray: HOST:PORT of its head "
                           "(`ray start --head`), or auto; default: a Ray started on this machine for the command.")


def executor(name: str, ray_address: str | None):
    """The ``--executor`` the turn's chains run through (None: in this process), closed when the command ends."""
    from longcut.agent.turn.executors.base import build_executor, check_executor

    spec = check_executor(name, ray_address)
    if spec.name == "inprocess":
        return None
    built = build_executor(spec)
    atexit.register(built.close)
    return built


def judge(mode: str | None, model: str, base_url: str | None, max_calls: int | None):
    """The ``--judge*`` options as the run's ``JudgeConfig`` (``InputError`` naming a bad one)."""
    from pydantic import ValidationError

    from longcut.tools.judge.config import JudgeConfig

    if mode is not None and mode not in JUDGE_MODES:
        raise InputError(f"--judge must be one of {', '.join(JUDGE_MODES)}, got {mode!r}")
    try:
        return JudgeConfig(mode=mode, model=model, base_url=base_url,
                           **({} if max_calls is None else {"max_calls": max_calls}))
    except ValidationError as err:
        raise InputError(f"bad judge option: {err.errors()[0]['loc'][0]}: {err.errors()[0]['msg']}") from None


def budget(max_minutes: float | None, max_usd: float | None, max_tries: int | None):
    """The ``--max-*`` options as the run's ``Budget``."""
    from longcut.agent.costs.budget import Budget

    return Budget(max_minutes, max_usd, max_tries)


def run_options(model: str, planner: str, base_url: str | None, llm_model: str, listener=None,
                weights: Path | None = None, candidates: int | None = None, keep_continuity: bool = False,
                budget=None, judge=None, narration=None, executor=None):
    """The turn's ``Options`` from the command line (the planner name is checked first)."""
    from longcut.agent.turn.session import Options
    from longcut.agent.turn.spec import resolve_planner

    resolve_planner(planner)
    extra = {} if candidates is None else {"candidates": candidates}
    if budget is not None:
        extra["budget"] = budget
    if judge is not None:
        extra["judge"] = judge
    if keep_continuity:
        extra["cut_fallback"] = False
    if narration is not None:
        extra["narration"] = narration
    if executor is not None:
        extra["executor"] = executor
    return Options(model=model, weights=weights, planner=planner,
                   base_url=base_url or os.environ.get("LONGCUT_OPENAI_BASE_URL"), llm_model=llm_model,
                   listeners=[] if listener is None else [listener], **extra)
