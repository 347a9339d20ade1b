"""The image pipeline on its own: what is kept, what is refused, and the sizes made."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from app.services import images
from app.services.images import ImageRefused, process, process_avatar
from tests.images import (
    SVG,
    animated_gif,
    encode,
    html_in_gif,
    jpeg_with_gps_and_orientation,
    photo,
    png_claiming,
    png_with_alpha,
)

LIMITS = {"max_pixels": 40_000_000, "max_side": 2400}


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("source_format", "ext"),
    [("JPEG", "jpg"), ("PNG", "png"), ("GIF", "png"), ("WEBP", "webp"), ("AVIF", "webp")],
)
def test_each_accepted_format_and_what_it_becomes(source_format: str, ext: str) -> None:
    result = process(photo(800, 600, source_format), **LIMITS)
    assert result.ext == ext
    assert _open(result.data).format == images.OUTPUT_FORMAT[source_format]
    assert (result.width, result.height) == (800, 600)
    assert sorted(result.variants) == [480]


def test_the_long_side_is_capped_and_copies_are_narrower_than_the_original() -> None:
    tall = process(photo(1000, 5000), **LIMITS)
    assert (tall.width, tall.height) == (480, 2400)
    assert tall.variants == {}
    wide = process(photo(5000, 1000), max_pixels=40_000_000, max_side=1000)
    assert (wide.width, wide.height) == (1000, 200)
    assert {w: _open(d).size for w, d in wide.variants.items()} == {480: (480, 96), 960: (960, 192)}


def test_the_name_is_the_hash_of_the_re_encoded_image_and_is_stable() -> None:
    first, second = process(photo(), **LIMITS), process(photo(), **LIMITS)
    assert first.name == second.name
    assert len(first.name) == 32
    assert process(photo(1201, 800), **LIMITS).name != first.name


def test_metadata_is_gone_and_orientation_applied() -> None:
    result = process(jpeg_with_gps_and_orientation(600, 400), **LIMITS)
    image = _open(result.data)
    assert image.size == (400, 600)
    assert image.getexif() == {}
    assert set(image.info) <= {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "progressive",
        "progression",
        "dpi",
    }


def test_a_colour_profile_is_converted_to_srgb_and_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    data = encode(Image.new("RGB", (50, 50), (10, 200, 10)), "PNG", icc_profile=srgb.tobytes())
    result = process(data, **LIMITS)
    assert "icc_profile" not in _open(result.data).info
    assert _open(result.data).getpixel((0, 0)) == (10, 200, 10)
    broken = encode(Image.new("RGB", (50, 50), (1, 2, 3)), "PNG", icc_profile=b"not a profile")
    assert _open(process(broken, **LIMITS).data).getpixel((0, 0)) == (1, 2, 3)


def test_transparency_is_kept_and_an_unused_alpha_channel_dropped() -> None:
    assert _open(process(png_with_alpha(), **LIMITS).data).mode == "RGBA"
    opaque = encode(Image.new("RGBA", (30, 30), (1, 2, 3, 255)), "PNG")
    assert _open(process(opaque, **LIMITS).data).mode == "RGB"


def _animation(image_format: str) -> bytes:
    """Two frames that differ (Pillow merges identical ones, leaving a still image)."""
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue")]
    data = encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100)
    assert getattr(_open(data), "n_frames", 1) == 2
    return data


def test_an_animation_keeps_its_first_frame_and_says_the_others_were_dropped() -> None:
    result = process(_animation("GIF"), **LIMITS)
    image = _open(result.data)
    assert getattr(image, "n_frames", 1) == 1
    assert image.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert result.dropped_frames
    assert process_avatar(_animation("GIF"), max_pixels=40_000_000).dropped_frames


@pytest.mark.parametrize(
    ("data", "dropped"),
    [
        (_animation("WEBP"), True),
        (animated_gif(), True),
        (photo(80, 60, "GIF"), False),
        (photo(80, 60, "WEBP"), False),
        (photo(80, 60, "PNG"), False),
    ],
    ids=["animated-webp", "animated-gif", "still-gif", "still-webp", "png"],
)
def test_only_an_animation_has_dropped_frames(data: bytes, dropped: bool) -> None:
    assert process(data, **LIMITS).dropped_frames is dropped


def _grey_ramp(mode: str) -> Image.Image:
    """A left-to-right grey ramp over the whole 16-bit range: 0 on the left, 65535 on the right."""
    image = Image.new(mode, (256, 4))
    for x in range(256):
        for y in range(4):
            image.putpixel((x, y), x * 257)
    return image


def test_a_16_bit_grey_png_is_scaled_to_8_bits_not_clipped_to_white() -> None:
    source = encode(_grey_ramp("I;16"), "PNG")
    assert Image.open(io.BytesIO(source)).mode == "I;16"
    result = _open(process(source, **LIMITS).data).convert("RGB")
    assert [result.getpixel((x, 1)) for x in (0, 64, 128, 255)] == [
        (0, 0, 0),
        (64, 64, 64),
        (128, 128, 128),
        (255, 255, 255),
    ]


def test_a_16_bit_grey_png_with_a_colour_profile_is_scaled_too() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(_grey_ramp("I;16"), "PNG", icc_profile=profile)
    result = _open(process(source, **LIMITS).data).convert("L")
    low, high = result.getextrema()
    assert low < 10
    assert high > 245
    assert 100 < result.getpixel((128, 1)) < 160


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L", "I"])
def test_wide_grey_modes_become_8_bit_grey_without_clipping(mode: str) -> None:
    pixels = images._clean_pixels(_grey_ramp(mode))
    assert pixels.mode == "RGB"
    assert [pixels.getpixel((x, 0))[0] for x in (0, 64, 128, 255)] == [0, 64, 128, 255]


def test_a_polyglot_is_only_its_picture_afterwards() -> None:
    result = process(html_in_gif(), **LIMITS)
    assert b"<script" not in result.data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (SVG, "not an image"),
        (b"GIF89a<html>", "not an image"),
        (photo()[:-200], "damaged"),
        (png_claiming(30000, 30000), "too many pixels"),
        (png_claiming(9000, 5000), "9,000 by 5,000 pixels"),
    ],
    ids=["empty", "svg", "gif-header-only", "truncated", "pillow-bomb-guard", "setting"],
)
def test_refusals_say_why(data: bytes, message: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        process(data, **LIMITS)
    assert message in refused.value.message


def test_an_avatar_is_a_centred_square_with_a_small_copy() -> None:
    result = process_avatar(photo(90, 30), max_pixels=40_000_000)
    assert (result.width, result.height) == (256, 256)
    assert list(result.variants) == [64]
    assert _open(result.variants[64]).size == (64, 64)
