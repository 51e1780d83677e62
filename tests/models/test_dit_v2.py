"""DiT v2 (issue 20): x-prediction and the presets for the 16×16×8 latents of ``vae-m4``."""

import numpy as np
import pytest
import torch

from longcut.errors import InputError
from longcut.models.context import pack_context
from longcut.models.dit import X_PRED_MIN_T, DiT, DiTCond, dit_config
from longcut.models.train.bank import random_bank
from longcut.models.train.batches import sample_batch
from longcut.models.train.config import DiTTrainConfig
from longcut.models.train.dit import train_step

from tests.models.dit_helpers import make_cond, one_thread  # noqa: F401


def test_x_prediction_turns_the_clean_estimate_into_the_velocity():
    # AdaLN-Zero: a fresh network outputs x̂0 = 0, so the velocity is x_t / t
    model = DiT(dit_config("micro", prediction="x")).eval()
    x = torch.randn(2, 4, 3, 8, 8)
    t = torch.tensor([0.5, 0.01])
    v = model(x, t, make_cond())
    assert torch.allclose(v[0], x[0] / 0.5, atol=1e-6)
    assert torch.allclose(v[1], x[1] / X_PRED_MIN_T, atol=1e-5)  # clipped near clean data


def test_unknown_prediction_is_refused():
    with pytest.raises(InputError, match="prediction must be"):
        DiT(dit_config("micro", prediction="eps"))


def test_micro_x_prediction_training_reduces_the_loss():
    torch.manual_seed(0)
    bank = random_bank(32, 4, 12)
    cfg = dit_config("micro", prediction="x")
    tc = DiTTrainConfig(preset="micro", batch=8)
    model = DiT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng, g = np.random.default_rng(0), torch.Generator().manual_seed(0)
    losses = [train_step(model, opt, *_batch(bank, tc, cfg, rng, g))[0] for _ in range(60)]
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])


def _batch(bank, tc, cfg, rng, g):
    x0, cond, weight = sample_batch(bank, tc, cfg, rng, g)
    return x0, cond, g, weight


@pytest.mark.parametrize(
    "preset, tokens_per_frame", [("tiny-v2-p2", 64), ("tiny-v2-p4", 16), ("tiny-p1", 64)]
)
def test_v2_presets_run_on_their_latents_with_packed_history(preset, tokens_per_frame):
    cfg = dit_config(preset, dim=32, depth=1, heads=2)  # the preset's geometry, a micro width
    model = DiT(cfg).eval()
    assert (cfg.latent_size // cfg.patch) ** 2 == tokens_per_frame
    c, s = cfg.latent_channels, cfg.latent_size
    g = torch.Generator().manual_seed(0)
    history = torch.randn(1, c, 9, s, s, generator=g)
    ctx = pack_context(
        recent=history, anchor=history[:, :, :1], anchor_lag=9, spec=cfg.packing, p=cfg.patch
    )
    mask = torch.ones(1, 4, dtype=torch.bool)
    cond = DiTCond(torch.randn(1, 4, 384, generator=g), mask, ctx, torch.zeros(1))
    out = model(torch.randn(1, c, 4, s, s, generator=g), torch.full((1,), 0.5), cond)
    assert out.shape == (1, c, 4, s, s)


class _FakeText:
    """Stands in for MiniLM: a fixed-size state per caption (the bank only stores them)."""

    def tokens(self, captions):
        n = len(captions)
        return type(
            "Enc",
            (),
            {"tokens": torch.zeros(n, 3, 384), "mask": torch.ones(n, 3, dtype=torch.bool)},
        )()


def test_bank_on_the_v2_vae_is_mostly_one_object_with_16x16_latents():
    from longcut.models.train.bank import build_bank
    from longcut.models.vae import VideoVAE, vae_config

    vae = VideoVAE(vae_config("vae-m4-tiny", latent_mean=[0.0] * 4, latent_std=[1.0] * 4)).eval()
    bank = build_bank(vae, 12, 3, variants=1, encoder=_FakeText(), one_object=1.0)
    assert bank.latents.shape == (12, 4, 3, 16, 16)
    assert bank.objects.shape[-2:] == (16, 16)
    assert bank.n_objects.tolist() == [1] * 12
    mixed = build_bank(vae, 12, 3, variants=1, encoder=_FakeText())
    assert 2 in mixed.n_objects.tolist()


@pytest.mark.parametrize("motion", ["left", "right", "up", "down"])
def test_travel_reads_the_true_distance_of_a_translating_object(motion):
    from longcut.models.train.check import travel_px
    from longcut.models.world import scene as world

    scene = world.sample_scene(
        11, n_objects=1, motion=motion, speed="slow", size="small", event=None
    )
    frames = world.render_frames(scene, 0, 2 * world.FPS + 1)
    truth = scene.objects[0].rate * 2 * world.FPS
    assert travel_px(frames, motion) == pytest.approx(truth, rel=0.15)
    opposite = {"left": "right", "right": "left", "up": "down", "down": "up"}[motion]
    assert travel_px(frames, opposite) == pytest.approx(-truth, rel=0.15)


def test_a_still_object_travels_nowhere():
    from longcut.models.train.check import travel_px
    from longcut.models.world import scene as world

    scene = world.sample_scene(12, n_objects=1, motion="still", event=None)
    assert abs(travel_px(world.render_frames(scene, 0, 25), "right")) < 1.0


def test_bank_shards_join_with_captions_reindexed():
    from longcut.models.train.bank import LatentBank

    a, b = random_bank(4, 4, 6, seed=0), random_bank(3, 4, 6, seed=1)
    joined = LatentBank.concat([a, b])
    assert joined.latents.shape[0] == 7
    # every clip keeps the caption states it was built with
    for i in range(7):
        src, j = (a, i) if i < 4 else (b, i - 4)
        assert torch.equal(joined.text[joined.caption_ids[i]], src.text[src.caption_ids[j]])
    with pytest.raises(ValueError, match="clip shape"):
        LatentBank.concat([a, random_bank(2, 4, 5)])
