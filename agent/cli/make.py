"""``longcut make | refine | chat | history | undo``: the chat user's commands."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from longcut.agent.cli import options as o
from longcut.agent.cli.display import Display, check_out, console, parse_refs
from longcut.errors import InputError

out_console = Console()


def _summary(result, out: Path | None) -> None:
    project, rev = result.project, result.revision
    table = Table(title=f"session {project.name} · revision {rev.n}")
    for col in ("shot", "sec", "prompt", "checks", "made"):
        table.add_column(col)
    chosen = {v.take_id: v for v in project.versions}
    for shot in rev.storyboard.shots:
        take = chosen.get(rev.shot_keys.get(shot.id, ""))
        checks = "n/a" if take is None else ("[green]pass[/]" if take.passed else "[red]" + ", ".join(
            c.name for c in take.checks if not c.passed) + "[/]")
        judged = [] if take is None else [c for c in take.checks if c.name == "vision_judge"]
        if judged:  # the vision judge's reasons, as text (they quote what it saw, and the prompt)
            checks += "\njudge: " + escape(judged[0].detail)
        made = "[yellow]generated[/]" if shot.id in rev.regenerated else "cached"
        if take is not None and (take.attempt > 1 or take.cut):
            made += f" (try {take.attempt}{', cut' if take.cut else ''})"
        table.add_row(shot.id, f"{shot.seconds:g}", escape(shot.prompt), checks, made)
    out_console.print(table)
    where = out or result.render
    cost = rev.cost
    estimated = cost.estimate_seconds if cost is not None else None
    versus = "" if estimated is None else f", estimated {estimated:.1f}s"
    if estimated is not None and cost.estimate_low is not None and cost.estimate_high is not None:
        versus += f" (likely {cost.estimate_low:.0f}–{cost.estimate_high:.0f}s)"
    judge_calls = sum(v.cost.judge.calls for v in project.versions if v.turn == rev.n and v.cost is not None)
    judged = f", {judge_calls} judge calls" if judge_calls else ""
    out_console.print(f"[bold]{rev.storyboard.seconds:g}s[/] video → {where}   "
                      f"({len(rev.regenerated)} shots generated, {result.seconds:.1f}s wall{versus}{judged})")


def _finish(result, out: Path | None) -> None:
    from longcut.agent.turn.exports import export

    if out is not None:
        export(result.render, out)
    _summary(result, out)


def make(
    request: str | None = typer.Argument(None, help="What the video shows, in plain words (none: generate the "
                                         "--session's draft made by `longcut plan`)."),
    out: str | None = o.OUT,
    seconds: float | None = o.SECONDS,
    ref: list[str] = o.REFS,
    music: str | None = o.MUSIC,
    planner: str = o.PLANNER,
    model: str = o.MODEL,
    weights: Path | None = o.WEIGHTS,
    seed: int = o.SEED,
    session: str | None = typer.Option(None, "--session", help="Session name, to refine it later."),
    base_url: str | None = o.BASE_URL,
    llm_model: str = o.LLM_MODEL,
    candidates: int | None = o.CANDIDATES,
    keep_continuity: bool = o.KEEP_CONTINUITY,
    wait: bool = o.WAIT,
    approve_plan: bool = typer.Option(False, "--approve", help="Show the plan and its estimate first and ask "
                                      "before generating (without a terminal: keep it as a draft)."),
    yes: bool = typer.Option(False, "--yes", help="With --approve: do not ask, generate."),
    max_minutes: float | None = o.MAX_MINUTES,
    max_usd: float | None = o.MAX_USD,
    max_tries: int | None = o.MAX_TRIES,
    judge: str | None = o.JUDGE,
    judge_model: str = o.JUDGE_MODEL,
    judge_base_url: str | None = o.JUDGE_BASE_URL,
    max_judge_calls: int | None = o.MAX_JUDGE_CALLS,
    narrate: bool = o.NARRATE,
    voice: str | None = o.VOICE,
    burn_subtitles: bool = o.BURN_SUBTITLES,
    executor: str = o.EXECUTOR,
    ray_address: str | None = o.RAY_ADDRESS,
) -> None:
    """Make a video from a request: plan, generate, check, edit, render."""
    from longcut.agent.turn import drafts
    from longcut.agent.turn.session import Sessions
    from longcut.agent.turn.spec import resolve_turn

    out_path = check_out(out)
    if request is None:
        if session is None:
            raise InputError("make needs a request, or --session NAME of a draft made by `longcut plan`")
        return approve(session, out, weights, wait, max_minutes, max_usd, max_tries, judge, judge_model,
                       judge_base_url, max_judge_calls, executor, ray_address)
    refs = parse_refs(ref)
    spec = resolve_turn(request, seconds, model, planner, list(refs.items()), seed, keep_continuity)
    sessions = Sessions(wait=wait)
    display = Display()
    opts = o.run_options(spec.model, spec.planner, base_url, llm_model, display, weights, candidates,
                         spec.keep_continuity, o.budget(max_minutes, max_usd, max_tries),
                         o.judge(judge, judge_model, judge_base_url, max_judge_calls),
                         o.narration(narrate, voice, burn_subtitles),
                         o.executor(executor, ray_address))
    if approve_plan and not yes:
        from longcut.agent.cli.plan import ask_to_generate

        name = session or sessions.default_name(spec.request)
        preview = drafts.plan_first_turn(sessions, spec.request, name, spec.seconds, spec.seed,
                                         dict(spec.references), music, opts)
        if not ask_to_generate(preview):
            return None
        with display.progress:
            result = drafts.approve(sessions, name, opts)
        return _finish(result, out_path)
    with display.progress:
        result = sessions.make(spec.request, name=session, seconds=spec.seconds, seed=spec.seed,
                               refs=dict(spec.references), music=music, opts=opts)
    _finish(result, out_path)


def approve(
    session: str = typer.Argument(..., help="A session whose draft `longcut plan --session NAME` saved."),
    out: str | None = o.OUT,
    weights: Path | None = typer.Option(None, "--weights", help="Local weights folder of the draft's model."),
    wait: bool = o.WAIT,
    max_minutes: float | None = o.MAX_MINUTES,
    max_usd: float | None = o.MAX_USD,
    max_tries: int | None = o.MAX_TRIES,
    judge: str | None = o.JUDGE,
    judge_model: str = o.JUDGE_MODEL,
    judge_base_url: str | None = o.JUDGE_BASE_URL,
    max_judge_calls: int | None = o.MAX_JUDGE_CALLS,
    executor: str = o.EXECUTOR,
    ray_address: str | None = o.RAY_ADDRESS,
) -> None:
    """Generate a session's draft exactly as it was planned (its model and planner)."""
    from longcut.agent.turn import drafts
    from longcut.agent.turn.session import Sessions

    out_path = check_out(out)
    sessions = Sessions(wait=wait)
    project = sessions.store.load(session)
    display = Display()
    with display.progress:
        opts = o.run_options(project.model, project.planner, None, "gpt-4o-mini", display, weights,
                             budget=o.budget(max_minutes, max_usd, max_tries),
                             judge=o.judge(judge, judge_model, judge_base_url, max_judge_calls),
                             executor=o.executor(executor, ray_address))
        result = drafts.approve(sessions, session, opts)
    _finish(result, out_path)


