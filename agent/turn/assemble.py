"""From storyboard and chosen takes to an edit ``Timeline`` (the "edit" step).

Shot transitions in the storyboard describe how a shot hands over to the
next; the timeline's describe how a clip begins over the previous one, so
each one moves to the following clip. Titles and captions become text
overlays (rendered safely through ``textfile=``), music an audio track
mixed as the storyboard says (``Storyboard.music``) and trimmed to the
video's length. A shot's trims, speed and look, and the storyboard's fades,
pass to the timeline as they are.
"""

from __future__ import annotations

from longcut.agent.state import Project, ShotVersion
from longcut.agent.turn.narration import Voiceover, shot_starts
from longcut.tools.timeline import AudioTrack, TextOverlay, Timeline, TimelineClip, Transition

TITLE_SECONDS = 3.0
MIN_OUTPUT_SIDE = 256  # smaller frames (e.g. 64×64) are delivered upscaled by a whole factor (output_size)


def output_size(width: int, height: int) -> tuple[int, int]:
    """Delivery size: the model's size scaled up by a whole factor to at least 256 px."""
    factor = max(1, -(-MIN_OUTPUT_SIDE // min(width, height)))
    return width * factor, height * factor


def build_timeline(project: Project, takes: dict[str, ShotVersion], width: int, height: int, fps: int,
                   voice: Voiceover | None = None) -> Timeline:
    """The edit of ``project``'s storyboard using the chosen take of every shot.

    ``voice``: the narration's soundtrack (music mixed in) and subtitles. With
    subtitles, the shots' captions move to the top of the frame, so they never
    sit on the narration's (soft or burned in, at the bottom).
    """
    board = project.storyboard
    clips: list[TimelineClip] = []
    starts = shot_starts(board)  # where each clip begins on the timeline
    for i, shot in enumerate(board.shots):
        incoming = board.shots[i - 1].transition if i else None
        transition = (
            Transition(kind=incoming.kind, duration=incoming.seconds)
            if incoming is not None and incoming.kind != "cut" else None
        )
        clips.append(TimelineClip(source=takes[shot.id].file, in_point=shot.trim_start,
                                  out_point=shot.seconds - shot.trim_end, transition=transition,
                                  speed=shot.speed, look=shot.look))
    total = starts[-1] + board.shots[-1].shown_seconds
    out_w, out_h = output_size(width, height)
    overlays: list[TextOverlay] = []
    if board.title:
        overlays.append(TextOverlay(text=board.title, start=0.0, end=min(TITLE_SECONDS, total), position="center",
                                    font_size=max(12, out_h // 8), box=True))
    subtitled = voice is not None and voice.subtitles is not None
    for shot, start in zip(board.shots, starts, strict=True):
        if shot.caption:
            overlays.append(TextOverlay(text=shot.caption, start=max(0.0, start), end=min(total, start + shot.shown_seconds),
                                        position="top" if subtitled else "bottom", font_size=max(10, out_h // 14), box=True))
    if subtitled and board.narration.burn_subtitles:
        overlays += [TextOverlay(text=c.text, start=c.start, end=min(total, c.end), position="bottom",
                                 font_size=max(10, out_h // 14), box=True) for c in voice.cues]
    audio = []
    mix = board.music
    if voice is not None:  # the music is in the narrated soundtrack, ducked under the voice
        audio.append(AudioTrack(source=voice.soundtrack, start=0.0, volume=1.0))
    elif project.music and mix.volume > 0:
        audio.append(AudioTrack(source=project.music, start=0.0, in_point=0.0, volume=mix.volume,
                                fade_in=min(mix.fade_in, total / 2), fade_out=min(mix.fade_out, total / 2)))
    return Timeline(width=out_w, height=out_h, fps=fps, fit="fit", clip_audio=False, clips=clips,
                    overlays=overlays, audio=audio, fade_in=board.fade_in, fade_out=board.fade_out,
                    subtitles=voice.subtitles if voice is not None else None)
