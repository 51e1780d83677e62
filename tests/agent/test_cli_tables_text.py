"""The CLI's tables show every user and planner string as text: rich markup in a prompt is not read."""

from types import SimpleNamespace

from rich.console import Console

from longcut.agent.cli.cost_tables import storyboard_table
from longcut.agent.state import Project, Reference, Shot, Storyboard

HOSTILE = "[red]ball[/] [link=file:///etc/passwd]x[/link] [bold"


def _text(table) -> str:
    console = Console(record=True, width=400, color_system=None)
    console.print(table)
    return console.export_text()


def test_the_plan_table_shows_hostile_prompts_titles_captions_and_references_as_typed():
    board = Storyboard(title=HOSTILE, shots=[Shot(id="s1", intent="x", prompt=HOSTILE, seconds=4, caption=HOSTILE)])
    project = Project(name="p", request="r", seconds=4, storyboard=board,
                      references=[Reference(id="ball", description=HOSTILE)])
    preview = SimpleNamespace(project=project, estimate=SimpleNamespace(shots=[]))
    shown = _text(storyboard_table(preview))
    assert shown.count("[red]ball[/]") >= 3  # the title, the prompt, the caption (and the reference)
    assert "[link=file:///etc/passwd]" in shown and "[bold" in shown
