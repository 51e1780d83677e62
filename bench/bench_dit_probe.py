"""How much a DiT run uses each caption attribute, as JSON: the loss when one word of the caption lies.

The evaluator's accuracy (``check.py``) stays at chance until a run draws an
attribute well enough to be read, so it cannot tell a run that is learning
shape slowly from one that never will. This probe can: on held-out one-object
scenes (rendered and VAE-encoded as the bank is), it measures the run's
object-weighted velocity error on an opening chunk with the true canonical
caption and with the caption of the same scene with one attribute swapped
(shape → the next shape, colour → the next colour, a translation → the
opposite direction), same noise and flow time. A run that ignores the word
scores 0; the shipped v1 model, measured the same way by hand (FACTS.md, "Why
the shipped tiny DiT draws blobs"), scored colour +29% / +46%, motion +11% /
+18%, shape +8% / +10.5% at t = 0.5 / 0.7. Watch the figures rise across a
run's checkpoints.

    .venv/bin/python bench/bench_dit_probe.py --run runs/dit_v2b_p2 --vae models/weights/vae_v2 [--scenes 32]
    .venv/bin/python bench/bench_dit_probe.py --weights models/weights/dit      # shipped weights, shipped VAE
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import torch

SWAPS = ("colour", "shape", "motion")
OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up"}
TIMES = (0.5, 0.7)


def swapped(scene, attribute: str):
    """The scene with its (one) object's ``attribute`` changed, or None when it has no swap here."""
    from longcut.models.world.vocab import COLOUR_NAMES, SHAPES

    obj = scene.objects[0]
    if attribute == "shape":
        new = {"shape": SHAPES[(SHAPES.index(obj.shape) + 1) % len(SHAPES)]}
    elif attribute == "colour":
        others = [c for c in COLOUR_NAMES if c not in (obj.colour, obj.pattern_colour)]
        new = {"colour": others[COLOUR_NAMES.index(obj.colour) % len(others)]}
    elif obj.motion in OPPOSITE:
        new = {"motion": OPPOSITE[obj.motion]}
    else:
        return None
    return dataclasses.replace(scene, objects=(dataclasses.replace(obj, **new),))


def load_run_dit(run: Path):
    """The EMA model of a training run's checkpoint."""
    from longcut.models.dit import DiT, DiTConfig
    from longcut.models.train.common import load_checkpoint

    state = load_checkpoint(run / "ckpt.pt")
    if state is None:
        raise SystemExit(f"no checkpoint in {run}")
    model = DiT(DiTConfig(**state["dit_config"]))
    model.load_state_dict(state["ema"])
    return model.eval(), state["step"]


@torch.no_grad()
def probe(model, vae, n_scenes: int, seed: int = 0, times: tuple[float, ...] = TIMES) -> dict:
    """Per swapped attribute and flow time: (error with the lie ÷ error with the truth) − 1, over the scenes."""
    from longcut.models.dit import DiTCond
    from longcut.models.train.bank import encode_captions, latent_object_mask
    from longcut.models.train.check import eval_scenes
    from longcut.models.vae import frames_to_bcthw
    from longcut.models.world import scene as world

    scenes = eval_scenes(n_scenes)
    n_frames = 1 + 4 * 4  # an opening chunk: the first latent and four more
    factor = world.FRAME_SIZE // vae.cfg.latent_size
    g = torch.Generator().manual_seed(seed)
    totals = {a: {t: [0.0, 0.0] for t in times} for a in SWAPS}  # lie, truth
    counts = dict.fromkeys(SWAPS, 0)
    for scene in scenes:
        frames = world.render_frames(scene, 0, n_frames, size=world.FRAME_SIZE)
        x0 = vae.normalize(vae.encode(frames_to_bcthw(frames))).float()  # 1 c T h w
        weight = 1.0 + 5.0 * torch.from_numpy(latent_object_mask(world.object_mask(scene, 0, n_frames, frames=frames), factor))
        weight = weight[None, None].float().expand_as(x0)
        lies = {a: swapped(scene, a) for a in SWAPS}
        captions = [world.canonical_caption(scene)] + [world.canonical_caption(s) for s in lies.values() if s is not None]
        text, mask = encode_captions(captions)
        rows = {}  # attribute → its caption's row in text
        for attribute, lie in lies.items():
            if lie is not None:
                rows[attribute] = len(rows) + 1
        noise = torch.randn(x0.shape, generator=g)
        n = len(captions)
        for t in times:
            xt = ((1 - t) * x0 + t * noise).expand(n, *x0.shape[1:])
            v = model(xt, torch.full((n,), t), DiTCond(text.float(), mask, None, None))
            err = (((v - (noise - x0)) ** 2) * weight).flatten(1).sum(1) / weight.sum()  # per caption
            for attribute, i in rows.items():
                totals[attribute][t][0] += float(err[i])
                totals[attribute][t][1] += float(err[0])
        for attribute in rows:
            counts[attribute] += 1
    return {a: {"scenes": counts[a], **{f"t{t}": round(lie / truth - 1, 4) if truth else None
                                        for t, (lie, truth) in totals[a].items()}} for a in SWAPS}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--run", type=Path, help="a training run folder (its checkpoint's EMA weights)")
    where.add_argument("--weights", type=Path, help="exported DiT weights (stem)")
    p.add_argument("--vae", default="", help="the VAE the run's bank was encoded with ('' = shipped)")
    p.add_argument("--scenes", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--times", type=float, nargs="+", default=list(TIMES), help="flow times to probe at (1 = pure noise)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from longcut.models.vae import load_vae

    if args.run is not None:
        model, step = load_run_dit(args.run)
    else:
        from longcut.models.dit import load_dit

        model, step = load_dit(args.weights).eval(), None
    out = {"benchmark": "dit_probe", "run": str(args.run or args.weights), "step": step, "scenes": args.scenes,
           "times": args.times,
           "sensitivity": probe(model, load_vae(args.vae or None), args.scenes, times=tuple(args.times))}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
