"""Every module imports on its own, first, in a fresh interpreter (no import loops), and the layers point one way.

An import loop hides until some module happens to be imported first; so a
fresh interpreter imports each module with no other longcut module loaded
(the longcut modules are dropped from ``sys.modules`` between imports, the
third-party ones kept, so the whole walk costs one torch import). Data flows
``agent → tools → models`` (DESIGN.md): models never imports agent or tools,
tools never imports agent — checked on every import statement, also inside
functions.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "longcut": "longcut",
    "agent": "longcut.agent",
    "tools": "longcut.tools",
    "models": "longcut.models",
    "prompts": "longcut.prompts",
}
NEVER_IMPORTS = {
    "longcut.models": ("longcut.agent", "longcut.tools"),
    "longcut.tools": ("longcut.agent",),
}


def modules() -> dict[str, Path]:
    """Module name → file, for every module of the installed package (``__main__`` runs the CLI: left out)."""
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((package, *parts))] = path
    return out


_IMPORT_EACH = """
import importlib, json, sys, traceback
failed = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "longcut" or m.startswith("longcut.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""


def test_every_module_imports_first_in_a_fresh_interpreter():
    names = sorted(modules())
    assert {
        "longcut.models.world.scene",
        "longcut.models.backends.diffusers.wan",
        "longcut.models.backends.diffusers.weights",
        "longcut.models.backends.diffusers.runtime",
        "longcut.models.vae_blocks",
        "longcut.models.dit_blocks",
        *(f"longcut.models.train.{m}" for m in
          ("common", "config", "clips", "vae", "bank", "batches", "check", "dit", "export", "cli")),
        "longcut.limits",
    } <= set(names)
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, json.dumps(names)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    failed = json.loads(out.stdout.strip().splitlines()[-1])
    assert not failed, "\n".join(f"{n}:\n{tb}" for n, tb in failed.items())


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return names


def test_the_layers_import_one_way():
    wrong = [
        f"{name} imports {imp}"
        for name, path in modules().items()
        for layer, banned in NEVER_IMPORTS.items()
        if name == layer or name.startswith(layer + ".")
        for imp in sorted(_imported(path))
        if imp.startswith(banned)
    ]
    assert not wrong, wrong


# An app module imports the modules of its package (commands, routers), never the other way round.
APPS = ("longcut.agent.cli.app", "longcut.agent.service.app")


def test_no_module_imports_its_packages_app():
    wrong = [
        f"{name} imports {app}"
        for app in APPS
        for name, path in modules().items()
        if name.startswith(app.rsplit(".", 1)[0] + ".") and name != app
        if any(imp == app or imp.startswith(app + ".") for imp in _imported(path))
    ]
    assert APPS[0] in modules() and APPS[1] in modules()
    assert not wrong, wrong


def test_pyproject_lists_every_package_it_ships():
    """A sub-package missing from ``[tool.setuptools] packages`` imports in an editable install and is absent from a wheel."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {name for name, path in modules().items() if path.name == "__init__.py"}
    listed = set(setuptools["packages"])
    assert on_disk - listed == set(), "add these to pyproject's packages and package-dir"
    for package in listed - {"longcut"}:
        folder = setuptools["package-dir"][package]
        assert (ROOT / folder / "__init__.py").is_file(), (package, folder)
