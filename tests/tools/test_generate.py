import numpy as np
import pytest
from PIL import Image

from longcut.errors import InputError
from longcut.models.backends.base import History, history_path_for
from longcut.tools.generate import (
    GenerateClipArgs,
    GenerateImageArgs,
    clip_is_complete,
    generate_clip,
    generate_image,
)
from longcut.tools.media import probe, read_frames
from longcut.tools.paths import ProjectFolder

from tests.fakes import WorldOracleModel

PROMPT = "a big red circle moves right slowly on a grass background"


@pytest.fixture
def project(project_dir) -> ProjectFolder:
    return ProjectFolder(project_dir)


def test_clip_streams_to_disk_with_history(project):
    model = WorldOracleModel()
    seen = []
    res = generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=5, seed=1, out="shots/a.mp4"), project, model,
                        on_progress=lambda d, t: seen.append((d, t)))
    assert res.frames == 40 and res.chunks == 3 and seen[-1] == (40, 40)
    video = project.root / "shots/a.mp4"
    assert clip_is_complete(video)
    assert probe(video).duration == pytest.approx(5.0, abs=1 / 8)
    assert History.load(history_path_for(video)).frames_done == 40


def test_continue_from_starts_where_the_clip_ended(project):
    model = WorldOracleModel()
    generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=2, out="a.mp4"), project, model)
    generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=2, out="b.mp4", continue_from="a.mp4"), project, model)
    whole = generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=4, out="c.mp4"), project, model)
    assert whole.frames == 32
    a = np.stack(list(read_frames(project.root / "a.mp4")))
    b = np.stack(list(read_frames(project.root / "b.mp4")))
    c = np.stack(list(read_frames(project.root / "c.mp4")))
    # b continues a: its first frame matches frame 16 of the one-pass clip, not frame 0
    assert np.abs(b[0].astype(int) - c[16].astype(int)).mean() < np.abs(b[0].astype(int) - c[0].astype(int)).mean()
    assert a.shape[0] == b.shape[0] == 16


def test_references_are_loaded_and_limited(project):
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(project.root / "ref.png")
    (project.root / "fake.png").write_bytes(b"not an image")
    model = WorldOracleModel()
    generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=1, refs=["ref.png"], out="r.mp4"), project, model)
    assert len(model.calls[-1].references) == 1
    with pytest.raises(InputError, match="not a readable PNG or JPEG"):
        generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=1, refs=["fake.png"], out="x.mp4"), project, model)
    with pytest.raises(InputError, match="outside the project"):
        generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=1, refs=["../../etc/passwd"], out="x.mp4"), project, model)


@pytest.mark.parametrize("kwargs, needle", [
    ({"out": "clip.avi"}, "must end in .mp4"),
    ({"out": "http://evil/x.mp4"}, "looks like a URL"),
    ({"continue_from": "nothing.mp4"}, "does not exist"),
])
def test_bad_requests(project, kwargs, needle):
    args = {"prompt": PROMPT, "seconds": 1, "out": "x.mp4"} | kwargs
    with pytest.raises(InputError, match=needle):
        generate_clip(GenerateClipArgs(**args), project, WorldOracleModel())
    assert not (project.root / "x.mp4").exists()


def test_continue_from_a_clip_without_history(project):
    generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=1, out="a.mp4"), project, WorldOracleModel())
    history_path_for(project.root / "a.mp4").unlink()
    with pytest.raises(InputError, match="no latent history"):
        generate_clip(GenerateClipArgs(prompt=PROMPT, seconds=1, out="b.mp4", continue_from="a.mp4"), project,
                      WorldOracleModel())


def test_generate_image_writes_png(project):
    path = generate_image(GenerateImageArgs(prompt=PROMPT, out="refs/hero.png"), project, WorldOracleModel())
    with Image.open(project.root / path) as im:
        assert im.size == (64, 64)
