"""The characters forms refuse and XML documents drop."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.text import has_invisible_controls, words, xml_safe


@pytest.mark.parametrize(
    "text",
    ["\x00", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", chr(0xD800), chr(0xDFFF), "\ufffe", "\uffff"],
)
def test_forbidden_characters_are_refused_and_dropped(text: str) -> None:
    assert has_invisible_controls(f"a{text}b")
    kept_by_xml = text == "\x7f"  # DEL is allowed in XML, refused only in typed text
    assert xml_safe(f"a{text}b") == (f"a{text}b" if kept_by_xml else "ab")


@pytest.mark.parametrize("text", ["tab\tline\nreturn\r", "café ☕ 日本語", "\ufffd", "\U0001f600"])
def test_ordinary_text_passes_untouched(text: str) -> None:
    assert not has_invisible_controls(text)
    assert xml_safe(text) == text
    element = ET.fromstring(f"<t>{xml_safe(text)}</t>")  # noqa: S314  (our own string)
    assert element.text == text.replace("\r", "\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("हिन्दी में", ["हिन्दी", "में"]),  # virama and vowel signs (Mn, Mc) stay inside the word
        ("ภาษาไทย ดี", ["ภาษาไทย", "ดี"]),
        ("snake_case and-dash", ["snake", "case", "and", "dash"]),
        ("数据库, 2026!", ["数据库", "2026"]),
        ("—!?", []),
    ],
)
def test_words_keep_combining_marks_and_split_on_everything_else(
    text: str, expected: list[str]
) -> None:
    assert words(text) == expected
