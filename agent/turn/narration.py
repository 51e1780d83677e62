"""The turn's narration: speak the storyboard's lines, fit the shots to them, mix the soundtrack, write subtitles.

``align`` runs where a storyboard is planned or revised, before anything is
generated: it speaks every line (cached by engine, voice and text in the
project's ``narration/``), records how long each is spoken and applies the
planner's durations rule (``planning.narration.fit_narration``). ``voiceover``
runs at render: the soundtrack (lines over the ducked music, normalised) and
the subtitles (``.srt``/``.vtt`` sidecars beside the render, an ASS file the
render muxes as the MP4's soft track), timed from each shot's start.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from longcut.agent.planning.narration import fit_narration
from longcut.agent.state import Narration, Project, Storyboard
from longcut.tools.filters import check_drawable
from longcut.tools.narration.cache import SpeechCache
from longcut.tools.narration.mix import MusicBed, Soundtrack, SpeechClip, render_soundtrack
from longcut.tools.narration.speaker import Speaker, get_speaker
from longcut.tools.narration.subtitles import Cue, write_ass, write_sidecars


def speaker_for(narration: Narration) -> Speaker:
    """The speaker the storyboard's narration settings name (``NoSpeechEngine`` when there is none)."""
    return get_speaker(narration.engine, narration.voice, narration.wpm)


def unchanged_shots(project: Project) -> set[str]:
    """Ids of shots whose takes the last revision rendered and whose content this storyboard keeps."""
    if not project.revisions:
        return set()
    def what(s):
        return (s.prompt, s.seconds, s.seed, s.refs, s.continuous)
    before = {s.id: what(s) for s in project.revisions[-1].storyboard.shots}
    return {s.id for s in project.storyboard.shots if before.get(s.id) == what(s)}


def align(project: Project, root: Path | None) -> list[str]:
    """Speak the storyboard's lines and fit the shots to them, in place; returns the notes (also logged).

    ``root``: the project folder, where the spoken lines are kept (None: a
    throw-away folder, for a plan that saves nothing). Shots the last
    revision rendered keep their takes: they are slowed, not lengthened.
    """
    board = project.storyboard
    if board is None or not board.narrated:
        return []
    speaker = speaker_for(board.narration)
    with tempfile.TemporaryDirectory(prefix="longcut-speech-") as scratch:
        cache = SpeechCache(root if root is not None else Path(scratch))
        shots = []
        for s in board.shots:
            if s.narration and board.narration.burn_subtitles:
                check_drawable(s.narration)
            spoken = round(cache.speak(speaker, s.narration).seconds, 3) if s.narration else None
            shots.append(s.model_copy(update={"narration_seconds": spoken}))
    board, notes = fit_narration(board.model_copy(update={"shots": shots}), project.seconds,
                                 unchanged_shots(project))
    project.storyboard = board
    for note in notes:
        project.note("plan", note)
    return notes


def shot_starts(board: Storyboard) -> list[float]:
    """Where each shot begins on the video's timeline (a transition starts it before the previous one ends)."""
    starts, t = [], 0.0
    for i, shot in enumerate(board.shots):
        if i:
            t -= board.shots[i - 1].transition.seconds
        starts.append(t)
        t += shot.shown_seconds
    return starts


def cues(board: Storyboard) -> list[Cue]:
    """Each line's subtitle: from its shot's start plus the lead, for as long as it is spoken."""
    out = []
    for shot, start in zip(board.shots, shot_starts(board), strict=True):
        if shot.narration and shot.narration_seconds:
            begin = start + board.narration.lead
            out.append(Cue(begin, begin + shot.narration_seconds, shot.narration))
    return out


@dataclass(frozen=True)
class Voiceover:
    """What the render adds for narration: the soundtrack, the subtitle track, the cues (for burn-in)."""

    soundtrack: str  # relative to the project folder
    subtitles: str | None  # the ASS file muxed as the soft track; None: subtitles are off
    cues: list[Cue]


def voiceover(project: Project, root: Path, stem: str, width: int, height: int) -> Voiceover | None:
    """Make the narrated soundtrack and subtitles of ``project``'s storyboard as ``stem.*`` (None: no narration)."""
    board = project.storyboard
    if not board.narrated:
        return None
    speaker, cache = speaker_for(board.narration), SpeechCache(root)
    lines = cues(board)
    clips = []
    for cue in lines:
        spoken = cache.speak(speaker, cue.text)
        clips.append(SpeechClip(root / spoken.file, cue.start, spoken.seconds))
    mix = board.music
    music = (MusicBed(root / project.music, mix.volume, mix.fade_in, mix.fade_out)
             if project.music and mix.volume > 0 else None)
    render_soundtrack(Soundtrack(seconds=board.seconds, speech=clips, music=music), root / f"{stem}.soundtrack.flac")
    subtitles = None
    if board.narration.subtitles:
        write_sidecars(lines, root / stem)
        subtitles = f"{stem}.ass"
        write_ass(lines, root / subtitles, width, height)
    return Voiceover(soundtrack=f"{stem}.soundtrack.flac", subtitles=subtitles, cues=lines)
