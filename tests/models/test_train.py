import json

import numpy as np
import pytest
import torch

from longcut.agent.cli.app import main
from longcut.errors import InputError
from longcut.models.train import clips as clips_mod
from longcut.models.train.clips import ClipCache, synthetic_clips
from longcut.models.train.common import cosine_lr, load_checkpoint, run_progress
from longcut.models.train.config import VAETrainConfig
from longcut.models.train.vae import train_vae, vae_loss
from longcut.models.vae import load_vae


def tiny_cfg(tmp_path, **kw) -> VAETrainConfig:
    base = dict(preset="vae-tiny", out=str(tmp_path / "run"), data="synthetic", steps=30, batch=4,
                clip_frames=5, lr=3e-3, warmup=5, eval_clips=2, eval_every=15, ckpt_every_s=0.0,
                threads=1)  # fmt: skip
    return VAETrainConfig(**{**base, **kw})


def test_schedule_warms_up_then_anneals_by_steps_or_time():
    assert cosine_lr(0, 1.0, 10, 0.0, 0.1) == pytest.approx(0.1)
    assert cosine_lr(10, 1.0, 10, 0.0, 0.1) == pytest.approx(1.0)
    assert cosine_lr(50, 1.0, 10, 1.0, 0.1) == pytest.approx(0.1)
    assert run_progress(55, 100, 10, 0.0, 0.0) == pytest.approx(0.5)
    # a time-limited run anneals by wall time when that runs out first
    assert run_progress(20, 100, 10, 30.0, 1.0) == pytest.approx(0.5)


def test_synthetic_clips_are_world_like_videos():
    x = synthetic_clips(3, 9, seed=1)
    assert x.shape == (3, 3, 9, 64, 64)
    assert -1 <= x.min() and x.max() <= 1
    assert torch.equal(x, synthetic_clips(3, 9, seed=1))
    assert (x[:, :, 1:] - x[:, :, :-1]).abs().sum() > 0  # things move


def test_micro_run_reduces_the_loss_and_writes_a_run_folder(tmp_path):
    losses = []
    train_vae(
        tiny_cfg(tmp_path), progress=False, on_step=lambda step, parts: losses.append(parts["l1"])
    )
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "psnr" in r] == [15, 30]
    assert load_checkpoint(run / "ckpt.pt")["step"] == 30
    assert load_vae(run / "best").cfg.name == "vae-tiny"


