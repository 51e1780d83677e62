"""Tables of what turns cost and what a plan will cost, for ``history``, ``plan`` and the make summary."""

from __future__ import annotations

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
