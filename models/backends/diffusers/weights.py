"""A diffusers backend's weights folder: what it must hold, its optional settings, its id.

A diffusers backend reads open weights from a local folder in diffusers layout
(``model_index.json`` + one sub-folder per component, as ``save_pretrained``
writes it and as the published "-Diffusers" repos ship it). A missing or
incomplete folder is a ``LongcutError`` that names the files expected and
where to get them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from longcut.errors import LongcutError

_SMALL_JSON = 4 * 2**20  # configs and indices are hashed whole; bigger files by size


@dataclass(frozen=True)
class WeightsSpec:
    """What a backend's weights folder must hold, and where the user gets it."""

    pipelines: tuple[str, ...]  # accepted ``_class_name`` values of model_index.json
    repo: str  # the Hugging Face repo that ships this layout
    models: tuple[str, ...] = ("transformer", "vae", "text_encoder")
    extras: tuple[tuple[str, str], ...] = (("tokenizer", "tokenizer_config.json"),
                                           ("scheduler", "scheduler_config.json"))


def default_weights_dir(name: str) -> Path:
    """Where ``--model NAME`` looks without ``--weights``: ``$LONGCUT_HOME/weights/NAME``."""
    home = Path(os.environ.get("LONGCUT_HOME") or Path.home() / ".longcut").expanduser()
    return home / "weights" / name


def missing_weight_files(folder: Path, spec: WeightsSpec) -> list[str]:
    """Files (relative to ``folder``) that a complete folder has and this one lacks."""
    folder = Path(folder)
    missing = [] if (folder / "model_index.json").is_file() else ["model_index.json"]
    for comp in spec.models:
        if not (folder / comp / "config.json").is_file():
            missing.append(f"{comp}/config.json")
        index = sorted((folder / comp).glob("*.safetensors.index.json")) if (folder / comp).is_dir() else []
        if index:
            try:
                shards = set(json.loads(index[0].read_text())["weight_map"].values())
            except (OSError, ValueError, KeyError) as err:
                missing.append(f"{comp}/{index[0].name} (unreadable: {err})")
                continue
            missing += [f"{comp}/{s}" for s in sorted(shards) if not (folder / comp / s).is_file()]
        elif not (folder / comp).is_dir() or not any((folder / comp).glob("*.safetensors")):
            missing.append(f"{comp}/*.safetensors")
    missing += [f"{comp}/{name}" for comp, name in spec.extras if not (folder / comp / name).is_file()]
    return missing


def check_weights_folder(folder: Path, spec: WeightsSpec, model: str) -> None:
    """Refuse a missing, incomplete or wrong weights folder with a message that says how to fix it."""
    folder = Path(folder)
    get = (f"download it where there is network with `huggingface-cli download {spec.repo} --local-dir {folder}` "
           f"(https://huggingface.co/{spec.repo}) and pass --weights {folder}")
    if not folder.is_dir():
        raise LongcutError(f"weights folder {str(folder)!r} for {model} does not exist; {get}")
    missing = missing_weight_files(folder, spec)
    if missing:
        raise LongcutError(f"weights folder {str(folder)!r} for {model} is incomplete: missing {', '.join(missing)}. "
                           f"A diffusers-layout folder is expected; {get}")
    try:
        cls = json.loads((folder / "model_index.json").read_text()).get("_class_name")
    except (OSError, ValueError) as err:
        raise LongcutError(f"{str(folder / 'model_index.json')!r} is not readable JSON: {err}") from err
    if cls not in spec.pipelines:
        raise LongcutError(f"weights folder {str(folder)!r} holds a {cls!r}; {model} needs one of "
                           f"{', '.join(spec.pipelines)} ({spec.repo})")


SETTINGS_FILE = "longcut.json"
SETTING_TYPES = {"width": int, "height": int, "window_frames": int, "keep": int, "steps": int, "guidance": float,
                 "negative_prompt": str}


def folder_settings(folder: Path) -> dict:
    """Optional backend settings saved with the weights (``longcut.json``): size, window, steps.

    Explicit constructor arguments win over these, and these over the preset's
    defaults. The file is part of ``weights_id``, so changing it changes every
    shot cache key, as it changes every shot.
    """
    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise LongcutError(f"{str(path)!r} is not readable JSON: {err}") from err
    if not isinstance(data, dict):
        raise LongcutError(f"{str(path)!r} must hold a JSON object, got {type(data).__name__}")
    for key, value in data.items():
        kind = SETTING_TYPES.get(key)
        if kind is None:
            raise LongcutError(f"{str(path)!r}: unknown setting {key!r}; allowed: {', '.join(SETTING_TYPES)}")
        ok = isinstance(value, (int, float) if kind is float else kind) and not isinstance(value, bool)
        if not ok:
            raise LongcutError(f"{str(path)!r}: {key} must be a {kind.__name__}, got {value!r}")
    return data


def pick(given, settings: dict, key: str, default):
    """An explicit argument, else the folder's setting, else the preset's default."""
    return given if given is not None else settings.get(key, default)


def weights_id(folder: Path) -> str:
    """A cheap hash of a weights folder: configs and indices by content, weight files by name and size."""
    h = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith("."):
            continue
        size = path.stat().st_size
        h.update(f"{rel}:{size}\n".encode())
        if path.suffix == ".json" and size <= _SMALL_JSON:
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
