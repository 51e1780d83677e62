"""Validate the evaluator on rendered world clips and time the world and the evaluator.

Prints JSON: per-attribute accuracy per condition (clean, blur, blur + noise) and
overall, the number of clips, rendering frames/s and evaluator clips/s. Two
stress tests are reported apart (not part of the 98 % bar): ``heavy`` (blur
σ 1.2–1.6, noise, colour cast) and ``h264`` (a round trip through the H.264
yuv420p files that shots are stored in). ``cut_off`` reads windows in which
the frame edge cuts a lone translating object off in every frame: how a
continuous shot can open (half-way through a wrap) and what the review's
end-of-shot check can see.

    .venv/bin/python bench/bench_evaluator.py            # 500 clips × 3 conditions
    .venv/bin/python bench/bench_evaluator.py --clips 60 # quick look
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from longcut.models.world.evaluate import read_clip
from longcut.models.world.evaluate_validate import CONDITIONS, SEED0, validate
from longcut.models.world.scene import FPS, FRAME_SIZE, render_frames, sample_scene

REQUIRED = ("background", "colour", "shape", "size", "pattern", "pattern_colour", "motion")


def render_speed(n_scenes: int = 40, frames: int = 64) -> dict[str, float]:
    t0 = time.perf_counter()
    for i in range(n_scenes):
        render_frames(sample_scene(i), 0, frames)
    short = n_scenes * frames / (time.perf_counter() - t0)
    scene = sample_scene(7, 2)
    t0 = time.perf_counter()
    render_frames(scene, 0, 10 * 60 * FPS)  # a 10-minute clip, two objects
    long = 10 * 60 * FPS / (time.perf_counter() - t0)
    return {"frames_per_s_64x64_clips": round(short), "frames_per_s_10min_two_objects": round(long)}


def evaluator_speed(n: int = 40, frames: int = 24) -> float:
    clips = [render_frames(sample_scene(SEED0 + i), 0, frames) for i in range(n)]
    t0 = time.perf_counter()
    for c in clips:
        read_clip(c)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=500)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--stress-clips", type=int, default=200)
    ap.add_argument("--cut-off-clips", type=int, default=200,
                    help="windows where the frame edge cuts a lone translating object off throughout")
    args = ap.parse_args()
    t0 = time.perf_counter()
    result = validate(args.clips, frames=args.frames)
    wall = time.perf_counter() - t0
    overall = result["overall"]
    out = {
        "clips": args.clips,
        "frames_per_clip": args.frames,
        "frame_size": FRAME_SIZE,
        "conditions": list(CONDITIONS),
        "accuracy": result["accuracy"],
        "overall": overall,
        "samples": result["samples"],
        "required_min": min(overall[k] for k in REQUIRED),
        "passes_98": all(overall[k] >= 0.98 for k in REQUIRED)
        and all(result["accuracy"][c][k] >= 0.98 for c in CONDITIONS for k in REQUIRED),
        "render": render_speed(),
        "evaluator_clips_per_s": round(evaluator_speed(), 1),
        "validation_wall_s": round(wall, 1),
        "misreads_first": result["misreads"][:15],
    }
    stress = validate(args.stress_clips, frames=args.frames, conditions=("heavy",),
                      transforms={"h264": h264_round_trip})
    out["stress"] = {"clips": args.stress_clips, "accuracy": stress["accuracy"]}
    cut_off = validate(args.cut_off_clips, frames=args.frames, cut_off=True)
    out["cut_off"] = {"clips": args.cut_off_clips, "overall": cut_off["overall"],
                      "misreads_first": cut_off["misreads"][:10]}
    print(json.dumps(out, indent=1, default=lambda x: float(np.asarray(x))))


def h264_round_trip(frames: np.ndarray) -> np.ndarray:
    """Encode to H.264 (crf 18, yuv420p) the way shots are stored, and decode again."""
    from longcut.tools.media import VideoWriter, read_frames

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "clip.mp4"
        with VideoWriter(path, fps=FPS, size=(frames.shape[2], frames.shape[1])) as out:
            for frame in frames:
                out.write(frame)
        return np.stack(list(read_frames(path)))


if __name__ == "__main__":
    main()
