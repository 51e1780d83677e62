"""The edit timeline and its renderer.

A ``Timeline`` is ordered clips (a source file with in/out points, a playback
speed and a colour look), optional transitions between neighbours, overlays
(text or image) with start/end times on the timeline, audio tracks, and fades
at the video's two ends. ``render`` turns it into one file with a single
ffmpeg run and a single filtergraph:

1. resolve and probe every source (inside the project folder only);
2. count frames: clip ``i`` has ``N_i = round((out - in) / speed * fps)``
   frames, a transition ``T_j = round(duration * fps)``. **A transition
   overlaps its two clips**, so the timeline lasts ``(sum N_i - sum T_j) / fps``
   seconds;
3. normalise each clip to exactly ``N_i`` frames at the timeline's fps, size
   and pixel format (and its sound to exactly ``N_i / fps`` seconds), played at
   its speed (``setpts``; ``atempo`` keeps the sound's pitch), through its look
   (``eq``);
4. join them: runs without transitions with ``concat``, transitions with
   ``xfade`` + ``acrossfade``;
5. draw overlays over the joined picture with ``enable='between(t,a,b)'``;
6. mix audio tracks (delayed to their start, faded, scaled) with the clips' sound;
7. fade the picture in from / out to black and the sound from / to silence;
8. encode once, to a temporary name, reporting progress; rename when done.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

import ffmpeg
from pydantic import BaseModel, ConfigDict, Field, model_validator

from longcut.errors import InputError
from longcut.tools import filters
from longcut.tools.filters import DECODE_SLACK
from longcut.tools.media import MediaInfo
from longcut.tools.overlay_text import OverlayText
from longcut.tools.paths import ProjectFolder, atomic_output
from longcut.tools.runner import ProgressCallback
from longcut.tools.timeline_fields import (
    Color,
    Position,
    Seconds,
    Size,
    TransitionKind,
    length_frames,
    load,
    load_many,
)

MAX_TIMELINE_SECONDS = 6 * 3600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Transition(_Strict):
    """How a clip begins over the end of the clip before it."""

    kind: TransitionKind = Field("fade", description="xfade kind; 'fade' is a crossfade.")
    duration: float = Field(1.0, gt=0.0, le=10.0, description="Seconds the two clips overlap.")


class Look(_Strict):
    """A clip's colour: brightness, contrast and saturation (ffmpeg ``eq``); the defaults change nothing."""

    brightness: float = Field(0.0, ge=-1.0, le=1.0, description="Added brightness, -1..1 (0 = unchanged).")
    contrast: float = Field(1.0, ge=0.0, le=3.0, description="Contrast factor, 0..3 (1 = unchanged).")
    saturation: float = Field(1.0, ge=0.0, le=3.0, description="Saturation, 0..3 (0 = black and white, 1 = unchanged).")

    @property
    def unchanged(self) -> bool:
        """True when the look leaves the picture as it is."""
        return self == Look()


MIN_SPEED, MAX_SPEED = 0.25, 4.0


class TimelineClip(_Strict):
    """A piece of a source file placed on the timeline."""

    source: str = Field(description="Video file, relative to the project folder.")
    in_point: Seconds = Field(0.0, description="Where in the source the clip starts, seconds.")
    out_point: Seconds | None = Field(None, description="Where it ends, seconds; default: the source's end.")
    transition: Transition | None = Field(None, description="Transition from the previous clip into this one.")
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED,
                         description="Playback speed: 2 = twice as fast (lasts half as long), 0.5 = slow motion.")
    look: Look = Field(default_factory=Look, description="Colour of the clip.")

    @model_validator(mode="after")
    def _ordered(self) -> TimelineClip:
        if self.out_point is not None and self.out_point <= self.in_point:
            raise ValueError(f"clip {self.source!r}: out_point ({self.out_point:g}s) must be greater "
                             f"than in_point ({self.in_point:g}s)")
        return self


class _Overlay(_Strict):
    start: Seconds = Field(description="When it appears, seconds on the timeline.")
    end: Seconds = Field(description="When it disappears, seconds on the timeline (> start).")
    position: Position = Field("center", description="Where it sits, unless x and y are given.")
    x: int | None = Field(None, ge=0, le=4096, description="Left edge in pixels (overrides position).")
    y: int | None = Field(None, ge=0, le=4096, description="Top edge in pixels (overrides position).")

    @model_validator(mode="after")
    def _ordered(self) -> _Overlay:
        if self.end <= self.start:
            raise ValueError(f"overlay end ({self.end:g}s) must be greater than start ({self.start:g}s)")
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y, or neither")
        return self


