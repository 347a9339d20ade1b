"""Character rules shared by form validation and the XML documents (feed, sitemap)."""

from __future__ import annotations

import re

# What XML 1.0 forbids (its ``Char`` production): C0 controls other than tab, LF and CR, lone
# surrogates, and U+FFFE/U+FFFF. One such character makes a whole document ill-formed.
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Also refused in typed text, though XML allows it: DEL, another invisible control character.
_DELETE = "\x7f"


def has_invisible_controls(text: str) -> bool:
    """True if ``text`` holds a character no form accepts (NUL, controls, U+FFFE, U+FFFF…)."""
    return _DELETE in text or XML_FORBIDDEN.search(text) is not None


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids, so any document it goes in parses."""
    return XML_FORBIDDEN.sub("", text)
