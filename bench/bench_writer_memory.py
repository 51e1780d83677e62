"""Peak memory of the streaming VideoWriter: a 10-minute vs a 30-second 256×256 video.

Each length is written in a fresh subprocess (so peaks do not mix) that
generates moving frames, pipes them through ``VideoWriter`` and reports its
own peak RSS and the peak RSS of its ffmpeg child. Prints one JSON object;
the ratio long/short should be about 1 (memory does not grow with length).
Usage: ``python bench/bench_writer_memory.py [--long 600] [--short 30]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FPS = 24
SIZE = 256

_WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from longcut.tools.media import VideoWriter, probe
seconds, out = float(sys.argv[1]), Path(sys.argv[2])
fps, size = %d, %d
y, x = np.mgrid[0:size, 0:size]
t0 = time.perf_counter()
with VideoWriter(out, fps=fps, size=(size, size)) as w:
    for i in range(int(seconds * fps)):
        frame = np.stack([(x + 3 * i) %% 256, (y + 2 * i) %% 256, ((x ^ y) + i) %% 256], -1)
        w.write(frame.astype(np.uint8))
wall = time.perf_counter() - t0
kib = 1024 if sys.platform != "darwin" else 1
print(json.dumps({
    "seconds": seconds, "frames": w.frames_written, "wall_s": round(wall, 2),
    "python_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 2**20, 1),
    "ffmpeg_peak_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 2**20, 1),
    "output_duration_s": probe(out).duration, "output_mib": round(out.stat().st_size / 2**20, 2),
}))
""" % (FPS, SIZE)


def run(seconds: float, folder: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _WORKER, str(seconds), str(folder / f"{seconds:g}.mp4")],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long", type=float, default=600.0)
    ap.add_argument("--short", type=float, default=30.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        short = run(a.short, Path(tmp))
        long = run(a.long, Path(tmp))
        wall = time.perf_counter() - t0

    def total(r: dict) -> float:
        return r["python_peak_mib"] + r["ffmpeg_peak_mib"]

    print(json.dumps({
        "benchmark": "writer_memory", "size": f"{SIZE}x{SIZE}", "fps": FPS,
        "short": short, "long": long,
        "peak_mib_short": round(total(short), 1), "peak_mib_long": round(total(long), 1),
        "ratio_long_over_short": round(total(long) / total(short), 3),
        "bench_wall_s": round(wall, 1),
        "note": "peak RSS of the writing process + peak RSS of its ffmpeg child",
    }, indent=2))


if __name__ == "__main__":
    main()
