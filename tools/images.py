"""Reading user images (references, uploads): by content, fully decoded, bounded.

One reader for every way an image reaches longcut (``--ref`` on the command
line, a reference inside a project, an upload to the job API): Pillow must
read it as a real PNG or JPEG within a pixel limit, decoding it fully
(decompression bombs and truncated files are refused), and the result is RGB.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from longcut.errors import InputError
from longcut.tools.paths import read_input_bytes

FORMATS = ("PNG", "JPEG")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096


def header_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) from a PNG or JPEG header, nothing decoded; None if it is neither.

    Pillow's own header parsers, without ``Image.open``'s decompression-bomb
    check: that check would turn an image with too many pixels into an
    unreadable one, and the user should hear what is wrong with it.
    """
    for plugin in (PngImagePlugin.PngImageFile, JpegImagePlugin.JpegImageFile):
        try:
            with plugin(io.BytesIO(data)) as im:
                return im.format, im.size[0], im.size[1]
        except (SyntaxError, OSError, ValueError, struct.error, IndexError, KeyError, TypeError):
            continue
    return None


def decode_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS, what: str = "the image") -> tuple[Image.Image, str]:
    """Read ``data`` as a PNG or JPEG and decode it fully: (RGB image, format); ``InputError`` says what is wrong.

    The pixel limit is checked on the header's size before anything is decoded.
    """
    head = header_size(data)
    if head is not None and head[1] * head[2] > max_pixels:
        raise InputError(f"{what} is {head[1]}x{head[2]}, too many pixels: the limit is "
                         f"max_image_pixels={max_pixels}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (w, h) = probe.format, probe.size
                if fmt not in FORMATS:
                    raise InputError(f"{what} is {fmt or 'not an image'}; only PNG or JPEG images are accepted")
                if w * h > max_pixels:
                    raise InputError(f"{what} is {w}x{h}, too many pixels: the limit is "
                                     f"max_image_pixels={max_pixels}")
                probe.verify()
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                return im.convert("RGB"), fmt
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as err:
        raise InputError(f"{what} is not a readable PNG or JPEG image") from err


def read_image_file(path: str | Path, what: str = "image", max_bytes: int = MAX_IMAGE_BYTES,
                    max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """A local PNG/JPEG file as an RGB image; missing, unreadable, oversized or non-image files are clear errors.

    ``path`` is quoted as given (the user's own string, when they typed it).
    """
    data = read_input_bytes(path, what, max_bytes)
    return decode_image(data, max_pixels, f"{what} {str(path)!r}")[0]


def read_rgb_array(path: str | Path, what: str = "image") -> np.ndarray:
    """``read_image_file`` as a uint8 (h, w, 3) array."""
    return np.asarray(read_image_file(path, what), dtype=np.uint8)
