"""The dark colours are written twice in inkwell.css (CSS cannot share one block between a
selector and a media query): once for a chosen dark theme, once for the device's preference.
The two must say the same, or a reader's dark depends on how it was chosen."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "inkwell.css"


def _declarations(block: str) -> list[str]:
    return [line.strip() for line in block.split(";") if line.strip()]


def test_chosen_dark_and_device_dark_declare_the_same_colours() -> None:
    text = CSS.read_text(encoding="utf-8")
    chosen = re.search(r':root\[data-theme="dark"\] \{([^}]*)\}', text)
    device = re.search(
        r"@media \(prefers-color-scheme: dark\) \{\s*"
        r':root:not\(\[data-theme="light"\]\) \{([^}]*)\}',
        text,
    )
    assert chosen
    assert device
    assert len(_declarations(chosen.group(1))) > 10
    assert _declarations(chosen.group(1)) == _declarations(device.group(1))
