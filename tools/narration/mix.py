"""The voice-over mix: spoken lines over music, the music ducked while the voice speaks, loudness normalised.

``render_soundtrack`` writes the whole sound of a narrated video to one file
in a few short audio-only ffmpeg runs, so memory stays flat in the video's
length and the picture's render only mixes one more track:

1. the mix: each line is placed at its start (a concat of the lines, each
   padded with silence to the next one's start, ``LINES_PER_RUN`` lines per
   run: ``voice_file``); the music is scaled, faded and ducked by
   ``sidechaincompress`` keyed on the voice (``Ducking``), then summed with it;
2. the mix's loudness is measured (EBU R128, ``loudnorm`` in analysis mode);
3. one linear gain brings it to the target loudness (``Loudness``), and a
   peak limiter (``alimiter``, only when the gain would push the peaks past
   the ceiling) keeps the peaks under it. A linear gain keeps the ducking
   depth, which loudnorm's dynamic mode would even out.

Graphs are built with ffmpeg-python (no string formatting); nothing of a
line's text reaches a graph: the lines are WAV files.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg

from longcut.errors import InputError, MediaError
from longcut.tools import filters
from longcut.tools.filters import DECODE_SLACK
from longcut.tools.paths import atomic_output
from longcut.tools.runner import ffmpeg_exe, run_ffmpeg

_OVERLAP_SLACK = 1e-3  # seconds two lines may touch
LINES_PER_RUN = 24  # inputs one ffmpeg run opens to place lines (memory grows with them, not with the length)
MAX_GAIN_DB = 24.0  # a near-silent mix is not blown up further than this
LIMITER_MARGIN_DB = 0.5  # alimiter holds sample peaks; true peaks may sit a little above them


@dataclass(frozen=True)
class SpeechClip:
    """A spoken line: a WAV file and where on the timeline it starts (seconds)."""

    path: Path
    start: float
    seconds: float


@dataclass(frozen=True)
class MusicBed:
    """The music under the voice: a file, its volume and fades (seconds)."""

    path: Path
    volume: float = 0.8
    fade_in: float = 1.0
    fade_out: float = 2.0


@dataclass(frozen=True)
class Ducking:
    """How far the music dips under the voice: a sidechain compressor keyed on the narration.

    With the voice ~20 dB over ``threshold`` and ``ratio`` 20 the music dips
    by ~18 dB; ``release`` holds the dip through the pauses between words.
    """

    threshold: float = 0.015  # linear, about -36 dBFS
    ratio: float = 20.0
    attack_ms: float = 20.0
    release_ms: float = 400.0


@dataclass(frozen=True)
class Loudness:
    """The EBU R128 target of the finished soundtrack."""

    integrated: float = -16.0  # LUFS
    true_peak: float = -1.5  # dBTP


@dataclass(frozen=True)
class Soundtrack:
    """Everything the soundtrack of a narrated video is made of."""

    seconds: float
    speech: list[SpeechClip]
    music: MusicBed | None = None
    ducking: Ducking = field(default_factory=Ducking)
    loudness: Loudness = field(default_factory=Loudness)


def check_lines(clips: list[SpeechClip], seconds: float) -> list[SpeechClip]:
    """The clips in time order; lines that overlap or run past the end are an ``InputError``."""
    ordered = sorted(clips, key=lambda c: c.start)
    for k, c in enumerate(ordered):
        if c.start < 0 or c.seconds <= 0:
            raise InputError(f"spoken line {k} starts at {c.start:g}s and lasts {c.seconds:g}s")
        end = ordered[k + 1].start if k + 1 < len(ordered) else seconds
        if c.start + c.seconds > end + _OVERLAP_SLACK:
            what = "the next line" if k + 1 < len(ordered) else "the end of the video"
            raise InputError(f"spoken line {k} ({c.start:.2f}s + {c.seconds:.2f}s) runs into {what} at {end:.2f}s")
    return ordered


def speech_track(clips: list[SpeechClip], seconds: float) -> filters.Stream:
    """The narration as one stream of ``seconds``: each line at its start, silence between."""
    ordered = check_lines(clips, seconds)
    parts = []
    if ordered[0].start > _OVERLAP_SLACK:
        parts.append(filters.silence(ordered[0].start, tag=0))
    for k, c in enumerate(ordered):
        slot = (ordered[k + 1].start if k + 1 < len(ordered) else seconds) - c.start
        src = filters.open_input(c.path, t=f"{c.seconds + DECODE_SLACK + k * 1e-6:.6f}")
        parts.append(filters.exact_audio(src.audio, slot))
    if len(parts) == 1:
        return parts[0]
    return ffmpeg.concat(*parts, v=0, a=1).node[0]


def music_track(music: MusicBed, seconds: float) -> filters.Stream:
    """The music scaled, cut or padded to ``seconds``, faded in and out."""
    src = filters.open_input(music.path, t=f"{seconds + DECODE_SLACK:.6f}")
    a = filters.exact_audio(src.audio.filter("volume", music.volume), seconds)
    if music.fade_in > 0:
        a = a.filter("afade", t="in", st=0, d=f"{min(music.fade_in, seconds / 2):.6f}")
    if music.fade_out > 0:
        d = min(music.fade_out, seconds / 2)
        a = a.filter("afade", t="out", st=f"{seconds - d:.6f}", d=f"{d:.6f}")
    return a


def voice_file(clips: list[SpeechClip], seconds: float, folder: Path, level: int = 0) -> Path:
    """The narration as one FLAC file of ``seconds`` in ``folder``, ``LINES_PER_RUN`` lines per ffmpeg run.

    ffmpeg keeps buffers for every input it opens, so one run over all the
    lines of a long video would grow with its length: lines are placed in
    groups (each group's file spans from its first line to the next group's),
    and the group files are joined the same way, as lines that fill their span.
    """
    ordered = check_lines(clips, seconds)
    groups = [ordered[i:i + LINES_PER_RUN] for i in range(0, len(ordered), LINES_PER_RUN)]
    parts = []
    for g, group in enumerate(groups):
        start = 0.0 if g == 0 else group[0].start
        end = groups[g + 1][0].start if g + 1 < len(groups) else seconds
        out = folder / f"voice-{level}-{g}.flac"
        _run(speech_track([SpeechClip(c.path, c.start - start, c.seconds) for c in group], end - start), str(out),
             "place the narration", acodec="flac")
        parts.append(SpeechClip(out, start, end - start))
    return parts[0].path if len(parts) == 1 else voice_file(parts, seconds, folder, level + 1)


def mix_graph(track: Soundtrack, voice: filters.Stream) -> filters.Stream:
    """``voice`` (the placed narration) over the ducked music, not yet normalised."""
    if track.music is None:
        return voice
    split = voice.filter_multi_output("asplit", 2)
    key, heard = split[0], split[1]
    d = track.ducking
    ducked = ffmpeg.filter([music_track(track.music, track.seconds), key], "sidechaincompress",
                           threshold=d.threshold, ratio=d.ratio, attack=d.attack_ms, release=d.release_ms,
                           makeup=1, detection="rms")
    return ffmpeg.filter([ducked, heard], "amix", inputs=2, duration="first", normalize=0)


def _run(stream: filters.Stream, out: str, what: str, **opts) -> str:
    args = ffmpeg.output(stream, out, **opts).compile(cmd=ffmpeg_exe(), overwrite_output=True)[1:]
    return run_ffmpeg(args, what)


def measure_loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of an audio file (``loudnorm`` analysis)."""
    stderr = _run(filters.open_input(path).audio.filter("loudnorm", print_format="json"), "-",
                  "measure loudness", f="null")
    m = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if m is None:
        raise MediaError("measure loudness: loudnorm printed no measurement")
    data = json.loads(m.group(0))
    return float(data["input_i"]), float(data["input_tp"])


