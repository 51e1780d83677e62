"""The ``longcut`` command line: the typer app, its commands registered in one list, the entry point.

Each command is a plain function in a command module (``make``, ``serve``,
…); this file imports those modules and registers their functions (no
command module imports this one, so there is no import loop). It also owns
the error policy: a ``LongcutError``
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

from longcut.agent.cli import doctor, edit, generate, make, plan, serve, train
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


# In the order ``longcut --help`` lists them.
COMMANDS = [
    doctor.doctor,
    edit.edit,
    generate.generate,
    plan.plan, make.make, make.approve, make.refine, make.history, make.undo, make.chat,
    serve.serve, serve.submit, serve.status, serve.wait, serve.delete,
]
TRAIN_COMMANDS = {
    "vae": train.train_vae_command,
    "vae-export": train.export_vae_command,
    "dit-bank": train.dit_bank_command,
    "dit-bank-merge": train.dit_bank_merge_command,
    "dit": train.train_dit_command,
    "dit-export": train.export_dit_command,
}

for _command in COMMANDS:
    app.command()(_command)
train_app = typer.Typer(
    help="Train the embedded tiny model: the VAE, then the DiT on its latents.", no_args_is_help=True
)
for _name, _command in TRAIN_COMMANDS.items():
    train_app.command(_name)(_command)
app.add_typer(train_app, name="train")


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
