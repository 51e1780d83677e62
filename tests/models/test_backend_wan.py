"""Wan2.1 backends on tiny random weights: loaded from a folder by our own loading code, offline.

The weights folder is written with ``save_pretrained`` (diffusers layout, as the
Wan-AI "-Diffusers" repos ship) plus a ``longcut.json`` that makes frames 32×32
and windows 9 frames (3 latent frames, 1 of them history), so a window is one
sub-second pipeline call on CPU.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from longcut.errors import InputError, LongcutError
from longcut.models.backends import registry
from longcut.models.backends.base import ClipRequest, History, VideoModel
from longcut.models.backends.diffusers.common import PinPrefix, plan_windows

from tests.models.diffusers_tiny import save_tiny_wan, save_tiny_wan_vace, tiny_weights


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
def t2v_dir(tmp_path_factory) -> Path:
    return tiny_weights(save_tiny_wan, tmp_path_factory.mktemp("w") / "wan-1.3b")


@pytest.fixture(scope="module")
def vace_dir(tmp_path_factory) -> Path:
    return tiny_weights(save_tiny_wan_vace, tmp_path_factory.mktemp("w") / "wan-vace-1.3b")


@pytest.fixture(scope="module")
def t2v(t2v_dir):
    registry.forget_loaded_backends()
    return registry.load_backend("wan-1.3b", t2v_dir)


@pytest.fixture(scope="module")
def vace(vace_dir):
    registry.forget_loaded_backends()
    return registry.load_backend("wan-vace-1.3b", vace_dir)


def spy_windows(model, monkeypatch) -> list:
    """Record (window, latents) of every pipeline call."""
    calls, run = [], model._run_window

    def spy(window, on_step):
        frames, latents = run(window, on_step)
        calls.append((window, latents))
        return frames, latents

    monkeypatch.setattr(model, "_run_window", spy)
    return calls


def test_loads_through_the_registry_with_native_fps_and_folder_settings(t2v, t2v_dir):
    assert isinstance(t2v, VideoModel)
    info = t2v.info
    assert (info.name, info.fps, info.width, info.height, info.max_refs) == ("wan-1.3b", 16, 32, 32, 0)
    assert info.chunk_frames == 8  # (3 − 1 history latents) × 4 frames
    assert len(info.weights_id) == 16 and info.weights_id == t2v.info.weights_id
    assert not t2v.pipe.transformer.training and not t2v.pipe.text_encoder.training
    # the cost model's prior: Wan-AI's published speed, scaled to the steps this folder runs
    assert info.wall_per_video_second == pytest.approx(48.0 * t2v.steps / 50)


def test_text_to_video_streams_windows_with_expected_frame_counts(t2v):
    steps = []
    chunks = list(t2v.generate(ClipRequest("a red ball rolls across a meadow", 1.5, seed=3),
                               on_step=lambda i, n: steps.append((i, n))))
    # 1.5 s × 16 fps = 24 frames → 1 + 6 latents → windows of 3, 2, 2 new latents → 9 + 8 + 8 frames
    assert [c.frames.shape for c in chunks] == [(9, 32, 32, 3), (8, 32, 32, 3), (8, 32, 32, 3)]
    assert [c.start_frame for c in chunks] == [0, 9, 17] and [c.index for c in chunks] == [0, 1, 2]
    assert [c.latents.shape[2] for c in chunks] == [3, 2, 2]
    assert all(c.frames.dtype == np.uint8 for c in chunks)
    assert steps == [(1, 2), (2, 2)] * 3  # progress through callback_on_step_end
    hist = chunks[-1].history
    assert hist.frames_done == 25 and hist.recent.shape == (1, 16, 1, 4, 4) and hist.extra == {}
    again = next(t2v.generate(ClipRequest("a red ball rolls across a meadow", 0.5, seed=3)))
    assert np.array_equal(again.frames, chunks[0].frames)  # seeded per window: same first window
    assert t2v.generate_image("a red ball", seed=1).shape == (32, 32, 3)


def test_extension_keeps_history_in_latent_space_and_bounded(t2v, monkeypatch):
    calls = spy_windows(t2v, monkeypatch)
    first = list(t2v.generate(ClipRequest("a boat on a lake", 0.5, seed=0)))  # one window, 9 frames
    hist = History.from_bytes(first[-1].history.to_bytes())  # as saved next to a clip
    more = list(t2v.generate(ClipRequest("a boat on a lake", 1.5, seed=0), hist))
    assert [c.frames.shape[0] for c in more] == [8, 8, 8] and more[0].start_frame == 9
    for window, latents in calls[1:]:
        # the window starts with exactly the previous window's newest latent: no decode → re-encode
        assert window.prefix.shape[2] == 1 and torch.equal(latents[:, :, :1], window.prefix.float())
        assert window.cond_frames is None  # plain T2V carries no pixels
    assert torch.equal(calls[1][0].prefix, first[-1].latents[:, :, -1:])
    assert torch.equal(more[0].history.anchor, first[0].latents[:, :, :1])  # the shot's anchor stays
    assert more[-1].history.recent.shape[2] == 1 and more[-1].history.frames_done == 33


def test_pin_prefix_noises_history_to_the_step_level():
    class Sched:
        sigmas = torch.tensor([1.0, 0.25, 0.0])

    class Pipe:
        scheduler = Sched()

    prefix, noise = torch.ones(1, 2, 1, 2, 2), torch.zeros(1, 2, 1, 2, 2)
    pin = PinPrefix(prefix, noise, True, lambda x: x, lambda _x, y: y, steps=2, on_step=None)
    out = pin(Pipe(), 0, None, {"latents": torch.full((1, 2, 3, 2, 2), 5.0)})["latents"]
    assert torch.allclose(out[:, :, :1], torch.full_like(prefix, 0.75)) and (out[:, :, 1:] == 5).all()
    assert pin.final is None
    out = pin(Pipe(), 1, None, {"latents": out})["latents"]
    assert torch.equal(out[:, :, :1], prefix) and torch.equal(pin.final, out)


def test_plan_windows():
    assert plan_windows(7, 3, 1, fresh=True) == [3, 2, 2]
    assert plan_windows(4, 3, 1, fresh=False) == [2, 2]
    assert plan_windows(21, 21, 4, fresh=True) == [21]
    with pytest.raises(InputError, match="no room"):
        plan_windows(5, 2, 2, fresh=True)


def test_vace_references_and_pixel_conditioned_extension(vace, monkeypatch):
    assert vace.info.max_refs == 3 and vace.info.name == "wan-vace-1.3b"
    calls = spy_windows(vace, monkeypatch)
    refs = (np.full((40, 60, 3), 200, np.uint8), np.zeros((24, 24, 3), np.uint8))
    chunks = list(vace.generate(ClipRequest("a dog runs", 1.5, seed=1, references=refs)))
    assert [c.frames.shape for c in chunks] == [(9, 32, 32, 3), (8, 32, 32, 3), (8, 32, 32, 3)]
    tail = chunks[-1].history.extra["tail"]
    assert tail.shape == (1, 32, 32, 3) and tail.dtype == torch.uint8  # fixed: 1 + 4·(keep − 1) frames
    assert np.array_equal(tail.numpy()[0], chunks[-1].frames[-1])
    for window, latents in calls[1:]:
        assert window.cond_frames.shape == (1, 32, 32, 3) and torch.equal(latents[:, :, :1], window.prefix.float())
    assert vace.generate_image("a dog", seed=0, references=refs[:1]).shape == (32, 32, 3)
    with pytest.raises(InputError, match="at most 3"):
        list(vace.generate(ClipRequest("a dog", 0.5, references=refs * 2)))


def test_history_from_another_model_or_size_is_refused(t2v, vace):
    foreign = History(torch.zeros(1, 4, 1, 8, 8), torch.zeros(1, 4, 2, 8, 8), 9, keep=2)
    with pytest.raises(InputError, match="history does not fit wan-1.3b"):
        t2v.generate(ClipRequest("x", 1.0), foreign)
    no_pixels = list(t2v.generate(ClipRequest("x", 0.5)))[-1].history
    with pytest.raises(InputError, match="has none"):
        vace.generate(ClipRequest("x", 1.0), no_pixels)


def test_missing_incomplete_or_wrong_weights_say_what_to_fetch(tmp_path, t2v_dir, vace_dir):
    registry.forget_loaded_backends()
    with pytest.raises(LongcutError, match=r"does not exist.*Wan-AI/Wan2.1-T2V-1.3B-Diffusers"):
        registry.load_backend("wan-1.3b", tmp_path / "nowhere")
    partial = tmp_path / "partial"
    shutil.copytree(t2v_dir, partial)
    (partial / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    shutil.rmtree(partial / "tokenizer")
    with pytest.raises(LongcutError, match=r"incomplete: missing transformer/\*\.safetensors, "
                                           r"tokenizer/tokenizer_config.json.*huggingface-cli download"):
        registry.load_backend("wan-1.3b", partial)
    with pytest.raises(LongcutError, match="holds a 'WanVACEPipeline'; wan-1.3b needs one of WanPipeline"):
        registry.load_backend("wan-1.3b", vace_dir)
    bad = tmp_path / "bad"
    shutil.copytree(t2v_dir, bad)
    (bad / "longcut.json").write_text(json.dumps({"width": 30}))
    with pytest.raises(InputError, match="width must be a positive multiple of 16, got 30"):
        registry.load_backend("wan-1.3b", bad)
    (bad / "longcut.json").write_text(json.dumps({"fps": 30}))
    with pytest.raises(LongcutError, match="unknown setting 'fps'"):
        registry.load_backend("wan-1.3b", bad)
    registry.forget_loaded_backends()


def test_default_weights_folder_is_under_longcut_home(tmp_path, monkeypatch, t2v_dir):
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path))
    registry.forget_loaded_backends()
    with pytest.raises(LongcutError, match=str(tmp_path / "weights" / "wan-14b")):
        registry.load_backend("wan-14b")
    shutil.copytree(t2v_dir, tmp_path / "weights" / "wan-1.3b")
    assert registry.load_backend("wan-1.3b").info.width == 32
    from longcut.models.backends.diffusers.common import doctor_check

    name, ok, detail = doctor_check()
    assert ok and "can load: wan-1.3b" in detail and "device cpu" in detail and "no weights for wan-14b" in detail
    registry.forget_loaded_backends()


# -- end to end: `longcut generate` and the agent --------------------------------------------------


def _cli(*args) -> int | None:
    from longcut.agent.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def test_cli_generate_text_references_and_three_window_extension(t2v_dir, vace_dir, tmp_path):
    from PIL import Image

    from longcut.tools.media import probe, read_frames

    registry.forget_loaded_backends()
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"
    common = ("--model", "wan-1.3b", "--weights", str(t2v_dir))
    assert _cli("generate", "a red ball rolls", "--seconds", "1.5", "-o", str(a), *common) in (0, None)
    assert _cli("generate", "a red ball rolls", "--seconds", "1.5", "--extend", str(a), "-o", str(b), *common) in (0, None)
    assert len(list(read_frames(a))) == 25 and len(list(read_frames(b))) == 24  # 3 windows each
    assert History.load(Path(str(b) + ".history.safetensors")).frames_done == 49
    info = probe(b)
    assert (info.width, info.height, info.fps) == (32, 32, 16)
    ref = tmp_path / "ref.png"
    Image.fromarray(np.full((48, 48, 3), 180, np.uint8)).save(ref)
    assert _cli("generate", "a dog", "--seconds", "1", "--ref", str(ref), "-o", str(c), "--model", "wan-vace-1.3b",
                "--weights", str(vace_dir)) in (0, None)
    assert len(list(read_frames(c))) == 17
    assert _cli("generate", "a dog", "--ref", str(ref), "-o", str(tmp_path / "d.mp4"), *common) == 2  # T2V: no refs
    registry.forget_loaded_backends()


def test_through_the_agent_with_a_reference(vace, tmp_path, monkeypatch):
    from PIL import Image

    from longcut.agent.planning.offline import OfflinePlanner
    from longcut.agent.store import ProjectStore
    from longcut.agent.turn.assemble import output_size
    from longcut.agent.turn.session import Options, Sessions
    from longcut.tools.media import probe

    calls = spy_windows(vace, monkeypatch)
    hero = tmp_path / "hero.png"
    Image.fromarray(np.full((48, 48, 3), 200, np.uint8)).save(hero)
    sessions = Sessions(ProjectStore(tmp_path / "projects"), checkpoints=tmp_path / "ck.sqlite")
    opts = Options(video_model=vace, planner_impl=OfflinePlanner(use_embeddings=False), max_tries=1, candidates=1)
    res = sessions.make("a 2-second video: the hero ball bounces on grass", name="ball", refs={"hero": hero}, opts=opts)
    info = probe(res.render)
    assert info.duration == pytest.approx(2.0, abs=1 / 16 + 1e-6)
    assert (info.width, info.height) == output_size(32, 32) and info.fps == 16
    assert res.revision.regenerated == ["s1"] and res.project.pending is None
    assert [len(w.references) for w, _ in calls] == [1, 1, 1, 1]  # 33 frames = 4 windows, each with the reference


def test_runtime_options_are_validated_and_read_from_the_environment(monkeypatch, t2v_dir):
    from longcut.models.backends.diffusers.runtime import RuntimeOptions
    from longcut.models.backends.diffusers.wan import WanVideoModel

    with pytest.raises(InputError, match="dtype must be one of float32, bfloat16, float16, got 'int8'"):
        RuntimeOptions(dtype="int8")
    with pytest.raises(InputError, match="offload must be one of"):
        RuntimeOptions(offload="disk")
    monkeypatch.setenv("LONGCUT_OFFLOAD", "model")
    monkeypatch.setenv("LONGCUT_VAE_TILING", "1")
    opts = RuntimeOptions.from_env()
    assert opts.offload == "model" and opts.vae_tiling is True and opts.resolved_device() == "cpu"
    assert opts.resolved_dtype() == torch.float32  # CPU default
    with pytest.raises(InputError, match="offload 'model' needs a CUDA device"):
        WanVideoModel(t2v_dir, "wan-1.3b", runtime=opts)
