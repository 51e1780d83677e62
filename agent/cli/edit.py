"""``longcut edit timeline.json -o out.mp4``: render an edit timeline, with a progress bar."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from longcut.errors import InputError

MAX_TIMELINE_BYTES = 10 * 1024 * 1024
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so the partial output is cleaned up.
    raise KeyboardInterrupt


def load_timeline_json(path: str | Path):  # -> Timeline (import kept lazy)
    """Read and validate a timeline JSON file, with errors that say where it is wrong."""
    from longcut.tools.paths import read_input_bytes
    from longcut.tools.timeline import Timeline

    raw = read_input_bytes(path, "timeline file", MAX_TIMELINE_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"timeline file {str(path)!r} is not valid JSON: {err}") from err
    return Timeline.model_validate(data)


def edit(
    timeline: Annotated[str, typer.Argument(help="Timeline JSON file (see README, 'Editing').")],
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Video to write (.mp4); default: next to the timeline.")] = None,
    project: Annotated[str | None, typer.Option(
        "--project", "-p", help="Folder the timeline's files are in; default: the timeline's folder.")] = None,
) -> None:
    """Render an edit timeline (clips, transitions, overlays, audio) into one video file."""
    from longcut.tools.paths import ProjectFolder, check_output_path, sweep_stale_temps
    from longcut.tools.timeline import render

    tl_data = load_timeline_json(timeline)
    out = check_output_path(output if output is not None else str(Path(timeline).with_suffix(".mp4")),
                            VIDEO_SUFFIXES)
    if out.resolve() == Path(timeline).expanduser().resolve():
        raise InputError("output would overwrite the timeline file")
    folder = ProjectFolder(project if project is not None else Path(timeline).expanduser().resolve().parent)
    tl = tl_data.resolved(folder)  # bad input fails before the bar
    sweep_stale_temps(out.parent, stem_of=out)  # a killed earlier render of this output left its temporary file

    console = Console(stderr=True)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with Progress(TextColumn("rendering"), BarColumn(), TaskProgressColumn(),
                      TimeRemainingColumn(), console=console, transient=False) as bar:
            task = bar.add_task("render", total=1.0)
            render(tl, out, folder, on_progress=lambda f: bar.update(task, completed=f))
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]: nothing was written to " + rich_escape(str(out)),
                      highlight=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print(f"wrote {out}", highlight=False, markup=False)
