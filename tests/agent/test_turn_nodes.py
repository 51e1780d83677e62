"""The turn's nodes are plain functions of (state, config): called here without a graph."""

import json

import pytest

from longcut.agent.events import EventSink
from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.state import PendingTurn, Project
from longcut.agent.store import ProjectStore
from longcut.agent.turn import nodes
from longcut.agent.turn.shots import Runtime
from longcut.agent.turn.task import ModelSpec, PlannerSpec
from longcut.errors import LongcutError

from tests.fakes import WorldOracleModel

REQUEST = "a 12-second video: a red ball crosses a meadow, night falls, then it bounces back home"


FAKE = "tests.fakes:WorldOracleModel"  # a custom backend the registry loads by module:Class


def runtime(tmp_path, model=None, name="oracle") -> Runtime:
    model = model or WorldOracleModel()
    return Runtime(store=ProjectStore(tmp_path / "projects"), model=model,
                   planner=OfflinePlanner(use_embeddings=False), vocabulary=vocabulary_for(model.info),
                   model_spec=ModelSpec(name=name, weights_id=model.info.weights_id),
                   planner_spec=PlannerSpec(name="offline"), events=EventSink(), candidates=1)


@pytest.fixture
def rt(tmp_path) -> Runtime:
    return runtime(tmp_path)


def saved_project(rt: Runtime) -> Project:
    project = Project(name="ball", request=REQUEST, seconds=12, pending=PendingTurn(n=1, kind="make", request=REQUEST))
    rt.store.save(project)
    return project


def test_a_node_runs_from_a_state_and_a_config(rt):
    saved_project(rt)
    config = nodes.turn_config(rt, "ball:turn-1")
    assert nodes.plan({"project": "ball", "turn": 1, "request": REQUEST}, config) == {}
    board = rt.store.load("ball").storyboard
    assert board is not None and len(board.shots) == 3
    assert [e.stage for e in rt.events.events][-1] == "plan"
    # planned once: the node finds the storyboard on disk and plans nothing the second time
    nodes.plan({"project": "ball", "turn": 1, "request": REQUEST}, config)
    assert rt.store.load("ball").storyboard == board and rt.events.events[-1].message == "storyboard ready"
    sends = nodes.fan_out({"project": "ball", "turn": 1}, config)
    assert [s.node for s in sends] == ["make_chain", "make_chain"]  # s1+s2 are one chain, s3 another


def test_a_node_without_a_runtime_in_its_config_says_so():
    with pytest.raises(TypeError, match="no Runtime"):
        nodes.plan({"project": "ball", "turn": 1}, {"configurable": {"thread_id": "t"}})


def test_a_turn_left_at_a_node_of_an_older_graph_starts_again(tmp_path):
    """A checkpoint stopped at ``review`` (the node's name before ``merge``) runs the turn again from its top."""
    from langgraph.graph import END, START, StateGraph

    from longcut.agent.turn.graph import checkpointer
    from longcut.agent.turn.session import Options, Sessions

    sessions = Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")
    sessions.store.save(Project(name="ball", request=REQUEST, seconds=12,
                                pending=PendingTurn(n=1, kind="make", request=REQUEST)))

    def broken(state):
        raise RuntimeError("killed in review")

    old = StateGraph(nodes.TurnState)
    old.add_node("plan", lambda state: {"takes": [{"stale": True}]})
    old.add_node("review", broken)
    old.add_edge(START, "plan")
    old.add_edge("plan", "review")
    old.add_edge("review", END)
    config = {"configurable": {"thread_id": "ball:turn-1"}}
    with checkpointer(tmp_path / "ck.sqlite") as saver:
        with pytest.raises(RuntimeError):
            old.compile(checkpointer=saver).invoke({"project": "ball", "turn": 1, "takes": []}, config,
                                                   durability="sync")
    model = WorldOracleModel()
    res = sessions.make(REQUEST, name="ball", opts=Options(video_model=model, candidates=1,
                                                           planner_impl=OfflinePlanner(use_embeddings=False)))
    assert res.revision.regenerated == ["s1", "s2", "s3"] and len(model.calls) == 3


def test_every_chain_payload_is_json_and_a_chain_runs_from_its_payload_alone(tmp_path):
    from longcut.models.backends.registry import load_backend

    model = load_backend(FAKE, None)  # the instance the registry hands every chain of this process
    rt = runtime(tmp_path, model, name=FAKE)
    saved_project(rt)
    config = nodes.turn_config(rt, "ball:turn-1")
    state = {"project": "ball", "turn": 1, "request": REQUEST}
    nodes.plan(state, config)
    nodes.references(state, config)
    sends = nodes.fan_out(state, config)
    payloads = [json.loads(json.dumps(s.arg)) for s in sends]  # JSON all through, and back
    assert [p["chain"] for p in payloads] == [["s1", "s2"], ["s3"]]
    assert payloads[0]["model"] == {"name": FAKE, "weights": None, "weights_id": "oracle-1"}
    assert payloads[0]["retry"] == {"max_tries": 3, "rewrite_after": 2, "cut_fallback": True}
    calls = len(model.calls)
    out = nodes.chain(payloads[1], {})  # no runtime in the config: built from the payload
    (take,) = out["takes"]
    assert take["chosen"] and take["generated"] and take["version"]["shot_id"] == "s3"
    assert (rt.store.folder("ball") / take["version"]["file"]).is_file() and len(model.calls) == calls + 1
    assert not any(e.stage == "shots" for e in rt.events.events)  # its progress went to its own sink
    assert rt.store.load("ball").versions == []  # a chain writes its take records only; merge adds them

    stale = payloads[0] | {"model": payloads[0]["model"] | {"weights_id": "other"}}
    with pytest.raises(LongcutError, match="planned with 'other'"):
        nodes.chain(stale, {})
