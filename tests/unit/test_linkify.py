"""Bare addresses become links: in posts (markdown-it's linkify) and in plain-text comments."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from app.services.markdown import (
    _CLEANER,
    _highlight,
    _image,
    _post_process,
    _scroll_boxes,
    linkify_text,
    render_markdown,
)


class _Elements(HTMLParser):
    """Every element of an HTML fragment with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            "See https://example.com/a_b?x=1.",
            'See <a href="https://example.com/a_b?x=1" rel="nofollow ugc noopener">'
            "https://example.com/a_b?x=1</a>.",
        ),
        (
            "(http://example.com/x), then www.example.org!",
            '(<a href="http://example.com/x" rel="nofollow ugc noopener">http://example.com/x</a>)'
            ', then <a href="http://www.example.org" rel="nofollow ugc noopener">'
            "www.example.org</a>!",
        ),
        (
            "write to mailto:me@example.com",
            'write to <a href="mailto:me@example.com" rel="nofollow ugc noopener">'
            "mailto:me@example.com</a>",
        ),
        ("<b>bold?</b> & app.py, README.md", "&lt;b&gt;bold?&lt;/b&gt; &amp; app.py, README.md"),
        ("ftp://example.com/f and //example.com/x", "ftp://example.com/f and //example.com/x"),
    ],
)
def test_comment_text_is_escaped_and_its_addresses_linked(text: str, html: str) -> None:
    assert linkify_text(text) == html


@pytest.mark.parametrize(
    "text",
    [
        'https://x.com/"onmouseover=alert(1)',
        "https://x.com/'onmouseover='alert(1)",
        "https://x.com/<script>alert(1)</script>",
        'https://x.com/?q="><img src=x onerror=alert(1)>',
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1) and javascript://example.com/%0aalert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        'www.example.com/"style="x',
    ],
)
def test_comment_links_stay_inert(text: str) -> None:
    for tag, attributes in _elements(str(linkify_text(text))):
        assert tag == "a"
        assert set(attributes) == {"href", "rel"}
        assert str(attributes["href"]).startswith(("http://", "https://")), attributes
        assert attributes["rel"] == "nofollow ugc noopener"


def test_bare_addresses_in_posts_get_the_external_link_rel() -> None:
    html = render_markdown(
        "Read https://example.com/docs. Or www.example.org, or [x](https://a.b)."
    )
    assert html == (
        '<p>Read <a href="https://example.com/docs" rel="nofollow noopener">'
        'https://example.com/docs</a>. Or <a href="http://www.example.org" rel="nofollow noopener">'
        'www.example.org</a>, or <a href="https://a.b" rel="nofollow noopener">x</a>.</p>\n'
    )


def test_addresses_in_code_stay_text() -> None:
    html = render_markdown("`https://in.code`\n\n    https://indented.code\n")
    assert "<a" not in html


_BEFORE_LINKIFY = MarkdownIt("commonmark", {"html": False, "highlight": _highlight}).enable(
    ["table", "strikethrough"]
)
_BEFORE_LINKIFY.core.ruler.push("inkwell_post_process", _post_process)
_BEFORE_LINKIFY.add_render_rule("image", _image)


@pytest.mark.parametrize(
    "source",
    [
        "# Title\n\nSome **bold** and _italic_ text, app.py, README.md, example.com, node.js.",
        "Mail me at me@example.com or see ftp://example.com/file and //example.com/x.",
        "[a link](https://example.com) and <https://auto.example.com>",
        "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n~~gone~~\n\n```python\nprint('https://x.y')\n```",
        "> quote\n\n1. one\n2. two\n\n![img](https://example.com/i.png)",
    ],
)
def test_posts_without_bare_addresses_render_as_before(source: str) -> None:
    assert render_markdown(source) == _scroll_boxes(_CLEANER.clean(_BEFORE_LINKIFY.render(source)))
