"""Every message in the source has a Chinese translation, with the same placeholders.

The messages are extracted here, from today's source, with babel.cfg and the keywords `make i18n`
uses: a string wrapped in ``_()`` (or ``_l``, ``gettext``, ``{% trans %}``…) but not yet
translated in app/translations/zh_Hans/LC_MESSAGES/messages.po fails this test until
``make i18n`` merges it and someone translates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "app" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
# %(name)s, %s, %d, %% and {name} / {0}: what must survive translation unchanged.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdfr]|\{(\w*)\}")


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text))


def extracted() -> Iterator[tuple[str, str | tuple[str, ...], str | None]]:
    """(where, message id, context) for every message in the source, as `make i18n` finds
    them."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {
        **DEFAULT_KEYWORDS,
        "_l": None,
        "_lp": ((1, "c"), 2),
        "lazy_gettext": None,
        "lazy_ngettext": (1, 2),
        "lazy_pgettext": ((1, "c"), 2),
    }
    for filename, line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        yield f"{filename}:{line}", message, context


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with open(PO_FILE, "rb") as handle:
        return read_po(handle, locale="zh_Hans")


def test_the_source_has_messages_to_translate() -> None:
    """The extraction itself works (a wrong babel.cfg would find nothing and pass the rest)."""
    found = [message for _where, message, _context in extracted()]
    assert "Language" in found
    assert len(found) > 3


def test_every_message_in_the_source_has_a_chinese_translation(catalog: Catalog) -> None:
    missing = []
    for where, message, context in extracted():
        key = message if isinstance(message, str) else message[0]
        entry = catalog.get(key, context=context)
        strings = [] if entry is None else _strings(entry)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {key!r}")
    assert not missing, "untranslated (run `make i18n`, then translate):\n" + "\n".join(missing)


def test_the_image_library_has_one_name_in_chinese(catalog: Catalog) -> None:
    """The page is "图片库" (Image library); every message that mentions it says the same."""
    named = [
        str(message.id)
        for message in catalog
        if message.id and any("媒体库" in text for text in _strings(message))
    ]
    assert not named, named


def test_translations_keep_the_placeholders_of_their_source(catalog: Catalog) -> None:
    wrong = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        for string in _strings(entry):
            if string and placeholders(string) != placeholders(ids[-1]):
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_placeholder_check_catches_a_changed_name() -> None:
    assert placeholders("Hello %(name)s, {count} new") != placeholders("你好 %(nom)s {count} 条")
    assert placeholders("%(name)s 的 {count}") == placeholders("{count} of %(name)s")


def _strings(entry: Message) -> list[str]:
    return [entry.string] if isinstance(entry.string, str) else list(entry.string)
