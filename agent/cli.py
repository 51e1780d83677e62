"""The ``longcut`` command line.

Each command group lives in its own module and registers itself on ``app``;
this file owns only the entry point and the error policy: a ``LongcutError``
(bad input, missing file, ffmpeg failure) prints one clear line and exits 2;
``--debug`` shows the traceback. Heavy imports (torch, ffmpeg) happen inside
commands so ``longcut --help`` stays fast.
"""

from __future__ import annotations

import logging
import sys

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape as rich_escape

from longcut.errors import LongcutError

app = typer.Typer(
    name="longcut",
    help="Make long videos from plain words.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what each step did."),
) -> None:
    _state["debug"] = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _register_commands() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from longcut.agent import (
        cli_doctor,  # noqa: F401
        cli_edit,  # noqa: F401
        cli_generate,  # noqa: F401
        cli_make,  # noqa: F401
        cli_serve,  # noqa: F401
        cli_train,  # noqa: F401
        cli_train_dit,  # noqa: F401
    )


def format_validation_error(err: ValidationError) -> str:
    """One line per problem: ``field: message (got value)``."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "input"
        got = e.get("input")
        shown = repr(got) if not isinstance(got, dict) else "…"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"{where}: {e['msg']} (got {shown})")
    return "; ".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors exit 2 with one message, bugs propagate."""
    _register_commands()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # standalone mode: typer reports usage errors itself and exits 2.
        app(args=argv, standalone_mode=True)
    except (LongcutError, ValidationError) as err:
        if debug:
            raise
        msg = format_validation_error(err) if isinstance(err, ValidationError) else str(err)
        console.print("[bold red]error:[/] " + rich_escape(msg), highlight=False)
        sys.exit(2)
