"""Real image files made with Pillow for the media tests, and the upload helper."""

from __future__ import annotations

import io
import random
import re
import struct
import zlib

from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, stream_encode_multipart

from tests.helpers import csrf_token, submission_token

# EXIF tags: Orientation, GPSInfo (the IFD), GPSLatitude.
ORIENTATION = 0x0112
GPS_IFD = 0x8825
GPS_LATITUDE = 2


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def photo(width: int = 1200, height: int = 800, image_format: str = "JPEG") -> bytes:
    """An opaque picture with some detail: left half red, right half blue."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (width // 2, 0, width, height))
    return encode(image, image_format)


def jpeg_with_gps_and_orientation(width: int = 600, height: int = 400) -> bytes:
    """A landscape JPEG tagged "rotate 90° clockwise to view" (Orientation 6), with GPS."""
    image = Image.new("RGB", (width, height), (10, 120, 10))
    image.paste((250, 250, 250), (0, 0, width // 4, height))  # a white band on the left
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD)[GPS_LATITUDE] = (51.0, 30.0, 0.0)
    return encode(image, "JPEG", exif=exif, comment=b"secret camera note")


def png_with_alpha(width: int = 300, height: int = 200) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, width // 2, height))
    return encode(image, "PNG")


def animated_gif(width: int = 120, height: int = 80) -> bytes:
    """Three frames that differ (Pillow merges identical ones into a still image)."""
    frames = [Image.new("RGB", (width, height), color) for color in ("red", "green", "blue")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(io.BytesIO(data)) as image:
        assert getattr(image, "n_frames", 1) == 3
    return data


def html_in_gif() -> bytes:
    """A real GIF with an HTML page in its comment and after its end: a polyglot."""
    payload = b"<html><script>alert(document.cookie)</script></html>"
    image = Image.new("P", (20, 20), 1)
    return encode(image, "GIF", comment=payload) + payload


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def noise(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG of random pixels: it compresses to about 3 bytes a pixel, whatever the format."""
    pixels = random.Random(seed).randbytes(width * height * 3)
    return encode(Image.frombytes("RGB", (width, height), pixels), "PNG")


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
MEDIA_URL = re.compile(r"/media/([0-9a-f]{32})\.(jpg|png|webp)")


def upload(
    client: FlaskClient,
    data: bytes | None,
    filename: str = "picture.jpg",
    content_type: str = "image/jpeg",
    page: str = "/media",
) -> TestResponse:
    """Send ``data`` through the upload form on ``page`` (None: the form with no file)."""
    form_page = client.get(page)
    fields: dict[str, object] = {"csrf_token": csrf_token(form_page.text)}
    if token := submission_token(form_page.text):
        fields["submission_token"] = token
    files = MultiDict()
    if data is not None:
        files.add("image", FileStorage(io.BytesIO(data), filename, content_type=content_type))
    # Encoded here in memory: the test client would spool a large body to a file it never closes.
    stream, _length, boundary = stream_encode_multipart({**fields, **files}, use_tempfile=False)
    return client.post(
        page,
        data=stream.read(),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Referer": page},
    )


def uploaded_url(client: FlaskClient, data: bytes, filename: str = "picture.jpg") -> str:
    """Upload ``data`` and return the address the library shows for it."""
    response = upload(client, data, filename)
    assert response.status_code == 302, response.text
    flashed = client.get("/media").text
    match = MEDIA_URL.search(flashed)
    assert match, flashed
    return match.group(0)