class TextOverlay(_Overlay):
    """Text shown verbatim over the timeline for a time range."""

    type: Literal["text"] = "text"
    text: OverlayText = Field(min_length=1, max_length=10_000,
                              description="The text, shown as given; newlines break lines.")
    font_size: int = Field(32, ge=6, le=512, description="Font size in pixels.")
    color: Color = Field("white", description="Text colour: a name or #RRGGBB, optional @opacity.")
    box: bool = Field(False, description="Draw a box behind the text.")
    box_color: Color = Field("black@0.5", description="Box colour.")


class ImageOverlay(_Overlay):
    """An image shown over the timeline for a time range."""

    type: Literal["image"] = "image"
    image: str = Field(description="Image file, relative to the project folder.")
    width: Size | None = Field(None, description="Scale the image to this width (keeps its aspect).")


Overlay = Annotated[TextOverlay | ImageOverlay, Field(discriminator="type")]


class AudioTrack(_Strict):
    """A sound file mixed under the timeline."""

    source: str = Field(description="Audio (or video) file, relative to the project folder.")
    start: Seconds = Field(0.0, description="Where on the timeline it begins, seconds.")
    in_point: Seconds = Field(0.0, description="Where in the source it starts, seconds.")
    out_point: Seconds | None = Field(None, description="Where in the source it ends; default: its end.")
    volume: float = Field(1.0, ge=0.0, le=4.0, description="Volume factor (1 = unchanged).")
    fade_in: Seconds = Field(0.0, description="Fade in over this many seconds.")
    fade_out: Seconds = Field(0.0, description="Fade out over its last seconds on the timeline.")


class Timeline(_Strict):
    """An edit: clips in order, transitions, overlays and audio tracks.

    Transitions overlap clips: the timeline lasts the sum of the clip lengths
    minus the sum of the transition durations (both rounded to whole frames).
    """

    width: Size = Field(640, description="Output width in pixels (even).")
    height: Size = Field(360, description="Output height in pixels (even).")
    fps: float = Field(24.0, ge=1.0, le=120.0, description="Output frames per second.")
    fit: Literal["fit", "fill", "stretch"] = Field(
        "fit", description="How clips of another shape fill the frame: pad, crop or distort.")
    clip_audio: bool = Field(True, description="Keep the clips' own sound.")
    fade_in: Seconds = Field(0.0, description="Fade the video in from black (and its sound from silence), seconds.")
    fade_out: Seconds = Field(0.0, description="Fade the video out to black (and its sound to silence), seconds.")
    clips: list[TimelineClip] = Field(min_length=1, max_length=2000)
    overlays: list[Overlay] = Field(default_factory=list, max_length=500)
    audio: list[AudioTrack] = Field(default_factory=list, max_length=50)
    subtitles: str | None = Field(None, description="ASS subtitle file muxed as a soft track (mov_text).")

    @model_validator(mode="after")
    def _transitions(self) -> Timeline:
        if self.width % 2 or self.height % 2:
            raise ValueError(f"size {self.width}x{self.height} must be even on both sides")
        if self.clips[0].transition is not None:
            raise ValueError("clips[0] cannot have a transition: nothing comes before it")
        return self

    def clip_frames(self) -> list[int]:
        """Frames of each clip; every out_point must be known (see ``resolved``)."""
        frames = []
        for i, c in enumerate(self.clips):
            if c.out_point is None:
                raise InputError(f"clips[{i}] has no out_point; resolve the timeline first")
            frames.append(length_frames((c.out_point - c.in_point) / c.speed, self.fps, f"clips[{i}]"))
        return frames

    def transition_frames(self) -> list[int]:
        """Frames of the transition into each clip (0 where there is none)."""
        return [length_frames(c.transition.duration, self.fps, f"clips[{i}].transition") if c.transition else 0
                for i, c in enumerate(self.clips)]

    @property
    def total_frames(self) -> int:
        """Frames in the rendered file."""
        return sum(self.clip_frames()) - sum(self.transition_frames())

    @property
    def duration(self) -> float:
        """Seconds the rendered file lasts (needs every out_point)."""
        return self.total_frames / self.fps

    def resolved(self, project: ProjectFolder) -> Timeline:
        """A copy with every out_point filled in and every time checked against its source."""
        clips = []
        infos = load_many(project, [c.source for c in self.clips], "clips")
        for i, (c, info) in enumerate(zip(self.clips, infos, strict=True)):
            out = info.duration if c.out_point is None else c.out_point
            if c.in_point >= info.duration or out > info.duration + 1e-3:
                raise InputError(f"clips[{i}]: {c.in_point:g}s..{out:g}s is past the end of "
                                 f"{c.source!r} (duration {info.duration:.3f}s)")
            clips.append(c.model_copy(update={"out_point": out}))
        done = self.model_copy(update={"clips": clips})
        done._check_lengths()
        return done

    def _check_lengths(self) -> None:
        n, t = self.clip_frames(), self.transition_frames() + [0]
        for i, frames in enumerate(n):
            if t[i] + t[i + 1] >= frames:
                raise InputError(
                    f"clips[{i}] lasts {frames / self.fps:.3f}s, too short for its transitions "
                    f"({(t[i] + t[i + 1]) / self.fps:.3f}s); shorten them or lengthen the clip")
            if t[i] and t[i] >= n[i - 1]:
                raise InputError(f"clips[{i}].transition is longer than clips[{i - 1}]")
        total = self.duration
        if total > MAX_TIMELINE_SECONDS:
            raise InputError(f"timeline lasts {total:.0f}s, over the {MAX_TIMELINE_SECONDS}s limit")
        fades = [length_frames(f, self.fps, name) for f, name in ((self.fade_in, "the fade-in"),
                                                                  (self.fade_out, "the fade-out")) if f]
        if sum(fades) > self.total_frames:
            raise InputError(f"fade_in + fade_out ({self.fade_in + self.fade_out:g}s) is longer than the "
                             f"timeline ({total:.3f}s)")
        for k, o in enumerate(self.overlays):
            if o.end > total + 1e-3:
                raise InputError(f"overlays[{k}] ends at {o.end:g}s, past the end of the timeline "
                                 f"({total:.3f}s)")
        for k, a in enumerate(self.audio):
            if a.start >= total:
                raise InputError(f"audio[{k}] starts at {a.start:g}s, at or after the end of the "
                                 f"timeline ({total:.3f}s)")


