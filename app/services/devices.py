"""A readable "browser on system" from a User-Agent header, for the devices page."""

from __future__ import annotations

BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str | None) -> str:
    """E.g. "Firefox on Linux"; order matters (Edge and Android also claim Chrome and Linux)."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for marker, name in BROWSERS if marker in user_agent), "Unknown browser")
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    return f"{browser} on {system}" if system else browser
