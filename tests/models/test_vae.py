import numpy as np
import pytest
import torch

from longcut.errors import InputError
from longcut.models.vae import (
    WEIGHTS_DIR,
    VAEConfig,
    VideoVAE,
    bcthw_to_frames,
    frames_to_bcthw,
    load_vae,
    pad_frames_bcthw,
    save_vae,
    vae_config,
)


@pytest.fixture(scope="module")
def vae() -> VideoVAE:
    # random weights everywhere (the zero-initialised residual branches too), so every
    # path — including the decoder's previous-latent input — really carries signal
    torch.manual_seed(0)
    model = VideoVAE(vae_config("vae-tiny"))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return model.eval()


def video(t: int, b: int = 1, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, t, 64, 64, generator=g) * 2 - 1


@pytest.mark.parametrize("t, n", [(1, 1), (5, 2), (17, 5)])
def test_shapes_single_image_and_groups(vae, t, n):
    z = vae.encode(video(t, b=2))
    assert z.shape == (2, vae.cfg.latent_channels, n, 8, 8)
    x = vae.decode(z)
    assert x.shape == (2, 3, t, 64, 64)
    assert x.min() >= -1 and x.max() <= 1


def test_compression_ratio_of_the_shipped_preset():
    cfg = vae_config("vae-s")
    assert cfg.spatial_factor == 8 and cfg.t_group == 4
    assert cfg.compression_ratio() == 3 * 4 * 64 * 64 / (cfg.latent_channels * 8 * 8)


def test_rejects_lengths_that_are_not_one_plus_4k(vae):
    with pytest.raises(InputError, match="1 \\+ 4k"):
        vae.encode(video(4))
    with pytest.raises(InputError, match="multiples of 8"):
        vae.encode(torch.zeros(1, 3, 1, 60, 64))
    assert pad_frames_bcthw(video(6)).shape[2] == 9


def group_of(t: int) -> int:
    return 0 if t == 0 else (t - 1) // 4 + 1


@pytest.mark.parametrize("t", [0, 1, 4, 5, 8, 12])
def test_encoder_is_causal(vae, t):
    x = video(13)
    z = vae.encode(x)
    x2 = x.clone()
    x2[:, :, t] = -x2[:, :, t]
    z2 = vae.encode(x2)
    k = group_of(t)
    assert torch.equal(z[:, :, :k], z2[:, :, :k])  # nothing before t's group moves
    assert not torch.allclose(z[:, :, k], z2[:, :, k])  # t's own group does


@pytest.mark.parametrize("k", [1, 2])
def test_decoder_is_causal_with_a_one_latent_cache(vae, k):
    z = vae.encode(video(13))
    z2 = z.clone()
    z2[:, :, k] += 1.0
    x, x2 = vae.decode(z), vae.decode(z2)
    first = 1 + 4 * (k - 1)  # first frame of group k
    assert torch.equal(x[:, :, :first], x2[:, :, :first])
    assert not torch.allclose(x[:, :, first : first + 4], x2[:, :, first : first + 4])
    # group k+1 sees latent k through the cache; group k+2 no longer does
    assert not torch.allclose(x[:, :, first + 4 : first + 8], x2[:, :, first + 4 : first + 8])
    assert torch.allclose(x[:, :, first + 8 :], x2[:, :, first + 8 :])


def test_chunked_encode_and_decode_equal_one_pass(vae):
    x = video(29, b=2, seed=1)
    with torch.no_grad():
        z = vae.encode(x)
        frames = vae.decode(z)
    sizes = [3, 5, 1, 7, 2, 11]  # deliberately not aligned to groups
    chunks = torch.split(x, sizes, dim=2)
    z_chunked = torch.cat(list(vae.encode_chunks(chunks)), dim=2)
    assert z_chunked.shape == z.shape
    assert torch.allclose(z_chunked, z, atol=1e-5)
    latent_chunks = torch.split(z, [1, 3, 2, 2], dim=2)
    frames_chunked = torch.cat(list(vae.decode_chunks(latent_chunks)), dim=2)
    assert frames_chunked.shape == frames.shape
    assert torch.allclose(frames_chunked, frames, atol=1e-5)


def test_chunked_encode_rejects_a_partial_last_group(vae):
    with pytest.raises(InputError, match="left over"):
        list(vae.encode_chunks([video(7)]))


def test_config_round_trip_and_unknown_keys(tmp_path, vae):
    vae.cfg.latent_mean = [0.5] * vae.cfg.latent_channels
    vae.cfg.latent_std = [2.0] * vae.cfg.latent_channels
    save_vae(vae, tmp_path / "v")
    loaded = load_vae(tmp_path / "v")
    assert loaded.cfg == vae.cfg
    x = video(5)
    with torch.no_grad():
        assert torch.equal(loaded.decode(loaded.encode(x)), vae.decode(vae.encode(x)))
    z = torch.randn(1, vae.cfg.latent_channels, 2, 8, 8)
    assert torch.allclose(loaded.denormalize(loaded.normalize(z)), z, atol=1e-6)
    assert torch.allclose(loaded.normalize(torch.full_like(z, 2.5)), torch.ones_like(z))
    with pytest.raises(InputError, match="unknown keys"):
        VAEConfig.from_json('{"name": "x", "wings": 2}')
    with pytest.raises(InputError, match="not found"):
        load_vae(tmp_path / "missing")


def test_uint8_frames_round_trip():
    frames = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    x = frames_to_bcthw(frames)
    assert x.shape == (1, 3, 5, 64, 64)
    assert np.array_equal(bcthw_to_frames(x), frames)


def test_shipped_weights_reconstruct_a_fresh_world_clip():
    if not (WEIGHTS_DIR / "vae.safetensors").is_file():
        pytest.skip(
            f"no shipped VAE weights at {WEIGHTS_DIR / 'vae.safetensors'} (train with `longcut train vae`)"
        )
    from longcut.models.train.clips import render_world_clip
    from longcut.models.train.vae import psnr_uint8

    model = load_vae()
    assert model.cfg.latent_mean and model.cfg.latent_std
    scores = []
    for seed in (7_777_001, 7_777_002, 7_777_003):  # far from the training and eval seeds
        frames = render_world_clip(seed, 17)
        with torch.no_grad():
            recon = bcthw_to_frames(model.decode(model.encode(frames_to_bcthw(frames))))
        scores.append(psnr_uint8(recon, frames))
    assert np.mean(scores) >= 24.0, scores  # shipped: ~26.4 dB held-out (see VAE_CARD.md)
