"""The voice-over mix: lines where they belong, music ducked ≥ 6 dB under the voice, loudness at target."""

from __future__ import annotations

import numpy as np
import pytest
from narration_helpers import RATE, band_db, needs_espeak, rms_windows, write_tone

from longcut.errors import InputError
from longcut.tools.media import read_audio
from longcut.tools.narration.cache import SpeechCache
from longcut.tools.narration.mix import (
    Loudness,
    MusicBed,
    Soundtrack,
    SpeechClip,
    measure_loudness,
    render_soundtrack,
)
from longcut.tools.narration.speaker import get_speaker
from longcut.tools.runner import run_ffmpeg

VOICE_HZ, MUSIC_HZ = 1000.0, 200.0


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    path = tmp_path_factory.mktemp("music") / "music.wav"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"sine=frequency={MUSIC_HZ}:duration=12", "-ac", "2", str(path)],
               "make music")
    return path


def _at(samples, start, end):
    return samples[round(start * RATE):round(end * RATE)]


def test_music_ducks_under_the_voice(tmp_path, music):
    lines = [SpeechClip(write_tone(tmp_path / "a.wav", VOICE_HZ, 2.0), 2.0, 2.0),
             SpeechClip(write_tone(tmp_path / "b.wav", VOICE_HZ, 1.5), 7.0, 1.5)]
    out = render_soundtrack(Soundtrack(seconds=10.0, speech=lines, music=MusicBed(music, fade_in=0.5,
                                                                                   fade_out=0.5)),
                            tmp_path / "mix.flac")
    x = read_audio(out, RATE)
    assert len(x) == pytest.approx(10 * RATE, abs=RATE * 0.01)
    for start, end in ((2.0, 4.0), (7.0, 8.5)):  # inside each line, past the compressor's attack
        during = _at(x, start + 0.3, end - 0.1)
        before = _at(x, start - 1.0, start - 0.2)
        assert band_db(during, VOICE_HZ - 20, VOICE_HZ + 20) > band_db(before, VOICE_HZ - 20, VOICE_HZ + 20) + 30
        ducking = band_db(before, MUSIC_HZ - 10, MUSIC_HZ + 10) - band_db(during, MUSIC_HZ - 10, MUSIC_HZ + 10)
        assert ducking >= 6.0, f"music dipped only {ducking:.1f} dB under the line at {start}s"
    level = rms_windows(x)
    assert level[:2].mean() < level[8:12].mean() - 6  # music fades in


def test_loudness_is_normalised(tmp_path, music):
    quiet = SpeechClip(write_tone(tmp_path / "q.wav", VOICE_HZ, 3.0, amplitude=0.02), 1.0, 3.0)
    for target in (-16.0, -23.0):
        out = render_soundtrack(Soundtrack(seconds=5.0, speech=[quiet], loudness=Loudness(integrated=target)),
                                tmp_path / f"l{-target:g}.flac")
        integrated, peak = measure_loudness(out)
        assert integrated == pytest.approx(target, abs=1.0) and peak <= -1.0


def test_lines_that_overlap_are_refused(tmp_path):
    tone = write_tone(tmp_path / "t.wav", VOICE_HZ, 2.0)
    with pytest.raises(InputError, match="runs into the next line"):
        render_soundtrack(Soundtrack(seconds=6.0, speech=[SpeechClip(tone, 0.5, 2.0), SpeechClip(tone, 2.0, 2.0)]),
                          tmp_path / "x.flac")
    with pytest.raises(InputError, match="runs into the end of the video"):
        render_soundtrack(Soundtrack(seconds=3.0, speech=[SpeechClip(tone, 1.5, 2.0)]), tmp_path / "y.flac")
    assert not list(tmp_path.glob("*.flac"))


@needs_espeak
def test_spoken_lines_are_heard_where_they_are_and_nowhere_else(tmp_path):
    speaker, cache = get_speaker(), SpeechCache(tmp_path)
    texts = ["A red ball rolls across the meadow.", 'Night falls: "%{pts}" stays quiet.']
    starts = [0.5, 5.0]
    spoken = [cache.speak(speaker, t) for t in texts]
    clips = [SpeechClip(tmp_path / s.file, start, s.seconds) for s, start in zip(spoken, starts, strict=True)]
    x = read_audio(render_soundtrack(Soundtrack(seconds=9.0, speech=clips), tmp_path / "v.flac"), RATE)
    level = rms_windows(x)  # one value per 100 ms
    t = (np.arange(len(level)) + 0.5) * 0.1
    inside = np.zeros(len(level), bool)
    for c in clips:
        inside |= (t > c.start + 0.05) & (t < c.start + c.seconds - 0.05)
    outside = np.ones(len(level), bool)
    for c in clips:
        outside &= (t < c.start - 0.1) | (t > c.start + c.seconds + 0.1)
    assert (level[outside] < -60).all(), "sound where no line is"
    assert np.mean(level[inside] > -40) > 0.7, "too many silent windows inside the lines"


@needs_espeak
def test_many_lines_are_placed_in_groups_and_stay_where_they_belong(tmp_path, monkeypatch):
    import longcut.tools.narration.mix as mix

    monkeypatch.setattr(mix, "LINES_PER_RUN", 2)  # 5 lines: three groups, then two group files joined
    speaker, cache = get_speaker(), SpeechCache(tmp_path)
    spoken = [cache.speak(speaker, t) for t in ("One.", "Two: %{n}.", "Three.", "Four.", "Five, at last.")]
    clips = [SpeechClip(tmp_path / s.file, 0.3 + 2.0 * k, s.seconds) for k, s in enumerate(spoken)]
    x = read_audio(render_soundtrack(Soundtrack(seconds=10.5, speech=clips), tmp_path / "v.flac"), RATE)
    assert len(x) == pytest.approx(10.5 * RATE, abs=RATE * 0.02)
    level = rms_windows(x)
    t = (np.arange(len(level)) + 0.5) * 0.1
    for c in clips:
        here = (t > c.start + 0.05) & (t < c.start + c.seconds - 0.05)
        assert np.mean(level[here] > -40) > 0.6, f"the line at {c.start}s is not heard where it belongs"
    quiet = np.ones(len(level), bool)
    for c in clips:
        quiet &= (t < c.start - 0.1) | (t > c.start + c.seconds + 0.1)
    assert (level[quiet] < -60).all()