def normalising_gain(integrated: float, target: Loudness) -> float:
    """The gain (dB) that brings ``integrated`` loudness to the target (at most ``MAX_GAIN_DB``)."""
    if not math.isfinite(integrated):  # silence: nothing to normalise
        return 0.0
    return min(target.integrated - integrated, MAX_GAIN_DB)


def normalised(stream: filters.Stream, integrated: float, true_peak: float, target: Loudness) -> filters.Stream:
    """``stream`` at the target loudness, its peaks limited under the ceiling when the gain needs it."""
    gain = normalising_gain(integrated, target)
    out = stream.filter("volume", f"{gain:.3f}dB")
    if not math.isfinite(true_peak) or true_peak + gain > target.true_peak:
        ceiling = 10 ** ((target.true_peak - LIMITER_MARGIN_DB) / 20)  # sample peaks, so a margin for true peaks
        out = out.filter("alimiter", limit=f"{ceiling:.4f}", level=0, latency=1, attack=5, release=50)
    return out


def render_soundtrack(track: Soundtrack, out: Path) -> Path:
    """Write the narrated soundtrack (48 kHz stereo FLAC) at ``out``, atomically; returns ``out``."""
    if not track.speech:
        raise InputError("a narrated soundtrack needs at least one spoken line")
    with tempfile.TemporaryDirectory(prefix="longcut-mix-") as tmp_dir:
        raw = Path(tmp_dir) / "mix.flac"
        voice = filters.open_input(voice_file(track.speech, track.seconds, Path(tmp_dir))).audio
        _run(mix_graph(track, voice), str(raw), "mix narration", acodec="flac")
        level = normalised(filters.open_input(raw).audio, *measure_loudness(raw), track.loudness)
        with atomic_output(out) as tmp:
            _run(filters.exact_audio(level, track.seconds), str(tmp), "normalise narration", acodec="flac")
    return Path(out)
