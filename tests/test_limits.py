"""One place for each bound and each derivation (``longcut.limits``, ``models/backends/base.py``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from longcut.agent.planning.draft import LLMPlan, draft_to_plan
from longcut.agent.planning.edits import UpdateShotArgs
from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.planning.planner import PlanRequest
from longcut.agent.planning.vocabulary import vocabulary_for
from longcut.agent.service.models import JobRequest
from longcut.agent.state import Project
from longcut.agent.turn.session import Options, _planner
from longcut.errors import InputError
from longcut.limits import MAX_CLIP_SECONDS, MAX_VIDEO_SECONDS, NotOffered, offered
from longcut.models.backends.base import (
    ClipRequest,
    chunk_plan,
    derived_seed,
    latent_count,
    position_seed,
)
from longcut.tools.generate import GenerateClipArgs
from longcut.tools.review import ReviewArgs

from tests.fakes import WorldOracleModel


def test_limits_imports_no_torch():
    code = "import sys, longcut.limits; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_clip_is_capped_alike_everywhere_and_a_video_at_an_hour():
    over = MAX_CLIP_SECONDS + 1
    with pytest.raises(InputError, match="seconds must be in"):
        ClipRequest("a red ball", over)
    for model, args in (
        (GenerateClipArgs, {"prompt": "p", "out": "a.mp4"}),
        (ReviewArgs, {"file": "a.mp4", "prompt": "p"}),
        (UpdateShotArgs, {"shot": "s1"}),
    ):
        model(seconds=MAX_CLIP_SECONDS, **args)
        with pytest.raises(ValidationError):
            model(seconds=over, **args)
    JobRequest(request="a red ball", seconds=MAX_VIDEO_SECONDS)
    with pytest.raises(ValidationError):
        JobRequest(request="a red ball", seconds=MAX_VIDEO_SECONDS + 1)
    with pytest.raises(ValidationError):
        Project(name="p", request="r", seconds=MAX_VIDEO_SECONDS + 1)


def test_both_planners_seed_shot_i_the_same_way():
    seed = 5
    offline = OfflinePlanner(use_embeddings=False).plan(
        PlanRequest(
            "a red ball rolls right, then a blue star rises, then a green box bounces",
            12.0,
            vocabulary_for(WorldOracleModel().info),
            seed=seed,
        )
    )
    shot = {
        "intent": "x",
        "prompt": "a big red circle moves right slowly on a grass background",
        "seconds": 4.0,
        "refs": [],
        "continuous": False,
        "transition": "cut",
        "transition_seconds": 0.0,
        "caption": None,
    }
    draft = LLMPlan.model_validate(
        {
            "rewritten_request": "x",
            "seconds": 12.0,
            "title": None,
            "style": "",
            "references": [],
            "shots": [shot, shot, shot],
        }
    )
    openai = draft_to_plan(
        draft, PlanRequest("x", 12.0, vocabulary_for(WorldOracleModel().info), seed=seed)
    )
    expected = [derived_seed(seed, str(i)) for i in range(3)]
    assert [s.seed for s in offline.storyboard.shots] == expected
    assert [s.seed for s in openai.storyboard.shots] == expected


def test_seeds_and_chunk_plans_are_stable():
    # sha256("0:0")[:4], little-endian: the seeds of cached shots stay what they were
    assert derived_seed(0, "0") == 2318824108 % 2**31
    assert 0 <= position_seed(3, 17) < 2**63 and position_seed(3, 17) != position_seed(3, 18)
    assert latent_count(2.0, 8, 4, fresh=True) == 5 and latent_count(2.0, 8, 4, fresh=False) == 4
    assert chunk_plan(9, first=5, rest=4) == [5, 4]
    assert chunk_plan(10, first=5, rest=4) == [5, 4, 1]
    with pytest.raises(InputError):
        chunk_plan(3, first=0, rest=4)


def test_planner_and_model_choices_are_checked_by_one_rule():
    assert offered("planner", "offline", ("offline", "openai")) == "offline"
    with pytest.raises(
        NotOffered, match="planner 'nope' is not offered; allowed: offline, openai"
    ) as err:
        _planner(Options(planner="nope"))
    assert err.value.limit is None
    with pytest.raises(NotOffered) as err:
        offered("model", "wan-14b", ("tiny",), "models")
    assert err.value.limit == "models"
