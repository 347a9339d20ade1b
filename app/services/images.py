"""The image pipeline: untrusted bytes in, clean re-encoded images out (Pillow; no database).

What comes in. Only what Pillow decodes as JPEG, PNG, WebP, GIF or AVIF, whatever the file's
name or Content-Type claims: SVG, HTML and everything else are refused. The pixel count is
checked from the header before any pixel is decoded (``max_pixels``; Pillow's own
decompression-bomb guard stays on behind it), then the image is decoded whole, so a truncated
file fails here and not later.

What goes out. The pixels only: a new image is built from the decoded pixels, so no EXIF
(GPS included), XMP, ICC profile, comment or trailing bytes survive, and a polyglot (a GIF that
is also HTML) loses everything that is not the picture. Before that, the EXIF orientation is
applied (the picture is turned, the tag dropped) and an embedded colour profile is converted to
sRGB. Formats: JPEG stays JPEG (quality 85, progressive); PNG stays PNG; GIF becomes PNG (first
frame only: an animation is not kept, and ``Processed.dropped_frames`` says so); WebP stays WebP
and AVIF becomes WebP (quality 82; every browser shows WebP). Transparency is kept by PNG and WebP.

Sizes. The long side is capped (``max_side``, 2,400 px by default; smaller images keep their
size, never enlarged), and narrower copies for ``srcset`` are made at ``VARIANT_WIDTHS`` that are
narrower than the (capped) original. Avatars are cropped to a centred square of
``AVATAR_SIZE`` with an ``AVATAR_SMALL`` copy (small pictures are enlarged to fill it).
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from dataclasses import dataclass, field

from babel.numbers import format_decimal as babel_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF")
# What each accepted format is stored as, and the file extension of that.
OUTPUT_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "WEBP", "AVIF": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "progressive": True, "optimize": True},
    "PNG": {"optimize": False, "compress_level": 9},
    "WEBP": {"quality": 82, "method": 4},
}
VARIANT_WIDTHS = (480, 960, 1600)
AVATAR_SIZE = 256
AVATAR_SMALL = 64
NAME_LENGTH = 32  # hex digits of SHA-256: 128 bits
ACCEPTED_NAMES = _l("JPEG, PNG, WebP, GIF or AVIF")
# What a broken or hostile file can make a Pillow decoder raise.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
_SRGB = ImageCms.createProfile("sRGB")
# Grey with more than 8 bits a sample (16-bit PNGs from scanners, medical and astronomy tools).
WIDE_GREY_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


class ImageRefused(Exception):
    """The file cannot be kept; ``message`` says why in words for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Processed:
    """A re-encoded image: the original's bytes under ``name``, and its narrower copies."""

    name: str
    ext: str
    width: int
    height: int
    data: bytes
    variants: dict[int, bytes] = field(default_factory=dict)  # by width
    # An animation (GIF, WebP, AVIF) whose first frame alone was kept: worth telling the member.
    dropped_frames: bool = False

    @property
    def stored_bytes(self) -> int:
        return len(self.data) + sum(len(data) for data in self.variants.values())


def process(data: bytes, *, max_pixels: int, max_side: int) -> Processed:
    """A post image: decoded, turned upright, stripped, capped, re-encoded, with its copies."""
    image, source_format, animated = _decode(data, max_pixels)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # never enlarges
    output = OUTPUT_FORMAT[source_format]
    original = _encode(image, output)
    variants = {
        width: _encode(_to_width(image, width), output)
        for width in VARIANT_WIDTHS
        if width < image.width
    }
    name, ext = _name(original), EXTENSIONS[output]
    return Processed(name, ext, *image.size, original, variants, dropped_frames=animated)


def process_avatar(data: bytes, *, max_pixels: int) -> Processed:
    """An avatar: a centred square of AVATAR_SIZE px, plus an AVATAR_SMALL px copy."""
    image, source_format, animated = _decode(data, max_pixels)
    square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    small = square.resize((AVATAR_SMALL, AVATAR_SMALL), Image.Resampling.LANCZOS)
    output = OUTPUT_FORMAT[source_format]
    original = _encode(square, output)
    variants = {AVATAR_SMALL: _encode(small, output)}
    name, ext = _name(original), EXTENSIONS[output]
    return Processed(name, ext, *square.size, original, variants, dropped_frames=animated)


def _decode(data: bytes, max_pixels: int) -> tuple[Image.Image, str, bool]:
    """The first frame's pixels (upright, sRGB, RGB or RGBA, no metadata), the format, and
    whether other frames (an animation) were left out."""
    if not data:
        raise ImageRefused(_("That file is empty. Choose an image file."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = source.size
            if width * height > max_pixels:
                raise ImageRefused(_too_many_pixels(width, height, max_pixels))
            source.load()
            upright = ImageOps.exif_transpose(source)
    except UnidentifiedImageError:
        raise ImageRefused(
            _(
                "That file is not an image this site can show. Use a %(formats)s file.",
                formats=ACCEPTED_NAMES,
            )
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(
            _(
                "That image has too many pixels (at most %(max)s). Make it smaller first.",
                max=_number(max_pixels),
            )
        ) from None
    except DECODE_ERRORS:
        raise ImageRefused(
            _(
                "That image is damaged or incomplete, so it cannot be read. "
                "Open it in an image editor, save it again and upload the new file."
            )
        ) from None
    source_format = source.format or ""
    animated = getattr(source, "n_frames", 1) > 1
    return _clean_pixels(upright), source_format, animated


def _number(count: int) -> str:
    """A count as the reader writes it (40,000,000), English outside a request."""
    return babel_decimal(count, locale=get_locale() or "en")


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return _(
        "That image is %(width)s by %(height)s pixels, more than this site accepts "
        "(%(max)s pixels in all). Make it smaller first.",
        width=_number(width),
        height=_number(height),
        max=_number(max_pixels),
    )


def _clean_pixels(image: Image.Image) -> Image.Image:
    """The pixels alone, in sRGB, as RGBA when any pixel is see-through, else RGB."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    image = _eight_bit(image)
    profile = image.info.get("icc_profile")
    pixels = (_to_srgb(image, profile, mode) if profile else None) or image.convert(mode)
    if has_alpha and pixels.getchannel("A").getextrema()[0] == 255:
        pixels = pixels.convert("RGB")  # an alpha channel nothing uses: smaller files
    # A new image from the raw pixels: nothing of the source's metadata can come along.
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def _eight_bit(image: Image.Image) -> Image.Image:
    """Wide grey scaled to 8-bit grey: ``convert`` alone clips every value above 255 to white.

    "I" is read as 16-bit too, the most any accepted format stores in it.
    """
    if image.mode not in WIDE_GREY_MODES:
        return image
    wide = image if image.mode == "I" else image.convert("I")
    grey = wide.point(lambda value: value * (1 / 256)).convert("L")
    grey.info = dict(image.info)  # the colour profile, if any, is still applied
    return grey


def _to_srgb(image: Image.Image, profile: bytes, mode: str) -> Image.Image | None:
    """The image converted from its embedded colour profile to sRGB; None if that fails."""
    if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        image = image.convert(mode)
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None  # a broken or unusual profile: the pixels as they are


def _to_width(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, output: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=output, **SAVE_OPTIONS[output])
    return buffer.getvalue()


def _name(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:NAME_LENGTH]
