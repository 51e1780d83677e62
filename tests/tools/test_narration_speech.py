"""Speech engines: lookup, the no-engine error, espeak-ng run without a shell, the synthesis cache."""

from __future__ import annotations

import json

import pytest
from narration_helpers import fake_espeak, needs_espeak

from longcut.errors import InputError
from longcut.tools.narration import espeak
from longcut.tools.narration.cache import SpeechCache, speech_key, wav_seconds
from longcut.tools.narration.speaker import (
    NoSpeechEngine,
    Speaker,
    doctor_check,
    engines,
    get_speaker,
)

HOSTILE = ["it's \"quoted\": yes", "%{pts} and %{localtime}", "line one\nline two", "-v xx --help",
           "x',drawbox=c=red:t=fill,drawtext=text='pwn", "[[h@l'oU]] brackets", "; rm -rf / #"]


@pytest.fixture
def no_piper(monkeypatch):
    from longcut.tools.narration import piper

    monkeypatch.setattr(piper, "installed", lambda: False)  # whatever this machine has


def test_no_engine_is_a_clear_error(tmp_path, no_piper):
    empty = str(tmp_path)  # a PATH with nothing on it: no engine, whatever this machine has
    with pytest.raises(NoSpeechEngine, match="install espeak-ng.*without narration"):
        get_speaker(search_path=empty)
    assert [(e.name, e.available) for e in engines(empty)] == [("espeak", False), ("piper", False)]


def test_doctor_says_when_there_is_no_engine(monkeypatch, tmp_path, no_piper):
    monkeypatch.setenv("PATH", str(tmp_path))
    name, ok, detail = doctor_check()
    assert (name, ok) == ("speech", False) and "apt-get install espeak-ng" in detail


def test_doctor_says_what_piper_alone_can_do(monkeypatch, tmp_path):
    from longcut.tools.narration import piper
    from longcut.tools.narration.speaker import EngineStatus

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(piper, "status", lambda: EngineStatus("piper", True, "piper-tts 1.8.0: voices joe"))
    name, ok, detail = doctor_check()
    assert (name, ok) == ("speech", True) and "--voice joe" in detail


def test_bad_engine_voice_and_rate_are_refused(tmp_path):
    with pytest.raises(InputError, match="speech engine 'festival'"):
        get_speaker("festival")
    with pytest.raises(InputError, match="voice '-x' is not a voice name"):
        get_speaker(voice="-x", search_path=str(tmp_path))
    with pytest.raises(InputError, match="speaking rate"):
        get_speaker(wpm=5, search_path=str(tmp_path))


def test_text_reaches_espeak_on_stdin_only(tmp_path):
    path, log = fake_espeak(tmp_path / "bin")
    speaker = get_speaker(voice="en-us", wpm=150, search_path=path)
    assert isinstance(speaker, Speaker) and speaker.version == "9.99-fake"
    for i, text in enumerate(HOSTILE):
        speaker.synthesize(text, tmp_path / f"{i}.wav")
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["stdin"] for c in calls] == [espeak.speakable(t) for t in HOSTILE]
    for c in calls:
        assert c["args"][:4] == ["-v", "en-us", "-s", "150"] and c["args"][-1] == "--stdin"
        assert len(c["args"]) == 7  # -v V -s N -w FILE --stdin: no text among the arguments
    assert espeak.speakable("[[h@l'oU]]") == "[ [h@l'oU]]"  # not phoneme input: spoken as written
    # the fake's tone has 0.1 s of silence either side: cut, 20 ms kept each side
    assert wav_seconds(tmp_path / "0.wav") == pytest.approx(1.04, abs=0.01)


class _Counting:
    engine, voice, wpm, version = "fake", "v1", 165, "1"

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def synthesize(self, text, out):
        self.calls += 1
        self.inner.synthesize(text, out)


def test_cache_speaks_each_line_once(tmp_path):
    path, _ = fake_espeak(tmp_path / "bin")
    speaker = _Counting(get_speaker(search_path=path))
    cache = SpeechCache(tmp_path / "project")
    a = cache.speak(speaker, "Hello there.")
    again = cache.speak(speaker, "Hello there.")
    assert a == again and speaker.calls == 1 and a.file.startswith("narration/")
    other = cache.speak(speaker, "Hello there!")
    assert other.file != a.file and speaker.calls == 2
    speaker.voice = "v2"
    assert speech_key(speaker, "Hello there.") not in a.file
    leftovers = [p.name for p in (tmp_path / "project" / "narration").iterdir() if ".tmp-" in p.name]
    assert leftovers == []


@needs_espeak
def test_espeak_speaks_hostile_lines(tmp_path):
    speaker = get_speaker()
    cache = SpeechCache(tmp_path)
    lengths = [cache.speak(speaker, t).seconds for t in HOSTILE]
    assert all(0.3 < s < 10 for s in lengths)
    long = cache.speak(speaker, "This is a much longer line, spoken slowly and clearly by the narrator.")
    assert long.seconds > max(lengths[:2])
