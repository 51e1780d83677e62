import numpy as np
import pytest
from PIL import Image

from longcut.errors import InputError
from longcut.tools.images import read_image_file, read_rgb_array


def test_reads_png_and_jpeg_as_rgb(tmp_path):
    Image.fromarray(np.full((8, 6, 4), 200, np.uint8), "RGBA").save(tmp_path / "a.png")
    Image.fromarray(np.full((8, 6, 3), 90, np.uint8)).save(tmp_path / "b.jpg")
    assert read_rgb_array(tmp_path / "a.png").shape == (8, 6, 3)
    assert read_image_file(tmp_path / "b.jpg").mode == "RGB"


def test_refuses_what_is_not_a_png_or_jpeg(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "x.gif")
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InputError, match="is GIF; only PNG or JPEG"):
        read_image_file(tmp_path / "x.gif", "reference")
    with pytest.raises(InputError, match="not a readable PNG or JPEG"):
        read_image_file(tmp_path / "fake.png")
    with pytest.raises(InputError, match="does not exist"):
        read_image_file(tmp_path / "missing.png")
    with pytest.raises(InputError, match="over 0 MiB"):
        read_image_file(tmp_path / "x.gif", max_bytes=1)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny real PNG whose header claims ``width``×``height`` (a decompression bomb's header)."""
    import io
    import struct
    import zlib

    buf = io.BytesIO()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = ihdr[4:12]
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (5000, 5000)])
def test_too_many_pixels_is_said_from_the_header(width, height):
    from longcut.tools.images import decode_image, header_size

    bomb = png_claiming(width, height)
    assert header_size(bomb) == ("PNG", width, height)
    with pytest.raises(InputError, match=f"is {width}x{height}, too many pixels: the limit is max_image_pixels=16777216"):
        decode_image(bomb)


def test_a_jpeg_header_is_read_too():
    import io

    from longcut.tools.images import header_size

    buf = io.BytesIO()
    Image.fromarray(np.zeros((6, 10, 3), np.uint8)).save(buf, format="JPEG")
    assert header_size(buf.getvalue()) == ("JPEG", 10, 6)
    assert header_size(b"GIF89a....") is None and header_size(b"") is None
