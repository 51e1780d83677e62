"""The edit tools plug into the planner's ToolRegistry: schemas, validated calls, errors as results."""

import json

from longcut.tools.edit import EDIT_TOOLS, register_edit_tools
from longcut.tools.media import probe
from longcut.tools.registry import ToolRegistry


def test_all_edit_tools_register_with_strict_schemas():
    reg = ToolRegistry()
    register_edit_tools(reg)
    assert set(reg.names()) == set(EDIT_TOOLS)
    for schema in reg.schemas():
        fn = schema["function"]
        assert fn["description"] and fn["parameters"]["additionalProperties"] is False


def test_registry_call_runs_a_tool_and_reports_bad_calls(project):
    reg = ToolRegistry()
    register_edit_tools(reg)
    ok = reg.call("trim", json.dumps({"input": "red.mp4", "start": 0, "end": 1}), {"project": project})
    assert ok.ok and probe(ok.value).duration == 1.0
    bad = reg.call("trim", {"input": "red.mp4", "start": 1, "end": 9}, {"project": project})
    assert not bad.ok and "past the end of 'red.mp4'" in bad.error
    url = reg.call("mute", {"input": "http://evil/x.mp4"}, {"project": project})
    assert not url.ok and "URL" in url.error
