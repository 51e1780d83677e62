"""Bearer tokens for the job API: where they come from and who owns a job.

Tokens come from ``LONGCUT_API_TOKEN`` (one token, or several separated by
commas: one per user) or else from ``$LONGCUT_HOME/api-token`` (one per
line). On first run the file is created with mode 600 holding one random
token, which ``longcut serve`` prints once. A file that others may read is
refused, as ssh refuses a private key.

A job belongs to the token that created it: the queue stores only a hash of
the token (the *owner*), and every lookup is filtered by it, so one user can
neither read nor guess another's jobs, sessions or uploads.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from longcut.errors import InputError

log = logging.getLogger(__name__)

TOKEN_ENV = "LONGCUT_API_TOKEN"
TOKEN_FILE = "api-token"
MIN_TOKEN_CHARS = 16


def owner_of(token: str) -> str:
    """The owner id stored with jobs: a hash of the token (the token itself is never stored)."""
    return hashlib.sha256(("longcut-owner:" + token).encode()).hexdigest()[:32]


def _check(tokens: list[str], where: str) -> list[str]:
    tokens = [t.strip() for t in tokens if t.strip()]
    if not tokens:
        raise InputError(f"no API token in {where}")
    short = [t for t in tokens if len(t) < MIN_TOKEN_CHARS]
    if short:
        raise InputError(f"API tokens in {where} must be at least {MIN_TOKEN_CHARS} characters "
                         f"({len(short)} token(s) are shorter)")
    return tokens


def _read_token_file(path: Path) -> list[str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InputError(f"{str(path)!r} may be read by other users (mode {mode:o}); run `chmod 600 {path}`")
    return _check(path.read_text(encoding="utf-8").splitlines(), str(path))


@dataclass(frozen=True)
class Tokens:
    """The accepted tokens; ``created`` holds a token made on this run (to print once)."""

    tokens: tuple[str, ...]
    created: str | None = None

    def owner(self, presented: str | None) -> str | None:
        """The owner id of ``presented`` if it is an accepted token, else None (constant time per token)."""
        if not presented:
            return None
        found = None
        for t in self.tokens:
            if hmac.compare_digest(t.encode(), presented.encode()):
                found = t
        return owner_of(found) if found is not None else None


def load_tokens(home: Path, create: bool = True) -> Tokens:
    """Tokens from the environment, else the token file (created, mode 600, when ``create``)."""
    env = os.environ.get(TOKEN_ENV)
    if env:
        return Tokens(tuple(_check(env.split(","), f"${TOKEN_ENV}")))
    path = Path(home) / TOKEN_FILE
    if path.exists():
        return Tokens(tuple(_read_token_file(path)))
    if not create:
        raise InputError(f"no API token: set ${TOKEN_ENV} or run `longcut serve` once to create {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    log.info("created API token file %s", path)
    return Tokens((token,), created=token)


def client_token(home: Path, explicit: str | None = None) -> str:
    """The token a local client uses: ``--token``, else the first of ``$LONGCUT_API_TOKEN``, else the file."""
    if explicit:
        return explicit
    return load_tokens(home, create=False).tokens[0]
