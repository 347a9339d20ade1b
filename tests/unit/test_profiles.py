"""Avatar initials and colours, and the bio's Markdown: pure functions and the stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.services import profiles
from app.services.markdown import render_bio

STYLESHEET = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "inkwell.css"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("writer", "W"),
        ("jane_doe", "JD"),
        ("mary.ann-smith", "MS"),
        ("Émile Martin", "ÉM"),
        ("e\u0301mile martin", "ÉM"),  # decomposed: the accent stays on its letter
        ("李小龙", "李"),
        ("李 小龙", "李小"),
        ("हिन्दी", "हि"),  # a letter keeps its vowel sign
        ("straße", "S"),
        ("ßtraße", "ß"),  # "ß".upper() is "SS": two letters would read as two words
        ("🎉 party time", "PT"),  # symbols are skipped
        ("🎉", "🎉"),  # nothing else to show
        ("Ольга Петрова", "ОП"),
        ("42 writers", "4W"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert profiles.initials(name) == expected


def test_avatar_colour_is_a_stable_hash_of_the_username() -> None:
    hues = {profiles.avatar_hue(f"member{number}") for number in range(200)}
    assert hues == set(range(profiles.AVATAR_HUES)), "every colour is used"
    # The same in every process and every run (not Python's salted hash()), whatever the case.
    assert profiles.avatar_hue("writer") == profiles.avatar_hue("Writer") == 7


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_avatar_colour_gives_white_initials_enough_contrast() -> None:
    """WCAG 1.4.3: at least 4.5:1 for the white initials on each background."""
    css = STYLESHEET.read_text()
    backgrounds = dict(re.findall(r"\.avatar-hue-(\d+) \{ background: (#[0-9a-f]{6}); \}", css))
    assert sorted(backgrounds) == [str(hue) for hue in range(profiles.AVATAR_HUES)]
    assert re.search(r"\.avatar \{[^}]*color: #fff;", css)
    for hue, colour in backgrounds.items():
        contrast = 1.05 / (_relative_luminance(colour) + 0.05)
        assert contrast >= 4.5, f".avatar-hue-{hue} {colour}: {contrast:.2f}:1"


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("# Title", "<p># Title</p>"),
        ("Title\n===", "<p>Title\n===</p>"),
        (
            "![me](https://example.com/me.png)",
            '<p><a href="https://example.com/me.png" rel="nofollow noopener">me</a></p>',
        ),
        (
            "![](/media/abc.png) and ![x](javascript:alert(1))",
            '<p><a href="/media/abc.png" rel="nofollow noopener">/media/abc.png</a>'
            " and ![x](javascript:alert(1))</p>",
        ),
        ("    indented", "<p>indented</p>"),
        ("*a* **b** ~~c~~", "<p><em>a</em> <strong>b</strong> <s>c</s></p>"),
        ("<b onclick=x>hi</b>", "<p>&lt;b onclick=x&gt;hi&lt;/b&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ],
)
def test_bio_markdown(source: str, html: str) -> None:
    assert render_bio(source).strip() == html
