"""WCAG contrast of every colour pair that must be read or seen, computed from inkwell.css itself.

A page gets its colours four ways: light from the device (``:root``), light chosen in the footer
(``:root[data-theme="light"]`` over ``:root``), dark chosen (``:root[data-theme="dark"]``), dark
from the device (the ``prefers-color-scheme: dark`` block). Each is resolved from the stylesheet's
custom properties, and each pair is held to WCAG 2.2: text 4.5:1 (1.4.3), the focus ring and form
field borders 3:1 against what surrounds them (1.4.11).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "inkwell.css"

# (what it is, foreground property, background property, the ratio it needs)
PAIRS = [
    ("focus ring on the page", "--focus", "--paper", 3.0),
    ("focus ring on a card", "--focus", "--card", 3.0),
    ("focus ring on a field", "--focus", "--field", 3.0),
    ("field border against the field", "--field-border", "--field", 3.0),
    ("field border against the page", "--field-border", "--paper", 3.0),
    ("field border against a card", "--field-border", "--card", 3.0),
    ("body text on the page", "--ink", "--paper", 4.5),
    ("body text on a card", "--ink", "--card", 4.5),
    ("typed text in a field", "--ink", "--field", 4.5),
    ("text in a notice or flash", "--ink", "--accent-soft", 4.5),
    ("inline code", "--ink", "--code-inline-bg", 4.5),
    ("link on the page", "--accent", "--paper", 4.5),
    ("link on a card", "--accent", "--card", 4.5),
    ("link in a tag pill", "--accent", "--accent-soft", 4.5),
    ("muted text on the page", "--muted", "--paper", 4.5),
    ("muted text on a card", "--muted", "--card", 4.5),
    ("primary button label", "--on-accent", "--accent", 4.5),
    ("danger text on the page", "--danger", "--paper", 4.5),
    ("danger text on a card", "--danger", "--card", 4.5),
    ("error flash", "--danger", "--danger-soft", 4.5),
    ("success flash", "--success", "--success-soft", 4.5),
    ("badge", "--badge-ink", "--badge-bg", 4.5),
]


def _properties(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+?)\s*;", block))


def _block(text: str, pattern: str) -> dict[str, str]:
    found = re.search(pattern + r"\s*\{([^}]*)\}", text, flags=re.MULTILINE)
    assert found, f"inkwell.css has no block matching {pattern!r}"
    return _properties(found.group(1))


def themes(text: str) -> dict[str, dict[str, str]]:
    """The custom properties each of the four ways of colouring a page ends up with."""
    root = _block(text, r"^:root")
    return {
        "light from the device": root,
        "light chosen": root | _block(text, r'^:root\[data-theme="light"\]'),
        "dark chosen": root | _block(text, r'^:root\[data-theme="dark"\]'),
        "dark from the device": root
        | _block(
            text, r'@media \(prefers-color-scheme: dark\) \{\s*:root:not\(\[data-theme="light"\]\)'
        ),
    }


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """WCAG relative luminance of an opaque ``#rgb`` or ``#rrggbb`` colour."""
    digits = colour.removeprefix("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", digits), f"not an opaque hex colour: {colour!r}"
    red, green, blue = (_channel(int(digits[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


THEMES = themes(CSS.read_text(encoding="utf-8"))


def test_the_ratio_is_wcags() -> None:
    assert contrast("#000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#777777") == contrast("#777777", "#ffffff")


def test_the_dark_themes_are_dark_and_the_light_ones_light() -> None:
    for name, colours in THEMES.items():
        dark = luminance(colours["--paper"]) < luminance(colours["--ink"])
        assert dark == name.startswith("dark"), name


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(
    ("what", "foreground", "background", "needed"), PAIRS, ids=[pair[0] for pair in PAIRS]
)
def test_every_pair_contrasts_enough(
    theme: str, what: str, foreground: str, background: str, needed: float
) -> None:
    colours = THEMES[theme]
    ratio = contrast(colours[foreground], colours[background])
    assert ratio >= needed, (
        f"{theme}: {what} ({foreground} {colours[foreground]} on {background} "
        f"{colours[background]}) is {ratio:.2f}:1, needs {needed}:1"
    )
