"""Where user-given paths may point, and how outputs appear on disk.

Every path a user (or the planner) names goes through ``ProjectFolder``: it
must be a local file inside the project root. URLs (``scheme://…``, and
ffmpeg's protocols without slashes: ``data:…``, ``concat:…``, ``subfile,,…:``)
are refused, as are absolute paths outside the root, ``..`` escapes and
symlinks that lead out. A plain name with a colon (``a:b.mp4``) is a file.
ffmpeg is then always given the resolved absolute path, which it can never
read as a protocol.

Paths typed at the command line (``--ref``, ``--music``, ``-o``) may point
anywhere; ``check_input_file`` and ``check_output_path`` turn what the file
system says about them into one clear ``InputError`` quoting the user's own
string, before any work starts.

``atomic_output`` writes any file (video, JSON, …) under a temporary name in
the same directory and renames it into place only when the writer finished:
a failed or interrupted write leaves nothing at the output path, and a
temporary file left by a killed process is swept later (``sweep_stale_temps``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from longcut.errors import InputError

log = logging.getLogger(__name__)

# "scheme:" at the start of a path: how ffmpeg (and browsers) recognise URLs. With "//"
# after it, or options (subfile,,start,0,,:), it is always a URL; without, only when the
# scheme is a protocol ffmpeg knows (its `-protocols` list): "a:b.mp4" is a file name.
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)(,[^:/]*)?:")
FFMPEG_PROTOCOLS = frozenset(
    "async bluray cache concat concatf crypto data dtls fd ffrtmpcrypt ffrtmphttp file ftp gopher gophers "
    "hls http httpproxy https icecast ipfs ipns md5 mmsh mmst pipe prompeg rist rtmp rtmpe rtmps rtmpt rtmpte "
    "rtmpts rtp sctp sftp shared smb srt srtp subfile tcp tee tls udp udplite unix zmq".split())
_MAX_PATH_CHARS = 4096
PROCESS_STARTED = time.time()  # temporary files of ours older than this were left by another process
_TEMP_RE = re.compile(r"^\..+\.tmp-[0-9a-f]{8}(\.[^./]+)?$")


def looks_like_url(raw: str) -> bool:
    """Whether ffmpeg (or a browser) would read ``raw`` as a URL or protocol rather than a file name."""
    if "://" in raw:
        return True
    m = _SCHEME_RE.match(raw)
    return bool(m) and (m.group(2) is not None or m.group(1).lower() in FFMPEG_PROTOCOLS)


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
        if looks_like_url(raw):
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


def is_temp_name(name: str) -> bool:
    """Whether ``name`` has the shape ``temp_name`` gives (``.STEM.tmp-<8 hex digits>.EXT``)."""
    return bool(_TEMP_RE.match(name))


def _os_problem(err: OSError) -> str:
    return err.strerror or type(err).__name__


def make_private_dir(folder: Path) -> Path:
    """Create ``folder`` and any missing parents readable by their owner only (0700)."""
    try:
        for missing in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
            missing.mkdir(mode=0o700, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create folder {str(folder)!r}: {_os_problem(err)}") from err
    return folder


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; move it to ``path`` only on success.

    The temporary file sits in the same folder (so the rename is atomic) and
    keeps the extension (so ffmpeg picks the right muxer). On any exception,
    ``KeyboardInterrupt`` included, the temporary file is deleted and nothing
    appears at ``path``. The block must create the temporary file; with
    ``private`` it is created empty first, mode 0600, so a copy of a user's
    file is never readable by others, not even while it is written. What the
    file system refuses (parent is a file, no permission, immutable target)
    is an ``InputError`` naming ``path``.
    """
    final = Path(path)
    if private:
        make_private_dir(final.parent)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot write {str(final)!r}: its folder cannot be created ({_os_problem(err)})") from err
    tmp = temp_name(final)
    try:
        if private:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        yield tmp
        if not tmp.is_file() or (private and tmp.stat().st_size == 0):
            raise InputError(f"nothing was written for {str(final)!r}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(err, OSError) and str(err.filename) in (str(tmp), str(final)):
            raise InputError(f"cannot write {str(final)!r}: {_os_problem(err)}") from err
        raise
    log.debug("wrote %s", final)


def check_output_path(user_path: str | os.PathLike[str], suffixes: Iterable[str]) -> Path:
    """Check, before any work, that a file can be written at the path the user typed.

    Its suffix must be one of ``suffixes``; it must not be a folder; its
    folder must be a folder (or be creatable) that accepts a new file; an
    existing file there must be replaceable. Returns the path (``~`` expanded).
    """
    raw = os.fspath(user_path)
    shown = f"output {_shown(raw)}"
    allowed = tuple(suffixes)
    path = Path(raw).expanduser()
    if not raw.strip() or "\x00" in raw:
        raise InputError(f"{shown} is not a valid file name")
    if path.suffix.lower() not in allowed:
        raise InputError(f"{shown} must end with {' or '.join(allowed)}")
    if path.is_dir():
        raise InputError(f"{shown} is a folder, not a file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # the nearest folder that exists
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{shown}: {str(folder)!r} is a file, not a folder")
    _check_writable(path, folder, shown)
    return path


def _check_writable(path: Path, folder: Path, shown: str) -> None:
    """Create (and remove) a file, or a folder when ``path``'s folder is still to be made, in ``folder``.

    An existing ``path`` is opened for appending: an immutable or read-only
    file refuses that. Nothing is written.
    """
    probe = temp_name(path if folder == path.parent else folder / path.parent.name)
    try:
        if folder == path.parent:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            probe.unlink()
        else:
            probe.mkdir(mode=0o700)
            probe.rmdir()
        if path.is_file():
            with open(path, "ab"):
                pass
    except OSError as err:
        raise InputError(f"{shown} cannot be written: {_os_problem(err)}") from err


def check_input_file(user_path: str | os.PathLike[str], what: str, max_bytes: int | None = None) -> Path:
    """A local regular file the user named, that we can open; ``InputError`` quoting their string otherwise."""
    raw = os.fspath(user_path)
    shown = f"{what} {_shown(raw)}"
    if looks_like_url(raw):
        raise InputError(f"{shown} looks like a URL; give a local file")
    path = Path(raw).expanduser()
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{shown} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{shown} is not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise InputError(f"{shown} is over {max_bytes // 2**20} MiB")
        with open(path, "rb"):
            pass
    except FileNotFoundError as err:
        raise InputError(f"{shown} does not exist") from err
    except OSError as err:
        raise InputError(f"{shown} cannot be read: {_os_problem(err)}") from err
    return path


def read_input_bytes(user_path: str | os.PathLike[str], what: str, max_bytes: int | None) -> bytes:
    """``check_input_file``, then its bytes (at most ``max_bytes``; reading errors are ``InputError``)."""
    path = check_input_file(user_path, what, max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as err:
        raise InputError(f"{what} {_shown(os.fspath(user_path))} cannot be read: {_os_problem(err)}") from err
    if max_bytes is not None and len(data) > max_bytes:  # a file that grew, or whose size the kernel hides
        raise InputError(f"{what} {_shown(os.fspath(user_path))} is over {max_bytes // 2**20} MiB")
    return data


def sweep_stale_temps(folder: Path, *, recursive: bool = False, stem_of: Path | None = None) -> int:
    """Remove temporary files of ours (``temp_name``'s shape) that a killed process left in ``folder``.

    Only files older than this process are touched, so a write in progress
    elsewhere is left alone; ``stem_of`` narrows the sweep to the temporary
    names of one output (``longcut edit -o`` in a user's folder). Returns the
    number removed.
    """
    if not folder.is_dir():
        return 0
    found = folder.rglob(".*.tmp-*") if recursive else folder.glob(".*.tmp-*")
    removed = 0
    for path in found:
        if not is_temp_name(path.name):
            continue
        if stem_of is not None and not (path.name.startswith(f".{stem_of.stem}.tmp-")
                                        and path.suffix == stem_of.suffix):
            continue
        try:
            st = path.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_mtime < PROCESS_STARTED:
                path.unlink()
                removed += 1
                log.info("removed %s, left by an interrupted write", path)
        except FileNotFoundError:
            continue
    return removed
