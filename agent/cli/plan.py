"""``longcut plan`` and ``longcut approve``: see the storyboard and what it will cost before generating it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from longcut.agent.cli import options as o
from longcut.agent.cli.display import parse_refs

out_console = Console()


def show_preview(preview, as_json: bool) -> None:
    """Print a planned turn: its storyboard and estimate as tables, or as one JSON document (``--json``)."""
    from longcut.agent.cli.cost_tables import estimate_lines, storyboard_table

    if as_json:
        doc = {"session": preview.project.name if preview.saved else None,
               "request": preview.project.request,
               "storyboard": preview.project.storyboard.model_dump(mode="json"),
               "references": [r.model_dump(mode="json") for r in preview.project.references],
               "generate": preview.generate, "estimate": preview.estimate.model_dump(mode="json")}
        out_console.out(json.dumps(doc, indent=2), highlight=False)
        return
    out_console.print(storyboard_table(preview))
    for line in estimate_lines(preview.estimate):
        out_console.print(line, highlight=False, markup=False)
    if preview.saved:
        name = preview.project.name
        out_console.print(f"draft saved: generate it with `longcut approve {name}` "
                          f"(or `longcut make --session {name}`)", highlight=False, markup=False)


def plan(
    request: str = typer.Argument(..., help="What the video shows, in plain words."),
    seconds: float | None = o.SECONDS,
    ref: list[str] = o.REFS,
    music: str | None = o.MUSIC,
    planner: str = o.PLANNER,
    model: str = o.MODEL,
    weights: Path | None = o.WEIGHTS,
    seed: int = o.SEED,
    session: str | None = typer.Option(None, "--session", help="Save the plan as this session's draft."),
    base_url: str | None = o.BASE_URL,
    llm_model: str = o.LLM_MODEL,
    candidates: int | None = o.CANDIDATES,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (for programs)."),
    narrate: bool = o.NARRATE,
    voice: str | None = o.VOICE,
    burn_subtitles: bool = o.BURN_SUBTITLES,
) -> None:
    """Plan a video without generating it: the storyboard and what it will cost (no model weights are loaded)."""
    from longcut.agent.turn.drafts import plan_first_turn
    from longcut.agent.turn.session import Sessions
    from longcut.agent.turn.spec import resolve_turn

    refs = parse_refs(ref)
    spec = resolve_turn(request, seconds, model, planner, list(refs.items()), seed)
    opts = o.run_options(spec.model, spec.planner, base_url, llm_model, weights=weights, candidates=candidates,
                         narration=o.narration(narrate, voice, burn_subtitles))
    preview = plan_first_turn(Sessions(), spec.request, session, spec.seconds, spec.seed, dict(spec.references),
                              music, opts)
    show_preview(preview, as_json)


def ask_to_generate(preview) -> bool:
    """Show a saved draft and ask whether to generate it; without a terminal the draft waits for ``approve``."""
    show_preview(preview, as_json=False)
    if not sys.stdin.isatty():
        out_console.print("no terminal to ask on: the draft waits for `longcut approve "
                          f"{preview.project.name}` (or pass --yes)", highlight=False, markup=False)
        return False
    if typer.confirm("generate it?", default=False):
        return True
    out_console.print(f"not generated; the draft stays: `longcut approve {preview.project.name}` generates it",
                      highlight=False, markup=False)
    return False
