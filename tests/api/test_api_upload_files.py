"""Uploads on disk: checked by content before anything is written, and private to the server's user."""

import io
import stat

import numpy as np
import pytest
from PIL import Image

from longcut.agent.service.upload_store import store_upload
from longcut.errors import InputError

OWNER = "0123456789abcdef0123456789abcdef"


def png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_an_upload_is_stored_private(tmp_path):
    stored = store_upload(
        tmp_path, OWNER, png(), max_bytes=1 << 20, max_pixels=1 << 20, max_uploads=5
    )
    path = tmp_path / "uploads" / OWNER / f"{stored.id}.png"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (path.parent, path.parent.parent)} == {0o700}


def test_a_refused_upload_leaves_no_file(tmp_path):
    with pytest.raises(InputError):
        store_upload(tmp_path, OWNER, b"root:x:0:0::/root:/bin/sh\n", 1 << 20, 1 << 20, 5)
    assert not list((tmp_path / "uploads").rglob("*.*"))


def test_the_client_refuses_a_file_it_cannot_read_in_one_line(tmp_path):
    from longcut.client import Client

    with (
        Client("http://127.0.0.1:9", token="t") as api,
        pytest.raises(InputError, match="'/proc/self/mem' cannot be read"),
    ):
        api.upload("/proc/self/mem")
    with (
        Client("http://127.0.0.1:9", token="t") as api,
        pytest.raises(InputError, match="is a folder"),
    ):
        api.upload(str(tmp_path))
