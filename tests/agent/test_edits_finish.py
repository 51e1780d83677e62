"""The finishing edits (trims, speed, look, fades, music): the edit, the OpenAI tool call, the render."""

import json

import numpy as np
import pytest

from longcut.agent.planning.edits import edit_registry, storyboard_diff
from longcut.agent.planning.openai import OpenAIPlanner
from longcut.agent.planning.planner import ModelVocabulary
from longcut.agent.state import SCHEMA_VERSION, Project, Shot, ShotVersion, Storyboard, Transition
from longcut.agent.turn.assemble import build_timeline
from longcut.tools.media import probe, read_audio, read_frame
from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import run_ffmpeg
from longcut.tools.timeline import Look, render

from tests.fake_openai import FakeOpenAI, call, message, tool_calls


@pytest.fixture
def board() -> Storyboard:
    return Storyboard(shots=[
        Shot(id="s1", intent="ball enters", prompt="a red circle moves right on a grass background", seconds=4,
             transition=Transition(kind="fade", seconds=0.5)),
        Shot(id="s2", intent="home", prompt="a red circle bounces on a night background", seconds=4),
    ])


def edit(board, name, **args):
    return edit_registry().call(name, json.dumps(args), context={"board": board})


def test_trim_and_speed_change_what_is_shown_not_what_is_generated(board):
    b = edit(board, "trim_shot", shot="2", start=1.0).value
    assert (b.shots[1].trim_start, b.shots[1].trim_end, b.shots[1].seconds) == (1.0, 0.0, 4)
    b = edit(b, "trim_shot", shot="s2", end=0.5).value
    assert (b.shots[1].trim_start, b.shots[1].trim_end) == (1.0, 0.5)
    b = edit(b, "set_speed", shot="s1", speed=2.0).value
    assert b.shots[0].shown_seconds == 2.0 and b.shots[1].shown_seconds == 2.5
    assert b.seconds == pytest.approx(2.0 + 2.5 - 0.5)
    assert [(s.prompt, s.seed, s.seconds) for s in b.shots] == [(s.prompt, s.seed, s.seconds) for s in board.shots]
    assert board.shots[1].trim_start == 0  # the input is never mutated


def test_look_fades_and_music_are_set_and_read_back_as_a_diff(board):
    b = edit(board, "set_look", shot="s1", saturation=0.0).value
    assert b.shots[0].look == Look(saturation=0.0) and b.shots[1].look == Look()
    b = edit(b, "set_fades", fade_out=1.5).value
    b = edit(b, "set_music", volume=0.5).value
    assert (b.fade_in, b.fade_out, b.music.volume, b.music.fade_out) == (0.0, 1.5, 0.5, 2.0)
    d = storyboard_diff(board, b)
    assert {"field": "fade_out", "old": 0.0, "new": 1.5} in d["changes"]
    assert {"field": "music", "old": {"volume": 0.8, "fade_in": 1.0, "fade_out": 2.0},
            "new": {"volume": 0.5, "fade_in": 1.0, "fade_out": 2.0}} in d["changes"]
    assert d["summary"].startswith("fade_out, music; s1 look")


@pytest.mark.parametrize("name, args, needle", [
    ("trim_shot", {"shot": "s1", "start": 3, "end": 1}, "leaves nothing"),
    ("trim_shot", {"shot": "s1", "start": 3.6}, "not longer than its transitions"),
    ("trim_shot", {"shot": "s1"}, "changes nothing"),
    ("trim_shot", {"shot": "s1", "start": -1}, "greater than or equal to 0"),
    ("set_speed", {"shot": "s2", "speed": 10}, "less than or equal to 4"),
    ("set_look", {"shot": "s1"}, "changes nothing"),
    ("set_look", {"shot": "s1", "brightness": 5}, "brightness"),
    ("set_fades", {"fade_in": 5, "fade_out": 5}, "does not fit a 7.5s video"),
    ("set_fades", {"fade_in": float("nan")}, "fade_in"),
    ("set_music", {"volume": 1e9}, "volume"),
    ("set_music", {"volume": 1, "file": "/etc/passwd"}, "Extra inputs are not permitted"),
])
def test_bad_finishing_edits_are_observations(board, name, args, needle):
    res = edit(board, name, **args)
    assert not res.ok and needle in res.error


def test_making_a_trimmed_shot_shorter_than_its_trims_is_an_observation(board):
    b = edit(board, "trim_shot", shot="s2", start=2, end=1).value
    res = edit(b, "update_shot", shot="s2", seconds=2.5)
    assert not res.ok and "leaves nothing" in res.error


