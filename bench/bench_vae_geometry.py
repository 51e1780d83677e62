"""The VAE's latent geometry as JSON: can a DiT move objects in it? (issue 20's VAE gates)

    .venv/bin/python bench/bench_vae_geometry.py [--weights models/weights/vae] [--quick]

* ``shift_residual`` — an object moved by ``s`` px (re-rendered, nothing else
  changes) against the latent moved by ``s / cell`` cells (linear
  interpolation between whole-cell rolls): ‖E(moved) − shift(E(still))‖ ÷
  ‖E(moved) − E(still)‖. 0: a move is a token shift; 1: the latent of the moved
  object has nothing to do with the shifted one (the shipped 8-px VAE: ~0.95 at
  2 px, ~0.68 at 4 px — FACTS.md).
* ``shape_probe`` — a ridge classifier on the latent cells around a still
  object reads its shape, trained and tested on different scenes, per size
  (the DiT must tell shapes apart from the latent; chance 1/len(SHAPES)).
* ``held_out`` — PSNR and ``latent_step_ratio`` from ``bench_vae.held_out``.

Pass several ``--weights`` to compare VAEs in one run (the machine is noisy,
figures are not timings, but keep them in one JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

PROBE_SEED0 = 3_000_000  # scenes used by neither training (< 1e6) nor the other benches


def _still_scene(seed: int, size: str, **pins):
    from longcut.models.world import scene as world

    return world.sample_scene(seed, n_objects=1, motion="still", size=size, event=None, **pins)


def _encode_frame(model, frame: np.ndarray) -> torch.Tensor:
    from longcut.models.vae import frames_to_bcthw

    with torch.no_grad():
        return model.encode(frames_to_bcthw(frame[None]))[0, :, 0]  # z h w


def fractional_roll(z: torch.Tensor, cells: float, dim: int = -1) -> torch.Tensor:
    """``z`` moved by ``cells`` (any real number) along ``dim``, wrapping; linear between rolls."""
    k = int(np.floor(cells))
    r = cells - k
    return (1 - r) * torch.roll(z, k, dims=dim) + r * torch.roll(z, k + 1, dims=dim)


def shift_residual(model, shifts_px: list[int], scenes: int) -> dict:
    """Mean residual per shift over ``scenes`` still one-object scenes (both sizes)."""
    from longcut.models.world import scene as world

    cell = model.cfg.spatial_factor
    out = {}
    for s in shifts_px:
        ratios = []
        for i in range(scenes):
            scene = _still_scene(PROBE_SEED0 + i, ("small", "big")[i % 2])
            obj = scene.objects[0]
            moved = dataclasses.replace(scene, objects=(dataclasses.replace(obj, x=obj.x + s),))
            z0 = _encode_frame(model, world.render_frames(scene, 0, 1)[0])
            z1 = _encode_frame(model, world.render_frames(moved, 0, 1)[0])
            change = (z1 - z0).norm().item()
            if change < 1e-6:
                continue
            ratios.append((z1 - fractional_roll(z0, s / cell)).norm().item() / change)
        out[f"{s}px"] = round(float(np.mean(ratios)), 3)
    return out


def _crop(z: torch.Tensor, x: float, y: float, cell: int, window_px: int) -> np.ndarray:
    """The latent cells covering ``window_px`` around (x, y), wrapping at the edges."""
    n = max(1, round(window_px / cell))
    cx, cy = int(np.floor(x / cell)), int(np.floor(y / cell))
    rows = [(cy - n // 2 + i) % z.shape[1] for i in range(n)]
    cols = [(cx - n // 2 + j) % z.shape[2] for j in range(n)]
    return z[:, rows][:, :, cols].reshape(-1).numpy()


def shape_probe(model, train: int, test: int, window_px: int = 32) -> dict:
    """Held-out accuracy of a ridge classifier reading shape from latent crops, per size."""
    from longcut.models.world import scene as world

    shapes = list(world.SHAPES)
    cell = model.cfg.spatial_factor
    out = {"chance": round(1 / len(shapes), 3)}
    for size in ("small", "big"):
        feats, labels = [], []
        for i in range(train + test):
            scene = _still_scene(PROBE_SEED0 + 50_000 + i, size, shape=shapes[i % len(shapes)])
            obj = scene.objects[0]
            z = _encode_frame(model, world.render_frames(scene, 0, 1)[0])
            feats.append(_crop(z, obj.x, obj.y, cell, window_px))
            labels.append(shapes.index(obj.shape))
        x, y = np.stack(feats), np.array(labels)
        mu, sd = x[:train].mean(0), x[:train].std(0) + 1e-6
        x = (x - mu) / sd
        onehot = np.eye(len(shapes))[y[:train]]
        xt = np.hstack([x[:train], np.ones((train, 1))])
        w = np.linalg.solve(xt.T @ xt + 10.0 * np.eye(xt.shape[1]), xt.T @ onehot)
        pred = (np.hstack([x[train:], np.ones((test, 1))]) @ w).argmax(1)
        out[size] = round(float((pred == y[train:]).mean()), 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--weights", action="append", help="VAE weights (repeat to compare); default: shipped"
    )
    p.add_argument("--quick", action="store_true", help="small sets, for a pilot's gate check")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    from bench_vae import held_out

    from longcut.models.vae import load_vae

    torch.set_num_threads(args.threads)
    n_shift, n_train, n_test, n_clips = (24, 300, 150, 16) if args.quick else (64, 800, 400, 32)
    results = {}
    for weights in args.weights or [None]:
        model = load_vae(weights)
        results[weights or "shipped"] = {
            "preset": model.cfg.name,
            "latent": [model.cfg.latent_channels, model.cfg.latent_size, model.cfg.latent_size],
            "shift_residual": shift_residual(model, [1, 2, 3, 4, 8], n_shift),
            "shape_probe": shape_probe(model, n_train, n_test),
            "held_out": held_out(weights, n_clips, 33),
        }
        torch.set_num_threads(args.threads)  # held_out sets its own
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
