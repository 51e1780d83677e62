"""Automatic checks of a generated shot: does it show what the prompt asked for.

Any backend: duration (to one frame), black frames, frozen video, seams at
chunk boundaries. When the backend has an evaluator (``ModelInfo.reader``)
that can read the prompt, it also reads colour, shape, motion and background
from the frames and compares them with the prompt (at the start of the shot,
and colour/shape again at the end of long shots, where drift would show).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from longcut.limits import MAX_CLIP_SECONDS
from longcut.models.backends.capabilities import Expectation, PromptReader
from longcut.tools.judge.vision import Judged
from longcut.tools.media import probe, read_frames
from longcut.tools.paths import ProjectFolder

log = logging.getLogger(__name__)

BLACK_LEVEL = 12.0  # mean pixel value below which a frame counts as black
MAX_BLACK_FRACTION = 0.25
FROZEN_DIFF = 0.05  # mean absolute difference between frames below which nothing moves
MAX_SEAM_RATIO = 2.0  # a gate, looser than the 1.3 bar the benchmark reports
ADHERENCE_SECONDS = 4.0  # window the evaluator reads at the start (and end) of a shot
GATED_ATTRIBUTES = ("background", "colour", "shape", "motion")
END_ATTRIBUTES = ("colour", "shape")


class ReviewArgs(BaseModel):
    """A shot to check."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="the shot's .mp4 inside the project")
    prompt: str = Field(max_length=2000)
    seconds: float = Field(gt=0, le=MAX_CLIP_SECONDS)
    chunk_frames: int | None = Field(None, ge=2, description="frames per generated chunk, for the seam check")
    chunk_starts: list[int] = Field(default_factory=list, max_length=100_000,
                                    description="frames where a new chunk begins (generate_clip's chunk_starts); "
                                                "exact where chunks differ in length, so preferred to chunk_frames")
    latent_starts: list[int] = Field(default_factory=list, max_length=100_000,
                                     description="frames where a latent frame begins (generate_clip's latent_starts): "
                                                 "the seam check then compares chunk boundaries with latent ones")
    expect_motion: bool = Field(True, description="false when the shot may legitimately be a still")


class Check(BaseModel):
    """One check's verdict."""

    name: str
    passed: bool
    detail: str = ""
    wrong: list[str] = Field(default_factory=list, description="attributes the evaluator read wrong")


class ReviewReport(BaseModel):
    """All checks of one shot."""

    checks: list[Check]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    def problems(self) -> str:
        """The failed checks, one phrase each."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.checks if not c.passed)


VisionCheck = Callable[[np.ndarray, float], "Check"]  # a shot's frames and fps -> the judge's check


def vision_check(judged: Judged) -> Check:
    """A vision-language verdict as a review check: only a settled fail fails the shot, unsure never does."""
    verdict = judged.verdict
    settled = verdict.settled()
    if settled == "fail":
        return Check(name="vision_judge", passed=False, detail=verdict.reasons(), wrong=verdict.absent)
    return Check(name="vision_judge", passed=True,
                 detail=("shows what was asked: " if settled == "pass" else "unsure: ") + verdict.summary)


def expectation_of(prompt: str, reader: PromptReader | None) -> Expectation | None:
    """What ``reader`` (a backend's evaluator, ``ModelInfo.reader``) expects of ``prompt``; None: nothing to read."""
    return None if reader is None else reader.expect(prompt)


def _adherence(frames: np.ndarray, expected: Expectation, keys: tuple[str, ...], where: str) -> Check:
    hits = expected.hits(frames)
    wrong = [k for k in keys if k in hits and not hits[k]]
    if wrong:
        return Check(name=f"evaluator_{where}", passed=False, wrong=wrong,
                     detail=f"{', '.join(wrong)} wrong; read {expected.describe(frames)}")
    return Check(name=f"evaluator_{where}", passed=True, detail="read as asked")


def opening_judge(expected: Expectation | None):
    """A judge for ``generate_clip``'s opening search, or None when there is nothing to read.

    Score in [0, 1], 1 = everything read as asked: each attribute the review
    gates on counts 1, each other one (count, size, pattern, …) a tenth.
    """
    if expected is None:
        return None

    def judge(frames: np.ndarray) -> float:
        hits = expected.hits(frames)
        weights = {k: 1.0 if k in GATED_ATTRIBUTES else 0.1 for k in hits}
        return sum(w * hits[k] for k, w in weights.items()) / max(sum(weights.values()), 1e-9)

    return judge


def review_clip(args: ReviewArgs, project: ProjectFolder, expected: Expectation | None = None,
                vision: VisionCheck | None = None) -> ReviewReport:
    """Check a generated shot; returns every check with its verdict (never raises on a bad shot).

    ``expected`` (``expectation_of`` the prompt) adds the evaluator's checks
    and says whether the shot must move; ``vision`` (a vision-language judge,
    ``tools.judge``) adds its verdict on the frames; without either only the
    checks that hold for any backend run.
    """
    from longcut.models.seams import seam_ratio, seam_ratio_at, seam_vs_latent_step

    path = project.resolve(args.file)
    info = probe(path)
    fps = info.fps or 8.0
    frames = np.stack(list(read_frames(path)))  # shots are short (≤ 60 s) and small; see max_shot_seconds
    checks = []
    expected_frames = round(args.seconds * fps)
    checks.append(Check(name="duration", passed=abs(len(frames) - expected_frames) <= 1,
                        detail=f"{len(frames)} frames, expected {expected_frames}"))
    means = frames.reshape(len(frames), -1).mean(axis=1)
    black = float((means < BLACK_LEVEL).mean())
    checks.append(Check(name="black", passed=black <= MAX_BLACK_FRACTION, detail=f"{black:.0%} black frames"))
    moving = expected.moving if expected is not None else args.expect_motion
    if moving and len(frames) > 1:
        diff = float(np.abs(np.diff(frames.astype(np.int16), axis=0)).mean())
        checks.append(Check(name="frozen", passed=diff > FROZEN_DIFF, detail=f"mean frame change {diff:.3f}"))
    starts = [s for s in args.chunk_starts if 0 < s < len(frames)]
    inner = set(s for s in args.latent_starts if 0 < s < len(frames)) - set(starts)
    ratio, what = None, "seam ratio"
    if starts and inner:  # only what extension adds: a retry cannot change the VAE's step at every latent
        ratio, what = seam_vs_latent_step(frames, starts, sorted(inner)), "seam vs latent step"
    elif starts and len(starts) < len(frames) - 1:
        ratio = seam_ratio_at(frames, starts)
    elif not args.chunk_starts and args.chunk_frames and len(frames) > args.chunk_frames:
        ratio = seam_ratio(frames, args.chunk_frames)
    if ratio is not None:
        checks.append(Check(name="seams", passed=ratio <= MAX_SEAM_RATIO, detail=f"{what} {ratio:.2f}"))
    if expected is not None:
        window = max(1, int(ADHERENCE_SECONDS * fps))
        checks.append(_adherence(frames[:window], expected, GATED_ATTRIBUTES, "start"))
        if len(frames) >= 3 * window:
            checks.append(_adherence(frames[-window:], expected, END_ATTRIBUTES, "end"))
    if vision is not None:
        checks.append(vision(frames, fps))
    report = ReviewReport(checks=checks)
    log.info("review %s: %s", path.name, "passed" if report.passed else report.problems())
    return report
