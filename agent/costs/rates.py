"""A backend's cost rates: what one chunk, one try, one rendered second and one plan cost on this machine.

``prior_rates`` gives them before anything was measured, from what the
backend says of itself (``ModelInfo.wall_per_video_second``: the tiny
model's bench figure, the diffusers backends' published ones, docs/gpu.md)
and the planner; ``calibrate.calibrated_rates`` replaces each figure with the
one measured in the store's own records once there are some.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from longcut.models.backends.base import ModelInfo

# Before any render was measured: ffmpeg concat with a re-encode, 10 clips × 3 s at 640×360 on 2 cores,
# took 2.0 s (FACTS.md, ffmpeg speed): 0.067 s of render per second of video.
PRIOR_RENDER_PER_SECOND = 2.0 / 30.0
# Before any LLM plan was measured: one structured-output call whose prompt carries the vocabulary guide
# (prompts/plan_system.txt with the closed grammar: ~3,000 tokens) and a storyboard back (~800).
PRIOR_LLM_PLAN = (1.0, 3000.0, 800.0)
PRIOR_LLM_REVISE = (3.0, 9000.0, 600.0)  # a revision's tool-calling rounds
# Before any take was measured, a backend's own speed figure was measured on another machine: ±50%.
PRIOR_TAKE_SD = 0.5


class LLMRate(BaseModel):
    """Expected LLM use of one planner step (a plan, or a revision)."""

    calls: float = Field(0.0, ge=0.0)
    prompt_tokens: float = Field(0.0, ge=0.0)
    completion_tokens: float = Field(0.0, ge=0.0)
    measured: int = 0  # planner steps the figures come from (0: the prior)


class Rates(BaseModel):
    """What work costs with one backend and planner; each figure says how many records it comes from."""

    backend: str
    chunk_seconds: float | None = Field(None, ge=0.0)  # wall seconds of one chunk of a take (None: unknown)
    take_seconds: float = Field(0.0, ge=0.0)  # wall seconds every take costs whatever its length (review, files)
    search_chunks: float = Field(0.0, ge=0.0)  # chunks of dropped opening candidates per take
    tries_per_shot: float = Field(1.0, ge=1.0)  # takes per generated shot (retries of failed reviews)
    tries_sd: float = Field(0.0, ge=0.0)  # their spread from shot to shot (standard deviation)
    take_sd: float = Field(0.0, ge=0.0)  # a take's relative error about the fitted line (machine load, content)
    render_per_second: float = Field(PRIOR_RENDER_PER_SECOND, ge=0.0)  # render wall seconds per video second
    turn_seconds: float = Field(0.0, ge=0.0)  # the rest of a turn: loading, planning, references, the graph
    cold_seconds: float = Field(0.0, ge=0.0)  # what a backend's first take in a process costs on top (lazy loads)
    plan: LLMRate = Field(default_factory=LLMRate)
    revise: LLMRate = Field(default_factory=LLMRate)
    measured_takes: int = 0  # records behind chunk_seconds, take_seconds, search_chunks, tries_per_shot
    measured_turns: int = 0  # records behind render_per_second and turn_seconds

    @property
    def calibrated(self) -> bool:
        """Whether the take figures come from this machine's records."""
        return self.measured_takes > 0


def chunks_of(seconds: float, info: ModelInfo) -> int:
    """Chunks a backend generates for ``seconds`` of video (its chunk size, the last one short)."""
    return max(1, math.ceil(round(seconds * info.fps) / max(1, info.chunk_frames)))


def opening_chunks(search_seconds: float, info: ModelInfo) -> int:
    """Chunks of one opening candidate: as many as hold ``search_seconds`` (at least one)."""
    return max(1, math.ceil(max(1, round(search_seconds * info.fps)) / max(1, info.chunk_frames)))


def prior_rates(info: ModelInfo, planner: str, candidates: int, search_seconds: float) -> Rates:
    """Rates before anything is measured, from the backend's own speed figure and the planner.

    The opening search is assumed to try every candidate (it stops early when
    one reads as asked, which only records can tell).
    """
    chunk = None if info.wall_per_video_second is None else (
        info.wall_per_video_second * info.chunk_frames / max(1, info.fps))
    searching = candidates > 1 and info.reader is not None
    llm = planner != "offline"
    return Rates(
        backend=info.name, chunk_seconds=chunk, take_sd=PRIOR_TAKE_SD,
        search_chunks=(candidates - 1) * opening_chunks(search_seconds, info) if searching else 0.0,
        plan=LLMRate(**dict(zip(("calls", "prompt_tokens", "completion_tokens"), PRIOR_LLM_PLAN, strict=True)))
        if llm else LLMRate(),
        revise=LLMRate(**dict(zip(("calls", "prompt_tokens", "completion_tokens"), PRIOR_LLM_REVISE, strict=True)))
        if llm else LLMRate())
