import pytest

from longcut.agent.store import ProjectStore
from longcut.agent.turn.session import Sessions


@pytest.fixture
def sessions(tmp_path) -> Sessions:
    """Sessions in a fresh project store, with their own checkpoint database."""
    return Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")
