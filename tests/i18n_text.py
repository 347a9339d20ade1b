"""Leftover English in Chinese pages and mails: the visible text, user content stripped, may hold
no run of three or more ASCII words (tests/integration/test_i18n_pages.py, test_i18n_mail.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

URL = re.compile(r"(?:https?://|/)[^\s<>\"'\uff0c\u3002\uff09)]*")  # to a Chinese , . or )
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*(?:[\s,;:]+[A-Za-z][A-Za-z'\u2019-]*){2,}")
# Attributes a reader sees or hears (a button's value is what some screen readers read).
SEEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label")


class _Visible(HTMLParser):
    """The text of a page a person reads or hears: no script, style or head-only markup."""

    HIDDEN = frozenset({"script", "style", "template", "noscript"})

    def __init__(self, skip_classes: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_classes = skip_classes
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    @property
    def skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        classes = set(found.get("class", "").split())
        skip = tag in self.HIDDEN or bool(classes & self.skip_classes)
        if tag not in {"meta", "link", "input", "img", "br", "hr", "source", "wbr"}:
            self.stack.append((tag, skip))
        if self.skipping or skip:
            return
        self.parts.extend(found[name] for name in SEEN_ATTRIBUTES if found.get(name))
        if tag == "meta" and found.get("name") == "description":
            self.parts.append(found.get("content", ""))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str, skip_classes: Iterable[str] = ()) -> str:
    parser = _Visible(frozenset(skip_classes))
    parser.feed(html)
    return "\n".join(part for part in parser.parts if part.strip())


def english_runs(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Runs of 3+ ASCII words left once URLs, e-mail addresses and ``allowed`` (user content,
    the site's name) are taken out."""
    text = URL.sub(" ¶ ", EMAIL.sub(" ¶ ", text))
    for words in sorted(allowed, key=len, reverse=True):
        text = text.replace(words, " ¶ ")
    return [match.group(0) for match in ENGLISH_RUN.finditer(text)]
