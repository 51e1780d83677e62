"""Where user-given paths may point, and how outputs appear on disk.

Every path a user (or the planner) names goes through ``ProjectFolder``: it
must be a local file inside the project root. URLs (``http://…``, ``data:…``,
``concat:…`` and anything else shaped like ``scheme:``) are refused, as are
absolute paths outside the root, ``..`` escapes and symlinks that lead out.
ffmpeg is then always given the resolved absolute path, which it can never
read as a protocol.

``atomic_output`` writes any file (video, JSON, …) under a temporary name in
the same directory and renames it into place only when the writer finished:
a failed or interrupted write leaves nothing at the output path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from longcut.errors import InputError

log = logging.getLogger(__name__)

# "scheme:" at the start of a path: how ffmpeg (and browsers) recognise URLs and
# protocols such as http:, file:, data:, concat:, pipe:, and subfile,,opts,,: (options).
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*(,[^:/]*)?:")
_MAX_PATH_CHARS = 4096


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class ProjectFolder:
    """A project root; resolves user-given paths to local files inside it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root_path = Path(root).expanduser()
        if not root_path.is_dir():
            raise InputError(f"project folder {_shown(str(root))} does not exist or is not a folder")
        self.root = root_path.resolve()

    def __repr__(self) -> str:
        return f"ProjectFolder({str(self.root)!r})"

    def resolve(self, user_path: str | os.PathLike[str], *, must_exist: bool = True) -> Path:
        """Map ``user_path`` (relative to the root, or absolute inside it) to an absolute path.

        Raises ``InputError`` quoting the value for URLs, paths outside the
        root (including via ``..`` or symlinks) and, with ``must_exist``,
        paths that are not existing files.
        """
        raw = os.fspath(user_path)
        if not isinstance(raw, str):
            raise InputError(f"path {_shown(raw)} must be text")
        if not raw.strip():
            raise InputError("path is empty")
        if "\x00" in raw or len(raw) > _MAX_PATH_CHARS:
            raise InputError(f"path {_shown(raw)} is not a valid file name")
        if _URL_RE.match(raw) or "://" in raw:
            raise InputError(
                f"path {_shown(raw)} looks like a URL; only local files inside the project "
                f"folder are allowed"
            )
        candidate = Path(raw).expanduser()
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve(strict=False)  # follows symlinks
        if not resolved.is_relative_to(self.root):
            raise InputError(
                f"path {_shown(raw)} is outside the project folder {str(self.root)!r}"
            )
        if must_exist:
            if not resolved.exists():
                raise InputError(f"file {_shown(raw)} does not exist")
            if not resolved.is_file():
                raise InputError(f"path {_shown(raw)} is not a file")
        return resolved

    def output(self, user_path: str | os.PathLike[str]) -> Path:
        """Resolve an output path inside the root and create its parent folder."""
        path = self.resolve(user_path, must_exist=False)
        if path.is_dir():
            raise InputError(f"output {_shown(os.fspath(user_path))} is a folder, not a file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def new_output(self, stem: str, suffix: str, folder: str = "edits") -> Path:
        """A fresh, unused path ``<root>/<folder>/<stem>-<random><suffix>``."""
        safe_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:40] or "out"
        target = self.root / folder
        target.mkdir(parents=True, exist_ok=True)
        while True:
            path = target / f"{safe_stem}-{secrets.token_hex(4)}{suffix}"
            if not path.exists():
                return path

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, as the planner should name it."""
        return path.resolve().relative_to(self.root).as_posix()


def temp_name(path: Path) -> Path:
    """A hidden temporary sibling of ``path`` that keeps its extension."""
    return path.with_name(f".{path.stem}.tmp-{secrets.token_hex(4)}{path.suffix}")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; move it to ``path`` only on success.

    The temporary file sits in the same folder (so the rename is atomic) and
    keeps the extension (so ffmpeg picks the right muxer). On any exception,
    ``KeyboardInterrupt`` included, the temporary file is deleted and nothing
    appears at ``path``. The block must create the temporary file.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(final)
    try:
        yield tmp
        if not tmp.is_file():
            raise InputError(f"nothing was written for {str(final)!r}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    log.debug("wrote %s", final)
