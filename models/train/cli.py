"""``python -m longcut.models.train <what> …``: every training job from one command line.

Command-line entry for background runs (``nohup … &``); the flags of ``vae``
and ``train`` mirror ``VAETrainConfig`` and ``DiTTrainConfig``.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import fields
from pathlib import Path

import torch

from longcut.models.train.bank import LatentBank, build_bank
from longcut.models.train.common import EVAL_SEED0
from longcut.models.train.config import DiTTrainConfig, VAETrainConfig
from longcut.models.train.dit import train_dit
from longcut.models.train.export import export_dit, export_vae
from longcut.models.train.vae import train_vae

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m longcut.models.train")
    sub = p.add_subparsers(dest="what", required=True)
    vae = sub.add_parser("vae", help="train the VAE")
    for f in fields(VAETrainConfig):
        flag = f"--{f.name.replace('_', '-')}"
        if isinstance(f.default, bool):
            vae.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            vae.add_argument(flag, type=type(f.default), default=f.default)
    vae.add_argument("--no-resume", action="store_true")
    vae_export = sub.add_parser("vae-export", help="ship a run's best weights")
    vae_export.add_argument("--run", default="runs/vae")
    vae_export.add_argument("--out", default="models/weights/vae")
    bank = sub.add_parser("bank", help="render + encode + caption the training clips (once per VAE)")
    bank.add_argument("--out", default="runs/dit_bank.pt")
    bank.add_argument("--scenes", type=int, default=1500)
    bank.add_argument("--clip-latents", type=int, default=21)
    bank.add_argument("--variants", type=int, default=2)
    bank.add_argument("--vae", default="", help="VAE weights (default: the shipped ones)")
    bank.add_argument("--one-object", type=float, default=0.0, help="share of one-object scenes (0: the world's mix)")
    bank.add_argument("--seed0", type=int, default=0, help="first world seed (shards built side by side take disjoint ranges)")
    bank.add_argument("--threads", type=int, default=2)
    merge = sub.add_parser("bank-merge", help="join bank shards into one bank")
    merge.add_argument("--out", required=True)
    merge.add_argument("shards", nargs="+")
    train = sub.add_parser("train", help="train (resumes from <out>/ckpt.pt)")
    for f in fields(DiTTrainConfig):
        train.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    train.add_argument("--no-resume", action="store_true")
    train.add_argument("--vae", default="", help="VAE for the adherence check (default: shipped)")
    export = sub.add_parser("export", help="ship a run's EMA weights")
    export.add_argument("--final", action="store_true", help="mark the weights finished (tests then use them)")
    export.add_argument("--run", default="runs/dit")
    export.add_argument("--out", default="models/weights/dit")
    return p


def main(argv: list[str] | None = None) -> None:
    """Command-line entry for background runs (``nohup … &``)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.what == "vae":
        cfg = VAETrainConfig(**{f.name: getattr(args, f.name) for f in fields(VAETrainConfig)})
        train_vae(cfg, resume=not args.no_resume, progress=True)
        return
    if args.what == "vae-export":
        log.info("exported: %s", export_vae(args.run, args.out))
        return
    torch.set_num_threads(getattr(args, "threads", 2))
    if args.what == "bank":
        from longcut.models.vae import load_vae

        if not 0 <= args.seed0 < EVAL_SEED0 - args.scenes * 2:
            raise SystemExit(f"--seed0 must leave the held-out seeds (from {EVAL_SEED0}) alone")
        vae = load_vae(args.vae or None)
        bank = build_bank(vae, args.scenes, args.clip_latents, args.variants, seed0=args.seed0, one_object=args.one_object)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        bank.save(Path(args.out))
        log.info("bank %s: latents %s, %d captions", args.out, tuple(bank.latents.shape), bank.text.shape[0])
    elif args.what == "bank-merge":
        bank = LatentBank.concat([LatentBank.load(Path(p)) for p in args.shards])
        bank.save(Path(args.out))
        log.info("bank %s: latents %s from %d shards", args.out, tuple(bank.latents.shape), len(args.shards))
    elif args.what == "train":
        from longcut.models.vae import load_vae

        tc = DiTTrainConfig(**{f.name: getattr(args, f.name) for f in fields(DiTTrainConfig)})
        train_dit(tc, vae=load_vae(args.vae or None) if tc.eval_every else None, resume=not args.no_resume)
    else:
        log.info("exported: %s", export_dit(args.run, args.out, final=args.final))
