import json

import pytest
from pydantic import BaseModel, ConfigDict, Field

from longcut.errors import InputError
from longcut.tools.registry import ToolDefinitionError, ToolRegistry


class ScaleArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clip: str = Field(description="clip name")
    factor: float = Field(2.0, gt=0, le=8)


def scale(args: ScaleArgs, project: str) -> dict:
    """Scale a clip by a factor.

    Longer explanation the schema leaves out.
    """
    if args.clip == "missing":
        raise InputError("clip 'missing' does not exist")
    if args.clip == "bug":
        raise RuntimeError("a bug in our code")
    return {"project": project, "clip": args.clip, "factor": args.factor}


@pytest.fixture
def reg() -> ToolRegistry:
    r = ToolRegistry()
    r.register(scale)
    return r


def test_schema_is_strict_and_described(reg):
    (schema,) = reg.schemas()
    fn = schema["function"]
    assert fn["name"] == "scale" and fn["strict"] is True
    assert fn["description"] == "Scale a clip by a factor."
    assert fn["parameters"]["additionalProperties"] is False
    assert set(fn["parameters"]["required"]) == {"clip", "factor"}


def test_valid_call_runs_with_context(reg):
    res = reg.call("scale", json.dumps({"clip": "a", "factor": 3}), context={"project": "p"})
    assert res.ok and res.value == {"project": "p", "clip": "a", "factor": 3.0}
    assert json.loads(res.for_llm()) == {"ok": True, "result": res.value}


@pytest.mark.parametrize(
    "name, args, needle",
    [
        ("explode", "{}", "unknown tool 'explode'"),
        ("scale", "{not json", "not valid JSON"),
        ("scale", "[1, 2]", "must be a JSON object"),
        ("scale", '{"clip": "a", "factor": -1}', "factor: Input should be greater than 0"),
        ("scale", '{"clip": "a", "path": "/etc/passwd"}', "path: Extra inputs are not permitted"),
        ("scale", '{"clip": "missing"}', "clip 'missing' does not exist"),
    ],
)
def test_bad_calls_become_observations(reg, name, args, needle):
    res = reg.call(name, args, context={"project": "p"})
    assert not res.ok and needle in res.error
    assert json.loads(res.for_llm())["ok"] is False


def test_allowed_subset_hides_other_tools(reg):
    res = reg.call("scale", '{"clip": "a"}', context={"project": "p"}, allowed={"trim"})
    assert not res.ok and "unknown tool 'scale'" in res.error


def test_bugs_propagate(reg):
    with pytest.raises(RuntimeError, match="a bug"):
        reg.call("scale", '{"clip": "bug"}', context={"project": "p"})


def test_registration_refuses_incomplete_tools(reg):
    def nodoc(args: ScaleArgs) -> None:
        pass

    def untyped(args) -> None:
        """Doc."""

    class Loose(BaseModel):
        x: int = 0

    def loose(args: Loose) -> None:
        """Doc."""

    for fn, msg in [(nodoc, "no docstring"), (untyped, "pydantic model"), (loose, "forbid extra")]:
        with pytest.raises(ToolDefinitionError, match=msg):
            ToolRegistry().register(fn)
    with pytest.raises(ToolDefinitionError, match="twice"):
        reg.register(scale)
