"""``RetryPolicy``: how a shot that fails its review is tried again, and ``try_plan``, which tries extend and which start fresh."""

from __future__ import annotations

from dataclasses import dataclass

from longcut.agent.state import Shot, ShotVersion
from longcut.errors import InputError

DEFAULT_MAX_TRIES = 3
DEFAULT_REWRITE_AFTER = 2  # failed tries after which the planner rewrites the prompt


@dataclass(frozen=True)
class RetryPolicy:
    """How a shot that fails its review is tried again.

    ``max_tries`` tries with new seeds; once ``rewrite_after`` of them have
    failed the planner rewrites the prompt for the rest (0: never); with
    ``cut_fallback`` a continuous shot whose extensions all failed gets one
    more, fresh, try (``try_plan``).
    """

    max_tries: int = DEFAULT_MAX_TRIES
    rewrite_after: int = DEFAULT_REWRITE_AFTER
    cut_fallback: bool = True

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            raise InputError(f"max_tries must be at least 1, got {self.max_tries!r}")
        if self.rewrite_after < 0:
            raise InputError(f"rewrite_after must be 0 (never) or more, got {self.rewrite_after!r}")

    def rewrites_at(self, attempt: int) -> bool:
        """Whether try ``attempt`` (from 1) is the one that first uses a rewritten prompt."""
        return self.rewrite_after > 0 and attempt == self.rewrite_after + 1

    def tries(self, shot: Shot, prev: ShotVersion | None) -> list[bool]:
        """Per try of ``shot``, whether it extends ``prev`` (see ``try_plan``)."""
        return try_plan(shot, prev, self.max_tries, self.cut_fallback)


def try_plan(shot: Shot, prev: ShotVersion | None, max_tries: int, cut_fallback: bool) -> list[bool]:
    """Per try of ``shot``, in order, whether it extends the previous shot's take (False: starts fresh).

    A continuous shot extends its predecessor on each of its ``max_tries``
    tries; with ``cut_fallback`` one more, fresh, try follows (a cut), reached
    only when every extension failed: a fresh opening is what no retry of the
    extension can give. The tiny model renders an object that enters a shot
    half-way through wrapping round the frame badly (it stalls at the edge,
    splits, turns into another shape), and the previous shot's ending decides
    where the object is. The delivered take is still the best of all tries
    (``take_rank``), so an extension nearer to passing than the cut is kept.
    """
    if not shot.continuous or prev is None:
        return [False] * max_tries
    return [True] * max_tries + ([False] if cut_fallback else [])
