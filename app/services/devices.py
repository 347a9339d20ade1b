"""A readable "browser on system" from a User-Agent header, for the devices page.

The parsing is ua-parser's (the uap-core rules that browsers' analytics use), so "CriOS" is
Chrome on an iPhone, not Safari. Only its family names are kept, shortened where the platform
already says it ("Chrome Mobile iOS" on an iPhone is "Chrome on iPhone").
"""

from __future__ import annotations

from flask_babel import gettext as _
from ua_parser import parse

# Header values are stored cut to this length (``events.record``, ``sessions``); so is the input.
MAX_USER_AGENT = 512
# A family name comes from the header itself for some generic rules: keep the label short.
MAX_NAME = 40
UNKNOWN = "Other"
# What ua-parser adds to a browser's name for its mobile builds: the system already says it.
MOBILE_SUFFIXES = (" Mobile iOS", " iOS", " Mobile")
MOBILE_PREFIXES = ("Mobile ",)
SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
APPLE_DEVICES = frozenset({"iPhone", "iPad", "iPod"})


def _browser(family: str) -> str:
    for suffix in MOBILE_SUFFIXES:
        family = family.removesuffix(suffix)
    for prefix in MOBILE_PREFIXES:
        family = family.removeprefix(prefix)
    return family


def describe(user_agent: str | None) -> str:
    """E.g. "Firefox on Linux", "Chrome on iPhone", "curl"; "Unknown device" for nothing useful."""
    if not user_agent or not user_agent.strip():
        return _("Unknown device")
    result = parse(user_agent[:MAX_USER_AGENT])
    browser = result.user_agent.family if result.user_agent else UNKNOWN
    system = result.os.family if result.os else UNKNOWN
    device = result.device.family if result.device else UNKNOWN
    if device in APPLE_DEVICES:
        system = device
    system = SYSTEM_NAMES.get(system, system)
    name = _browser(browser)[:MAX_NAME] if browser != UNKNOWN else _("Unknown browser")
    if system == UNKNOWN:
        return _("Unknown device") if browser == UNKNOWN else name
    return _("%(browser)s on %(system)s", browser=name, system=system[:MAX_NAME])
