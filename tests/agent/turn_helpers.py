"""What the turn tests share: the 12-second request and offline options over a test-double model."""

from longcut.agent.planning.offline import OfflinePlanner
from longcut.agent.turn.session import Options

REQUEST = "a 12-second video: a red ball crosses a meadow, night falls, then it bounces back home"


def opts(model, **kw) -> Options:
    """Options with the opening search off unless asked: most tests count whole generations."""
    return Options(video_model=model, **({"planner_impl": OfflinePlanner(use_embeddings=False), "candidates": 1} | kw))
