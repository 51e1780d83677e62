import numpy as np
import pytest
import torch

from longcut.errors import InputError
from longcut.models.context import pack_context
from longcut.models.dit import DiT, DiTCond, DiTConfig, dit_config, load_dit, save_dit
from longcut.models.train.bank import latent_object_mask, random_bank
from longcut.models.train.batches import object_weights, sample_batch
from longcut.models.train.config import DiTTrainConfig
from longcut.models.train.dit import train_step

from tests.models.dit_helpers import make_cond, one_thread, randomise_output  # noqa: F401


def test_adaln_zero_init_outputs_zero_and_keeps_shape():
    model = DiT(dit_config("micro")).eval()
    x = torch.randn(2, 4, 5, 8, 8)
    out = model(x, torch.rand(2), make_cond())
    assert out.shape == x.shape
    assert torch.count_nonzero(out) == 0


def test_output_depends_on_text_context_and_time():
    model = randomise_output(DiT(dit_config("micro"))).eval()
    x = torch.randn(2, 4, 4, 8, 8)
    t = torch.full((2,), 0.5)
    cond = make_cond()
    base = model(x, t, cond)
    assert not torch.allclose(base, model(x, t, cond.without_text()))
    assert not torch.allclose(base, model(x, t, make_cond(seed=3)))
    assert not torch.allclose(base, model(x, t, make_cond(with_ctx=False)))
    assert not torch.allclose(base, model(x, torch.full((2,), 0.9), cond))
    # items of a batch are independent
    single = model(x[:1], t[:1], DiTCond(cond.text[:1], cond.text_mask[:1], pack_context(recent=torch.zeros(1, 4, 1, 8, 8), spec=dit_config("micro").packing, p=2), torch.zeros(1)))
    assert single.shape == (1, 4, 4, 8, 8)


def test_rejects_wrong_latent_shape():
    model = DiT(dit_config("micro"))
    with pytest.raises(InputError, match=r"latents must be \(b, 4, t, 8, 8\)"):
        model(torch.randn(1, 3, 2, 8, 8), torch.rand(1), make_cond(b=1, with_ctx=False))


def test_config_and_weights_round_trip(tmp_path):
    cfg = dit_config("micro", depth=1)
    assert DiTConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(InputError, match="unknown DiT preset"):
        dit_config("huge")
    model = randomise_output(DiT(cfg)).eval()
    save_dit(model, tmp_path / "dit", half=True)
    back = load_dit(tmp_path / "dit")
    assert back.cfg == cfg
    x = torch.randn(1, 4, 2, 8, 8)
    cond = make_cond(b=1)
    assert torch.allclose(model(x, torch.rand(1).fill_(0.3), cond), back(x, torch.full((1,), 0.3), cond), atol=2e-2)


def test_micro_training_steps_reduce_the_loss():
    torch.manual_seed(0)
    bank = random_bank(32, 4, 12)
    tc = DiTTrainConfig(preset="micro", batch=8)
    cfg = dit_config("micro")
    model = DiT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng, g = np.random.default_rng(0), torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        x0, cond, weight = sample_batch(bank, tc, cfg, rng, g)
        losses.append(train_step(model, opt, x0, cond, g, weight)[0])
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])