def test_resume_continues_exactly_where_a_killed_run_stopped(tmp_path):
    whole = train_vae(tiny_cfg(tmp_path / "a", steps=12), progress=False)

    def die_at_7(step, parts):
        if step == 7:
            raise KeyboardInterrupt  # a kill between the step and its checkpoint

    with pytest.raises(KeyboardInterrupt):
        train_vae(tiny_cfg(tmp_path / "b", steps=12), progress=False, on_step=die_at_7)
    assert load_checkpoint(tmp_path / "b" / "run" / "ckpt.pt")["step"] == 6
    resumed = train_vae(tiny_cfg(tmp_path / "b", steps=12), progress=False)
    for (name, a), (_, b) in zip(
        whole.state_dict().items(), resumed.state_dict().items(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), name


def test_clip_cache_renders_once_and_samples_windows(tmp_path, monkeypatch):
    calls = []

    def fake_render(seed, frames):
        calls.append(seed)
        return np.full((frames, 64, 64, 3), seed * 10, dtype=np.uint8)

    monkeypatch.setattr(clips_mod, "render_world_clip", fake_render)
    cache = ClipCache(tmp_path / "c.u8", n_clips=4, clip_frames=9)
    ClipCache(tmp_path / "c.u8", n_clips=4, clip_frames=9)  # second open: no re-render
    assert calls == [0, 1, 2, 3]
    x = cache.sample(3, 5, np.random.default_rng(0))
    assert x.shape == (3, 3, 5, 64, 64)
    assert set(np.round((x[:, 0, 0, 0, 0].numpy() + 1) * 127.5).astype(int)) <= {0, 10, 20, 30}


def test_cli_trains_resumes_and_validates(tmp_path):
    out = tmp_path / "cli"

    def args(steps):
        return ["train", "vae", "--out", str(out), "--preset", "vae-tiny", "--data", "synthetic",
                "--steps", str(steps), "--batch", "2", "--eval-every", "2", "--no-progress"]  # fmt: skip

    with pytest.raises(SystemExit) as done:
        main(args(2))
    assert done.value.code == 0
    assert load_checkpoint(out / "ckpt.pt")["step"] == 2
    with pytest.raises(SystemExit) as done:
        main(args(4))  # the same command with more steps extends the run
    assert load_checkpoint(out / "ckpt.pt")["step"] == 4
    with pytest.raises(SystemExit) as bad:
        main(["train", "vae", "--out", str(out), "--data", "pixels"])
    assert bad.value.code == 2
    with pytest.raises(InputError, match="unknown VAE preset"):
        train_vae(tiny_cfg(tmp_path, preset="vae-huge"), resume=False, progress=False)


def test_decoder_only_run_keeps_the_encoder_and_its_latents(tmp_path):
    first = tiny_cfg(tmp_path, steps=6, eval_every=6)
    train_vae(first, progress=False)
    init = tmp_path / "run" / "best"
    with pytest.raises(InputError, match="needs init"):
        train_vae(tiny_cfg(tmp_path, out=str(tmp_path / "bad"), freeze_encoder=True), progress=False)
    tuned = train_vae(
        tiny_cfg(tmp_path, out=str(tmp_path / "dec"), steps=6, eval_every=6, init=str(init),
                 freeze_encoder=True, mse_weight=10.0),
        progress=False,
    )  # fmt: skip
    before = load_vae(init)
    for (name, a), b in zip(before.state_dict().items(), tuned.state_dict().values(), strict=True):
        if name.startswith("encoder."):
            assert torch.equal(a, b), name
    assert any(not torch.equal(a, b) for a, b in zip(before.decoder.parameters(), tuned.decoder.parameters(), strict=True))


class _Replay(torch.nn.Module):
    """Stands in for a VAE: returns a fixed "reconstruction" and zero latent means."""

    def __init__(self, recon: torch.Tensor):
        super().__init__()
        self.recon = recon
        self.cfg = type("Cfg", (), {"latent_noise": 0.0})()

    def forward(self, video, noise=0.0):
        return self.recon, torch.zeros(1, 4, 1, 2, 2)


@pytest.mark.parametrize("term, least", [("temporal", 0.05), ("temporal_mse", 0.01)])  # L1, L2 (v2)
def test_temporal_term_sees_a_decoder_that_steps_at_latent_boundaries(term, least):
    t = torch.arange(9, dtype=torch.float32) / 8  # a smooth ramp over 9 frames
    video = (2 * t - 1).view(1, 1, 9, 1, 1).expand(1, 3, 9, 4, 4).contiguous()
    # same frames on average, but each latent's 4 frames are held at their mean: steps at the boundaries
    judder = video.clone()
    judder[:, :, 1:5] = video[:, :, 1:5].mean(dim=2, keepdim=True)
    judder[:, :, 5:9] = video[:, :, 5:9].mean(dim=2, keepdim=True)
    cfg = VAETrainConfig(**{f"{term}_weight": 2.0})
    _, exact = vae_loss(_Replay(video), video, cfg)
    loss_j, parts = vae_loss(_Replay(judder), video, cfg)
    loss_plain, _ = vae_loss(_Replay(judder), video, VAETrainConfig())
    assert exact[term] == pytest.approx(0.0, abs=1e-7)
    assert parts[term] > least
    assert float(loss_j) == pytest.approx(float(loss_plain) + 2.0 * parts[term], rel=1e-5)
