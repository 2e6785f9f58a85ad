"""Reading images safely: what the protocol needs kept, and a clear error for the rest.

Rules (documented in the book's protocol chapter):

* 1-channel 8-bit images stay 1-channel (``H x W x 1``): the paper's protocol evaluates grey
  images on their grey values (Set14 ``bridge.png`` is such a file).
* Bilevel (mode ``1``) images become 8-bit grey (0/255); palette images become RGB (RGBA when
  the palette has transparency); CMYK and YCbCr files are converted to RGB by Pillow.
* An alpha channel that is fully opaque is dropped. A translucent one is an error unless the
  caller asks for ``keep_alpha=True`` (the ``upscale`` command does, and resizes alpha apart).
* 16-bit (or 32-bit / float) images are refused: silently reducing them to 8 bits would change
  what is measured. Empty, truncated or non-image files are refused with the file's path.
* EXIF orientation (a camera's sideways-stored JPEG) is applied only on request (``upright=True``,
  the ``upscale`` command): the benchmarks' protocol reads the stored pixels, as MATLAB does.
* An image larger than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``, about
  89 million pixels) is refused before it is decoded, with its path.
"""
from __future__ import annotations

import os
import re
import warnings
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import SrlibError, output_error
from ..files import atomic_write

__all__ = ["ImageLoadError", "load_image", "save_image"]

_CONVERT_TO_RGB = {"CMYK", "YCbCr", "LAB", "HSV"}
_URL = re.compile(r"(?i)^(https?|ftps?|s3|gs):/")
_HIGH_BIT_MODES = {"I", "F", "I;16", "I;16B", "I;16L", "I;16N"}


class ImageLoadError(SrlibError, ValueError):
    """An image file that cannot be used, with the path and the reason in the message."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"cannot use image {self.path}: {reason}")


def _is_high_bit_depth(img: Image.Image) -> bool:
    if img.mode in _HIGH_BIT_MODES:
        return True
    # Pillow reads 16-bit-per-channel RGB(A) PNGs as 8-bit RGB(A) without a word: look at the raw mode.
    return any(";16" in str(getattr(tile, "args", tile[3] if len(tile) > 3 else "")) for tile in (img.tile or []))


def load_image(path: Path | str, keep_alpha: bool = False, upright: bool = False) -> np.ndarray:
    """Load an image file as a ``uint8`` array of shape ``H x W x C``.

    ``C`` is 1 (grey), 3 (RGB), or with ``keep_alpha=True`` 2 (grey + alpha) or 4 (RGBA).
    ``upright``: turn the pixels as the file's EXIF orientation says (a camera's JPEG is stored
    sideways and displayed upright), as a viewer shows it; off for the benchmarks, whose protocol
    (MATLAB's ``imread``) reads the stored pixels.

    Raises:
        FileNotFoundError: the file does not exist.
        ImageLoadError: a URL, a device or pipe; an empty, corrupt, truncated, 16-bit or otherwise
            unusable file; or a translucent alpha channel without ``keep_alpha``.
    """
    if _URL.match(str(path)):  # Path() has already folded "//" into "/"
        raise ImageLoadError(path, "it is a URL; only local files are read (download it first)")
    path = Path(path)
    if path.is_dir():
        raise ImageLoadError(path, "it is a folder, not an image file")
    if path.exists() and not path.is_file():
        raise ImageLoadError(path, "it is not a regular file (a device, pipe or socket); give an image file")
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    if path.stat().st_size == 0:
        raise ImageLoadError(path, "the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageLoadError(path, f"too many pixels to decode safely ({err}); a decompression bomb? Raise "
                             "PIL.Image.MAX_IMAGE_PIXELS if you trust the file") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageLoadError(path, f"not a readable image or corrupt/truncated ({err})") from err
    try:
        with img:
            if _is_high_bit_depth(img):
                raise ImageLoadError(
                    path, f"{img.mode} image with more than 8 bits per sample; convert it to 8-bit first"
                )
            img.load()
            if upright:
                img = ImageOps.exif_transpose(img)
            img = _to_supported_mode(img)
            arr = np.array(img)
    except ImageLoadError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageLoadError(path, f"not a readable image or corrupt/truncated ({err})") from err
    if arr.dtype != np.uint8:
        raise ImageLoadError(path, f"unsupported sample type {arr.dtype}; expected 8-bit")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageLoadError(path, f"the image has no pixels (shape {arr.shape})")
    if arr.shape[2] in (2, 4) and not keep_alpha:
        alpha = arr[..., -1]
        if not np.all(alpha == 255):
            raise ImageLoadError(
                path, "the image has a translucent alpha channel; super-resolution works on colour only "
                "(flatten it, or use keep_alpha=True / the upscale command, which resizes alpha separately)"
            )
        arr = arr[..., :-1]
    return np.ascontiguousarray(arr)


def _to_supported_mode(img: Image.Image) -> Image.Image:
    if img.mode == "1":
        return img.convert("L")
    if img.mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode == "PA":
        return img.convert("RGBA")
    if img.mode in _CONVERT_TO_RGB:
        return img.convert("RGB")
    if img.mode in {"L", "LA", "RGB", "RGBA"}:
        return img
    raise ImageLoadError(getattr(img, "filename", "?"), f"unsupported image mode {img.mode!r}")


def save_image(path: Path | str, img: np.ndarray) -> Path:
    """Write a ``uint8`` ``H x W x C`` (C in 1, 2, 3, 4) or ``H x W`` array as PNG (or by suffix).

    Atomic: a temporary file in the same folder is renamed to ``path``, so a failure (full disk)
    leaves the old file or none, never a part. Raises :class:`~srlib.errors.OutputError`."""
    path = Path(path)
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise TypeError(f"save_image writes uint8 arrays, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    buffer = BytesIO()
    Image.fromarray(arr).save(buffer, format=(path.suffix.lstrip(".") or "png").upper().replace("JPG", "JPEG"))
    atomic_write(path, buffer.getvalue())
    return path
