"""Bad input: one clear InputError naming what was wrong."""

import pytest

from longcut.errors import InputError
from longcut.tools.edit import run_edit


@pytest.mark.parametrize("tool,args,msg", [
    ("trim", {"input": "missing.mp4", "end": 1}, "'missing.mp4' does not exist"),
    ("trim", {"input": "corrupt.mp4", "end": 1}, "'corrupt.mp4' is not readable media"),
    ("trim", {"input": "empty.mp4", "end": 1}, "'empty.mp4' is empty"),
    ("trim", {"input": "red.mp4", "start": 1, "end": 1}, "end .1s. must be greater than start"),
    ("trim", {"input": "red.mp4", "start": 1.5, "end": 0.5}, "must be greater than start"),
    ("trim", {"input": "red.mp4", "start": -1, "end": 1}, "start: Input should be greater than or equal to 0"),
    ("trim", {"input": "red.mp4", "end": 9}, "end 9s is past the end of 'red.mp4'"),
    ("trim", {"input": "red.mp4", "end": float("nan")}, "end"),
    ("trim", {"input": "red.mp4", "end": 1, "bogus": 1}, "bogus: Extra inputs are not permitted"),
    ("trim", {"input": "tone.m4a", "end": 1}, "'tone.m4a' has no video stream"),
    ("trim", {"input": "logo.png", "end": 1}, "'logo.png' has zero length"),
    ("transition", {"first": "red.mp4", "second": "blue.mp4", "kind": "zoomzoom"}, "kind: Input should be"),
    ("transition", {"first": "red.mp4", "second": "blue.mp4", "duration": 2.5}, "must be shorter than both clips"),
    ("transition", {"first": "red.mp4", "second": "blue.mp4", "duration": 1e-9}, "the transition lasts 1e-09s, shorter than one frame"),
    ("trim", {"input": "red.mp4", "start": 1, "end": 1 + 1e-9}, "the trim of 'red.mp4' lasts 1e-09s, shorter than one frame"),
    ("resize", {"input": "red.mp4", "width": 100000, "height": 64}, "width: Input should be less than or equal to 4096"),
    ("resize", {"input": "red.mp4", "width": 0, "height": 64}, "width: Input should be greater than or equal to 16"),
    ("pad_aspect", {"input": "red.mp4", "aspect": "1000:1"}, "aspect"),
    ("text_overlay", {"input": "red.mp4", "text": "", "end": 1}, "text"),
    ("text_overlay", {"input": "red.mp4", "text": "x" * 10_001, "end": 1}, "text"),
    ("text_overlay", {"input": "red.mp4", "text": "x", "end": 5}, "end 5s is past the end"),
    ("text_overlay", {"input": "red.mp4", "text": "a\x00b", "end": 1}, "control character U\\+0000 at position 1"),
    ("text_overlay", {"input": "red.mp4", "text": "a\rb", "end": 1}, "control character U\\+000D"),
    ("text_overlay", {"input": "red.mp4", "text": "a\tb", "end": 1}, "control character U\\+0009"),
    ("text_overlay", {"input": "red.mp4", "text": "x", "end": 1, "color": "red:x=1"}, "colour 'red:x=1' is not allowed"),
    ("speed", {"input": "red.mp4", "factor": 100}, "factor"),
    ("loop", {"input": "red.mp4", "times": 10**6}, "times"),
    ("set_volume", {"input": "red.mp4", "volume": 2}, "'red.mp4' has no audio stream"),
    ("extract_frame", {"input": "red.mp4", "time": 2.5}, "past the end"),
    ("fade", {"input": "red.mp4", "fade_in": 1, "video": False}, "'red.mp4' has no audio stream to fade"),
    ("fade", {"input": "red.mp4", "fade_in": 1.5, "fade_out": 1}, "longer than 'red.mp4'"),
    ("extract_frame", {"input": "red.mp4", "time": 1, "output": "x.mp4"}, "must end with one of .png"),
    ("concat", {"inputs": ["red.mp4"]}, "inputs: List should have at least 2 items"),
    ("frobnicate", {}, "unknown edit tool 'frobnicate'"),
])
def test_bad_input_gets_one_clear_error(project, tool, args, msg):
    with pytest.raises(InputError, match=msg):
        run_edit(tool, args, project)
    assert not (project.root / "edits").exists() or not any((project.root / "edits").iterdir())


def test_a_refused_output_name_creates_no_folder(project):
    with pytest.raises(InputError, match="must end with one of"):
        run_edit("trim", {"input": "red.mp4", "end": 1, "output": "new/x.txt"}, project)
    assert not (project.root / "new").exists()
