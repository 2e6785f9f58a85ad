"""Bad and unusual image files: clear errors or documented conversions, never a deep crash."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from srlib.data import ImageLoadError, load_image, save_image


def _write_png_16bit(path, arr: np.ndarray, color_type: int) -> None:
    """A minimal 16-bit PNG writer (Pillow cannot write 16-bit RGB)."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_grey_stays_one_channel(tmp_path):
    Image.fromarray(np.arange(20, dtype=np.uint8).reshape(4, 5), "L").save(tmp_path / "g.png")
    img = load_image(tmp_path / "g.png")
    assert img.shape == (4, 5, 1) and img.dtype == np.uint8


def test_rgb_and_bmp(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "c.bmp")
    np.testing.assert_array_equal(load_image(tmp_path / "c.bmp"), arr)


def test_palette_becomes_rgb(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).convert("P").save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == (4, 4, 3)


def test_bilevel_becomes_grey(tmp_path):
    Image.new("1", (5, 3), 1).save(tmp_path / "b.png")
    img = load_image(tmp_path / "b.png")
    assert img.shape == (3, 5, 1) and img.max() == 255


def test_opaque_alpha_is_dropped_translucent_is_refused(tmp_path):
    rgba = np.full((4, 4, 4), 255, np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "opaque.png")
    assert load_image(tmp_path / "opaque.png").shape == (4, 4, 3)
    rgba[0, 0, 3] = 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "translucent.png")
    with pytest.raises(ImageLoadError, match="translucent alpha"):
        load_image(tmp_path / "translucent.png")
    assert load_image(tmp_path / "translucent.png", keep_alpha=True).shape == (4, 4, 4)


@pytest.mark.parametrize("color_type,shape", [(0, (4, 5)), (2, (4, 5, 3))])
def test_16bit_is_refused_not_silently_truncated(tmp_path, color_type, shape):
    path = tmp_path / "deep.png"
    _write_png_16bit(path, np.random.default_rng(1).integers(0, 65536, shape), color_type)
    with pytest.raises(ImageLoadError, match="more than 8 bits"):
        load_image(path)


def test_empty_corrupt_truncated_and_missing(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ImageLoadError, match="corrupt"):
        load_image(tmp_path / "text.png")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 7).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match=r"cut\.png"):
        load_image(tmp_path / "cut.png")
    with pytest.raises(FileNotFoundError, match="nothere.png"):
        load_image(tmp_path / "nothere.png")


def test_save_image_round_trip_and_atomic(tmp_path):
    arr = np.random.default_rng(2).integers(0, 256, (5, 6, 1), dtype=np.uint8)
    out = save_image(tmp_path / "sub" / "x.png", arr)
    np.testing.assert_array_equal(load_image(out), arr)
    assert not list(tmp_path.glob("sub/*.tmp"))
    with pytest.raises(TypeError):
        save_image(tmp_path / "y.png", arr.astype(np.float32))


def test_real_grey_benchmark_file_is_one_channel(data_root):
    assert load_image(data_root / "benchmark/Set14/HR/bridge.png").shape[2] == 1
    man = load_image(data_root / "benchmark/Set14/HR/man.png")  # RGB with R=G=B stays RGB
    assert man.shape[2] == 3 and np.array_equal(man[..., 0], man[..., 2])
