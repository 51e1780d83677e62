"""Which judge reviews a turn's takes (``--judge``): the backend's evaluator, a vision-language model, or neither.

The turn resolves its ``JudgeConfig`` once, when its runtime is built
(``turn_judge``), so a judge that cannot work (``evaluator`` on a backend
without one, ``vlm`` with no endpoint) is refused before anything is saved.
One ``VisionJudge`` serves every chain of the turn in its process, so its cap
on calls holds per request there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from longcut.agent.costs.record import LLMUsage
from longcut.errors import InputError
from longcut.models.backends.base import ModelInfo
from longcut.tools.judge.config import JudgeConfig
from longcut.tools.judge.vision import Judged, VisionJudge
from longcut.tools.paths import ProjectFolder
from longcut.tools.review import Check, VisionCheck, vision_check


def turn_judge(config: JudgeConfig, info: ModelInfo) -> tuple[str, VisionJudge | None]:
    """The mode ``config`` means for this backend, and the vision judge it needs (``InputError`` if it cannot)."""
    mode = config.resolved_mode(info.reader is not None)
    if mode == "evaluator" and info.reader is None:
        raise InputError(f"the {info.name} backend has no evaluator to judge its shots; use --judge vlm "
                         "(a vision-language model) or --judge none")
    return mode, (VisionJudge(config) if mode == "vlm" else None)


@dataclass
class TakeJudging:
    """The vision judge's part in one take's review, and what it spent (for the take's ``TakeCost``)."""

    judge: VisionJudge | None
    prompt: str
    refs: dict[str, Image.Image] = field(default_factory=dict)
    judged: list[Judged] = field(default_factory=list)

    @property
    def check(self) -> VisionCheck | None:
        """The review's vision check (None: no vision judge this turn)."""
        if self.judge is None:
            return None

        def check(frames: np.ndarray, fps: float) -> Check:
            judged = self.judge.judge(frames, fps, self.prompt, self.refs)
            self.judged.append(judged)
            return vision_check(judged)

        return check

    @property
    def usage(self) -> LLMUsage:
        """The judge's calls and tokens on this take."""
        return LLMUsage(calls=sum(j.calls for j in self.judged),
                        prompt_tokens=sum(j.prompt_tokens for j in self.judged),
                        completion_tokens=sum(j.completion_tokens for j in self.judged))


def take_judging(judge: VisionJudge | None, prompt: str, folder: ProjectFolder,
                 refs: dict[str, str]) -> TakeJudging:
    """The judging of one take: ``refs`` (name -> image path in the project) shown with the frames."""
    images: dict[str, Image.Image] = {}
    if judge is not None:
        for name, rel in refs.items():
            with Image.open(folder.resolve(rel)) as image:
                images[name] = image.convert("RGB")
    return TakeJudging(judge, prompt, images)
