"""Shipping a run: its weights into ``models/weights/``, with what they need beside them.

The VAE's best weights go out with their measured latent statistics; the
DiT's EMA weights go out in fp16 with metadata (total steps, wall time,
status) and a model card written from the run's checkpoint and metrics.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from longcut.errors import InputError
from longcut.models.dit import DiT, DiTConfig, save_dit
from longcut.models.train.clips import render_world_clip, synthetic_clips
from longcut.models.train.common import load_checkpoint
from longcut.models.train.config import DiTTrainConfig
from longcut.models.vae import VideoVAE, bcthw_to_frames, frames_to_bcthw, save_vae


@torch.no_grad()
def fit_latent_stats(model: VideoVAE, clips: list[np.ndarray]) -> VideoVAE:
    """Measure per-channel latent mean/std on ``clips`` and store them in the config."""
    z = torch.cat([model.encode(frames_to_bcthw(c)) for c in clips], dim=2)  # 1 z T h w
    z = z.transpose(0, 1).reshape(model.cfg.latent_channels, -1)
    model.cfg.latent_mean = [round(v, 6) for v in z.mean(dim=1).tolist()]
    model.cfg.latent_std = [round(v, 6) for v in z.std(dim=1).clamp_min(1e-3).tolist()]
    return model


def export_vae(run_dir: str | Path, out: str | Path, stats_clips: int = 64) -> dict:
    """Best weights of a run + latent statistics → ``out.safetensors`` / ``out.json``."""
    from longcut.models.vae import load_vae

    run_dir = Path(run_dir)
    if not (run_dir / "best.safetensors").is_file():
        raise InputError(f"no best weights in {run_dir}; train first (python -m longcut.models.train vae --out {run_dir})")
    model = load_vae(run_dir / "best")
    state = load_checkpoint(run_dir / "ckpt.pt") or {}
    data = state.get("train_config", {}).get("data", "world")
    if data == "synthetic":
        video = synthetic_clips(stats_clips, 17, seed=123)
        clips = [bcthw_to_frames(video[i : i + 1]) for i in range(stats_clips)]
    else:
        clips = [render_world_clip(seed, 17) for seed in range(stats_clips)]
    fit_latent_stats(model, clips)
    save_vae(model, out)
    return {"latent_mean": model.cfg.latent_mean, "latent_std": model.cfg.latent_std}


def trained_steps(weights: str | Path) -> int:
    """Total training steps recorded in a saved DiT's metadata (0 if none)."""
    from safetensors import safe_open

    with safe_open(str(Path(weights).with_suffix(".safetensors")), "pt") as f:
        return int((f.metadata() or {}).get("total_steps", 0))


def shipped_status(weights: str | Path) -> str:
    """``"final"`` or ``"in training"``, from a saved DiT's metadata."""
    from safetensors import safe_open

    with safe_open(str(Path(weights).with_suffix(".safetensors")), "pt") as f:
        return (f.metadata() or {}).get("status", "in training")


def export_dit(run_dir: str | Path, out: str | Path, final: bool = False) -> dict:
    """The EMA weights of a run → ``out.safetensors`` / ``out.json`` (fp16 on disk).

    The metadata carries the total steps (across ``init`` chains), the run's
    wall time and a status (``final`` only when asked): tests that need
    trained weights skip while the shipped ones are still in training.
    """
    state = load_checkpoint(Path(run_dir) / "ckpt.pt")
    if state is None:
        raise InputError(f"no checkpoint in {run_dir}; train first (python -m longcut.models.train dit --out {run_dir})")
    model = DiT(DiTConfig(**state["dit_config"]))
    model.load_state_dict(state["ema"])
    total = state.get("step0", 0) + state["step"]
    meta = {"total_steps": str(total), "run_steps": str(state["step"]), "run_wall_s": f"{state['wall_s']:.0f}",
            "status": "final" if final else "in training"}
    save_dit(model, out, metadata=meta, half=True)
    info = {"total_steps": total, "run_steps": state["step"], "run_wall_s": state["wall_s"], "status": meta["status"],
            "run_cpu_h": state.get("cpu_s", 0.0) / 3600}
    write_card(Path(run_dir), Path(out).with_name("DIT_CARD.md"), state, info)
    return info


CARD_MARKER = "<!-- written by hand below this line; export keeps it -->"


def _bank_size(path: Path) -> tuple[int | str, int | str]:
    """Scenes and latent frames per clip of a latent bank file ('?' when it is gone)."""
    if not path.is_file():
        return "?", "?"
    n, _c, t, _h, _w = torch.load(path, weights_only=True, mmap=True)["latents"].shape
    return int(n), int(t)


# the settings the card's ``dit`` line always spells out; any other is added when it is off its default
_CARD_FLAGS = ("out", "steps", "lr", "batch", "seed", "warmup", "max_minutes", "object_weight", "t_shift", "threads",
               "eval_every", "eval_prompts", "init")


