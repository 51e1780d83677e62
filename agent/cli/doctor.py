"""``longcut doctor``: what this machine can run, and what is missing."""

from __future__ import annotations

import importlib
import platform
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from longcut import __version__

# Each check returns (name, ok, detail). Modules add theirs with ``register_check``.
Check = Callable[[], tuple[str, bool, str]]
_CHECKS: list[str] = [
    "longcut.agent.cli.doctor:_python_check",
    "longcut.agent.cli.doctor:_torch_check",
    "longcut.tools.runner:doctor_check",
    "longcut.models.backends.diffusers.common:doctor_check",
    "longcut.tools.judge.vision:doctor_check",
    "longcut.tools.narration.speaker:doctor_check",
]


def _python_check() -> tuple[str, bool, str]:
    return "python", True, f"{platform.python_version()} on {platform.system()} {platform.machine()}; longcut {__version__}"


def _torch_check() -> tuple[str, bool, str]:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    return "torch", True, f"{torch.__version__}, device {device}, {torch.get_num_threads()} threads"


def run_checks() -> list[tuple[str, bool, str]]:
    """Run every registered check; a check that raises is reported as failed."""
    results = []
    for ref in _CHECKS:
        module, _, func = ref.partition(":")
        try:
            fn = getattr(importlib.import_module(module), func)
            results.append(fn())
        except Exception as err:  # a doctor reports; it does not crash
            results.append((ref, False, f"{type(err).__name__}: {err}"))
    return results


def doctor() -> None:
    """Report the ffmpeg binary, torch device and model weights this install will use."""
    table = Table(title="longcut doctor")
    table.add_column("check")
    table.add_column("ok")
    table.add_column("detail")
    for name, ok, detail in run_checks():
        table.add_row(name, "[green]yes[/]" if ok else "[red]no[/]", detail)
    Console().print(table)
