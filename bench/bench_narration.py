"""What narration costs the audio render: a 10-minute narrated video against the same video without narration.

No shot is generated: the bench builds a storyboard of 4-second shots, each
with its own spoken line, over a synthetic music bed (a chord made by
ffmpeg), and times only the sound:

* **plain** — the music as the render of an un-narrated video makes it:
  scaled, faded, cut to length, encoded as the MP4's AAC track;
* **narrated, cold** — every line spoken (espeak-ng, nothing cached), the
  shots fitted to them (``narration.align``), the voice-over mixed over the
  ducked music, measured and normalised (``narration.voiceover``: soundtrack,
  ``.srt``/``.vtt``, the ASS track), then encoded as AAC;
* **narrated, cached** — the same with every line already spoken (a refine
  that keeps the lines, or one that changes a few).

Each run is its own process, so its peak RSS (Python's and its ffmpeg/espeak
children's, ``getrusage``) belongs to that run alone; peak RSS is compared
between a short video and the long one (flat means memory does not grow with
length). Prints JSON.

    .venv/bin/python bench/bench_narration.py                   # 10 minutes against 1 minute
    .venv/bin/python bench/bench_narration.py --minutes 2 --short 0.5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHOT_SECONDS = 4.0
WORDS = ("red", "ball", "meadow", "night", "home", "star", "light", "river", "stone", "blue", "wind", "slowly")


def _line(i: int) -> str:
    """A distinct short line (each is spoken and cached on its own)."""
    words = [WORDS[(i * 7 + k * 5) % len(WORDS)] for k in range(5)]
    return f"Scene {i + 1}: the {' '.join(words)}."


def _music(path: Path, seconds: float) -> Path:
    """A steady two-note chord as the music bed (FLAC), long enough for the video."""
    from longcut.tools.runner import ffmpeg_exe

    chord = f"aevalsrc=0.2*sin(2*PI*220*t)+0.2*sin(2*PI*330*t):s=44100:d={seconds + 1:.1f}"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", chord,
                    "-c:a", "flac", str(path)], check=True)
    return path


def _project(root: Path, seconds: float, narrated: bool):
    from longcut.agent.state import Narration, Project, Shot, Storyboard

    n = max(1, round(seconds / SHOT_SECONDS))
    shots = [Shot(id=f"s{i + 1}", intent="x", prompt="a red circle moves right on a grass background",
                  seconds=SHOT_SECONDS, narration=_line(i) if narrated else None) for i in range(n)]
    board = Storyboard(shots=shots, narration=Narration())
    return Project(name="bench", request="bench", seconds=n * SHOT_SECONDS, storyboard=board, music="music.flac")


def _encode_aac(stream, out: Path) -> None:
    import ffmpeg

    from longcut.tools.filters import AUDIO_CODEC_ARGS
    from longcut.tools.runner import ffmpeg_exe, run_ffmpeg

    args = ffmpeg.output(stream, str(out), **AUDIO_CODEC_ARGS).compile(cmd=ffmpeg_exe(), overwrite_output=True)[1:]
    run_ffmpeg(args, "bench: encode the audio track")


def one_run(root: Path, seconds: float, mode: str) -> dict:
    """One timed run in this process: ``plain``, ``cold`` or ``cached`` (lines spoken in ``root`` already)."""
    from longcut.agent.turn.narration import align, voiceover
    from longcut.tools import filters
    from longcut.tools.narration.mix import MusicBed, music_track

    project = _project(root, seconds, narrated=mode != "plain")
    t0 = time.perf_counter()
    if mode == "plain":
        mix = project.storyboard.music
        _encode_aac(music_track(MusicBed(root / "music.flac", mix.volume, mix.fade_in, mix.fade_out),
                                project.storyboard.seconds), root / "plain.m4a")
        parts = {}
    else:
        align(project, root)
        t1 = time.perf_counter()
        voice = voiceover(project, root, "renders/bench", 128, 128)
        t2 = time.perf_counter()
        _encode_aac(filters.open_input(root / voice.soundtrack).audio, root / "narrated.m4a")
        parts = {"speak_and_fit_s": round(t1 - t0, 3), "mix_and_normalise_s": round(t2 - t1, 3),
                 "encode_s": round(time.perf_counter() - t2, 3)}
    wall = time.perf_counter() - t0
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"mode": mode, "video_seconds": project.storyboard.seconds, "lines": sum(bool(s.narration) for s in
            project.storyboard.shots), "wall_s": round(wall, 3), **parts,
            "peak_rss_mb": round(me.ru_maxrss / 1024, 1), "peak_child_rss_mb": round(kids.ru_maxrss / 1024, 1)}


def _spawn(root: Path, seconds: float, mode: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", str(root), str(seconds), mode], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the long video")
    parser.add_argument("--short", type=float, default=1.0, help="length of the short one (minutes), for RSS")
    parser.add_argument("--one", nargs=3, metavar=("ROOT", "SECONDS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(Path(args.one[0]), float(args.one[1]), args.one[2])))  # noqa: T201
        return
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-narration-") as tmp:
        for label, minutes in (("short", args.short), ("long", args.minutes)):
            root = Path(tmp) / label
            (root / "renders").mkdir(parents=True)
            _music(root / "music.flac", minutes * 60)
            for mode in ("plain", "cold", "cached"):
                runs[f"{label}_{mode}"] = _spawn(root, minutes * 60, mode)
    long_, short = (lambda m: runs[f"long_{m}"]), (lambda m: runs[f"short_{m}"])
    print(json.dumps({  # noqa: T201
        "long_minutes": args.minutes, "short_minutes": args.short, "runs": runs,
        "ratio_cold": round(long_("cold")["wall_s"] / long_("plain")["wall_s"], 2),
        "ratio_cached": round(long_("cached")["wall_s"] / long_("plain")["wall_s"], 2),
        "seconds_per_line_cold": round(long_("cold")["wall_s"] / long_("cold")["lines"], 3),
        "peak_child_rss_mb": {"short": short("cold")["peak_child_rss_mb"], "long": long_("cold")["peak_child_rss_mb"]},
        "peak_rss_mb": {"short": short("cold")["peak_rss_mb"], "long": long_("cold")["peak_rss_mb"]},
    }, indent=2))


if __name__ == "__main__":
    main()
