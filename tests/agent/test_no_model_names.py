"""The agent decides nothing by a backend's name: what a backend can do is on its ``ModelInfo``.

A name compared, defaulted or passed as an option's default in ``agent/`` is
model knowledge leaking up (the vocabulary was once chosen by
``model_name in ("tiny", "oracle")``, "oracle" being a test double). The
default model is ``longcut.limits.DEFAULT_MODEL``; help texts and
docstrings may mention names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from longcut.models.backends.registry import backend_names

AGENT = Path(__file__).resolve().parents[2] / "agent"
# `longcut train dit --preset tiny` names a network size to train, not a backend
SIZE_PRESETS = {"preset"}
_NAMED = re.compile(r"(?:tiny|oracle|wan|ltx)(?:[-_.][\w.-]*)?", re.IGNORECASE)


def _names_a_model(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in backend_names() or bool(_NAMED.fullmatch(node.value))
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_model(e) for e in node.elts)
    return False


def _deciding_nodes(tree: ast.AST):
    """Expressions whose value decides behaviour: comparisons, defaults, `or` fallbacks, option defaults."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            yield from (node.left, *node.comparators)
        elif isinstance(node, ast.BoolOp):
            yield from node.values
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = [
                *zip(
                    positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
                ),
                *zip(args.kwonlyargs, args.kw_defaults, strict=True),
            ]
            for arg, default in pairs:
                if arg.arg in SIZE_PRESETS:
                    continue
                yield default
                if (
                    isinstance(default, ast.Call)
                    and isinstance(default.func, ast.Attribute)
                    and default.func.attr in ("Option", "Argument")
                    and default.args
                ):
                    yield default.args[0]  # typer.Option(DEFAULT, "--flag")
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign | ast.Assign):
                    yield stmt.value
        elif isinstance(node, ast.IfExp):
            yield node.body
            yield node.orelse


def model_names_in(source: str) -> list[str]:
    """``line: literal`` for every model name that decides behaviour in ``source``."""
    return [
        f"{n.lineno}: {ast.unparse(n)}"
        for n in _deciding_nodes(ast.parse(source))
        if _names_a_model(n)
    ]


def test_the_checker_catches_what_it_is_for():
    assert model_names_in('def f(name):\n    return name in ("tiny", "oracle")\n')
    assert model_names_in('def f(model: str = "wan-1.3b"):\n    pass\n')
    assert model_names_in(
        'import typer\ndef f(m: str = typer.Option("ltx", "--model")):\n    pass\n'
    )
    assert model_names_in('class C:\n    model: str = "tiny"\n')
    assert model_names_in('x = y or "tiny"\n')
    # a DiT size preset
    assert not model_names_in('def train(preset: str = typer.Option("tiny")):\n    pass\n')
    assert not model_names_in('SYNONYMS = {"small": ("tiny", "mini")}\n')  # the English word
    assert not model_names_in('def f():\n    """Compare with "tiny"."""\n')


def test_no_module_in_agent_decides_by_a_model_name():
    found = {
        p.name: hits for p in sorted(AGENT.rglob("*.py")) if (hits := model_names_in(p.read_text()))
    }
    assert not found, (
        f"model names deciding behaviour in agent/ (use ModelInfo capabilities or limits): {found}"
    )
