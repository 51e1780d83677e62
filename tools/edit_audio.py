"""Edit tools for a clip's sound: add or mix a track, set the volume, mute."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
from pydantic import Field

from longcut.errors import InputError
from longcut.tools import filters
from longcut.tools.edit_base import ClipArgs, Seconds, check_within, frames_for, load, output_file
from longcut.tools.edit_video import transform
from longcut.tools.paths import ProjectFolder


class AddAudioArgs(ClipArgs):
    """Put an audio track under a clip."""

    audio: str = Field(description="Audio (or video) file whose sound to add, relative to the project folder.")
    mode: str = Field("mix", pattern="^(mix|replace)$",
                      description="mix: blend with the clip's own sound; replace: drop the clip's sound.")
    start: Seconds = Field(0.0, description="Where in the clip the track begins, seconds.")
    volume: float = Field(1.0, ge=0.0, le=4.0, description="Volume factor of the added track (1 = unchanged).")
    fade_in: Seconds = Field(0.0, description="Fade the added track in over this many seconds.")
    fade_out: Seconds = Field(0.0, description="Fade the added track out over its last seconds in the clip.")


def add_audio(args: AddAudioArgs, project: ProjectFolder) -> Path:
    """Add a music or sound track to a clip, mixed with or replacing its sound; the clip's length is kept."""
    info = load(project, args.input)
    track = load(project, args.audio, what="audio", need_video=False)
    if not track.has_audio:
        raise _no_audio(args.audio)
    check_within(info, args.input, "start", args.start)
    secs = info.duration
    src = filters.open_input(info.path)
    t = filters.open_input(track.path).audio.filter("asetpts", "PTS-STARTPTS")
    t = t.filter("volume", args.volume)
    if args.fade_in > 0:
        t = t.filter("afade", t="in", st=0, d=args.fade_in)
    t = filters.exact_audio(t, max(secs - args.start, 0.001))
    if args.fade_out > 0:
        t = t.filter("afade", t="out", st=max(0.0, secs - args.start - args.fade_out), d=args.fade_out)
    if args.start > 0:
        ms = round(args.start * 1000)
        t = t.filter("adelay", delays=ms, all=1)
    t = filters.exact_audio(t, secs)
    if args.mode == "mix" and info.has_audio:
        own = filters.exact_audio(src.audio, secs)
        t = ffmpeg.filter([own, t], "amix", inputs=2, duration="first", normalize=0)
        t = filters.exact_audio(t, secs)
    v = src.video.filter("setpts", "PTS-STARTPTS")
    v = filters.exact_video(v, info.fps, frames_for(secs, info.fps), info.width, info.height)
    with output_file(project, args, "audio") as (final, tmp):
        filters.encode(v, t, tmp, f"add audio {args.audio!r}")
    return final


def _no_audio(name: str) -> InputError:
    return InputError(f"{name!r} has no audio stream")


class VolumeArgs(ClipArgs):
    """Change how loud a clip is."""

    volume: float = Field(ge=0.0, le=10.0, description="Volume factor: 0.5 = half, 2 = double, 0 = silent.")


def set_volume(args: VolumeArgs, project: ProjectFolder) -> Path:
    """Scale the loudness of a clip's sound by a factor."""
    info = load(project, args.input)
    if not info.has_audio:
        raise _no_audio(args.input)
    return transform(project, args, info, "volume",
                     audio=lambda a: a.filter("volume", args.volume))


def mute(args: ClipArgs, project: ProjectFolder) -> Path:
    """Remove a clip's sound, keeping its pictures."""
    info = load(project, args.input)
    return transform(project, args, info, "mute", keep_audio=False)