def test_the_openai_planner_calls_the_finishing_edits_through_the_same_registry(board):
    with FakeOpenAI() as server:
        server.add(tool_calls(call("trim_shot", {"shot": "s2", "start": 1.0, "end": None}),
                              call("set_fades", {"fade_in": None, "fade_out": 2.0}),
                              call("set_music", {"volume": 0.5, "fade_in": None, "fade_out": None}),
                              call("set_look", {"shot": "s1", "brightness": None, "contrast": None,
                                                "saturation": 0.0})),
                   message("Trimmed, faded out, music at half, shot 1 in black and white."))
        planner = OpenAIPlanner(server.base_url, "fake-model", api_key="k", timeout=5, max_retries=0)
        proj = Project(name="ball", request="a ball", seconds=7.5, planner="openai", storyboard=board)
        new = planner.revise(proj, "trim 1 s off shot 2, fade out, music at 50%, shot 1 black and white",
                             ModelVocabulary(guide="g"))
        offered = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert {"trim_shot", "set_speed", "set_look", "set_fades", "set_music"} <= offered
    assert new.shots[1].trim_start == 1.0 and new.fade_out == 2.0 and new.music.volume == 0.5
    assert new.shots[0].look.saturation == 0.0 and planner.usage.tool_errors == 0


# A project.json as longcut wrote it before the finishing edits (schema version 1).
V1_PROJECT = {
    "schema_version": 1, "name": "ball", "request": "a red ball", "seconds": 8.0, "model": "tiny",
    "planner": "offline", "seed": 3, "music": "music.m4a",
    "storyboard": {"title": "Home", "style": "", "shots": [
        {"id": "s1", "intent": "a red ball", "prompt": "a red circle moves right on a grass background",
         "seconds": 4.5, "refs": [], "continuous": False, "transition": {"kind": "fade", "seconds": 0.5},
         "caption": "One", "seed": 11},
        {"id": "s2", "intent": "it stays", "prompt": "a red circle is still on a grass background", "seconds": 4.0,
         "refs": [], "continuous": True, "transition": {"kind": "cut", "seconds": 0.0}, "caption": None, "seed": 12},
    ]},
    "references": [], "versions": [], "revisions": [], "pending": None, "log": [],
}


def test_a_project_written_before_the_finishing_edits_loads_and_renders_as_before():
    proj = Project.model_validate_json(json.dumps(V1_PROJECT))
    assert proj.schema_version == SCHEMA_VERSION == 3
    board = proj.storyboard
    assert board.seconds == 8.0 and board.fade_in == board.fade_out == 0 and board.music.volume == 0.8
    assert all(s.trim_start == s.trim_end == 0 and s.speed == 1 and s.look == Look() for s in board.shots)
    again = Project.model_validate_json(proj.model_dump_json())
    assert again == proj
    with pytest.raises(ValueError, match="schema version 9 is not one this longcut reads"):
        Project.model_validate({**V1_PROJECT, "schema_version": 9})


# ---------------------------------------------------------------- render


@pytest.fixture(scope="module")
def takes_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("finish")
    for name, colour in (("a", "red"), ("b", "blue")):
        run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c={colour}:size=64x64:rate=8", "-t", "2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(root / f"{name}.mp4")],
                   "make take")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "6", "-c:a", "aac", str(root / "music.m4a")],
               "make music")
    return root


def render_board(root, board, name):
    proj = Project(name="p", request="r", seconds=4, music="music.m4a", storyboard=board)
    takes = {sid: ShotVersion(shot_id=sid, key=sid, file=f"{f}.mp4", prompt="p", seed=0, model="m")
             for sid, f in (("s1", "a"), ("s2", "b"))}
    out = root / name
    render(build_timeline(proj, takes, 64, 64, 8), out, ProjectFolder(root))
    return out


def loudness(path, start, end, rate=16000):
    samples = read_audio(path, rate)[int(start * rate):int(end * rate)]
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def test_the_render_honours_trims_speed_look_fades_and_music(takes_folder):
    plain = Storyboard(shots=[Shot(id="s1", intent="a", prompt="a", seconds=2),
                              Shot(id="s2", intent="b", prompt="b", seconds=2)])
    b = edit(plain, "trim_shot", shot="s1", start=0.5, end=0.5).value
    b = edit(b, "set_speed", shot="s2", speed=2.0).value
    b = edit(b, "set_look", shot="s1", saturation=0.0).value
    b = edit(b, "set_fades", fade_out=0.5).value
    b = edit(b, "set_music", volume=0.4, fade_in=0.0, fade_out=0.0).value
    out = render_board(takes_folder, b, "finished.mp4")
    loud = render_board(takes_folder, edit(b, "set_music", volume=0.8).value, "loud.mp4")
    muted = render_board(takes_folder, edit(b, "set_music", volume=0.0).value, "muted.mp4")
    assert abs(probe(out).duration - (1.0 + 1.0)) <= 1 / 8 + 1e-6  # 2 s less 1 s of trims, then 2 s at 2×
    r, g, b_ = read_frame(out, 0.5)[128, 128].astype(int)
    assert abs(r - g) < 12 and abs(g - b_) < 12  # shot 1 in black and white
    assert read_frame(out, 1.25)[128, 128][2] > 200  # shot 2 blue, before the fade
    assert read_frame(out, 2.0 - 1 / 8).max() < 40  # faded to black at the end
    assert 1.7 < loudness(loud, 0.2, 1.2) / loudness(out, 0.2, 1.2) < 2.3  # music at 0.4 against 0.8
    assert not probe(muted).has_audio