def refine(
    session: str = typer.Argument(..., help="Session made with `longcut make --session NAME`."),
    feedback: str = typer.Argument(..., help="What to change, e.g. \"make the second shot green\"."),
    out: str | None = o.OUT,
    planner: str = o.PLANNER,
    base_url: str | None = o.BASE_URL,
    llm_model: str = o.LLM_MODEL,
    weights: Path | None = typer.Option(None, "--weights", help="Local weights folder of the session's model."),
    candidates: int | None = o.CANDIDATES,
    keep_continuity: bool = o.KEEP_CONTINUITY,
    wait: bool = o.WAIT,
    plan_only: bool = typer.Option(False, "--plan-only", help="Show the revised storyboard, the shots it would "
                                   "generate and what that costs; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="With --plan-only: print it as JSON."),
    max_minutes: float | None = o.MAX_MINUTES,
    max_usd: float | None = o.MAX_USD,
    max_tries: int | None = o.MAX_TRIES,
    judge: str | None = o.JUDGE,
    judge_model: str = o.JUDGE_MODEL,
    judge_base_url: str | None = o.JUDGE_BASE_URL,
    max_judge_calls: int | None = o.MAX_JUDGE_CALLS,
    executor: str = o.EXECUTOR,
    ray_address: str | None = o.RAY_ADDRESS,
) -> None:
    """Change a session's video; only shots whose content changed are generated again."""
    from longcut.agent.turn.session import Sessions

    out_path = check_out(out)
    sessions = Sessions(wait=wait)
    display = Display()
    model = sessions.store.load(session).model
    opts = o.run_options(model, planner, base_url, llm_model, display, weights, candidates, keep_continuity,
                         o.budget(max_minutes, max_usd, max_tries),
                         o.judge(judge, judge_model, judge_base_url, max_judge_calls),
                         o.executor(executor, ray_address))
    if plan_only:
        from longcut.agent.cli.plan import show_preview
        from longcut.agent.turn.drafts import preview_refine

        return show_preview(preview_refine(sessions, session, feedback, opts), as_json)
    with display.progress:
        result = sessions.refine(session, feedback, opts=opts)
    _finish(result, out_path)


def history(session: str = typer.Argument(...)) -> None:
    """List a session's revisions."""
    from longcut.agent.cli.cost_tables import costs_table
    from longcut.agent.costs.totals import session_totals
    from longcut.agent.turn.session import Sessions

    table = Table(title=f"session {session}")
    for col in ("rev", "when", "request", "shots", "generated", "render"):
        table.add_column(col)
    project = Sessions().store.load(session)
    for r in project.revisions:
        table.add_row(str(r.n), r.at, escape(r.request[:60]), str(len(r.storyboard.shots)), ", ".join(r.regenerated) or "-",
                      r.render or "-")
    out_console.print(table)
    totals = [t for t in session_totals(project) if t.shots or t.wall_seconds]
    if totals:
        out_console.print(costs_table(session, totals))


def undo(session: str = typer.Argument(...), out: str | None = typer.Option(None, "-o", "--out"),
         wait: bool = o.WAIT) -> None:
    """Go back to the previous revision (nothing is generated), or discard an unfinished turn."""
    from longcut.agent.turn.exports import export
    from longcut.agent.turn.session import Sessions

    out_path = check_out(out)  # before the project changes
    sessions = Sessions(wait=wait)
    if sessions.store.load(session).pending is not None:
        turn, rev = sessions.discard(session)
        gone = f"; session {session} removed (it had no finished video)" if rev is None else ""
        out_console.print(f"unfinished turn {turn.n} discarded ({turn.kind}: {turn.request[:60]}){gone}",
                          highlight=False, markup=False)
        if rev is None:
            return
    else:
        rev = sessions.undo(session)
    if out_path is not None:
        export(sessions.store.folder(session) / rev.render, out_path)
    out_console.print(f"revision {rev.n}: {rev.request} → {out_path or rev.render}")


def chat(
    session: str | None = typer.Option(None, "--session"),
    out: str = typer.Option("longcut-chat.mp4", "-o", "--out"),
    planner: str = o.PLANNER,
    model: str = o.MODEL,
    weights: Path | None = o.WEIGHTS,
    base_url: str | None = o.BASE_URL,
    llm_model: str = o.LLM_MODEL,
    wait: bool = o.WAIT,
) -> None:
    """Talk to longcut: the first line makes a video, each next line refines it (empty line or 'quit' ends)."""
    from longcut.agent.turn.session import Sessions

    out_path = check_out(out)
    sessions = Sessions(wait=wait)
    name = session
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line.lower() in ("", "quit", "exit", "bye"):
            break
        display = Display()
        try:
            with display.progress:
                opts = o.run_options(model, planner, base_url, llm_model, display, weights)
                if name is None or not sessions.store.exists(name):
                    result = sessions.make(line, name=name, opts=opts)
                    name = result.project.name
                else:
                    result = sessions.refine(name, line, opts=opts)
            _finish(result, out_path)
        except InputError as err:  # in a chat, a bad line is answered, not fatal
            console.print(f"[red]error:[/] {err}")
    if name:
        out_console.print(f"session {name}; refine it later with `longcut refine {name} \"…\"`")
