"""What more than one command shares: the progress display, ``--ref`` parsing, the ``-o`` check, the stderr console.

``make``/``refine``/``chat`` show a local turn with ``Display``; ``wait``
shows a server's job with the same one. Nothing here imports a command
module or the typer app.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from longcut.agent.events import Event
from longcut.errors import InputError

console = Console(stderr=True)

KEEP_CONTINUITY_HELP = ("Never cut inside a continuous run of shots. By default a continuous shot whose tries "
                        "(each extending the shot before) all fail gets one more try that starts fresh: a cut.")


def parse_refs(values: list[str]) -> dict[str, str]:
    """``NAME=PATH`` values; each path is kept as typed, so errors quote the user's own string."""
    refs: dict[str, str] = {}
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--ref takes NAME=PATH (e.g. hero=hero.png), got {v!r}")
        if name in refs:
            raise InputError(f"--ref {name!r} given twice")
        refs[name] = path
    return refs


def check_out(out: str | None) -> Path | None:
    """An ``-o`` path checked before any work: the video must be writable there."""
    from longcut.agent.turn.exports import check_export

    return None if out is None else check_export(out)


class Display:
    """A live progress bar over the whole job plus a line per milestone."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("[bold]{task.fields[stage]:<10}"), BarColumn(),
                                 TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
                                 TextColumn("{task.description}", markup=False), console=console, transient=False)
        self.task = self.progress.add_task("starting", total=100, stage="")

    def __call__(self, e: Event) -> None:
        """Show one event: move the bar, log a milestone."""
        self.progress.update(self.task, completed=e.percent, description=e.message[:70], stage=e.stage)
        if e.stage in ("plan", "review", "done") and e.message:
            # messages quote prompts and the judge's words: text, never rich markup
            self.progress.console.log(f"{e.stage}: {e.message}", markup=False)