def _other_flags(tc: dict) -> str:
    """Flags for the run's remaining settings that differ from ``DiTTrainConfig``'s defaults, so the line repeats the run."""
    defaults = asdict(DiTTrainConfig())
    return "".join(
        f" --{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f" --{k.replace('_', '-')} {v}"
        for k, v in tc.items()
        if k in defaults and k not in _CARD_FLAGS and v != defaults[k]
    )


def write_card(run_dir: Path, card: Path, state: dict, info: dict) -> None:
    """A model card from the run's checkpoint and metrics: command, seed, steps, wall time, figures."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()] if (run_dir / "metrics.jsonl").is_file() else []
    rows = [r for r in rows if r.get("total_step", r["step"]) <= info["total_steps"]]  # up to this checkpoint
    losses = [r for r in rows if "loss" in r]
    evals = [r for r in rows if any(k.startswith("acc_") for k in r)]
    tc, cfg = state["train_config"], state["dit_config"]
    bank = Path(tc.get("bank") or Path(run_dir).parent / "dit_bank.pt")  # train's default: beside the run
    n_params = sum(v.numel() for k, v in state["ema"].items())
    scenes, clip_latents = _bank_size(bank)
    lines = [
        "# Tiny DiT — model card",
        "",
        f"*Status: {info['status']}* — "
        f"{info['total_steps']} steps in all ({info['run_steps']} in the last run, {info['run_wall_s'] / 60:.1f} min wall, "
        + (f"{info['run_cpu_h']:.2f} CPU-h, " if info.get("run_cpu_h") else "")
        + f"{tc['threads']} thread(s)).",
        "",
        f"Architecture: {n_params / 1e6:.2f}M parameters, d={cfg['dim']}, {cfg['depth']} blocks, {cfg['heads']} heads, "
        f"patch {cfg['patch']}×{cfg['patch']} over {cfg['latent_channels']}×{cfg['latent_size']}×{cfg['latent_size']} latents; "
        f"history packing {cfg['pack_full']} full + {cfg['pack_half']} at 2× + {cfg['pack_quarter']} at 4× latent frames + anchor.",
        "",
        "Commands (`dit` resumes from its run folder's checkpoint; a later session, without",
        "that folder, continues from these weights with `--init models/weights/dit`):",
        "",
        "```",
        f"python -m longcut.models.train dit-bank --out {bank} --scenes {scenes} --clip-latents {clip_latents}",
        f"python -m longcut.models.train dit --out {tc['out']} --steps {tc['steps']} --lr {tc['lr']} --batch {tc['batch']} --seed {tc['seed']}"
        f" --warmup {tc['warmup']} --max-minutes {tc['max_minutes']:g} --object-weight {tc.get('object_weight', 0.0):g}"
        f" --t-shift {tc.get('t_shift', 1.0):g} --threads {tc['threads']} --eval-every {tc['eval_every']} --eval-prompts {tc['eval_prompts']}"
        + (f" --init {tc['init']}" if tc.get("init") else "") + _other_flags(tc),
        f"python -m longcut.models.train dit-export --run {tc['out']} --out models/weights/dit",
        "```",
        "",
        f"Training config: `{json.dumps(tc)}`",
        "",
    ]
    if losses:
        lines += ["## Loss (mean over 25 steps)", "", "| step | wall s | lr | loss |", "|---|---|---|---|"]
        pick = losses[:: max(1, len(losses) // 12)]
        if pick[-1] is not losses[-1]:
            pick.append(losses[-1])
        lines += [f"| {r.get('total_step', r['step'])} | {r['wall_s']} | {r['lr']:.2e} | {r['loss']:.4f} |" for r in pick]
        lines.append("")
    if evals:
        keys = ["acc_colour", "acc_shape", "acc_motion", "acc_background", "acc_size", "acc_pattern"]
        lines += [
            f"## Evaluator check during training ({tc['eval_prompts']} held-out canonical captions, 2 s, shipped sampler)",
            "",
            "| step | " + " | ".join(k[4:] for k in keys) + " |",
            "|---|" + "---|" * len(keys),
        ]
        lines += [f"| {r.get('total_step', r['step'])} | " + " | ".join(f"{r.get(k, float('nan')):.2f}" for k in keys) + " |" for r in evals]
        lines.append("")
    lines += ["Full bars: `python bench/bench_dit.py all` (see bench/bench_dit.py).", ""]
    # what people wrote below the marker (earlier runs, measured bars) survives a re-export
    kept = card.read_text().split(CARD_MARKER, 1) if card.is_file() else []
    lines += [CARD_MARKER + (kept[1] if len(kept) == 2 else "\n")]
    tmp = card.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(card)