def render(timeline: Timeline, out: Path, project: ProjectFolder,
           on_progress: ProgressCallback | None = None) -> Path:
    """Render ``timeline`` into the video file ``out`` and return its path.

    Sources are read from ``project`` only. ``on_progress`` receives the
    fraction done (0..1). Nothing appears at ``out`` unless the render succeeds.
    """
    tl = timeline.resolved(project)
    infos = load_many(project, [c.source for c in tl.clips], "clips")  # cached probes
    with tempfile.TemporaryDirectory(prefix="longcut-render-") as tmp_dir:
        video, audio = _build_graph(tl, infos, project, Path(tmp_dir))
        with atomic_output(out) as tmp:
            filters.encode(video, audio, tmp, "render timeline", total_seconds=tl.duration,
                           on_progress=on_progress or (lambda _f: None),
                           subtitles=project.resolve(tl.subtitles) if tl.subtitles else None)
    return Path(out)


def _build_graph(tl: Timeline, infos: list[MediaInfo], project: ProjectFolder,
                 tmp_dir: Path) -> tuple[filters.Stream, filters.Stream | None]:
    fps, n, t = tl.fps, tl.clip_frames(), tl.transition_frames()
    total = tl.duration
    with_audio = (tl.clip_audio and any(i.has_audio for i in infos)) or bool(tl.audio)
    # Every use of a file is its own input with a distinct decode limit (filters.DECODE_SLACK).
    pieces = []
    for k, (clip, info) in enumerate(zip(tl.clips, infos, strict=True)):
        limit = n[k] / fps * clip.speed + DECODE_SLACK + k * 1e-6
        src = filters.open_input(info.path, ss=f"{clip.in_point:.6f}", t=f"{limit:.6f}")
        v, a = src.video, src.audio
        if clip.speed != 1:
            v = v.filter("setpts", f"(PTS-STARTPTS)/{clip.speed:.6f}")
            a = filters.tempo(a.filter("asetpts", "PTS-STARTPTS"), clip.speed)
        v = filters.exact_video(v, fps, n[k], tl.width, tl.height, tl.fit)
        if not clip.look.unchanged:
            v = v.filter("eq", brightness=clip.look.brightness, contrast=clip.look.contrast,
                         saturation=clip.look.saturation)
        if with_audio:
            secs = n[k] / fps
            a = (filters.exact_audio(a, secs) if tl.clip_audio and info.has_audio
                 else filters.silence(secs, tag=k))
        pieces.append((v, a if with_audio else None, n[k]))

    # Join: runs without transitions are concatenated, transitions cross-fade.
    run: list[tuple] = []
    joined: tuple | None = None
    for k, piece in enumerate(pieces):
        if t[k] and run:
            left = _concat(run, with_audio)
            v = filters.xfade(left[0], piece[0], tl.clips[k].transition.kind, t[k] / fps,
                              (left[2] - t[k]) / fps)
            a = filters.acrossfade(left[1], piece[1], t[k] / fps) if with_audio else None
            run = [(v, a, left[2] + piece[2] - t[k])]
        else:
            run.append(piece)
    joined = _concat(run, with_audio)
    video, audio = joined[0], joined[1]

    video = _overlays(tl, video, project, tmp_dir)
    if with_audio and tl.audio:
        audio = _mix_tracks(tl, audio, project, total)
    if audio is not None:
        audio = filters.exact_audio(audio, total)
    return _fade_ends(tl, video, audio, total)


