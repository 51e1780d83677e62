"""The caption probe: each lie changes one word of the caption, and a model that ignores text scores zero."""

from __future__ import annotations

import torch

from longcut.models.world import scene as world

from tests.benches import load_bench


def _bench():
    return load_bench("bench_dit_probe")


def test_each_lie_changes_one_word_of_the_canonical_caption():
    bench = _bench()
    scene = world.sample_scene(11, n_objects=1, motion="left", shape="star", colour="red")
    truth = world.canonical_caption(scene).split()
    for attribute, word in (("shape", "circle"), ("colour", None), ("motion", "right")):
        lie = world.canonical_caption(bench.swapped(scene, attribute)).split()
        changed = [(a, b) for a, b in zip(truth, lie, strict=True) if a != b]
        assert len(changed) == 1, (attribute, changed)
        assert word is None or changed[0][1] == word
    assert bench.swapped(world.sample_scene(11, n_objects=1, motion="still"), "motion") is None


class TextBlind(torch.nn.Module):
    """Predicts a velocity from the noisy latents alone."""

    def forward(self, xt, t, cond):
        return xt * 0.5


def test_a_model_that_ignores_the_caption_scores_zero():
    from longcut.models.vae import VideoVAE, vae_config

    bench = _bench()
    vae = VideoVAE(vae_config("vae-tiny", latent_channels=4, latent_mean=[0.0] * 4, latent_std=[1.0] * 4)).eval()
    out = bench.probe(TextBlind(), vae, n_scenes=2)
    assert set(out) == {"colour", "shape", "motion"}
    assert out["colour"]["scenes"] == 2 and abs(out["colour"]["t0.5"]) < 1e-6 and abs(out["shape"]["t0.7"]) < 1e-6
