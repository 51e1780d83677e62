"""``longcut plan``: a storyboard and estimate before paying; a saved draft generates exactly what it showed."""

import json
from dataclasses import replace

import pytest

from longcut.agent.cli.app import main
from longcut.agent.store import ProjectStore
from longcut.models.backends import registry, tiny

from tests.fakes import WorldOracleModel

REQUEST = "a 12-second video: a red ball crosses a meadow, night falls, then it bounces back home"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path / "home"))
    made = []

    def oracle(_weights):
        made.append(WorldOracleModel())
        return made[-1]

    def timed(_weights):  # an oracle that states a speed, as the tiny model does
        made.append(WorldOracleModel())
        made[-1]._info = replace(made[-1].info, wall_per_video_second=0.05)
        return made[-1]

    monkeypatch.setitem(registry.LOADERS, "oracle", oracle)
    monkeypatch.setitem(registry.LOADERS, "oracle-timed", timed)
    registry.forget_loaded_backends()
    yield made
    registry.forget_loaded_backends()


def run(*args):
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code


def store(tmp_path) -> ProjectStore:
    return ProjectStore(tmp_path / "home" / "projects")


def test_plan_loads_no_weights_and_makes_no_take(home, tmp_path, capsys, monkeypatch):
    def no_weights(*a, **k):
        raise AssertionError("plan loaded model weights")

    monkeypatch.setattr(tiny, "load_dit", no_weights)
    monkeypatch.setattr(tiny, "load_vae", no_weights)
    monkeypatch.setattr(registry, "load_backend", no_weights)
    assert run("plan", REQUEST, "--json") in (0, None)
    doc = json.loads(capsys.readouterr().out)
    shots = doc["storyboard"]["shots"]
    assert len(shots) == 3 and doc["session"] is None and doc["generate"] == ["s1", "s2", "s3"]
    assert all(s["prompt"] for s in shots)
    est = doc["estimate"]
    assert est["backend"] == "tiny" and not est["calibrated"] and est["wall_seconds"] > 0
    assert len(est["shots"]) == 3 and est["tries"] == 3.0
    assert store(tmp_path).names() == []  # nothing saved without --session
    assert run("plan", REQUEST) in (0, None)  # the tables
    shown = capsys.readouterr().out
    assert "plan · 12s · 3 shots" in shown and "estimate: about" in shown and "nothing measured" in shown


def test_a_saved_draft_generates_exactly_the_shots_it_showed(home, tmp_path, capsys):
    assert run("plan", REQUEST, "--model", "oracle-timed", "--session", "ball", "--json") in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert doc["session"] == "ball"
    project = store(tmp_path).load("ball")
    assert project.pending.draft and project.versions == [] and project.revisions == []
    model = home[-1]
    assert model.calls == [] and model.images == []  # planning generated nothing
    out = tmp_path / "ball.mp4"
    assert run("approve", "ball", "-o", str(out)) in (0, None)
    printed = " ".join(capsys.readouterr().out.split())
    assert "estimated" in printed
    project = store(tmp_path).load("ball")
    (rev,) = project.revisions
    assert rev.storyboard.model_dump(mode="json") == doc["storyboard"]
    asked = list(dict.fromkeys(c.prompt for c in model.calls))  # the opening search asks each prompt more than once
    assert asked == [s["prompt"] for s in doc["storyboard"]["shots"]]
    assert project.pending is None and rev.cost.estimate_seconds == pytest.approx(doc["estimate"]["wall_seconds"])
    takes = [v for v in project.versions if v.turn == 1]
    assert all(v.cost.estimate_seconds is not None for v in takes)  # each take carries the estimate it had
    assert run("approve", "ball") == 2
    assert "has no draft to approve" in capsys.readouterr().err


def test_make_with_only_a_session_generates_its_draft(home, tmp_path, capsys):
    assert run("plan", REQUEST, "--model", "oracle", "--session", "ball") in (0, None)
    assert "draft saved" in capsys.readouterr().out
    planned = store(tmp_path).load("ball").storyboard
    assert run("make", "--session", "ball") in (0, None)
    (rev,) = store(tmp_path).load("ball").revisions
    assert rev.storyboard == planned and rev.regenerated == [s.id for s in planned.shots]
    assert run("make") == 2
    assert "make needs a request" in capsys.readouterr().err


def test_planning_again_replaces_a_draft_but_never_a_session(home, tmp_path, capsys):
    assert run("plan", REQUEST, "--model", "oracle", "--session", "ball") in (0, None)
    assert run("plan", "a 6-second video: a big blue square moves left on a sand background", "--model", "oracle",
               "--session", "ball") in (0, None)
    project = store(tmp_path).load("ball")
    assert project.request.startswith("a 6-second") and project.pending.draft
    assert run("approve", "ball") in (0, None)
    capsys.readouterr()
    assert run("plan", REQUEST, "--model", "oracle", "--session", "ball") == 2
    assert "already exists" in capsys.readouterr().err
    assert len(store(tmp_path).load("ball").revisions) == 1


def test_make_approve_without_a_terminal_keeps_the_draft(home, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert run("make", REQUEST, "--model", "oracle", "--session", "gate", "--approve") in (0, None)
    printed = capsys.readouterr().out
    assert "waits for `longcut approve gate`" in printed and "estimate:" in printed
    project = store(tmp_path).load("gate")
    assert project.pending.draft and project.versions == [] and home[-1].calls == []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("typer.confirm", lambda *a, **k: True)
    assert run("make", REQUEST, "--model", "oracle", "--session", "gate2", "--approve") in (0, None)
    assert len(store(tmp_path).load("gate2").revisions) == 1
    assert run("make", REQUEST, "--model", "oracle", "--session", "gate3", "--approve", "--yes") in (0, None)
    assert len(store(tmp_path).load("gate3").revisions) == 1


def test_refine_plan_only_shows_what_would_be_regenerated_and_changes_nothing(home, tmp_path, capsys):
    assert run("make", REQUEST, "--model", "oracle", "--session", "ball") in (0, None)
    before = store(tmp_path).load("ball")
    capsys.readouterr()
    assert run("refine", "ball", "make the third shot green", "--plan-only", "--json") in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert doc["generate"] == ["s3"]
    assert [s["cached"] for s in doc["estimate"]["shots"]] == [True, True, False]
    assert "green" in doc["storyboard"]["shots"][2]["prompt"]
    assert store(tmp_path).load("ball") == before  # nothing saved
    assert run("refine", "ball", "make the third shot green") in (0, None)
    assert store(tmp_path).load("ball").revisions[-1].regenerated == doc["generate"]


def test_budget_options_refuse_a_plan_from_the_command_line(home, tmp_path, capsys):
    assert run("make", REQUEST, "--model", "oracle", "--session", "b", "--max-tries", "1") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--max-tries is 1: nothing was generated" in err and home[-1].calls == []
    assert run("make", REQUEST, "--model", "oracle", "--session", "c", "--max-minutes", "-1") == 2
    assert "--max-minutes must be a number above 0" in capsys.readouterr().err
    assert not store(tmp_path).exists("c")
