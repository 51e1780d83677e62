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
