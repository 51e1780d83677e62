"""``python -m longcut.models.train <what> …``: every training job from one command line.

==================  ==========================================================
``vae``             train (or resume) the VAE; flags mirror ``VAETrainConfig``
``vae-export``      ship a VAE run's best weights with their latent statistics
``dit-bank``        render, VAE-encode and caption the DiT's clips (once per VAE)
``dit-bank-merge``  join bank shards built side by side (``--seed0``)
``dit``             train (or resume) the DiT; flags mirror ``DiTTrainConfig``
``dit-export``      ship a DiT run's EMA weights and write its card
==================  ==========================================================

Command-line entry for background runs (``nohup … &``). ``longcut train
<what>`` (``agent/cli/train.py``) calls the same functions with fewer flags.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Collection
from dataclasses import fields
from pathlib import Path

import torch

from longcut.errors import LongcutError
from longcut.models.dit import DiT
from longcut.models.train.bank import make_bank, merge_banks
from longcut.models.train.common import load_checkpoint
from longcut.models.train.config import DiTTrainConfig, VAETrainConfig, check_dit_config
from longcut.models.train.dit import resumed_config, train_dit
from longcut.models.train.export import export_dit, export_vae
from longcut.models.train.vae import train_vae

log = logging.getLogger(__name__)


def run_dit(tc: DiTTrainConfig, resume: bool = True, progress: bool = True, given: Collection[str] | None = None) -> DiT:
    """``train_dit`` on the bank ``tc.bank`` names, with the run's VAE (``tc.vae``, '' = shipped) for the adherence check when the run checks.

    On resume the run's saved settings decide (``resumed_config``), so the VAE
    is the one the run was started with unless the command names another.
    """
    from longcut.models.vae import load_vae

    check_dit_config(tc)
    state = load_checkpoint(Path(tc.out) / "ckpt.pt") if resume else None
    settled = resumed_config(tc, state["train_config"] if state is not None else None, given)
    vae = load_vae(settled.vae or None) if settled.eval_every else None
    return train_dit(tc, vae=vae, resume=resume, progress=progress, given=given)


def _config_flags(parser: argparse.ArgumentParser, config: type) -> None:
    """One ``--flag`` per field of a train config dataclass (booleans as ``--x/--no-x``).

    Unset flags stay out of the parsed namespace (``config_from_args``), so a
    resumed run can tell what the command line spelt out from a default.
    """
    for f in fields(config):
        flag = f"--{f.name.replace('_', '-')}"
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS)
        else:
            parser.add_argument(flag, type=type(f.default), default=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace, config: type):
    """The train config the parsed flags describe (defaults for the rest), and the names the flags set."""
    given = {f.name for f in fields(config)} & set(vars(args))
    return config(**{name: getattr(args, name) for name in given}), given


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m longcut.models.train")
    sub = p.add_subparsers(dest="what", required=True)
    vae = sub.add_parser("vae", help="train the VAE (resumes from <out>/ckpt.pt)")
    _config_flags(vae, VAETrainConfig)
    vae.add_argument("--no-resume", action="store_true")
    vae_export = sub.add_parser("vae-export", help="ship a VAE run's best weights")
    vae_export.add_argument("--run", default="runs/vae")
    vae_export.add_argument("--out", default="models/weights/vae")
    bank = sub.add_parser("dit-bank", help="render + encode + caption the DiT's training clips (once per VAE)")
    bank.add_argument("--out", default="runs/dit_bank.pt")
    bank.add_argument("--scenes", type=int, default=1500)
    bank.add_argument("--clip-latents", type=int, default=21)
    bank.add_argument("--variants", type=int, default=2)
    bank.add_argument("--vae", default="", help="VAE weights (default: the shipped ones)")
    bank.add_argument("--one-object", type=float, default=0.0, help="share of one-object scenes (0: the world's mix)")
    bank.add_argument("--seed0", type=int, default=0, help="first world seed (shards built side by side take disjoint ranges)")
    bank.add_argument("--threads", type=int, default=2)
    merge = sub.add_parser("dit-bank-merge", help="join bank shards into one bank")
    merge.add_argument("--out", required=True)
    merge.add_argument("shards", nargs="+")
    dit = sub.add_parser("dit", help="train the DiT (resumes from <out>/ckpt.pt)")
    _config_flags(dit, DiTTrainConfig)
    dit.add_argument("--no-resume", action="store_true")
    dit_export = sub.add_parser("dit-export", help="ship a DiT run's EMA weights")
    dit_export.add_argument("--final", action="store_true", help="mark the weights finished (tests then use them)")
    dit_export.add_argument("--run", default="runs/dit")
    dit_export.add_argument("--out", default="models/weights/dit")
    return p


def main(argv: list[str] | None = None) -> None:
    """Run one training job; a user error (bad value, missing file) exits 1 with one line."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.what.startswith("dit"):
        torch.set_num_threads(getattr(args, "threads", 2 if args.what == "dit-bank" else DiTTrainConfig.threads))
    try:
        if args.what == "vae":
            cfg, _ = config_from_args(args, VAETrainConfig)
            train_vae(cfg, resume=not args.no_resume, progress=True)
        elif args.what == "vae-export":
            log.info("exported: %s", export_vae(args.run, args.out))
        elif args.what == "dit-bank":
            make_bank(args.out, args.scenes, args.clip_latents, args.variants, vae=args.vae,
                      one_object=args.one_object, seed0=args.seed0, threads=args.threads)
        elif args.what == "dit-bank-merge":
            merge_banks(args.out, args.shards)
        elif args.what == "dit":
            tc, given = config_from_args(args, DiTTrainConfig)
            run_dit(tc, resume=not args.no_resume, given=given)
        else:
            log.info("exported: %s", export_dit(args.run, args.out, final=args.final))
    except LongcutError as err:
        raise SystemExit(f"error: {err}") from None
