"""Tables of what turns cost and what a plan will cost, for ``history``, ``plan`` and the make summary."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from longcut.agent.costs.totals import ShotTotals, TurnTotals


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _tokens(t: ShotTotals | TurnTotals) -> str:
    llm = t.llm
    return "-" if not llm.calls else f"{llm.calls} calls, {llm.prompt_tokens}+{llm.completion_tokens} tok"


def costs_table(session: str, totals: list[TurnTotals]) -> Table:
    """One row per generated shot of each turn, then the turn's total (measured, and the estimate)."""
    table = Table(title=f"session {session} · what each turn cost")
    for col in ("rev", "shot", "tries", "wall s", "cpu s", "chunks", "llm", "estimate s"):
        table.add_column(col)
    for t in totals:
        for s in t.shots:
            table.add_row(str(t.n), s.shot, str(s.tries) + (f" ({s.unmeasured} unmeasured)" if s.unmeasured else ""),
                          _s(s.wall_seconds), _s(s.cpu_seconds), str(s.chunks), _tokens(s), _s(s.estimate_seconds))
        usd = "" if not t.usd else f", ${t.usd:.4f}"
        table.add_row(f"[bold]{t.n}[/]", "[bold]turn[/]", str(sum(s.tries for s in t.shots)),
                      f"[bold]{_s(t.wall_seconds)}[/]", "", str(sum(s.chunks for s in t.shots)), _tokens(t) + usd,
                      _s(t.estimate_seconds), end_section=True)
    return table


def storyboard_table(preview) -> Table:
    """The planned shots as they would be generated: prompts as rewritten, lengths, continuity, dressing, cost."""
    board, project = preview.project.storyboard, preview.project
    est = {s.shot: s for s in preview.estimate.shots}
    # every user or planner string is shown as text: rich would read "[red]" or "[link=…]" in it as markup
    title = f"plan · {board.seconds:g}s · {len(board.shots)} shots" + (
        f" · title {escape(repr(board.title))}" if board.title else "")
    table = Table(title=title)
    for col in ("shot", "sec", "prompt (as the model is asked)", "continues", "transition", "caption", "refs",
                "generate", "estimate s") + (("narration (spoken s)",) if board.narrated else ()):
        table.add_column(col)
    for s in board.shots:
        e = est.get(s.id)
        shown = "cached" if e is not None and e.cached else "yes"
        transition = "cut" if s.transition.kind == "cut" else f"{s.transition.kind} {s.transition.seconds:g}s"
        table.add_row(s.id, f"{s.seconds:g}", escape(s.prompt), "yes" if s.continuous else "", transition,
                      escape(s.caption or ""), escape(", ".join(s.refs)), shown, _s(e.seconds_expected if e is not None else None),
                      *((_narration(s),) if board.narrated else ()))
    described = {r.id: r.description for r in project.references}
    if described:
        table.caption = "references: " + escape("; ".join(f"{k}: {v}" for k, v in described.items()))
    return table


def _narration(shot) -> str:
    """A shot's narration line and how long it is spoken, as text."""
    if not shot.narration:
        return ""
    spoken = f" ({shot.narration_seconds:.1f}s)" if shot.narration_seconds else ""
    return escape(shot.narration) + spoken


def estimate_lines(estimate) -> list[str]:
    """The estimate in words: time, tries, tokens and dollars, and what they rest on."""
    from longcut.agent.costs.estimate import about

    lines = [f"estimate: {about(estimate)}"]
    if estimate.wall_seconds is not None:
        lines.append(f"  generation {estimate.generation_seconds:.1f} s, render {estimate.render_seconds:.1f} s, "
                     f"the rest of the turn {estimate.turn_seconds:.1f} s")
    if estimate.llm.calls:
        lines.append(f"  LLM: {estimate.llm.calls} calls, {estimate.llm.prompt_tokens} prompt + "
                     f"{estimate.llm.completion_tokens} completion tokens, ${estimate.usd:.4f}")
    return lines
