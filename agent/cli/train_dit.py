"""``longcut train dit …``: build the DiT's latent bank, train (resumable), export.

Its commands join the ``train`` group (``cli/app.py``). A run lives in one
folder (``--out``); running the same command again resumes from its
checkpoint, and ``--steps`` may be raised to extend it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from longcut.agent.cli.display import console
from longcut.errors import InputError


def dit_bank_command(
    out: Path = typer.Option(Path("runs/dit_bank.pt"), help="Bank file to write."),
    scenes: int = typer.Option(1500, help="World scenes to render and encode."),
    clip_latents: int = typer.Option(21, help="Latent frames per clip (1 + 4k frames)."),
    vae: Path | None = typer.Option(None, help="VAE weights stem (default: the shipped ones)."),
) -> None:
    """Render, VAE-encode and caption the DiT's training clips (once per VAE)."""
    from longcut.models.train.cli import main

    if scenes < 1 or clip_latents < 6:
        raise InputError(f"--scenes must be ≥ 1 and --clip-latents ≥ 6; got {scenes}, {clip_latents}")
    main(["bank", "--out", str(out), "--scenes", str(scenes), "--clip-latents", str(clip_latents), "--vae", str(vae or "")])
    console.print(f"[green]done:[/] {out}")


def train_dit_command(
    out: Path = typer.Option(Path("runs/dit"), help="Run folder (checkpoint, metrics, log)."),
    bank: Path | None = typer.Option(None, help="Latent bank (default: <out>/../dit_bank.pt)."),
    preset: str = typer.Option("tiny", help="DiT size preset (tiny, micro)."),
    steps: int = typer.Option(8000, help="Total optimiser steps of the run."),
    batch: int = typer.Option(16, help="Clips per step."),
    lr: float = typer.Option(6e-4, help="Peak learning rate (cosine after warmup)."),
    max_minutes: float = typer.Option(0.0, help="Stop after this much training wall time. 0 = no limit."),
    eval_every: int = typer.Option(300, help="Evaluator adherence check every this many steps (0 = never)."),
    threads: int = typer.Option(1, help="Torch threads (1 is fastest on a busy 2-core machine)."),
    seed: int = typer.Option(0, help="Seed for batches and noise."),
    init: str = typer.Option("", help="Start a new run from these DiT weights (e.g. models/weights/dit)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from the run folder's checkpoint."),
) -> None:
    """Train (or resume) the DiT on the latent bank."""
    from longcut.models.train.config import DiTTrainConfig
    from longcut.models.train.dit import train_dit
    from longcut.models.vae import load_vae

    for name, value in (("steps", steps), ("batch", batch), ("threads", threads)):
        if value < 1:
            raise InputError(f"--{name} must be at least 1; got {value}")
    if not lr > 0:
        raise InputError(f"--lr must be positive; got {lr}")
    tc = DiTTrainConfig(preset=preset, out=str(out), bank=str(bank or ""), steps=steps, batch=batch, lr=lr,
                        max_minutes=max_minutes, eval_every=eval_every, threads=threads, seed=seed, init=init)
    train_dit(tc, vae=load_vae() if eval_every else None, resume=resume)
    console.print(f"[green]done:[/] {out}")


def export_dit_command(
    run: Path = typer.Option(Path("runs/dit"), help="Run folder to export from."),
    out: Path = typer.Option(Path("models/weights/dit"), help="Output stem: writes .safetensors and .json."),
    final: bool = typer.Option(False, "--final", help="Mark the weights finished (tests then rely on them)."),
) -> None:
    """Ship a run's EMA DiT weights (fp16) with their config and card."""
    from longcut.models.train.export import export_dit

    if not (run / "ckpt.pt").is_file():
        raise InputError(f"no checkpoint in {run}; train first (longcut train dit --out {run})")
    info = export_dit(run, out, final=final)
    console.print(f"[green]exported:[/] {out}.safetensors at step {info['total_steps']}")
