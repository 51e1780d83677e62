"""Benchmarks of the tiny DiT backend: the issue-4 bars, printed as JSON.

    .venv/bin/python bench/bench_dit.py speed            # random weights are fine
    .venv/bin/python bench/bench_dit.py naive            # packed vs full history, per chunk
    .venv/bin/python bench/bench_dit.py memory           # peak RSS, 30 s vs 10 min
    .venv/bin/python bench/bench_dit.py adherence --n 200   # needs shipped weights
    .venv/bin/python bench/bench_dit.py seams drift refs
    .venv/bin/python bench/bench_dit.py all --quick

Prompts are never training prompts: scenes come from seeds ≥ EVAL_SEED0, half
of them with a (colour, shape) pair held out of training. Timings depend on
what else runs on the machine: the JSON carries the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from longcut.models.backends.base import ClipRequest
from longcut.models.backends.tiny import FPS, T_GROUP, WEIGHTS_DIR, TinyVideoModel
from longcut.models.context import PackingSpec, pack_context
from longcut.models.dit import DiT, DiTCond, dit_config
from longcut.models.train.check import eval_scenes

ATTRS = ("colour", "shape", "motion", "background")


def shipped_available() -> bool:
    return all((WEIGHTS_DIR / n).is_file() for n in ("dit.safetensors", "dit.json", "vae.safetensors", "vae.json"))


def make_backend(random_ok: bool) -> TinyVideoModel:
    if shipped_available():
        return TinyVideoModel()
    if not random_ok:
        raise SystemExit(f"shipped weights missing in {WEIGHTS_DIR}")
    from longcut.models.vae import VideoVAE, load_vae, vae_config

    try:
        vae = load_vae()
    except Exception:
        vae = VideoVAE(vae_config("vae-s", latent_mean=[0.0] * 16, latent_std=[1.0] * 16)).eval()
    return TinyVideoModel(dit=DiT(dit_config("tiny", latent_channels=vae.cfg.latent_channels)).eval(), vae=vae)


def frames_of(chunks) -> np.ndarray:
    return np.concatenate([c.frames for c in chunks])


# ---------------------------------------------------------------------------


def bench_speed(quick: bool) -> dict:
    """Wall seconds per second of video at the shipped setting (steps, CFG, decode included)."""
    out = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        backend = make_backend(random_ok=True)
        seconds = 6.0 if quick else 20.0
        req = ClipRequest("a big red circle moves left quickly on a sky background", seconds, seed=0)
        backend._text(req.prompt)  # text encoding is cached per prompt; not per-second cost
        t0 = time.perf_counter()
        chunk_times, last = [], t0
        for _ in backend.generate(req):
            now = time.perf_counter()
            chunk_times.append(now - last)
            last = now
        wall = time.perf_counter() - t0
        out[f"threads_{threads}"] = {
            "video_s": seconds, "wall_s": round(wall, 3), "wall_per_video_s": round(wall / seconds, 3),
            "ms_per_chunk_median": round(1000 * float(np.median(chunk_times)), 1),
            "steps": backend.settings.steps, "guidance": backend.settings.guidance,
        }
    return out


def bench_naive(quick: bool) -> dict:
    """Time per chunk: packed history (ours) vs the full, unpacked history at 10/30/60 s."""
    torch.set_num_threads(1)
    cfg = dit_config("tiny")
    if shipped_available():
        from longcut.models.dit import load_dit

        model = load_dit(WEIGHTS_DIR / "dit")
        cfg = model.cfg
    else:
        model = DiT(cfg).eval()
    from longcut.models.sampler import SamplerSettings, sample_euler

    settings = SamplerSettings(steps=8, guidance=3.0)
    text, mask = torch.randn(1, 32, 384), torch.ones(1, 32, dtype=torch.bool)
    c, s = cfg.latent_channels, cfg.latent_size
    rows = {}
    for hist_s in (10, 30) if quick else (10, 30, 60):
        n_lat = hist_s * FPS // 4
        recent = torch.randn(1, c, n_lat, s, s)
        anchor = recent[:, :, :1]
        naive = PackingSpec(full=n_lat, half=0, quarter=0, anchor_max_lag=n_lat + 1)
        row = {}
        for name, spec in (("packed", cfg.packing), ("full_history", naive)):
            ctx = pack_context(recent=recent, anchor=anchor, anchor_lag=n_lat, spec=spec, p=cfg.patch)
            cond = DiTCond(text, mask, ctx, torch.zeros(1))
            noise = torch.randn(1, c, 4, s, s)
            sample_euler(model, noise, cond, SamplerSettings(steps=1, guidance=3.0), uncond=cond.without_text())
            t0 = time.perf_counter()
            sample_euler(model, noise, cond, settings, uncond=cond.without_text())
            row[name] = {"context_tokens": ctx.n_tokens, "ms_per_chunk": round(1000 * (time.perf_counter() - t0), 1)}
        rows[f"history_{hist_s}s"] = row
    return rows


def _generate_rss(seconds: float) -> dict:
    """Child process: generate ``seconds`` of video, return peak RSS (MiB) and wall."""
    torch.set_num_threads(1)
    backend = make_backend(random_ok=True)
    req = ClipRequest("a big red circle moves left quickly on a sky background", seconds, seed=0)
    t0 = time.perf_counter()
    n = 0
    for chunk in backend.generate(req):
        n += chunk.frames.shape[0]  # frames are dropped as a streaming writer would
    return {"seconds": seconds, "frames": n, "wall_s": round(time.perf_counter() - t0, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def bench_memory(quick: bool) -> dict:
    """Peak RSS generating 30 s vs 10 min (each in a fresh process)."""
    out = {}
    for seconds in (30.0, 120.0 if quick else 600.0):
        res = subprocess.run([sys.executable, __file__, "_rss", str(seconds)], capture_output=True, text=True, check=True)
        out[f"{seconds:g}s"] = json.loads(res.stdout.strip().splitlines()[-1])
    a, b = out["30s"]["peak_rss_mib"], list(out.values())[-1]["peak_rss_mib"]
    out["ratio"] = round(b / a, 3)
    return out


def bench_adherence(n: int) -> dict:
    """Per-attribute accuracy on ``n`` canonical captions of unseen scenes (2 s clips)."""
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    backend = make_backend(random_ok=False)
    scenes = eval_scenes(n)
    hits: dict[str, list[bool]] = {}
    for i, scene in enumerate(scenes):
        frames = frames_of(backend.generate(ClipRequest(world.canonical_caption(scene), 2.0, seed=i)))
        for k, v in evaluate.adherence(frames, scene).items():
            hits.setdefault(k, []).append(v)
    return {"n": n, **{k: round(float(np.mean(v)), 3) for k, v in sorted(hits.items())}}


def bench_seams(n: int, seconds: float) -> dict:
    """Seam ratio across chunk boundaries of extended shots."""
    from longcut.models import seams
    from longcut.models.world import scene as world

    backend = make_backend(random_ok=False)
    chunk = backend.info.chunk_frames
    ratios, vs_latent = [], []
    for i, scene in enumerate(eval_scenes(n, seed0=2_000_000)):
        frames = frames_of(backend.generate(ClipRequest(world.canonical_caption(scene), seconds, seed=i)))
        ratios.append(seams.seam_ratio(frames[1:], chunk))  # boundaries every chunk after frame 0
        vs_latent.append(_seam_vs_latent_step(frames, chunk))
    return {"n": n, "seconds": seconds, "seam_ratio_mean": round(float(np.mean(ratios)), 3),
            "seam_ratio_max": round(float(np.max(ratios)), 3),
            "seam_vs_latent_step_mean": round(float(np.mean(vs_latent)), 3)}


def _seam_vs_latent_step(frames: np.ndarray, chunk: int) -> float:
    """Change across chunk boundaries ÷ change across the latent boundaries inside chunks.

    Chunk boundaries are latent boundaries too, and the VAE decoder steps at
    every latent boundary (``bench_vae``'s ``latent_step_ratio``); this ratio
    takes that step out, leaving what the DiT adds where one chunk meets the
    next (1.0: nothing).
    """
    from longcut.models import seams

    # a fresh tiny clip: frame 0 alone, then chunks of `chunk` frames made of T_GROUP-frame latents
    return seams.seam_vs_latent_step(frames, range(1 + chunk, len(frames), chunk), range(1, len(frames), T_GROUP))


def drift_testable(scene, seconds: float) -> bool:
    """A scene whose truth neither changes its background nor loses its object by ``seconds``.

    Drift is change the prompt did not ask for: a scene with a global event
    ("then the sky darkens") changes its background on purpose, and an object
    that the world itself has carried off-frame at the end cannot be read
    there, so neither measures the model.
    """
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    if scene.event is not None:
        return False
    last = world.render_frames(scene, int(round(seconds * FPS)) + 1 - FPS, FPS)
    reading = evaluate.read_clip(last)
    obj = scene.objects[0]
    return bool(reading.objects) and (reading.objects[0].colour, reading.objects[0].shape) == (obj.colour, obj.shape)


def bench_drift(n: int, seconds: float) -> dict:
    """Background colour error (last second vs first) and object identity at the end.

    Only scenes where the truth keeps both still (``drift_testable``).
    """
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    backend = make_backend(random_ok=False)
    bg, same = [], []
    for i, scene in enumerate(eval_scenes(n, seed0=3_000_000, keep=lambda s: drift_testable(s, seconds))):
        req = ClipRequest(world.canonical_caption(scene), seconds, seed=i)
        first = last = None
        tail: list[np.ndarray] = []
        for chunk in backend.generate(req):  # keep only the first and last second: memory stays flat
            if first is None:
                first = chunk.frames[:FPS]
            tail = (tail + list(chunk.frames))[-FPS:]
        last = np.stack(tail)
        d = evaluate.drift(np.concatenate([first, last]))
        bg.append(d["background"])
        reading = evaluate.read_clip(last)
        obj = scene.objects[0]
        same.append(bool(reading.objects) and reading.objects[0].colour == obj.colour and reading.objects[0].shape == obj.shape)
    return {"n": n, "seconds": seconds, "background_err_mean": round(float(np.mean(bg)), 2),
            "background_err_max": round(float(np.max(bg)), 2), "object_same_rate": round(float(np.mean(same)), 3)}


def _surface_read(frames: np.ndarray) -> tuple | None:
    from longcut.models.world import evaluate

    r = evaluate.read_clip(frames)
    return (r.objects[0].pattern, r.objects[0].colour, r.objects[0].pattern_colour) if r.objects else None


def bench_refs(n: int, seconds: float) -> dict:
    """Patterned reference objects: pattern + colours read right at the start and after ``seconds``."""
    from longcut.models.world import evaluate
    from longcut.models.world import scene as world

    backend = make_backend(random_ok=False)
    start_ok, end_ok, fid0, fid1 = [], [], [], []
    seed, done = 4_000_000, 0
    while done < n:
        scene = world.sample_scene(seed, n_objects=1)
        seed += 1
        if scene.objects[0].pattern == "solid":
            continue
        done += 1
        obj = scene.objects[0]
        ref = world.render_reference(obj)
        req = ClipRequest(world.canonical_caption(scene), seconds, seed=done, references=(ref,))
        chunks = backend.generate(req)
        first = next(chunks).frames
        last = first
        for chunk in chunks:
            last = chunk.frames

        want = (obj.pattern, obj.colour, obj.pattern_colour)
        start_ok.append(_surface_read(first) == want)
        end_ok.append(_surface_read(last) == want)
        fid0.append(evaluate.reference_fidelity(ref, first))
        fid1.append(evaluate.reference_fidelity(ref, last))
    return {"n": n, "seconds": seconds, "read_ok_start": round(float(np.mean(start_ok)), 3),
            "read_ok_end": round(float(np.mean(end_ok)), 3), "fidelity_start": round(float(np.nanmean(fid0)), 3),
            "fidelity_end": round(float(np.nanmean(fid1)), 3)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "_rss":
        print(json.dumps(_generate_rss(float(sys.argv[2]))))
        return
    p = argparse.ArgumentParser()
    p.add_argument("what", nargs="+", choices=["speed", "naive", "memory", "adherence", "seams", "drift", "refs", "all"])
    p.add_argument("--quick", action="store_true", help="smaller sets and shorter videos")
    p.add_argument("--n", type=int, default=0, help="prompts per figure (default: 200 adherence, 20 others; quick: 20/5)")
    args = p.parse_args()
    what = {"speed", "naive", "memory", "adherence", "seams", "drift", "refs"} if "all" in args.what else set(args.what)
    n_big = args.n or (20 if args.quick else 200)
    n_small = args.n or (5 if args.quick else 20)
    result = {"load_avg": os.getloadavg(), "shipped_weights": shipped_available()}
    if "speed" in what:
        result["speed"] = bench_speed(args.quick)
    if "naive" in what:
        result["naive_history"] = bench_naive(args.quick)
    if "memory" in what:
        result["memory"] = bench_memory(args.quick)
    if "adherence" in what:
        result["adherence"] = bench_adherence(n_big)
    if "seams" in what:
        result["seams"] = bench_seams(n_small, 10.0 if args.quick else 30.0)
    if "drift" in what:
        result["drift_60s"] = bench_drift(n_small, 60.0)
        result["drift_10min"] = bench_drift(1 if args.quick else 3, 600.0)
    if "refs" in what:
        result["references"] = bench_refs(n_small, 60.0)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
