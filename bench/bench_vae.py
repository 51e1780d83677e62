"""VAE figures as JSON: held-out PSNR, compression, encode+decode frames/s, and peak
memory of the streaming (chunked) path for a 30 s vs a 10-minute clip.

    .venv/bin/python bench/bench_vae.py [--weights models/weights/vae] [--clips 32]

Each streaming run happens in a fresh child process so its peak RSS is its own.
Frames are rendered by the world chunk by chunk, encoded with ``encode_chunks``,
decoded with ``decode_chunks`` and compared with the originals as they stream;
nothing ever holds the whole clip. Frames/s counts VAE time only (rendering and
scoring are timed apart and left out). When ``models/evaluate.py`` exists, the
evaluator's reading of each reconstruction is compared with its reading of the
original (attribute agreement).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch

HELD_OUT_SEED0 = 2_000_000  # neither training (< 1e6) nor the trainer's eval set (1e6…)


def psnr_from_mse(mse: float) -> float:
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


def stream(weights: str | None, seconds: float, seed: int, chunk_frames: int) -> dict:
    """Child: stream one clip through encode_chunks → decode_chunks; report RSS, speed, PSNR."""
    from longcut.models.vae import bcthw_to_frames, frames_to_bcthw, load_vae
    from longcut.models.world import scene as world

    torch.set_num_threads(2)
    model = load_vae(weights)
    scene = world.sample_scene(seed)
    total = 1 + int(seconds * world.FPS) // 4 * 4
    timers = {"render": 0.0}
    originals: list[np.ndarray] = []  # frames rendered but not yet decoded (bounded by a chunk)

    def chunks():
        start = 0
        while start < total:
            t0 = time.perf_counter()
            frames = world.render_frames(scene, start, min(chunk_frames, total - start))
            timers["render"] += time.perf_counter() - t0
            originals.append(frames)
            start += len(frames)
            yield frames_to_bcthw(frames)

    def latents(gen):
        # encode_chunks yields frame 0 alone first; re-batch to chunk-sized latent chunks
        buf, n = [], 0
        for z in gen:
            buf.append(z)
            n += z.shape[2]
            if n >= chunk_frames // 4:
                yield torch.cat(buf, dim=2)
                buf, n = [], 0
        if buf:
            yield torch.cat(buf, dim=2)

    with torch.no_grad():  # warm-up, as above
        model.decode(model.encode(torch.zeros(1, 3, 1 + chunk_frames, 64, 64)))
    sq_err, n_px, done, t_score = 0.0, 0, 0, 0.0
    t_all = time.perf_counter()
    for video in model.decode_chunks(latents(model.encode_chunks(chunks()))):
        t0 = time.perf_counter()
        recon = bcthw_to_frames(video)
        pending = np.concatenate(originals, axis=0) if len(originals) > 1 else originals[0]
        orig, rest = pending[: len(recon)], pending[len(recon) :]
        originals[:] = [rest] if len(rest) else []
        sq_err += float(np.sum((recon.astype(np.float64) - orig.astype(np.float64)) ** 2))
        n_px += orig.size
        done += len(recon)
        t_score += time.perf_counter() - t0
    wall = time.perf_counter() - t_all
    vae_s = wall - timers["render"] - t_score
    return {
        "seconds": seconds, "frames": done, "expected_frames": total,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "vae_frames_per_s": round(done / vae_s, 1), "render_s": round(timers["render"], 2),
        "psnr_db": round(psnr_from_mse(sq_err / n_px), 2),
    }  # fmt: skip


def held_out(weights: str | None, clips: int, frames: int) -> dict:
    """PSNR (and evaluator agreement, when the evaluator exists) on fresh world scenes."""
    from longcut.models.train.clips import render_world_clip
    from longcut.models.train.vae import psnr_uint8
    from longcut.models.vae import bcthw_to_frames, frames_to_bcthw, load_vae

    torch.set_num_threads(2)
    model = load_vae(weights)
    try:
        from longcut.models.world.evaluate import read_clip
    except ImportError:
        read_clip = None
    with torch.no_grad():  # warm-up: the first call pays one-off allocation costs
        model.decode(model.encode(torch.zeros(1, 3, frames, 64, 64)))
    scores, agree, fields_total, clips_all_same = [], 0, 0, 0
    steps = {"orig": [0.0, 0.0], "recon": [0.0, 0.0]}  # [change across latent boundaries, change within], pooled
    t_vae = 0.0
    for i in range(clips):
        orig = render_world_clip(HELD_OUT_SEED0 + i, frames)
        t0 = time.perf_counter()
        with torch.no_grad():
            recon = bcthw_to_frames(model.decode(model.encode(frames_to_bcthw(orig))))
        t_vae += time.perf_counter() - t0
        scores.append(psnr_uint8(recon, orig))
        for name, clip in (("orig", orig), ("recon", recon)):
            across, within = _boundary_change(clip)
            steps[name][0] += across
            steps[name][1] += within
        if read_clip is not None:
            a, b = _as_dict(read_clip(orig)), _as_dict(read_clip(recon))
            same = [a[k] == b.get(k) for k in a]
            agree += sum(same)
            fields_total += len(same)
            clips_all_same += all(same)
    out = {
        "clips": clips, "frames_per_clip": frames,
        "psnr_db_mean": round(float(np.mean(scores)), 2), "psnr_db_min": round(float(np.min(scores)), 2),
        "psnr_db_p10": round(float(np.percentile(scores, 10)), 2),
        "note": "frames/s here is one-pass batch-1 on short clips; see stream_* for the chunked path",
        "one_pass_frames_per_s": round(clips * frames / t_vae, 1),
        # frame change across latent boundaries ÷ within a latent's frames (truth ≈ 1; above it, the decoder judders)
        "latent_step_ratio": {k: round(a / max(w, 1e-9), 3) for k, (a, w) in steps.items()},
    }  # fmt: skip
    if read_clip is None:
        out["evaluator_agreement"] = "models/evaluate.py not available yet"
    else:
        out["evaluator_attribute_agreement"] = round(agree / max(1, fields_total), 4)
        out["evaluator_clips_all_attributes_same"] = round(clips_all_same / clips, 4)
    return out


def _boundary_change(frames: np.ndarray) -> tuple[float, float]:
    """Mean frame change across latent boundaries and within latents (frames 1.., groups of 4).

    Means per frame pair, so clips of any length pool by adding; the pooled
    ratio is ``evaluate.seam_ratio`` with 4-frame "chunks", over many clips.
    """
    from longcut.models.seams import frame_changes

    diffs = frame_changes(frames[1:])
    at = np.zeros(len(diffs), dtype=bool)
    at[3::4] = True
    return float(diffs[at].mean()), float(diffs[~at].mean())


def _as_dict(reading) -> dict:
    """The categorical attributes of a ``ClipReading``: background, event, and per object
    (matched by sorting) colour, shape, size, pattern, pattern colour, motion, speed."""
    keys = ("colour", "shape", "size", "pattern", "pattern_colour", "motion", "speed")
    objects = sorted((tuple(str(getattr(o, k)) for k in keys) for o in reading.objects))
    out = {"background": reading.background, "event": reading.event, "n_objects": len(objects)}
    for i, obj in enumerate(objects):
        out.update({f"object{i}.{k}": v for k, v in zip(keys, obj, strict=True)})
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--weights", default=None, help="VAE stem (default: the shipped weights)")
    p.add_argument("--clips", type=int, default=32)
    p.add_argument("--frames", type=int, default=33)
    p.add_argument("--chunk-frames", type=int, default=64)
    p.add_argument("--short", type=float, default=30.0)
    p.add_argument("--long", type=float, default=600.0)
    p.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child is not None:
        print(
            json.dumps(
                stream(
                    args.weights,
                    args.child,
                    seed=HELD_OUT_SEED0 + 999,
                    chunk_frames=args.chunk_frames,
                )
            )
        )
        return

    from longcut.models.vae import load_vae

    cfg = load_vae(args.weights).cfg
    result = {
        "model": cfg.name,
        "latent": f"{cfg.latent_channels}×(1+T/4)×{cfg.latent_size}×{cfg.latent_size}",
        "compression_ratio": cfg.compression_ratio(),
        "params_m": round(sum(p.numel() for p in load_vae(args.weights).parameters()) / 1e6, 3),
        "threads": 2,
        "held_out": held_out(args.weights, args.clips, args.frames),
    }
    for label, seconds in (("stream_30s", args.short), ("stream_10min", args.long)):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(seconds),
            "--chunk-frames",
            str(args.chunk_frames),
        ]
        if args.weights:
            cmd += ["--weights", args.weights]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result[label] = json.loads(out.stdout.strip().splitlines()[-1])
    s, lng = result["stream_30s"], result["stream_10min"]
    result["peak_rss_ratio_10min_vs_30s"] = round(lng["peak_rss_mb"] / s["peak_rss_mb"], 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
