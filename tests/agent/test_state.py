import json

import pytest
from pydantic import ValidationError

from longcut.agent.state import (
    Project,
    Revision,
    Shot,
    ShotCheck,
    ShotVersion,
    Storyboard,
    Transition,
    shot_key,
    slugify,
)
from longcut.agent.store import ProjectStore
from longcut.errors import InputError


def board(n=3) -> Storyboard:
    return Storyboard(
        title="Home",
        shots=[
            Shot(id=f"s{i}", intent=f"part {i}", prompt="a red circle moves left on a grass background", seconds=4.0,
                 transition=Transition(kind="fade", seconds=0.5) if i < n else Transition())
            for i in range(1, n + 1)
        ],
    )


def test_storyboard_seconds_subtracts_transition_overlaps():
    assert board(3).seconds == pytest.approx(12.0 - 1.0)


@pytest.mark.parametrize(
    "mutate, msg",
    [
        (lambda d: d["shots"].append(dict(d["shots"][0])), "repeated"),
        (lambda d: d["shots"][0].update(continuous=True), "cannot continue"),
        (lambda d: d["shots"][0].update(seconds=-1), "greater than 0"),
        (lambda d: d["shots"][0].update(id="../etc"), "should match pattern"),
        (lambda d: d["shots"][0].update(transition={"kind": "cut", "seconds": 1}), "a cut has no duration"),
        (lambda d: d["shots"][0].update(transition={"kind": "spin", "seconds": 1}), "Input should be"),
        (lambda d: d["shots"][0].update(path="/etc/passwd"), "Extra inputs"),
    ],
)
def test_storyboard_validation(mutate, msg):
    data = board().model_dump()
    mutate(data)
    with pytest.raises(ValidationError, match=msg):
        Storyboard.model_validate(data)


def test_shot_key_changes_with_every_input_and_only_then():
    base = dict(model_id="tiny@abc", prompt="p", seed=1, seconds=4.0, reference_hashes=["h"], continuity_source=None)
    k = shot_key(**base)
    assert shot_key(**base) == k
    for field, value in [("model_id", "tiny@def"), ("prompt", "q"), ("seed", 2), ("seconds", 4.5),
                         ("reference_hashes", ["g"]), ("continuity_source", "k0")]:
        assert shot_key(**(base | {field: value})) != k, field


def test_project_round_trips_through_the_store(tmp_path):
    store = ProjectStore(tmp_path)
    p = Project(name="ball", request="a red ball", seconds=12, storyboard=board())
    v = ShotVersion(shot_id="s1", key="k1", file="shots/s1/k1.mp4", prompt="p", seed=0, model="tiny",
                    checks=[ShotCheck(name="duration", passed=True)])
    p.versions.append(v)
    p.revisions.append(Revision(n=1, request="a red ball", storyboard=board(), shot_keys={"s1": "k1"}))
    p.note("plan", "3 shots")
    store.save(p)
    back = store.load("ball")
    assert back == p and back.version("k1") == v
    assert store.names() == ["ball"]
    assert not list(store.folder("ball").glob(".*tmp*"))


def test_failed_version_is_not_a_cache_hit():
    p = Project(name="x", request="r", seconds=4)
    p.versions.append(ShotVersion(shot_id="s1", key="k", file="f", prompt="p", seed=0, model="m",
                                  checks=[ShotCheck(name="evaluator", passed=False)]))
    assert p.version("k") is None


def test_store_errors_are_clear(tmp_path):
    store = ProjectStore(tmp_path)
    with pytest.raises(InputError, match="no session 'nope'"):
        store.load("nope")
    with pytest.raises(InputError, match="may use only"):
        store.folder("../escape")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "project.json").write_text(json.dumps({"name": "bad"}))
    with pytest.raises(InputError, match="damaged project.json"):
        store.load("bad")


def test_slugify():
    assert slugify("Red Ball: Part 2!") == "red-ball-part-2"
    assert slugify("!!!", "x") == "x"
