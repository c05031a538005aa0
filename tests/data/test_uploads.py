"""Uploaded files -> dataset-shaped tensors: every common mode, aspect-preserving fit, inversion, clear errors."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from dul_models.core.errors import ConfigError, ImageInputError
from dul_models.data import image_from_bytes

MNIST_SHAPE = (1, 28, 28)
CIFAR_SHAPE = (3, 32, 32)
NOT_AN_IMAGE = "could not read this file as an image (PNG, JPEG, GIF, BMP or WEBP expected)"


def _encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _ink_on_paper(size: tuple[int, int] = (56, 56)) -> Image.Image:
    """A black bar on white paper, like a photographed drawing: the bar spans the middle third."""
    image = Image.new("L", size, 255)
    width, height = size
    ImageDraw.Draw(image).rectangle(
        [width // 3, height // 3, 2 * width // 3 - 1, 2 * height // 3 - 1], fill=0
    )
    return image


def _check(tensor: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    assert tensor.shape == shape and tensor.dtype == torch.float32 and tensor.is_contiguous()
    assert float(tensor.min()) >= 0.0 and float(tensor.max()) <= 1.0
    return tensor


def test_ink_on_paper_is_inverted_to_look_like_mnist() -> None:
    out = _check(image_from_bytes(_encode(_ink_on_paper()), MNIST_SHAPE), MNIST_SHAPE)
    assert float(out[0, 0, 0]) < 0.02  # the white paper became a black background
    assert float(out[0, 14, 14]) > 0.98  # the black ink became a white stroke
    kept = _check(image_from_bytes(_encode(_ink_on_paper()), MNIST_SHAPE, invert=False), MNIST_SHAPE)
    assert float(kept[0, 0, 0]) > 0.98 and float(kept[0, 14, 14]) < 0.02


def test_light_on_dark_is_kept_and_inversion_can_be_forced() -> None:
    chalk = Image.eval(_ink_on_paper(), lambda v: 255 - v)  # white bar on black
    out = image_from_bytes(_encode(chalk), MNIST_SHAPE)
    assert float(out[0, 0, 0]) < 0.02 and float(out[0, 14, 14]) > 0.98
    forced = image_from_bytes(_encode(chalk), MNIST_SHAPE, invert=True)
    assert torch.allclose(forced, 1.0 - out, atol=1e-6)


def test_wide_image_keeps_its_aspect_and_is_padded_with_background() -> None:
    wide = Image.new("L", (80, 40), 0)  # 2:1, white inside a 2-pixel black frame
    ImageDraw.Draw(wide).rectangle([2, 2, 77, 37], fill=255)
    out = image_from_bytes(_encode(wide), MNIST_SHAPE, invert=False)
    rows_with_white = torch.nonzero(out[0].amax(dim=1) > 0.5).flatten()
    assert rows_with_white.min() >= 6 and rows_with_white.max() <= 21  # fitted to 28 × 14, centred
    assert float(out[0, :6].max()) < 0.05 and float(out[0, 22:].max()) < 0.05  # padded, not stretched
    assert float(out[0, 14, 1:27].min()) > 0.5  # full width used


def test_tall_image_on_paper_pads_columns_after_inversion() -> None:
    tall = Image.new("L", (10, 40), 255)
    ImageDraw.Draw(tall).line([(5, 5), (5, 34)], fill=0, width=3)
    out = image_from_bytes(_encode(tall), MNIST_SHAPE)  # fitted to 7 × 28, then inverted
    assert float(out[0, :, :10].max()) < 0.05 and float(out[0, :, 18:].max()) < 0.05
    assert float(out[0, 14, 13:15].max()) > 0.9


def test_rgb_keeps_colours_and_is_never_inverted_automatically() -> None:
    photo = Image.new("RGB", (64, 64), (255, 255, 255))  # a bright sky...
    ImageDraw.Draw(photo).rectangle([16, 16, 47, 47], fill=(255, 0, 0))  # ...with a red object
    out = _check(image_from_bytes(_encode(photo), CIFAR_SHAPE), CIFAR_SHAPE)
    assert out[:, 0, 0].tolist() == pytest.approx([1.0, 1.0, 1.0], abs=0.01)
    assert out[:, 16, 16].tolist() == pytest.approx([1.0, 0.0, 0.0], abs=0.01)


def test_colour_to_grey_uses_luminance_and_grey_to_colour_repeats() -> None:
    green = Image.new("RGB", (28, 28), (0, 255, 0))
    out = image_from_bytes(_encode(green), MNIST_SHAPE, invert=False)
    assert float(out.mean()) == pytest.approx(150 / 255, abs=0.01)  # PIL's L = 0.299 R + 0.587 G + 0.114 B
    grey = Image.new("L", (32, 32), 64)
    colour = image_from_bytes(_encode(grey), CIFAR_SHAPE)
    assert torch.allclose(colour, torch.full(CIFAR_SHAPE, 64 / 255), atol=1e-3)


def test_transparency_is_composited_on_white() -> None:
    sketch = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # transparent canvas (black, but fully clear)
    ImageDraw.Draw(sketch).rectangle([15, 5, 24, 34], fill=(0, 0, 0, 255))
    out = image_from_bytes(_encode(sketch), MNIST_SHAPE)
    assert float(out[0, 0, 0]) < 0.02 and float(out[0, 14, 14]) > 0.98  # white paper -> inverted
    grey_alpha = sketch.convert("LA")
    assert torch.allclose(image_from_bytes(_encode(grey_alpha), MNIST_SHAPE), out, atol=0.02)


def test_palette_images_with_and_without_transparency() -> None:
    palette = _ink_on_paper().convert("P")
    out = image_from_bytes(_encode(palette), MNIST_SHAPE)
    assert float(out[0, 0, 0]) < 0.02 and float(out[0, 14, 14]) > 0.98
    rgba = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle([10, 10, 19, 19], fill=(0, 0, 0, 255))
    gif = _encode(rgba.convert("P"), "GIF", transparency=0)
    assert Image.open(io.BytesIO(gif)).info.get("transparency") is not None
    out = image_from_bytes(gif, MNIST_SHAPE)
    assert float(out[0, 0, 0]) < 0.05 and float(out[0, 14, 14]) > 0.95


def test_sixteen_bit_greys_are_rescaled_not_clipped() -> None:
    ramp = np.repeat(np.linspace(0, 65535, 28).astype(np.uint16)[None, :], 28, axis=0)
    data = _encode(Image.fromarray(ramp))
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    out = image_from_bytes(data, MNIST_SHAPE, invert=False)
    assert float(out[0, 10, 0]) < 0.01 and float(out[0, 10, -1]) > 0.99
    assert float(out[0, 10, 14]) == pytest.approx(14 / 27, abs=0.02)  # mid-grey stays mid-grey
    assert image_from_bytes(data, CIFAR_SHAPE, invert=False).shape == CIFAR_SHAPE


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("JPEG", "RGB"),
        ("JPEG", "L"),
        ("JPEG", "CMYK"),
        ("BMP", "RGB"),
        ("WEBP", "RGB"),
        ("GIF", "L"),
        ("PNG", "1"),
    ],
)
def test_other_formats_and_modes(fmt: str, mode: str) -> None:
    image = _ink_on_paper((60, 60)).convert(mode)
    data = _encode(image, fmt)
    for shape in (MNIST_SHAPE, CIFAR_SHAPE):
        out = _check(image_from_bytes(data, shape, invert=True), shape)
        middle = shape[1] // 2
        assert float(out[:, 1, 1].mean()) < 0.1 and float(out[:, middle, middle].mean()) > 0.9


def test_exif_rotation_is_applied() -> None:
    wide = Image.new("L", (60, 30), 0)
    ImageDraw.Draw(wide).rectangle([0, 12, 59, 17], fill=255)  # a horizontal bar, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the photo is really tall
    out = image_from_bytes(_encode(wide, "JPEG", exif=exif.tobytes()), MNIST_SHAPE, invert=False)
    assert float(out[0, :, 14].min()) > 0.8  # shown upright, the bar is vertical
    assert float(out[0, 14, :8].max()) < 0.1 and float(out[0, 14, 20:].max()) < 0.1


def test_smaller_images_are_scaled_up() -> None:
    tiny = Image.new("L", (4, 4), 0)
    tiny.putpixel((1, 1), 255)
    out = image_from_bytes(_encode(tiny), MNIST_SHAPE)
    assert float(out[0, 9, 9]) > 0.8 and float(out[0, 24, 24]) < 0.1
    assert image_from_bytes(_encode(tiny), (1, 8, 8)).shape == (1, 8, 8)


def test_empty_and_wrong_bytes() -> None:
    with pytest.raises(ImageInputError, match="^the file is empty$"):
        image_from_bytes(b"", MNIST_SHAPE)
    with pytest.raises(ImageInputError) as caught:
        image_from_bytes(b"hello, this is not an image", MNIST_SHAPE)
    assert str(caught.value) == NOT_AN_IMAGE
    tiff = _encode(_ink_on_paper(), "TIFF")  # an image, but not a format we accept
    with pytest.raises(ImageInputError, match="PNG, JPEG, GIF, BMP or WEBP expected"):
        image_from_bytes(tiff, MNIST_SHAPE)


def test_truncated_file_is_reported_as_damaged() -> None:
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    data = _encode(noisy)
    with pytest.raises(ImageInputError, match="damaged or truncated"):
        image_from_bytes(data[: len(data) // 2], CIFAR_SHAPE)


def test_file_too_large() -> None:
    with pytest.raises(ImageInputError) as caught:
        image_from_bytes(b"\x00" * 23_400_000, MNIST_SHAPE)
    assert str(caught.value) == "the file is 23.4 MB; the limit is 10 MB"
    with pytest.raises(ImageInputError, match="the limit is 0.0001 MB"):
        image_from_bytes(_encode(_ink_on_paper()), MNIST_SHAPE, max_bytes=100)


def _png_claiming_size(width: int, height: int) -> bytes:
    """A valid small PNG whose header claims width × height (a decompression-bomb look-alike)."""
    data = bytearray(_encode(Image.new("L", (8, 8), 0)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(data)


def test_huge_dimensions_are_refused_before_decoding() -> None:
    started = time.perf_counter()
    with pytest.raises(
        ImageInputError, match=r"^the image is 10000×5000 pixels \(50.0 megapixels\); the limit is 40"
    ):
        image_from_bytes(_png_claiming_size(10_000, 5_000), MNIST_SHAPE)  # under PIL's own bomb limit
    with pytest.raises(ImageInputError, match=r"too many pixels to open safely; the limit is 40 megapixels"):
        image_from_bytes(_png_claiming_size(100_000, 100_000), MNIST_SHAPE)  # PIL refuses it at once
    assert time.perf_counter() - started < 1.0
    with pytest.raises(ImageInputError, match=r"56×56 pixels .*the limit is 0.001 megapixels"):
        image_from_bytes(_encode(_ink_on_paper()), MNIST_SHAPE, max_pixels=1000)


def test_bad_image_shape_is_a_config_error() -> None:
    data = _encode(_ink_on_paper())
    for shape in [(2, 28, 28), (1, 0, 28), (28, 28)]:
        with pytest.raises(ConfigError, match=r"image_shape must be \(C, H, W\)"):
            image_from_bytes(data, shape)  # type: ignore[arg-type]
