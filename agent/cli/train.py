"""``longcut train …``: train the embedded tiny model's parts (the VAE now).

A run lives in one folder (``--out``): checkpoint, ``metrics.jsonl``,
``train.log`` and the best weights so far. Running the same command again
resumes from the last checkpoint; ``--steps`` may be raised to extend a run.
The progress bar is tqdm's, on stderr.
"""

from __future__ import annotations

from pathlib import Path

import typer

from longcut.agent.cli.display import console
from longcut.errors import InputError


def train_vae_command(
    out: Path = typer.Option(Path("runs/vae"), help="Run folder (checkpoint, log, best weights)."),
    preset: str = typer.Option("vae-s", help="VAE size preset (vae-s, vae-tiny)."),
    data: str = typer.Option(
        "world", help="Training clips: 'world' (rendered shard cache) or 'synthetic'."
    ),
    steps: int = typer.Option(5000, help="Total optimiser steps of the run."),
    batch: int = typer.Option(16, help="Clips per step."),
    lr: float = typer.Option(2e-3, help="Peak learning rate (cosine after warmup)."),
    max_minutes: float = typer.Option(
        0.0, help="Stop after this much training wall time; the LR anneals to fit. 0 = no limit."
    ),
    eval_every: int = typer.Option(250, help="Held-out PSNR every this many steps."),
    seed: int = typer.Option(0, help="Seed for sampling and noise."),
    init: str = typer.Option("", help="Start a new run from these VAE weights."),
    freeze_encoder: bool = typer.Option(
        False, "--freeze-encoder", help="Train the decoder only (needs --init): latents, and a DiT on them, stay valid."
    ),
    mse_weight: float = typer.Option(0.0, help="Weight of an MSE term added to the L1 + edge loss."),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Continue from the run folder's checkpoint."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
) -> None:
    """Train (or resume) the causal video VAE."""
    from longcut.models.train.config import VAETrainConfig
    from longcut.models.train.vae import train_vae

    for name, value in (("steps", steps), ("batch", batch), ("eval-every", eval_every)):
        if value < 1:
            raise InputError(f"--{name} must be at least 1; got {value}")
    if not lr > 0:
        raise InputError(f"--lr must be positive; got {lr}")
    if data not in ("world", "synthetic"):
        raise InputError(f"--data must be 'world' or 'synthetic'; got {data!r}")
    cfg = VAETrainConfig(
        preset=preset,
        out=str(out),
        data=data,
        steps=steps,
        batch=batch,
        lr=lr,
        max_minutes=max_minutes,
        eval_every=eval_every,
        seed=seed,
        init=init,
        freeze_encoder=freeze_encoder,
        mse_weight=mse_weight,
    )
    train_vae(cfg, resume=resume, progress=progress)
    console.print(f"[green]done:[/] {out} (best weights: {out / 'best.safetensors'})")


def export_vae_command(
    run: Path = typer.Option(Path("runs/vae"), help="Run folder to export from."),
    out: Path = typer.Option(
        Path("models/weights/vae"), help="Output stem: writes .safetensors and .json."
    ),
) -> None:
    """Ship a run's best VAE weights with their measured latent statistics."""
    from longcut.models.train.export import export_vae

    if not (run / "best.safetensors").is_file():
        raise InputError(f"no best weights in {run}; train first (longcut train vae --out {run})")
    export_vae(run, out)
    console.print(f"[green]exported:[/] {out}.safetensors, {out}.json")
