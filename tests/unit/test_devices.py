"""The devices page's "browser on system" labels, from real User-Agent headers."""

from __future__ import annotations

import pytest

from app.services.devices import describe

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko)"
)


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (f"{IPHONE} CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome on iPhone"),
        (f"{IPHONE} FxiOS/121.0 Mobile/15E148 Safari/605.1.15", "Firefox on iPhone"),
        (
            f"{IPHONE} Version/17.0 EdgiOS/120.2210.150 Mobile/15E148 Safari/605.1.15",
            "Edge on iPhone",
        ),
        (f"{IPHONE} Version/17.2 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            " Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari on iPad",
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/120.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        ("curl/8.4.0", "curl"),
        ("", "Unknown device"),
        (None, "Unknown device"),
        ("   ", "Unknown device"),
        ("}{)(*&^%$ ☃ garbage", "Unknown device"),
        ("x" * 10_000, "Unknown device"),
    ],
)
def test_labels_from_real_user_agents(user_agent: str | None, label: str) -> None:
    assert describe(user_agent) == label


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (Windows NT 10.0) " + "A" * 10_000 + "/1.0",
        "Mozilla/5.0 (" * 1_000,
        "\x00\ufffd\u202e" * 3_000,
    ],
)
def test_long_or_odd_headers_give_a_short_label(user_agent: str) -> None:
    label = describe(user_agent)
    assert 0 < len(label) <= 100
    assert label.isprintable()
