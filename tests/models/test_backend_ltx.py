"""LTX-Video backend on tiny random weights: loaded from a folder by our own loading code, offline.

The tiny VAE compresses 4× in time and space (the real one 8× and 32×); the
folder's ``longcut.json`` makes frames 32×32 and windows 9 frames (3 latent
frames, 1 of them history).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from longcut.errors import LongcutError
from longcut.models.backends import registry
from longcut.models.backends.base import ClipRequest, History

from tests.models.diffusers_tiny import save_tiny_ltx, save_tiny_wan, tiny_weights


@pytest.fixture(scope="module", autouse=True)
def offline():
    """No hub, CPU, one torch thread (on a shared 2-core machine, 2 threads run ~10× slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("LONGCUT_DEVICE", "cpu")
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def ltx_dir(tmp_path_factory) -> Path:
    return tiny_weights(save_tiny_ltx, tmp_path_factory.mktemp("w") / "ltx")


@pytest.fixture(scope="module")
def ltx(ltx_dir):
    registry.forget_loaded_backends()
    return registry.load_backend("ltx", ltx_dir)


def test_text_to_video_and_forward_extension_pinned_to_history_latents(ltx, monkeypatch):
    info = ltx.info
    assert (info.name, info.fps, info.width, info.height, info.max_refs, info.chunk_frames) == ("ltx", 24, 32, 32, 1, 8)
    calls, run = [], ltx._run_window

    def spy(window, on_step):
        frames, latents = run(window, on_step)
        calls.append((window, latents))
        return frames, latents

    monkeypatch.setattr(ltx, "_run_window", spy)
    steps = []
    # 1 s × 24 fps = 24 frames → 1 + 6 latents → windows of 3, 2, 2 new latents
    chunks = list(ltx.generate(ClipRequest("a kite over a beach", 1.0, seed=2), on_step=lambda i, n: steps.append(i)))
    assert [c.frames.shape for c in chunks] == [(9, 32, 32, 3), (8, 32, 32, 3), (8, 32, 32, 3)]
    assert [c.start_frame for c in chunks] == [0, 9, 17] and steps == [1, 2] * 3
    hist = History.from_bytes(chunks[-1].history.to_bytes())
    assert hist.recent.shape == (1, 8, 1, 8, 8) and hist.extra["tail"].shape == (1, 32, 32, 3)
    for window, latents in calls[1:]:
        # conditioned at frame 0 by the tail's pixels, but the output starts with the exact history latents
        assert window.cond_frames.shape == (1, 32, 32, 3) and torch.equal(latents[:, :, :1], window.prefix.float())
    more = list(ltx.generate(ClipRequest("a kite over a beach", 0.5, seed=2), hist))
    assert [c.frames.shape[0] for c in more] == [8, 4] and more[0].start_frame == 25  # 12 frames → 2 + 1 latents
    assert more[-1].history.frames_done == 37


def test_a_reference_is_the_first_frame_condition(ltx):
    ref = np.zeros((40, 40, 3), np.uint8)
    ref[:, :20] = 255
    chunk = next(ltx.generate(ClipRequest("a flag", 0.25, seed=0, references=(ref,))))
    assert chunk.frames.shape == (9, 32, 32, 3)
    assert ltx.generate_image("a flag", seed=0).shape == (32, 32, 3)


def test_wrong_folder_is_refused(ltx_dir, tmp_path):
    registry.forget_loaded_backends()
    wan = save_tiny_wan(tmp_path / "wan")
    with pytest.raises(LongcutError, match="holds a 'WanPipeline'; ltx needs one of LTXPipeline"):
        registry.load_backend("ltx", wan)
    with pytest.raises(LongcutError, match=r"does not exist.*Lightricks/LTX-Video"):
        registry.load_backend("ltx", tmp_path / "nowhere")
    registry.forget_loaded_backends()


def test_cli_and_agent_end_to_end(ltx_dir, ltx, tmp_path):
    from longcut.agent.cli.app import main
    from longcut.agent.planning.offline import OfflinePlanner
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.assemble import output_size
    from longcut.agent.turn.session import Options, Sessions
    from longcut.tools.media import probe, read_frames

    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    common = ("--model", "ltx", "--weights", str(ltx_dir))
    for args in (("generate", "a kite", "--seconds", "1", "-o", str(a), *common),
                 ("generate", "a kite", "--seconds", "1", "--extend", str(a), "-o", str(b), *common)):
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        assert exit_info.value.code in (0, None)
    assert len(list(read_frames(a))) == 25 and len(list(read_frames(b))) == 24  # 3 windows each
    sessions = Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")
    res = sessions.make("a 1-second video: a blue square moves left", name="sq",
                        opts=Options(video_model=ltx, planner_impl=OfflinePlanner(use_embeddings=False), max_tries=1, candidates=1))
    info = probe(res.render)
    assert info.duration == pytest.approx(1.0, abs=1 / 24 + 1e-6)
    assert (info.width, info.height) == output_size(32, 32) and info.fps == 24
    registry.forget_loaded_backends()
