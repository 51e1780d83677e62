"""A narrated turn end to end: soundtrack, subtitle track and sidecars, captions apart, narration-only refine."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from turn_helpers import opts

from longcut.agent.state import Narration
from longcut.tools.media import read_audio, read_frame
from longcut.tools.runner import ffmpeg_exe

from tests.fakes import WorldOracleModel
from tests.tools.narration_helpers import needs_espeak, rms_windows

pytestmark = needs_espeak
HOSTILE = "Night falls: at 100% %{pts},\nx',drawbox=c=red:t=fill"  # quotes, colons, expansions, a newline
REQUEST = (f'a 12-second video, narrated: "A red ball sets out. {HOSTILE}. Home." '
           "a red ball crosses a meadow, night falls, then it bounces back home")
FPS = WorldOracleModel().info.fps


def _subtitle_codecs(path):
    """The codecs of the file's subtitle streams, as ffmpeg reads its header (the static build has no ffprobe)."""
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return re.findall(r"Stream #\S+.*?: Subtitle: (\w+)", info)


def _track_cues(path):
    """(start, end, text) of the MP4's subtitle track, read back through ffmpeg as SubRip (its style tags dropped)."""
    srt = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True).stdout
    def secs(c):
        h, m, s = c.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    return [(secs(a), secs(b), re.sub(r"</?font[^>]*>", "", t).strip()) for a, b, t in
            re.findall(r"(\S+) --> (\S+)\n(.*?)(?:\n\n|\Z)", srt, re.S)]


@pytest.fixture
def narrated(sessions):
    res = sessions.make(REQUEST, name="told", opts=opts(WorldOracleModel(), narration=Narration()))
    return sessions, res


def test_the_video_speaks_its_lines_with_subtitles(narrated):
    _, res = narrated
    board = res.project.storyboard
    lines = [(s, s.narration) for s in board.shots if s.narration]
    assert [t for _, t in lines] == ["A red ball sets out.", HOSTILE + ".", "Home."]
    assert _subtitle_codecs(res.render) == ["mov_text"]
    track = _track_cues(res.render)
    assert [c[2] for c in track] == [t for _, t in lines]  # text verbatim
    from longcut.agent.turn.narration import cues
    for (start, end, _), cue in zip(track, cues(board), strict=True):
        assert abs(start - cue.start) <= 1 / FPS and abs(end - cue.end) <= 1 / FPS
    srt = res.render.with_suffix(".srt").read_text(encoding="utf-8")
    assert HOSTILE in srt and HOSTILE.replace("&", "&amp;") in res.render.with_suffix(".vtt").read_text()
    # speech where a line is, silence elsewhere (100 ms windows)
    level = rms_windows(read_audio(res.render, 16000))
    t = (np.arange(len(level)) + 0.5) * 0.1
    for cue in cues(board):
        inside = (t > cue.start + 0.1) & (t < cue.end - 0.1)
        assert np.mean(level[inside] > -45) > 0.6
    quiet = np.ones(len(level), bool)
    for cue in cues(board):
        quiet &= (t < cue.start - 0.15) | (t > cue.end + 0.15)
    assert (level[quiet] < -55).all()


def test_a_narration_only_refine_generates_no_shot(narrated):
    sessions, res = narrated
    before = res.render.read_bytes()
    new = 'Home: "yes" %{n}.'
    model = WorldOracleModel()
    res2 = sessions.refine("told", f"make the narrator say “{new}” in the last shot", opts=opts(model))
    assert model.calls == [] and model.images == [] and res2.revision.regenerated == []  # the model was never called
    assert res2.render.read_bytes() != before
    assert _track_cues(res2.render)[-1][2] == new
    last = res2.project.storyboard.shots[-1]
    assert last.shown_seconds >= last.narration_seconds + 0.3  # slowed to fit, not generated again


def test_burned_subtitles_and_captions_do_not_overlap(sessions, monkeypatch):
    from longcut.agent.turn.assemble import build_timeline
    from longcut.tools import filters
    from longcut.tools.narration import mix

    seen = []
    for module, name in ((filters, "run_ffmpeg"), (filters, "run_ffmpeg_progress"), (mix, "run_ffmpeg")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda args, *a, _real=real, **k: seen.append(list(map(str, args)))
                            or _real(args, *a, **k))
    res = sessions.make(REQUEST, name="burn", opts=opts(WorldOracleModel(), narration=Narration(burn_subtitles=True)))
    assert seen and not [a for args in seen for a in args if "drawbox" in a or "%{pts}" in a]  # text went in files
    frame = read_frame(res.render, 1.0).astype(int)
    assert not ((frame[..., 0] > 150) & (frame[..., 2] < 80) & (frame[..., 1] < 80)).all()  # no injected red box
    timeline = (res.render.parent / "turn-1.timeline.json").read_text(encoding="utf-8")
    import json
    overlays = json.loads(timeline)["overlays"]
    burned = [o for o in overlays if o["text"] == HOSTILE + "."]
    assert burned and burned[0]["position"] == "bottom"
    project = res.project
    project.storyboard.shots[0].caption = "A caption"
    takes = {v.shot_id: v for v in project.versions if v.take_id in res.revision.shot_keys.values()}
    from longcut.agent.turn.narration import Voiceover, cues
    voice = Voiceover("renders/turn-1.soundtrack.flac", "renders/turn-1.ass", cues(project.storyboard))
    info = WorldOracleModel().info
    tl = build_timeline(project, takes, info.width, info.height, info.fps, voice)
    caption = next(o for o in tl.overlays if o.text == "A caption")
    assert caption.position == "top" and tl.subtitles == "renders/turn-1.ass"
    assert build_timeline(project, takes, info.width, info.height, info.fps).overlays[-1].position == "bottom"