def _fade_ends(tl: Timeline, video: filters.Stream, audio: filters.Stream | None,
               total: float) -> tuple[filters.Stream, filters.Stream | None]:
    """The whole video (titles included) fades in from and out to black, its sound from and to silence.

    The picture's fade-out ends on the last frame (shown at ``total - 1/fps``),
    so the video's last frame is black as its first is with a fade-in.
    """
    last = total - 1 / tl.fps
    for kind, seconds, start in (("in", tl.fade_in, 0.0), ("out", tl.fade_out, total - tl.fade_out)):
        if seconds:
            pic = start if kind == "in" else max(0.0, last - seconds)
            video = video.filter("fade", t=kind, st=f"{pic:.6f}", d=f"{seconds:.6f}")
            if audio is not None:
                audio = audio.filter("afade", t=kind, st=f"{start:.6f}", d=f"{seconds:.6f}")
    return video, audio


def _concat(run: list[tuple], with_audio: bool) -> tuple:
    if len(run) == 1:
        return run[0]
    parts = [s for v, a, _ in run for s in ((v, a) if with_audio else (v,))]
    node = ffmpeg.concat(*parts, v=1, a=1 if with_audio else 0).node
    return node[0], node[1] if with_audio else None, sum(p[2] for p in run)


def _overlays(tl: Timeline, video: filters.Stream, project: ProjectFolder,
              tmp_dir: Path) -> filters.Stream:
    for k, o in enumerate(tl.overlays):
        if isinstance(o, TextOverlay):
            video = filters.draw_text(video, o.text, tmp_dir, frame=(tl.width, tl.height), size=o.font_size,
                                      color=o.color, position=o.position, x=o.x, y=o.y, box=o.box,
                                      box_color=o.box_color, start=o.start, end=o.end)
        else:
            info = load(project, o.image, what=f"overlays[{k}].image", need_duration=False)
            img = filters.open_input(info.path, t=f"{3600 + k * 1e-3:.4f}").video
            if o.width:
                img = img.filter("scale", o.width, -2)
            video = filters.overlay_image(video, img, position=o.position, x=o.x, y=o.y,
                                          start=o.start, end=o.end)
    return video.filter("format", "yuv420p")


def _mix_tracks(tl: Timeline, base: filters.Stream, project: ProjectFolder,
                total: float) -> filters.Stream:
    streams = [base]
    for k, tr in enumerate(tl.audio):
        info = load(project, tr.source, what=f"audio[{k}].source", need_video=False)
        if not info.has_audio:
            raise InputError(f"audio[{k}].source {tr.source!r} has no audio stream")
        end = info.duration if tr.out_point is None else tr.out_point
        if tr.in_point >= end or end > info.duration + 1e-3:
            raise InputError(f"audio[{k}]: {tr.in_point:g}s..{end:g}s is not inside "
                             f"{tr.source!r} (duration {info.duration:.3f}s)")
        length = min(end - tr.in_point, total - tr.start)
        src = filters.open_input(info.path, ss=f"{tr.in_point:.6f}",
                                 t=f"{length + DECODE_SLACK + k * 1e-6:.6f}")
        a = src.audio.filter("volume", tr.volume)
        a = filters.exact_audio(a, length)
        if tr.fade_in > 0:
            a = a.filter("afade", t="in", st=0, d=min(tr.fade_in, length))
        if tr.fade_out > 0:
            d = min(tr.fade_out, length)
            a = a.filter("afade", t="out", st=length - d, d=d)
        if tr.start > 0:
            a = a.filter("adelay", delays=round(tr.start * 1000), all=1)
        streams.append(a)
    return ffmpeg.filter(streams, "amix", inputs=len(streams), duration="first", normalize=0)
