"""Which judge reviews a turn's shots, and the bounds on a vision-language one: pure data (a chain task carries it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

JudgeMode = Literal["none", "evaluator", "vlm"]
JUDGE_MODES: tuple[str, ...] = ("none", "evaluator", "vlm")
JUDGE_API_KEY_ENV = ("LONGCUT_JUDGE_API_KEY", "LONGCUT_OPENAI_API_KEY", "OPENAI_API_KEY")
JUDGE_BASE_URL_ENV = "LONGCUT_JUDGE_BASE_URL"
DEFAULT_JUDGE_MODEL = "gpt-4o-mini"
DEFAULT_FRAME_SIZE = 256  # px of the longer side of each frame in the contact sheet
DEFAULT_FRAMES = 6
DEFAULT_MAX_CALLS = 60  # judge calls per request (every try of every shot counts)
DEFAULT_REPAIR_ROUNDS = 2  # malformed replies sent back before the verdict is "unsure"


class JudgeConfig(BaseModel):
    """How shots are judged: ``none`` (only the checks any backend has), the backend's ``evaluator``, or a ``vlm``.

    ``mode=None`` picks the default for the backend: its evaluator when it
    has one, else none (a vision-language judge is used only when asked, as
    it calls an endpoint and costs tokens).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: JudgeMode | None = None
    model: str = Field(DEFAULT_JUDGE_MODEL, min_length=1, max_length=200)
    base_url: str | None = Field(None, max_length=2000)  # None: $LONGCUT_JUDGE_BASE_URL, else api.openai.com
    frame_size: int = Field(DEFAULT_FRAME_SIZE, ge=32, le=1024)
    frames: int = Field(DEFAULT_FRAMES, ge=2, le=16)
    max_calls: int = Field(DEFAULT_MAX_CALLS, ge=0, le=10_000)
    repair_rounds: int = Field(DEFAULT_REPAIR_ROUNDS, ge=0, le=5)
    timeout: float = Field(60.0, gt=0, le=600)

    def resolved_mode(self, has_evaluator: bool) -> str:
        """The mode this config means for a backend that has (or lacks) an evaluator."""
        if self.mode is not None:
            return self.mode
        return "evaluator" if has_evaluator else "none"
