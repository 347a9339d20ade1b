"""A post's schema.org BlogPosting JSON-LD: present, complete, and safe for any title."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import create_post, create_user

HOSTILE_TITLE = '</script><script>alert(1)</script> "quotes" & 中文 <!-- x'


class JsonLdBlocks(HTMLParser):
    """The text of every ``<script type="application/ld+json">`` and every script's type."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.script_types: list[str | None] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            kind = dict(attrs).get("type")
            self.script_types.append(kind)
            self._inside = kind == "application/ld+json"
            if self._inside:
                self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks[-1] += data


def _blocks(html: str) -> JsonLdBlocks:
    parser = JsonLdBlocks()
    parser.feed(html)
    return parser


def test_a_post_carries_its_blog_posting(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="Plain title")
    found = _blocks(client.get("/posts/plain-title").text)
    assert len(found.blocks) == 1
    data = json.loads(found.blocks[0])
    assert data["@type"] == "BlogPosting"
    assert data["@context"] == "https://schema.org"
    assert data["headline"] == "Plain title"
    assert data["url"] == "http://localhost/posts/plain-title"
    assert data["author"] == {
        "@type": "Person",
        "name": "writer",
        "url": "http://localhost/users/writer",
    }
    assert data["datePublished"].endswith("Z")
    assert data["dateModified"].endswith("Z")


def test_any_title_stays_inside_the_block_and_reads_back_identically(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        slug = create_post(create_user("writer"), title=HOSTILE_TITLE).slug
    html = client.get(f"/posts/{slug}").text
    found = _blocks(html)
    # The title opened no script of its own: the only scripts are the one data block.
    assert found.script_types == ["application/ld+json"]
    assert json.loads(found.blocks[0])["headline"] == HOSTILE_TITLE
    assert "<!--" not in found.blocks[0]
    assert "</" not in found.blocks[0]
