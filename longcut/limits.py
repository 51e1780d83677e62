"""Every bound, default and choice that more than one layer checks, in one place.

The client, the agent, the tools and the models all import these, so this
module imports nothing heavy (no torch): a change here changes the CLI, the job
API's schema, the storyboard's validation and the backends' input checks
together.

Lengths: a *video* (a project, a job) lasts 1 s to an hour; one *clip* (a
storyboard shot, one generated clip, one review) at most ten minutes. The
planners split shots far shorter than that (``PLAN_SHOT_SECONDS``) for finer
resume points; the clip bound is what a hand edit or a direct tool call may
ask for. A server may cap jobs lower (``longcut serve --max-seconds``).
"""

from __future__ import annotations

from collections.abc import Sequence

from longcut.errors import InputError

MIN_VIDEO_SECONDS = 1.0  # the shortest video a request may ask for
MAX_VIDEO_SECONDS = 3600.0  # one video: a project, a job request
MAX_CLIP_SECONDS = 600.0  # one shot, one generated clip, one reviewed take
# planners split longer shots into continuous parts (finer resume points, bounded review cost)
PLAN_SHOT_SECONDS = 60.0
DEFAULT_SECONDS = 20.0  # a video whose request names no length

# reference images of a project, of a shot, of one generation (also the DiT's reference slots)
MAX_REFS = 7
MAX_PROMPT_CHARS = 2000  # a model prompt
# a request, feedback, a shot's intent, a title (the storyboard's short texts)
MAX_REQUEST_CHARS = 2000

SEED_LIMIT = 2**31  # seeds are integers in [0, SEED_LIMIT)

DEFAULT_MODEL = "tiny"  # the embedded backend: the CLI's and a server's default
PLANNERS = ("offline", "openai")
DEFAULT_PLANNER = "offline"


class NotOffered(InputError):
    """A name outside the choices offered; ``limit`` names the setting that lists them (the API reports it)."""

    def __init__(self, message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit


def offered(kind: str, name: str, choices: Sequence[str], limit: str | None = None) -> str:
    """``name`` when it is one of ``choices`` (a planner, a server's allowed models), else ``NotOffered``."""
    if name not in choices:
        raise NotOffered(
            f"{kind} {name[:64]!r} is not offered; allowed: {', '.join(choices)}", limit
        )
    return name
