"""Reference images uploaded to the job API.

An upload is checked by its content, not its name or declared type: Pillow
must read it as a real PNG or JPEG of at most ``max_image_pixels``, fully
decodable. It is re-encoded as PNG (dropping metadata and anything appended
to the file) under ``$LONGCUT_HOME/uploads/<owner>/<id>.png`` (readable by the
server's user only: folders 0700, files 0600); clients name an
upload only by its random id, never by a path, and only its owner can use it.
A job copies the images it uses into its own project folder (``refs/``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from longcut.agent.service.queue import QueueLimit, new_id
from longcut.errors import InputError
from longcut.tools import images
from longcut.tools.paths import atomic_output, make_private_dir

log = logging.getLogger(__name__)

UPLOAD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class StoredUpload:
    """What was stored."""

    id: str
    bytes: int
    width: int
    height: int
    format: str


def _owner_dir(home: Path, owner: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", owner):
        raise ValueError(f"owner id {owner!r} is not a token hash")
    return Path(home) / "uploads" / owner


def upload_path(home: Path, owner: str, upload_id: str) -> Path | None:
    """The stored image of ``upload_id`` if ``owner`` has it, else None."""
    if not UPLOAD_ID_RE.match(upload_id):
        return None
    path = _owner_dir(home, owner) / f"{upload_id}.png"
    return path if path.is_file() else None


def decode_image(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """Read ``data`` as a PNG or JPEG image and decode it fully: (RGB image, format)."""
    return images.decode_image(data, max_pixels, what="the upload")


def store_upload(home: Path, owner: str, data: bytes, max_bytes: int, max_pixels: int,
                 max_uploads: int) -> StoredUpload:
    """Check ``data`` and store it for ``owner``; raises ``InputError`` or ``QueueLimit``."""
    if len(data) > max_bytes:
        raise InputError(f"the upload is over the limit max_upload_bytes={max_bytes}")
    folder = make_private_dir(_owner_dir(home, owner))
    count = sum(1 for _ in folder.glob("*.png"))
    if count >= max_uploads:
        raise QueueLimit("max_uploads", f"limit max_uploads={max_uploads} reached: delete uploads you no longer need")
    image, fmt = decode_image(data, max_pixels)
    upload_id = new_id("u")
    with atomic_output(folder / f"{upload_id}.png", private=True) as tmp:
        image.save(tmp, format="PNG")
    return StoredUpload(upload_id, len(data), image.width, image.height, fmt)


def delete_upload(home: Path, owner: str, upload_id: str) -> bool:
    """Remove an upload; False if ``owner`` has none with that id."""
    path = upload_path(home, owner, upload_id)
    if path is None:
        return False
    path.unlink()
    return True
