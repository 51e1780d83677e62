import numpy as np
import pytest

from longcut.models.backends.base import ClipRequest
from longcut.models.world.capabilities import WORLD_READER
from longcut.tools.generate import GenerateClipArgs, generate_clip
from longcut.tools.media import VideoWriter, read_frames
from longcut.tools.paths import ProjectFolder
from longcut.tools.review import ReviewArgs, opening_judge, review_clip

from tests.fakes import WorldOracleModel

PROMPT = "a big red circle moves right slowly on a grass background"
EXPECT = WORLD_READER.expect(PROMPT)  # what the oracle's evaluator reads PROMPT as


@pytest.fixture
def project(project_dir) -> ProjectFolder:
    return ProjectFolder(project_dir)


def make(project, prompt=PROMPT, seconds=4.0, model=None, out="a.mp4"):
    model = model or WorldOracleModel()
    generate_clip(GenerateClipArgs(prompt=prompt, seconds=seconds, seed=3, out=out), project, model)
    return ReviewArgs(file=out, prompt=PROMPT, seconds=seconds, chunk_frames=16)


def test_a_faithful_shot_passes_every_check(project):
    report = review_clip(make(project), project, EXPECT)
    assert report.passed, report.problems()
    assert {c.name for c in report.checks} >= {"duration", "black", "frozen", "seams", "evaluator_start"}


def test_wrong_colour_is_caught_by_the_evaluator(project):
    args = make(project, model=WorldOracleModel(fail_prompts={PROMPT}))
    report = review_clip(args, project, EXPECT)
    assert not report.passed and "colour" in report.problems()


def test_the_opening_judge_scores_what_the_evaluator_reads():
    assert opening_judge(WORLD_READER.expect("a cinematic drone shot over mountains")) is None  # free text: nothing to read
    judge = opening_judge(EXPECT)
    request = ClipRequest(PROMPT, 2.0, seed=3)
    right = next(iter(WorldOracleModel().generate(request))).frames  # the opening chunk: 16 frames
    wrong = next(iter(WorldOracleModel(fail_prompts={PROMPT}).generate(request))).frames
    assert judge(right) == 1.0 and 0.5 < judge(wrong) < 1.0  # one gated attribute of four is wrong


def test_wrong_duration_and_black_and_frozen(project):
    with VideoWriter(project.root / "black.mp4", fps=8, size=(64, 64)) as w:
        for _ in range(16):
            w.write(np.zeros((64, 64, 3), np.uint8))
    report = review_clip(ReviewArgs(file="black.mp4", prompt="a dark room", seconds=4.0), project)
    failed = {c.name for c in report.checks if not c.passed}
    assert failed == {"duration", "black", "frozen"}


def _spliced(project, name: str, at: int) -> None:
    """A faithful 4 s clip whose picture jumps 20 px sideways from frame ``at`` on: a seam there."""
    make(project, seconds=4.0)
    a = list(read_frames(project.root / "a.mp4"))
    with VideoWriter(project.root / name, fps=8, size=(64, 64)) as w:
        for f in a[:at] + [np.roll(f, 20, axis=1) for f in a[at:]]:
            w.write(f)


def test_a_seam_is_caught(project):
    _spliced(project, "seam.mp4", at=16)
    report = review_clip(ReviewArgs(file="seam.mp4", prompt=PROMPT, seconds=4.0, chunk_frames=16), project, EXPECT)
    seams = next(c for c in report.checks if c.name == "seams")
    assert not seams.passed


def test_the_seam_check_looks_where_the_chunks_really_meet(project):
    """A backend whose opening chunk is one frame longer (tiny: frame 0 + 4 latents = 17 frames)."""
    _spliced(project, "seam17.mp4", at=17)
    exact = review_clip(ReviewArgs(file="seam17.mp4", prompt=PROMPT, seconds=4.0, chunk_frames=16, chunk_starts=[17]),
                        project, EXPECT)
    assert not next(c for c in exact.checks if c.name == "seams").passed
    stride = review_clip(ReviewArgs(file="seam17.mp4", prompt=PROMPT, seconds=4.0, chunk_frames=16), project, EXPECT)
    assert next(c for c in stride.checks if c.name == "seams").passed  # one frame early: the splice goes unseen


def test_generate_clip_reports_where_each_chunk_begins(project):
    result = generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=5.0, seed=3, out="b.mp4"), project,
                           WorldOracleModel(chunk_frames=16))
    assert result.chunks == 3 and result.chunk_starts == [16, 32]


def _stepping_clip(project, name: str, extra_at_chunks: float) -> tuple[list[int], list[int]]:
    """A 49-frame clip like tiny's: frame 0, then 4-frame latents, 16-frame chunks after a 17-frame opening.

    The picture steps by 6 grey levels at every latent boundary (a judder the
    decoder adds everywhere) and by ``extra_at_chunks`` more where chunks meet.
    """
    level, levels = 40.0, []
    for i in range(49):
        if i >= 1:
            level += 6.0 if (i - 1) % 4 == 0 else 1.0
        if i in (17, 33):
            level += extra_at_chunks
        levels.append(level)
    with VideoWriter(project.root / name, fps=8, size=(64, 64)) as w:
        for v in levels:
            w.write(np.full((64, 64, 3), v, np.uint8))
    return [17, 33], list(range(1, 49, 4))


def test_the_seam_check_forgives_the_step_every_latent_has(project):
    chunks, latents = _stepping_clip(project, "judder.mp4", extra_at_chunks=0.0)
    plain = review_clip(ReviewArgs(file="judder.mp4", prompt="grey light", seconds=6.0, chunk_starts=chunks), project)
    fair = review_clip(ReviewArgs(file="judder.mp4", prompt="grey light", seconds=6.0, chunk_starts=chunks,
                                  latent_starts=latents), project)
    assert not next(c for c in plain.checks if c.name == "seams").passed  # the decoder's step reads as a seam
    seam = next(c for c in fair.checks if c.name == "seams")
    assert seam.passed and "latent step" in seam.detail
    chunks, latents = _stepping_clip(project, "seam.mp4", extra_at_chunks=12.0)
    jumped = review_clip(ReviewArgs(file="seam.mp4", prompt="grey light", seconds=6.0, chunk_starts=chunks,
                                    latent_starts=latents), project)
    assert not next(c for c in jumped.checks if c.name == "seams").passed  # extension's own jump still fails


def test_latent_starts_follow_the_backends_layout():
    import torch

    from longcut.models.backends.base import Chunk
    from longcut.tools.generate import chunk_latent_starts

    def chunk(frames: int, latents: int) -> Chunk:
        return Chunk(0, 0, np.zeros((frames, 64, 64, 3), np.uint8), torch.zeros(1, 4, latents, 8, 8), None)

    assert chunk_latent_starts(chunk(17, 5), 4) == [0, 1, 5, 9, 13]  # an opening: the lone frame 0 first
    assert chunk_latent_starts(chunk(16, 4), 4) == [0, 4, 8, 12]  # a continuation
    assert chunk_latent_starts(chunk(15, 4), 4) == []  # fits neither: no guess
    assert chunk_latent_starts(chunk(16, 4), 0) == []  # the backend does not say
