"""The offline planner and the review for a backend that takes open prose (a diffusers backend).

Before backends said what they understand, the offline planner wrote the
embedded world's captions for every backend, so a Wan or LTX user was sent
"a big red circle moves right slowly on a grass background", and the review
ran the world's evaluator on real footage.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.state import Project
from longcut.agent.store import ProjectStore
from longcut.agent.turn.session import Options, Sessions
from longcut.errors import InputError
from longcut.models.backends import registry
from longcut.models.backends.capabilities import PromptVocabulary
from longcut.models.world.capabilities import WORLD_VOCABULARY

from tests.fakes import WorldOracleModel
from tests.models.diffusers_tiny import save_tiny_wan, tiny_weights

REQUEST = "a red ball crosses a meadow, then it bounces back home"


@pytest.fixture(scope="module")
def wan(tmp_path_factory):
    """The tiny-config Wan2.1 backend, loaded through the registry, offline, on one CPU thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("LONGCUT_DEVICE", "cpu")
        folder = tiny_weights(save_tiny_wan, tmp_path_factory.mktemp("w") / "wan-1.3b")
        registry.forget_loaded_backends()
        yield registry.load_backend("wan-1.3b", folder)
        registry.forget_loaded_backends()
    torch.set_num_threads(threads)


def _plan(info, text=REQUEST, seconds=8.0):
    req = PlanRequest(request=text, seconds=seconds, vocabulary=vocabulary_for(info))
    return OfflinePlanner(use_embeddings=False).plan(req)


def _world_info():
    return WorldOracleModel().info


def _is_world_caption(prompt: str) -> bool:
    return WORLD_VOCABULARY.understands(prompt)


def test_the_offline_planner_writes_open_prose_for_a_diffusers_backend(wan):
    assert wan.info.vocabulary is None and wan.info.reader is None  # open text, no evaluator
    plan = _plan(wan.info)
    prompts = [s.prompt for s in plan.storyboard.shots]
    assert prompts[0] == "A red ball crosses a meadow."  # the request's own words
    # what "it" stands for and where it is
    assert prompts[1] == "It bounces back home. Subject: a red ball. Setting: meadow."
    assert not any(_is_world_caption(p) for p in prompts)
    assert [s.continuous for s in plan.storyboard.shots] == [False, True]
    assert plan.storyboard.seconds == pytest.approx(8.0)


def test_open_prose_keeps_a_recurring_subject_described_alike():
    info = replace(_world_info(), vocabulary=None)
    plan = _plan(
        info,
        "a small blue star with white stripes rises on a beach, then a pink box bounces, "
        "then the blue star spins around",
        seconds=9.0,
    )
    assert [r.description for r in plan.references] == ["a small blue star with white stripes"]
    assert plan.storyboard.shots[1].prompt == "A pink box bounces. Setting: beach."


def test_the_world_backend_still_gets_its_captions():
    plan = _plan(_world_info())
    assert all(_is_world_caption(s.prompt) for s in plan.storyboard.shots)


def test_rewrite_and_attribute_feedback_on_prose(wan):
    planner = OfflinePlanner(use_embeddings=False)
    vocabulary = vocabulary_for(wan.info)
    prose = "A red ball crosses a meadow."
    # nothing to simplify in prose
    assert planner.rewrite_failed("x", prose, "frozen", vocabulary) == prose
    plan = _plan(wan.info)
    project = Project(name="p", request=REQUEST, seconds=plan.seconds, storyboard=plan.storyboard)
    # edits that leave prompts alone work
    board = planner.revise(project, "add a title 'Home'", vocabulary)
    assert board.title == "Home"
    with pytest.raises(InputError, match="open-vocabulary model: use --planner openai"):
        planner.revise(project, "make the second shot green", vocabulary)


def test_a_caption_grammar_the_offline_planner_cannot_write_is_refused():
    other = PromptVocabulary(words={"colour": ("red",)}, synonyms={}, write=str, read=str)
    info = replace(_world_info(), vocabulary=other)
    with pytest.raises(InputError, match="another caption grammar: use --planner openai"):
        _plan(info)


def test_a_session_on_the_diffusers_backend_sends_prose_and_reads_no_attributes(wan, tmp_path):
    sessions = Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")
    calls = []
    generate = wan.generate

    def spy(request, *a, **kw):
        calls.append(request.prompt)
        return generate(request, *a, **kw)

    wan.generate = spy
    try:
        res = sessions.make(
            REQUEST,
            name="w",
            seconds=2.0,
            opts=Options(
                video_model=wan, planner_impl=OfflinePlanner(use_embeddings=False), max_tries=1
            ),
        )
    finally:
        del wan.generate
    assert calls and not any(_is_world_caption(p) for p in calls)
    checks = {c.name for v in res.project.versions for c in v.checks}
    assert "duration" in checks and not any(n.startswith("evaluator") for n in checks)
    assert Path(res.render).is_file()
