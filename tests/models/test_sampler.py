import pytest
import torch

from longcut.errors import InputError
from longcut.models.dit import DiT, dit_config
from longcut.models.sampler import SamplerSettings, rf_loss, sample_euler, time_grid

from tests.models.dit_helpers import make_cond, one_thread, randomise_output  # noqa: F401


def test_time_grid_runs_from_noise_to_data():
    g = time_grid(4)
    assert g[0] == 1.0 and g[-1] == 0.0 and len(g) == 5
    shifted = time_grid(4, shift=3.0)
    assert shifted[0] == 1.0 and shifted[-1] == 0.0 and shifted[2] > g[2]


def test_euler_with_the_true_velocity_lands_on_the_data():
    x0 = torch.randn(1, 4, 2, 8, 8)

    def oracle(x, t, cond):  # the exact velocity field towards x0
        return (x - x0) / t.view(-1, 1, 1, 1, 1)

    out = sample_euler(oracle, torch.randn(1, 4, 2, 8, 8), None, SamplerSettings(steps=3, guidance=1.0))
    assert torch.allclose(out, x0, atol=1e-5)


def test_rf_loss_is_zero_for_the_oracle():
    x0 = torch.randn(2, 4, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(0))
    loss = rf_loss(lambda x, t, c: noise - x0, x0, None, generator=g, t=torch.rand(2))
    assert loss.item() < 1e-10


def test_seeded_sampling_is_deterministic_and_cfg_batched():
    model = randomise_output(DiT(dit_config("micro"))).eval()
    cond = make_cond(b=1)
    s = SamplerSettings(steps=3, guidance=3.0)

    def run(seed):
        noise = torch.randn(1, 4, 3, 8, 8, generator=torch.Generator().manual_seed(seed))
        return sample_euler(model, noise, cond, s, uncond=cond.without_text())

    assert torch.equal(run(1), run(1))
    assert not torch.allclose(run(1), run(2))
    noise = torch.randn(1, 4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    plain = sample_euler(model, noise, cond, SamplerSettings(steps=3, guidance=1.0), uncond=cond.without_text())
    assert not torch.allclose(plain, run(1))  # guidance changes the result


def test_settings_are_validated():
    with pytest.raises(InputError, match="steps"):
        SamplerSettings(steps=0)
    with pytest.raises(InputError, match="guidance"):
        SamplerSettings(guidance=-1)


def test_rf_loss_weights_count_where_they_are_large():
    x0 = torch.zeros(1, 2, 1, 4, 4)
    t = torch.full((1,), 0.5)

    def wrong_left(x, t, c):  # exact velocity except in the left half
        v = noise - x0
        v[..., :2] += 1.0
        return v

    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3))
    left = torch.zeros(1, 1, 1, 4, 4)
    left[..., :2] = 1.0
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731 - the loss draws the same noise
    plain = rf_loss(wrong_left, x0, None, generator=g(), t=t)
    assert torch.isclose(plain, torch.tensor(0.5))
    assert torch.isclose(rf_loss(wrong_left, x0, None, generator=g(), t=t, weight=torch.ones_like(left)), plain)
    assert torch.isclose(rf_loss(wrong_left, x0, None, generator=g(), t=t, weight=1 + 9 * left), torch.tensor(10 / 11))
    assert rf_loss(wrong_left, x0, None, generator=g(), t=t, weight=1 - left).item() < 1e-10


def test_shift_moves_times_towards_noise_and_keeps_the_ends():
    from longcut.models.sampler import shift_t

    t = torch.tensor([0.0, 0.25, 0.5, 1.0])
    s = shift_t(t, 3.0)
    assert s[0] == 0.0 and s[-1] == 1.0 and (s[1:3] > t[1:3]).all()
    assert torch.equal(shift_t(t, 1.0), t)
