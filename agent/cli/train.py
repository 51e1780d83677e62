"""``longcut train …``: train the embedded tiny model's parts, the VAE and then the DiT on its latents.

Each command calls the same function as ``python -m longcut.models.train
<what>`` (``models/train/cli.py``), which has a flag for every field of the
train configs; these commands carry the ones a user usually sets. A run lives
in one folder (``--out``): checkpoint, ``metrics.jsonl``, ``train.log`` and the
best weights so far. Running the same command again resumes from the last
checkpoint; ``--steps`` may be raised to extend a run. The progress bar is
tqdm's, on stderr.
"""

from __future__ import annotations

from pathlib import Path

import typer

from longcut.agent.cli.display import console


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

    export_vae(run, out)
    console.print(f"[green]exported:[/] {out}.safetensors, {out}.json")


def dit_bank_command(
    out: Path = typer.Option(Path("runs/dit_bank.pt"), help="Bank file to write."),
    scenes: int = typer.Option(1500, help="World scenes to render and encode."),
    clip_latents: int = typer.Option(21, help="Latent frames per clip (1 + 4k frames)."),
    variants: int = typer.Option(2, help="Grammar caption variants per scene, beside the canonical one."),
    vae: Path | None = typer.Option(None, help="VAE weights stem (default: the shipped ones)."),
    one_object: float = typer.Option(0.0, help="Share of one-object scenes (0: the world's mix)."),
    seed0: int = typer.Option(0, help="First world seed (shards built side by side take disjoint ranges)."),
    threads: int = typer.Option(2, help="Torch threads."),
) -> None:
    """Render, VAE-encode and caption the DiT's training clips (once per VAE)."""
    from longcut.models.train.bank import make_bank

    make_bank(out, scenes, clip_latents, variants, vae=vae or "", one_object=one_object, seed0=seed0, threads=threads)
    console.print(f"[green]done:[/] {out}")


def dit_bank_merge_command(
    shards: list[Path] = typer.Argument(..., help="Bank shards to join, in order."),
    out: Path = typer.Option(..., help="Bank file to write."),
) -> None:
    """Join latent bank shards built side by side (with disjoint --seed0) into one bank."""
    from longcut.models.train.bank import merge_banks

    merge_banks(out, shards)
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
    vae: Path | None = typer.Option(None, help="VAE for the adherence check (default: the shipped one)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from the run folder's checkpoint."),
) -> None:
    """Train (or resume) the DiT on the latent bank."""
    from longcut.models.train.cli import run_dit
    from longcut.models.train.config import DiTTrainConfig

    tc = DiTTrainConfig(preset=preset, out=str(out), bank=str(bank or ""), steps=steps, batch=batch, lr=lr,
                        max_minutes=max_minutes, eval_every=eval_every, threads=threads, seed=seed, init=init,
                        vae=str(vae or ""))
    run_dit(tc, resume=resume)
    console.print(f"[green]done:[/] {out}")


def export_dit_command(
    run: Path = typer.Option(Path("runs/dit"), help="Run folder to export from."),
    out: Path = typer.Option(Path("models/weights/dit"), help="Output stem: writes .safetensors and .json."),
    final: bool = typer.Option(False, "--final", help="Mark the weights finished (tests then rely on them)."),
) -> None:
    """Ship a run's EMA DiT weights (fp16) with their config and card."""
    from longcut.models.train.export import export_dit

    info = export_dit(run, out, final=final)
    console.print(f"[green]exported:[/] {out}.safetensors at step {info['total_steps']}")
