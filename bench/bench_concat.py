"""Concatenate 60 one-second clips: longcut's timeline render vs moviepy, same machine, same run.

Prints one JSON object: wall seconds for longcut (a ``Timeline`` of the clips
in order, rendered in one ffmpeg run, as a session's render is) and for
moviepy's ``concatenate_videoclips`` + ``write_videofile``, their ratio, and
the output durations and frame counts. Usage:
``python bench/bench_concat.py [--clips 60] [--size 320x180]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import tempfile
import time
from pathlib import Path

from longcut.tools.media import count_frames, probe
from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import ffmpeg_version, run_ffmpeg
from longcut.tools.timeline import Timeline, render

FPS = 24


def make_clips(folder: Path, n: int, size: str) -> list[str]:
    names = []
    for i in range(n):
        name = f"clip{i:03d}.mp4"
        run_ffmpeg(["-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}",
                    "-f", "lavfi", "-i", f"sine=frequency={200 + 10 * i}", "-t", "1",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-ar", "48000", str(folder / name)], "make clip")
        names.append(name)
    return names


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def moviepy_concat(folder: Path, names: list[str], out: Path) -> None:
    from moviepy import VideoFileClip, concatenate_videoclips

    clips = [VideoFileClip(str(folder / n)) for n in names]
    try:
        joined = concatenate_videoclips(clips)
        joined.write_videofile(str(out), fps=FPS, codec="libx264", audio_codec="aac",
                               preset="veryfast", logger=None)
    finally:
        for c in clips:
            c.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--size", default="320x180")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = ProjectFolder(folder)
        names = make_clips(folder, a.clips, a.size)
        width, height = (int(v) for v in a.size.split("x"))
        timeline = Timeline(width=width, height=height, fps=FPS, clips=[{"source": n} for n in names])
        tl_s, tl_out = timed(lambda: render(timeline, folder / "timeline.mp4", project))
        mp_out = folder / "moviepy.mp4"
        mp_s, _ = timed(lambda: moviepy_concat(folder, names, mp_out))
        result = {
            "benchmark": "concat",
            "clips": a.clips, "clip_seconds": 1.0, "size": a.size, "fps": FPS,
            "longcut_timeline_s": round(tl_s, 3),
            "moviepy_s": round(mp_s, 3),
            "moviepy_over_longcut_timeline": round(mp_s / tl_s, 2),
            "duration_s": {"timeline": probe(tl_out).duration, "moviepy": probe(mp_out).duration},
            "frames": {"timeline": count_frames(tl_out), "moviepy": count_frames(mp_out)},
            "ffmpeg": ffmpeg_version(), "machine": platform.machine(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