def test_training_run_resumes_and_exports(tmp_path):
    from longcut.models.train.dit import train_dit
    from longcut.models.train.export import export_dit

    bank = random_bank(16, 4, 12)
    tc = DiTTrainConfig(preset="micro", out=str(tmp_path / "run"), steps=4, batch=4, eval_every=0, ckpt_every_s=1e9)
    train_dit(tc, bank=bank, progress=False)
    tc.steps = 7
    train_dit(tc, bank=bank, progress=False)
    assert "resumed" in (tmp_path / "run" / "train.log").read_text()
    bank.save(tmp_path / "dit_bank.pt")  # where the run's default bank lives: the card reads its size
    info = export_dit(tmp_path / "run", tmp_path / "w" / "dit")
    assert info["total_steps"] == 7 and info["status"] == "in training"
    card = tmp_path / "w" / "DIT_CARD.md"
    assert card.read_text().startswith("# Tiny DiT")
    assert "--scenes 16 " in card.read_text() and "--t-shift 1 --threads 1" in card.read_text()
    assert " CPU-h, 1 thread(s))" in card.read_text()  # the run's CPU time, counted across the resume
    card.write_text(card.read_text() + "\nRun 1 was measured by hand.\n")
    export_dit(tmp_path / "run", tmp_path / "w" / "dit")
    assert card.read_text().count("Run 1 was measured by hand.") == 1  # the hand-written part survives
    back = load_dit(tmp_path / "w" / "dit")
    assert back.cfg.name == "micro"
    # a new run can start from shipped weights and keeps counting steps
    tc2 = DiTTrainConfig(preset="micro", out=str(tmp_path / "run2"), steps=2, batch=4, eval_every=0, init=str(tmp_path / "w" / "dit"))
    train_dit(tc2, bank=bank, progress=False)
    assert export_dit(tmp_path / "run2", tmp_path / "w2" / "dit")["total_steps"] == 9


def test_latent_object_mask_follows_the_vae_time_groups():
    mask = np.zeros((9, 64, 64), dtype=bool)
    mask[5, 10, 40] = True  # frame 5 → latent 2 (frames 5…8), cell (1, 5)
    lat = latent_object_mask(mask, 8)
    assert lat.shape == (3, 8, 8)
    assert lat[2, 1, 5] and lat.sum() == 1
    mask[0, 63, 0] = True  # frame 0 is latent 0 alone
    assert latent_object_mask(mask, 8)[0, 7, 0]


def test_batches_weight_the_objects():
    bank = random_bank(8, channels=4, clip_latents=6)
    objects = torch.zeros(8, 6, 8, 8, dtype=torch.bool)
    objects[:, :, 2:4, 2:4] = True
    bank.objects = objects
    cfg = dit_config("micro")
    tc = DiTTrainConfig(batch=4, object_weight=5.0)
    x0, _, weight = sample_batch(bank, tc, cfg, np.random.default_rng(0), torch.Generator().manual_seed(0))
    assert weight.shape == (4, 1, x0.shape[2], 8, 8)
    assert weight[:, :, :, 2, 2].eq(6.0).all() and weight[:, :, :, 0, 0].eq(1.0).all()
    tc = DiTTrainConfig(batch=4, object_weight=0.0)
    assert sample_batch(bank, tc, cfg, np.random.default_rng(0), torch.Generator().manual_seed(0))[2] is None


def test_batches_weight_where_the_object_moved():
    bank = random_bank(8, channels=4, clip_latents=6)
    objects = torch.zeros(8, 6, 8, 8, dtype=torch.bool)
    for k in range(6):
        objects[:, k, 3, k] = True  # one cell a latent, stepping right
    bank.objects = objects
    tc = DiTTrainConfig(batch=4, object_weight=5.0, motion_weight=3.0)
    w = object_weights(bank, torch.arange(4), 0, 3, tc)[:, 0]  # latents 0, 1, 2
    assert w[:, 0].max() == 6.0  # latent 0: nothing before it moved
    assert w[:, 1, 3, 1].eq(9.0).all() and w[:, 1, 3, 0].eq(4.0).all()  # entered / left
    assert w[:, 2, 3, 2].eq(9.0).all() and w[:, 2, 3, 1].eq(4.0).all() and w[:, 2, 0, 0].eq(1.0).all()
    w = object_weights(bank, torch.arange(4), 3, 2, tc)[:, 0]  # an extension from latent 3: 2 was before it
    assert w[:, 0, 3, 3].eq(9.0).all() and w[:, 0, 3, 2].eq(4.0).all()
    plain = object_weights(bank, torch.arange(4), 3, 2, DiTTrainConfig(object_weight=5.0))[:, 0]
    assert plain[:, 0, 3, 2].eq(1.0).all() and plain[:, 0, 3, 3].eq(6.0).all()
