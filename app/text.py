"""Character rules shared by form validation, the XML documents (feed, sitemap) and slugs."""

from __future__ import annotations

import re
import unicodedata

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


def is_word_character(character: str) -> bool:
    """Letters, digits and combining marks (\\p{L}, \\p{N}, \\p{M}) of any script.

    Python's ``\\w`` leaves out combining marks, so it cuts Devanagari, Thai or Arabic words
    with vowel signs apart ("हिन्दी" into "ह", "न", "द"); this keeps them whole.
    """
    return unicodedata.category(character)[0] in "LNM"


def words(text: str) -> list[str]:
    """The runs of word characters in ``text``, in order (any other character separates)."""
    found: list[str] = []
    word: list[str] = []
    for character in text:
        if is_word_character(character):
            word.append(character)
        elif word:
            found.append("".join(word))
            word = []
    if word:
        found.append("".join(word))
    return found
