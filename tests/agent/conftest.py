import pytest

from longcut.agent.planning.openai import OpenAIPlanner
from longcut.agent.store import ProjectStore
from longcut.agent.turn.session import Sessions

from tests.fake_openai import FakeOpenAI


@pytest.fixture
def sessions(tmp_path) -> Sessions:
    """Sessions in a fresh project store, with their own checkpoint database."""
    return Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")


@pytest.fixture
def server():
    """The scripted fake OpenAI-compatible server (modules with a ``server`` fixture of their own keep theirs)."""
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def planner(server):
    """An ``OpenAIPlanner`` against ``server`` (modules with a ``planner`` fixture of their own keep theirs)."""
    return OpenAIPlanner(server.base_url, "fake-model", api_key="test-key", timeout=5, max_retries=0)
