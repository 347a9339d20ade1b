"""Regenerate app/static/card.png: the built-in share card (1200 x 630, Open Graph's size).

Run from anywhere: ``.venv/bin/python scripts/make_card_image.py``. The card carries no text, so
it suits any site name an admin chooses: the favicon's pen nib (app/static/favicon.svg), drawn
large on the site's accent colour with a paper-coloured band below. Curves are sampled into
polygons, drawn four times larger and scaled down for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1200, 630
SUPERSAMPLE = 4
ACCENT = (0x1F, 0x3A, 0x5F)  # --accent in inkwell.css
PAPER = (0xF4, 0xEF, 0xE6)  # the favicon's nib
BAND = (0xFB, 0xF9, 0xF5)  # --paper
OUTPUT = Path(__file__).resolve().parent.parent / "app" / "static" / "card.png"

Point = tuple[float, float]


def _cubic(start: Point, c1: Point, c2: Point, end: Point, steps: int = 24) -> list[Point]:
    points = []
    for step in range(1, steps + 1):
        t = step / steps
        u = 1 - t
        points.append(
            (
                u**3 * start[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * end[0],
                u**3 * start[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * end[1],
            )
        )
    return points


def nib() -> list[Point]:
    """favicon.svg's path ``M22 48c6-2 10-8 12-16l6-16 6 4-8 14c-4 7-9 12-16 14z`` in its units."""
    outline: list[Point] = [(22, 48)]
    outline += _cubic((22, 48), (28, 46), (32, 40), (34, 32))
    outline += [(40, 16), (46, 20), (38, 34)]
    outline += _cubic((38, 34), (34, 41), (29, 46), (22, 48))
    return outline


def draw() -> Image.Image:
    scale = SUPERSAMPLE
    image = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), ACCENT)
    canvas = ImageDraw.Draw(image)
    band_top = (HEIGHT - 60) * scale
    canvas.rectangle((0, band_top, WIDTH * scale, HEIGHT * scale), fill=BAND)
    # The favicon's 64-unit square, 8 px per unit, centred above the band.
    unit = 8 * scale
    left = (WIDTH * scale - 64 * unit) / 2
    top = (band_top - 64 * unit) / 2
    canvas.polygon([(left + x * unit, top + y * unit) for x, y in nib()], fill=PAPER)
    radius = 3 * unit
    centre = (left + 20 * unit, top + 49 * unit)
    canvas.ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius),
        fill=PAPER,
    )
    return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def main() -> None:
    draw().save(OUTPUT, format="PNG", optimize=True)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
