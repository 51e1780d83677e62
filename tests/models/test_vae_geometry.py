"""VAE v2 geometry (issue 20): 4× space, circular padding, and the loss terms that shape it."""

import pytest
import torch

from longcut.models.train.clips import synthetic_clips
from longcut.models.train.config import VAETrainConfig
from longcut.models.train.vae import equivariance_losses, half_cell_shift, train_vae, vae_loss
from longcut.models.vae import VideoVAE, vae_config


def randomised(preset: str, seed: int = 0) -> VideoVAE:
    # perturb the zero-initialised residual branches too, so every path carries signal
    torch.manual_seed(seed)
    model = VideoVAE(vae_config(preset))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return model.eval()


def test_v2_preset_is_16x16x8_at_64px():
    cfg = vae_config("vae-m4")
    assert (cfg.spatial_factor, cfg.latent_size, cfg.latent_channels) == (4, 16, 8)
    assert cfg.compression_ratio() == 24.0


@pytest.mark.parametrize("axis", [-1, -2])
def test_circular_padding_makes_a_whole_cell_roll_an_exact_latent_roll(axis):
    vae = randomised("vae-m4-tiny")
    x = synthetic_clips(1, 9, seed=3)
    with torch.no_grad():
        z = vae.encode(x)
        assert torch.allclose(
            vae.encode(torch.roll(x, 4, dims=axis)), torch.roll(z, 1, dims=axis), atol=1e-5
        )
        frames = vae.decode(z)
        rolled = vae.decode(torch.roll(z, 1, dims=axis))
    assert torch.allclose(rolled, torch.roll(frames, 4, dims=axis), atol=1e-5)


def test_zero_padding_is_not_roll_equivariant():
    # the guard for the test above: with the v1 padding the same roll is not exact
    vae = randomised("vae-tiny")
    x = synthetic_clips(1, 9, seed=3)
    with torch.no_grad():
        z = vae.encode(x)
        err = (vae.encode(torch.roll(x, 8, dims=-1)) - torch.roll(z, 1, dims=-1)).abs().max()
    assert err > 1e-3


def test_chunked_encode_and_decode_equal_one_pass_with_the_v2_geometry():
    vae = randomised("vae-m4-tiny", seed=1)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 29, 64, 64, generator=g) * 2 - 1
    with torch.no_grad():
        z = vae.encode(x)
        frames = vae.decode(z)
    assert z.shape == (2, 4, 8, 16, 16)
    z_chunked = torch.cat(
        list(vae.encode_chunks(torch.split(x, [3, 5, 1, 7, 2, 11], dim=2))), dim=2
    )
    assert torch.allclose(z_chunked, z, atol=1e-5)
    frames_chunked = torch.cat(list(vae.decode_chunks(torch.split(z, [1, 3, 2, 2], dim=2))), dim=2)
    assert torch.allclose(frames_chunked, frames, atol=1e-5)


def test_half_cell_shift_twice_is_between_a_roll_and_no_roll():
    z = torch.randn(1, 2, 1, 4, 4)
    twice = half_cell_shift(half_cell_shift(z, -1, 1), -1, 1)
    expected = 0.25 * z + 0.5 * torch.roll(z, 1, dims=-1) + 0.25 * torch.roll(z, 2, dims=-1)
    assert torch.allclose(twice, expected)


def test_geometry_terms_are_computed_only_when_weighted_and_draw_no_randomness_otherwise():
    vae = randomised("vae-m4-tiny")
    x = synthetic_clips(2, 5, seed=0)
    torch.manual_seed(5)
    _, parts = vae_loss(vae, x, VAETrainConfig())
    after_plain = torch.rand(())
    assert not {"equiv", "equiv_enc", "scale", "temporal_mse"} & set(parts)
    torch.manual_seed(5)
    vae_loss(vae, x, VAETrainConfig())
    assert torch.rand(()) == after_plain
    cfg = VAETrainConfig(
        equiv_weight=1.0, equiv_enc_weight=1.0, scale_weight=1.0, temporal_mse_weight=1.0
    )
    _, parts = vae_loss(vae, x, cfg)
    assert {"equiv", "equiv_enc", "scale", "temporal_mse"} <= set(parts)
    assert all(parts[k] > 0 for k in ("equiv", "equiv_enc", "scale", "temporal_mse"))


def _geometry_on(model: VideoVAE, cfg: VAETrainConfig) -> dict:
    x = synthetic_clips(8, 5, seed=999)
    torch.manual_seed(0)
    with torch.no_grad():
        _, mean = model(x)
        return {k: v.item() for k, v in equivariance_losses(model, x, mean, cfg).items()}


def test_training_with_the_equivariance_terms_lowers_them(tmp_path):
    base = dict(preset="vae-m4-tiny", data="synthetic", steps=40, batch=4, clip_frames=5, lr=3e-3,
                warmup=5, eval_clips=1, eval_every=40, ckpt_every_s=0.0, threads=1, seed=0)  # fmt: skip
    with_terms = dict(equiv_weight=2.0, equiv_enc_weight=2.0)
    plain = train_vae(VAETrainConfig(**base, out=str(tmp_path / "plain")), progress=False)
    shaped = train_vae(
        VAETrainConfig(**base, **with_terms, out=str(tmp_path / "eq")), progress=False
    )
    probe = VAETrainConfig(**with_terms)
    a, b = _geometry_on(plain, probe), _geometry_on(shaped, probe)
    assert b["equiv_enc"] < 0.7 * a["equiv_enc"]


class _Identity(torch.nn.Module):
    """A "VAE" whose latent is the video itself (cell = 2 px), to check the decoder term's target."""

    cfg = type("Cfg", (), {"spatial_factor": 2, "latent_noise": 0.0})()

    def decode_raw(self, z):
        return z


def test_decoder_equivariance_target_is_the_video_rolled_by_half_a_cell():
    video = torch.randn(1, 3, 1, 6, 6)
    out = equivariance_losses(_Identity(), video, video, VAETrainConfig(equiv_weight=1.0))
    candidates = [
        (half_cell_shift(video, dim, sign) - torch.roll(video, sign, dims=dim)).abs().mean().item()
        for dim in (-1, -2)
        for sign in (1, -1)
    ]
    assert min(abs(out["equiv"].item() - c) for c in candidates) < 1e-6
    assert out["equiv"].item() > 0.1
