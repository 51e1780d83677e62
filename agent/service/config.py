"""``ServerConfig``: what the operator allows and how the queue behaves (``longcut serve`` flags).

It travels to worker processes as a dict (``to_dict``/``from_dict``), so it
holds only plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longcut.limits import DEFAULT_MODEL, DEFAULT_PLANNER, MAX_REFS
from longcut.tools.judge.config import DEFAULT_JUDGE_MODEL, DEFAULT_MAX_CALLS


@dataclass
class ServerConfig:
    """What the operator allows and how the queue behaves (``longcut serve`` flags)."""

    home: Path
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    planners: tuple[str, ...] = (DEFAULT_PLANNER,)
    max_seconds: float = 600.0
    max_references: int = MAX_REFS
    max_active_jobs: int = 20  # queued + running, per token
    max_upload_bytes: int = 20 * 1024 * 1024
    max_uploads: int = 100  # stored uploads, per token
    max_image_pixels: int = 4096 * 4096
    lease_seconds: float = 30.0
    max_attempts: int = 3  # claims of one job (a worker that keeps dying fails it)
    cancel_grace: float = 10.0  # then the worker stops itself hard
    poll_seconds: float = 0.1  # how often an idle worker looks for a job
    retention_days: float = 0.0  # finished jobs older than this are deleted (0: kept forever)
    judge_base_url: str | None = None  # the vision-language judge's endpoint (clients choose only whether to use it)
    judge_model: str = DEFAULT_JUDGE_MODEL
    judge_max_calls: int = DEFAULT_MAX_CALLS  # per job
    executor: str = "inprocess"  # where the jobs' chains run: inprocess, or ray (docs/scale.md)
    ray_address: str | None = None  # the Ray cluster of executor ray (None: `auto`, the one on this machine)

    def judge_config(self, mode: str | None):
        """The ``JudgeConfig`` of a job that asked for ``mode``: the endpoint and bounds are the operator's."""
        from longcut.tools.judge.config import JudgeConfig

        return JudgeConfig(mode=mode, model=self.judge_model, base_url=self.judge_base_url,
                           max_calls=self.judge_max_calls)

    def offers_vision_judge(self) -> bool:
        """Whether the operator gave the vision judge an endpoint (a base URL, or an API key for api.openai.com)."""
        from longcut.tools.judge.vision import judge_endpoint

        return judge_endpoint(self.judge_config("vlm"))[1] is not None

    @property
    def db_path(self) -> Path:
        """The queue's SQLite file."""
        return Path(self.home) / "jobs.sqlite"

    def to_dict(self) -> dict[str, Any]:
        """Picklable form for worker processes."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServerConfig:
        """Inverse of ``to_dict``."""
        return cls(**{**d, "home": Path(d["home"]), "models": tuple(d["models"]), "planners": tuple(d["planners"])})
