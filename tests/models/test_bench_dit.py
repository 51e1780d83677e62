"""The DiT benchmark measures the model, not the world: drift skips scenes whose truth changes."""

from __future__ import annotations

import pytest

from longcut.models.train.check import eval_scenes
from longcut.models.world import scene as world

from tests.benches import load_bench


def _bench():
    return load_bench("bench_dit")


def test_drift_skips_scenes_whose_background_changes_on_purpose():
    bench = _bench()
    darkens = world.sample_scene(7, n_objects=1, event="the sky darkens", motion="still")
    still = world.sample_scene(7, n_objects=1, event=None, motion="still")
    assert not bench.drift_testable(darkens, 10.0)
    assert bench.drift_testable(still, 10.0)


def test_eval_scenes_keep_filters_and_still_balances_held_out():
    scenes = eval_scenes(8, seed0=3_000_000, keep=lambda s: s.event is None)
    assert len(scenes) == 8 and all(s.event is None for s in scenes)
    assert eval_scenes(8, seed0=3_000_000) != scenes  # the unfiltered set has events in it


def test_seam_vs_latent_step_separates_chunk_seams_from_the_decoders_steps():
    import numpy as np

    bench = _bench()
    n, chunk = 1 + 64, 16
    level = np.zeros(n, dtype=np.float32)
    for i in range(1, n):  # frame 0 alone, then latents of 4 frames: a step of 4 at every latent boundary
        level[i] = level[i - 1] + (4.0 if (i - 1) % 4 == 0 else 1.0)
    frames = np.repeat(level[:, None, None, None], 3, axis=3).repeat(16, 1).repeat(16, 2)
    assert bench._seam_vs_latent_step(frames, chunk) == pytest.approx(1.0)
    jumped = level.copy()
    for i in range(1 + chunk, n, chunk):  # 4 more at each chunk boundary
        jumped[i:] += 4.0
    frames = np.repeat(jumped[:, None, None, None], 3, axis=3).repeat(16, 1).repeat(16, 2)
    assert bench._seam_vs_latent_step(frames, chunk) == pytest.approx(2.0)
