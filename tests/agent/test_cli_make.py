import pytest

from longcut.agent.cli.app import main
from longcut.models.backends import registry
from longcut.tools.media import probe

from tests.fakes import BadExtensionModel, WorldOracleModel


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(registry.LOADERS, "oracle", lambda _w: WorldOracleModel())
    registry.forget_loaded_backends()
    yield tmp_path
    registry.forget_loaded_backends()


def run(*args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code


def test_make_refine_history_undo_from_the_command_line(home, capsys):
    out = home / "out.mp4"
    code = run("make", "a 6-second video: a big blue square moves left on a sand background, then it stays still",
               "--model", "oracle", "--session", "sq", "-o", str(out))
    assert code in (0, None)
    assert probe(out).duration == pytest.approx(6.0, abs=0.2)
    printed = capsys.readouterr().out
    assert "session sq" in printed and "generated" in printed
    out2 = home / "out2.mp4"
    assert run("refine", "sq", "add a title 'Square'", "-o", str(out2)) in (0, None)
    printed = " ".join(capsys.readouterr().out.split())
    assert "0 shots generated" in printed
    assert run("history", "sq") in (0, None)
    printed = capsys.readouterr().out
    assert "add a title" in printed
    assert "what each turn cost" in printed and "turn" in printed  # per shot and per turn totals
    assert [line.split("│")[2].strip() for line in printed.splitlines()
            if line.count("│") > 8 and line.split("│")[1].strip() == "1"][:1] == ["s1"]
    assert run("undo", "sq") in (0, None)
    assert "revision 3" in capsys.readouterr().out


def test_user_errors_exit_2_without_traceback(home, capsys):
    assert run("refine", "missing", "make it green") == 2
    err = capsys.readouterr().err
    assert "no session 'missing'" in err and "Traceback" not in err
    assert run("make", "a red ball", "--ref", "nonsense", "--model", "oracle") == 2
    assert "--ref takes NAME=PATH" in capsys.readouterr().err
    assert run("make", "a red ball", "--model", "nope") == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("args, msg", [
    (["--seconds", "1e-300"], "seconds must be between 1 and 3600 seconds, got 1e-300"),
    (["--seconds", "0.5"], "seconds must be between 1 and 3600 seconds, got 0.5"),
    (["--seconds", "nan"], "seconds must be between 1 and 3600 seconds, got nan"),
    ([], "the length the request asks for must be between 1 and 3600 seconds, got 0.25"),
])
def test_near_zero_lengths_are_refused(home, capsys, args, msg):
    assert run("make", "a 0.25-second video of a red ball", "--model", "oracle", "--session", "tiny", *args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert msg in err and "Traceback" not in err
    assert not (home / "home" / "projects" / "tiny").exists()


def test_chat_makes_then_refines_from_stdin(home):
    import os
    import subprocess
    import sys

    out = home / "chat.mp4"
    env = dict(os.environ, LONGCUT_HOME=str(home / "home"))
    lines = "a 4-second video: a big green star bounces on a night background\nadd a title 'Hi'\nsing\n\n"
    proc = subprocess.run(
        [sys.executable, "-m", "longcut", "chat", "--session", "talk", "--model", "tests.fakes:WorldOracleModel",
         "-o", str(out)], input=lines, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = " ".join(proc.stdout.split())
    assert "revision 1" in text and "revision 2" in text and "0 shots generated" in text
    assert "could not understand 'sing'" in " ".join(proc.stderr.split())  # a bad line is answered, not fatal
    assert probe(out).duration == pytest.approx(4.0, abs=0.2)


def test_refine_loads_the_model_from_the_weights_it_is_given(home, monkeypatch):
    seen = []
    monkeypatch.setitem(registry.LOADERS, "oracle", lambda w: seen.append(w) or WorldOracleModel())
    assert run("make", "a 2-second video: a big red circle stays still on a sky background",
               "--model", "oracle", "--session", "w") in (0, None)
    registry.forget_loaded_backends()
    weights = home / "my-weights"
    weights.mkdir()
    assert run("refine", "w", "make the first shot green", "--weights", str(weights)) in (0, None)
    assert seen[-1] == weights


def test_candidates_reach_the_shots(home, monkeypatch):
    from longcut.tools import generate as gen

    seen = []

    real = gen.search_opening

    def spy(model, request, history, judge, n, on_candidate=None, min_frames=1):
        seen.append(n)
        return real(model, request, history, judge, n, on_candidate, min_frames)

    monkeypatch.setattr(gen, "search_opening", spy)
    assert run("make", "a small red star moves left", "--seconds", "4", "--model", "oracle", "--candidates", "3",
               "-o", str(home / "a.mp4")) in (0, None)
    assert seen == [3]
    assert run("make", "a small red star moves left", "--seconds", "4", "--model", "oracle", "--candidates", "1",
               "-o", str(home / "b.mp4")) in (0, None)
    assert seen == [3]  # 1 = no search
    assert run("make", "a red ball", "--model", "oracle", "--candidates", "9") == 2


def test_keep_continuity_reaches_the_shots(home, monkeypatch, capsys):
    monkeypatch.setitem(registry.LOADERS, "badext", lambda _w: BadExtensionModel())
    request = "a 12-second video: a red ball crosses a meadow, night falls, then it bounces back home"
    assert run("make", request, "--model", "badext", "--candidates", "1", "-o", str(home / "a.mp4")) in (0, None)
    assert "(try 4, cut)" in capsys.readouterr().out
    registry.forget_loaded_backends()
    assert run("make", request, "--model", "badext", "--candidates", "1", "--keep-continuity",
               "-o", str(home / "b.mp4")) in (0, None)
    out = capsys.readouterr().out
    assert "cut)" not in out and "evaluator_start" in out  # every try extended, and failed


def test_outputs_are_checked_before_any_work(home, capsys):
    (home / "afile").write_bytes(b"x")
    for bad, needle in [("x.txt", "must end with .mp4"), (str(home / "afile" / "x.mp4"), "is a file, not a folder")]:
        assert run("make", "a red ball", "--seconds", "2", "--model", "oracle", "--session", "o", "-o", bad) == 2
        err = capsys.readouterr().err
        assert needle in " ".join(err.split()) and "Traceback" not in err
        assert not (home / "home" / "projects" / "o").exists()  # nothing was generated, nothing saved
    assert run("make", "a 2-second video: a big red circle stays still on a sky background", "--model", "oracle",
               "--session", "u") in (0, None)
    assert run("refine", "u", "add a title 'Hi'", "-o", bad) == 2
    assert run("refine", "u", "add a title 'Hi'") in (0, None)
    assert run("undo", "u", "-o", bad) == 2
    assert run("history", "u") in (0, None)
    assert "undo" not in capsys.readouterr().out  # the refused undo changed nothing


def test_a_bad_model_does_not_wedge_the_session(home, capsys):
    assert run("make", "a red ball", "--seconds", "2", "--session", "c9", "--model", "foo") == 2
    assert "unknown model 'foo'" in capsys.readouterr().err
    assert run("make", "a red ball", "--seconds", "2", "--session", "c9", "--model", "oracle") in (0, None)
    assert "session c9" in capsys.readouterr().out


def test_undo_discards_an_unfinished_first_turn(home, capsys):
    from longcut.agent.state import PendingTurn, Project
    from longcut.agent.store import ProjectStore

    ProjectStore().save(Project(name="c9", request="a red ball", seconds=2, model="foo",
                                pending=PendingTurn(n=1, kind="make", request="a red ball")))
    assert run("undo", "c9") in (0, None)
    assert "unfinished turn 1 discarded" in " ".join(capsys.readouterr().out.split())
    assert not ProjectStore().exists("c9")


def test_paths_are_quoted_as_typed(home, capsys):
    assert run("make", "a red ball", "--model", "oracle", "--music", "file:///etc/passwd") == 2
    assert "'file:///etc/passwd'" in capsys.readouterr().err
    assert run("make", "a red ball", "--model", "oracle", "--ref", "ball=./nope//ball.png") == 2
    assert "'./nope//ball.png' does not exist" in " ".join(capsys.readouterr().err.split())


def test_generate_checks_its_request_like_make(home, capsys):
    out = str(home / "g.mp4")
    assert run("generate", "  ", "-o", out) == 2
    assert "the request is empty" in capsys.readouterr().err
    assert run("generate", "a red circle", "--seed", str(2**31), "-o", out) == 2
    assert "seed must be in [0, 2147483647]" in capsys.readouterr().err
    assert run("make", "a red ball", "--seed", str(2**31), "--model", "oracle") == 2
    assert "seed must be in [0, 2147483647]" in capsys.readouterr().err
    assert not (home / "g.mp4").exists()


def test_make_with_a_vision_judge_shows_its_reasons_and_calls(home, capsys, monkeypatch):
    import json

    from tests.fake_openai import FakeOpenAI, structured
    from tests.fakes import EyelessModel

    monkeypatch.setitem(registry.LOADERS, "eyeless", lambda _w: EyelessModel())
    fail = {"elements": [{"element": "subject", "status": "absent", "reason": "a [bold]grey blob[/bold], no star"}],
            "overall": "fail", "summary": "no star"}
    with FakeOpenAI([structured(fail)] * 3) as fake:
        code = run("make", "a 2-second video: a big green star moves left on a night background", "--model",
                   "eyeless", "--judge", "vlm", "--judge-base-url", fake.base_url, "--judge-model", "fake-vision")
    assert code in (0, None)
    out = capsys.readouterr()
    printed = " ".join(out.out.split())
    assert "vision_judge" in printed and "judge: subject absent" in printed
    assert "[bold]grey blob[/bold]" in printed  # the judge's words shown as text, never as markup
    assert "3 judge calls" in printed
    assert "a [bold]grey blob[/bold], no star" in " ".join(out.err.split())  # the log line too
    assert len(fake.requests) == 3 and json.loads(json.dumps(fake.requests[0]))["model"] == "fake-vision"
