"""Edit tools that join clips: concat (stream copy when possible) and transitions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ffmpeg
from pydantic import Field

from longcut.errors import InputError
from longcut.tools import filters
from longcut.tools.edit_base import (
    EditArgs,
    TransitionKind,
    frames_for,
    length_frames,
    load,
    load_many,
    output_file,
)
from longcut.tools.media import MEDIA_DEMUXERS, MediaInfo
from longcut.tools.paths import ProjectFolder
from longcut.tools.runner import run_ffmpeg


class ConcatArgs(EditArgs):
    """Join clips one after another."""

    inputs: list[str] = Field(min_length=2, max_length=1000,
                              description="Clips in order, relative to the project folder.")
    mode: str = Field("auto", pattern="^(auto|copy|reencode)$",
                      description="auto: stream copy when all clips match (codec, size, fps, "
                                  "sound), else re-encode to the first clip's size and fps.")


def _signature(info: MediaInfo) -> tuple:
    return (info.video_codec, info.video_profile, info.width, info.height, round(info.fps, 3), info.pix_fmt,
            info.has_audio, info.audio_codec, info.sample_rate, info.channels)


def concat(args: ConcatArgs, project: ProjectFolder) -> Path:
    """Join clips in order. Matching clips are joined without re-encoding (fast, lossless)."""
    infos = load_many(project, args.inputs, "inputs")
    same = len({_signature(i) for i in infos}) == 1 and infos[0].video_codec == "h264"
    if args.mode == "copy" and not same:
        raise InputError("mode 'copy' needs clips with the same codec, size, fps and sound; "
                         "use mode 'auto' or 'reencode'")
    with output_file(project, args, "concat") as (final, tmp):
        if same and args.mode != "reencode":
            _concat_copy(infos, tmp)
        else:
            concat_reencode(infos, tmp)
    return final


def _concat_copy(infos: list[MediaInfo], out: Path) -> None:
    # The concat demuxer stays at -safe 1: the list names symlinks with safe
    # names (000.mp4, …) in a private folder, never the user's paths.
    with tempfile.TemporaryDirectory(prefix=".concat-", dir=out.parent) as tmp_dir:
        lines = []
        for i, info in enumerate(infos):
            link = f"{i:05d}{info.path.suffix.lower()}"
            os.symlink(info.path, Path(tmp_dir) / link)
            lines.append(f"file '{link}'\n")
        listing = Path(tmp_dir) / "list.txt"
        listing.write_text("".join(lines), encoding="ascii")
        run_ffmpeg(["-y", "-f", "concat", "-safe", "1", "-protocol_whitelist", "file",
                    "-format_whitelist", f"concat,{MEDIA_DEMUXERS}", "-i", str(listing),
                    "-map", "0", "-c", "copy", "-movflags", "+faststart", str(out)],
                   "concat (stream copy)")


def concat_reencode(infos: list[MediaInfo], out: Path) -> None:
    """Join clips frame-exactly at the first clip's size and fps (silence where one has no sound)."""
    first = infos[0]
    fps, w, h = first.fps, first.width, first.height
    any_audio = any(i.has_audio for i in infos)
    parts = []
    for k, info in enumerate(infos):
        frames = frames_for(info.duration, fps)
        secs = frames / fps
        src = filters.open_input(info.path, t=f"{secs + filters.DECODE_SLACK + k * 1e-6:.6f}")
        parts.append(filters.exact_video(src.video, fps, frames, w, h))
        if any_audio:
            parts.append(filters.exact_audio(src.audio, secs) if info.has_audio
                         else filters.silence(secs, tag=k))
    joined = ffmpeg.concat(*parts, v=1, a=1 if any_audio else 0).node
    filters.encode(joined[0], joined[1] if any_audio else None, out, "concat (re-encode)")


class TransitionArgs(EditArgs):
    """Join two clips with a transition."""

    first: str = Field(description="The clip that plays first.")
    second: str = Field(description="The clip that follows.")
    kind: TransitionKind = Field("fade", description="xfade transition: 'fade' is a crossfade; "
                                 "also dissolve, wipeleft, slideright, circleopen, …")
    duration: float = Field(1.0, gt=0.0, le=10.0,
                            description="Seconds the clips overlap; the result lasts "
                                        "len(first) + len(second) - duration.")


def transition(args: TransitionArgs, project: ProjectFolder) -> Path:
    """Join two clips with a transition (crossfade, wipe, slide, …) during which they overlap."""
    a = load(project, args.first, what="first")
    b = load(project, args.second, what="second")
    shorter = min(a.duration, b.duration)
    if args.duration >= shorter:
        raise InputError(f"transition duration {args.duration:g}s must be shorter than both "
                         f"clips (shortest is {shorter:.3f}s)")
    fps, w, h = a.fps, a.width, a.height
    fa, fb = frames_for(a.duration, fps), frames_for(b.duration, fps)
    ft = length_frames(args.duration, fps, "the transition")
    sa = filters.open_input(a.path, t=f"{fa / fps + filters.DECODE_SLACK:.6f}")
    sb = filters.open_input(b.path, t=f"{fb / fps + filters.DECODE_SLACK + 1e-6:.6f}")
    v = filters.xfade(filters.exact_video(sa.video, fps, fa, w, h),
                      filters.exact_video(sb.video, fps, fb, w, h), args.kind, ft / fps, (fa - ft) / fps)
    audio = None
    if a.has_audio or b.has_audio:
        aa = filters.exact_audio(sa.audio, fa / fps) if a.has_audio else filters.silence(fa / fps)
        ab = filters.exact_audio(sb.audio, fb / fps) if b.has_audio else filters.silence(fb / fps, tag=1)
        audio = filters.acrossfade(aa, ab, ft / fps)
    with output_file(project, args, "transition") as (final, tmp):
        filters.encode(v, audio, tmp, f"transition {args.kind}")
    return final
