"""Sharing: a post's schema.org BlogPosting JSON-LD (complete, safe for any title), and the
Open Graph / Twitter card and canonical tags of every public page, on SITE_URL."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.factories import create_post, create_user
from tests.helpers import AuthActions, submit
from tests.images import noise, uploaded_url

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


# Open Graph, Twitter cards and canonical addresses ---------------------------------------------

PUBLIC_PAGES = {
    "/": "website",
    "/posts/plain-title": "article",
    "/tags/python": "website",
    "/users/writer": "website",
    "/search?q=plain": "website",
}


class MetaTags(HTMLParser):
    """Every ``<meta property|name=… content=…>`` (in order) and the canonical link."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta" and "content" in found:
            key = found.get("property") or found.get("name")
            if key:
                self.meta.append((key, found["content"]))
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found["href"])

    def get(self, key: str) -> str | None:
        return next((value for name, value in self.meta if name == key), None)


def _tags(html: str) -> MetaTags:
    parser = MetaTags()
    parser.feed(html)
    return parser


@pytest.fixture
def shared_site(app: Flask) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="Plain title", tags=("python",))


@pytest.mark.usefixtures("shared_site")
@pytest.mark.parametrize(("path", "kind"), PUBLIC_PAGES.items())
def test_every_public_page_has_its_card_on_site_url(
    client: FlaskClient, path: str, kind: str
) -> None:
    # Asked for under another Host: every address is still built on SITE_URL.
    html = client.get(path, base_url="http://attacker.example").text
    tags = _tags(html)
    expected = "http://localhost" + path.split("?")[0]
    if "?" in path:
        expected += "?" + path.split("?")[1]
    assert tags.canonical == [expected]
    assert tags.get("og:url") == expected
    assert tags.get("og:type") == kind
    assert tags.get("og:site_name") == "Inkwell"
    assert tags.get("og:title")
    assert tags.get("og:description")
    assert tags.get("twitter:card") == "summary_large_image"
    image = tags.get("og:image") or ""
    assert re.fullmatch(r"http://localhost/static/card\.png\?v=[0-9a-f]{12}", image), image
    assert (tags.get("og:image:width"), tags.get("og:image:height")) == ("1200", "630")
    assert tags.get("og:image:alt") == ("Plain title" if kind == "article" else "Inkwell")
    assert "attacker.example" not in html


@pytest.mark.usefixtures("shared_site")
def test_canonical_addresses_keep_only_what_makes_the_page(client: FlaskClient) -> None:
    assert _tags(client.get("/?utm_source=chat&page=1").text).canonical == ["http://localhost/"]
    assert _tags(client.get("/posts/plain-title?reply_to=3&x=1").text).canonical == [
        "http://localhost/posts/plain-title"
    ]
    # Error pages name no address of their own, whatever was asked for.
    for path, status in [("/no/such/page", 404), ("/posts/nothing-here", 404), ("/?page=0", 404)]:
        answer = client.get(path)
        assert answer.status_code == status
        assert _tags(answer.text).canonical == []
        assert _tags(answer.text).get("og:url") is None


def test_the_built_in_card_is_a_1200_by_630_png(app: Flask, client: FlaskClient) -> None:
    address = _tags(client.get("/").text).get("og:image") or ""
    with client.get(address.removeprefix("http://localhost")) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/png"
        data = response.data
    with Image.open(io.BytesIO(data)) as card:
        assert card.size == (1200, 630)


def test_a_post_card_shows_its_first_library_image(app: Flask, client: FlaskClient) -> None:
    writer = app.test_client()
    with app.app_context():
        create_user("writer")
    AuthActions(writer).login("writer")
    first = uploaded_url(writer, noise(2000, 1000), "wide.png")
    second = uploaded_url(writer, noise(400, 300, seed=3), "small.png")
    body = (
        "An outside picture first: ![elsewhere](https://example.com/a.png)\n\n"
        f'![A "wide" view & more]({first})\n\n![second]({second})'
    )
    saved = submit(
        writer, "/posts/new", {"title": "With pictures", "body": body, "status": "published"}
    )
    assert saved.status_code == 302
    html = client.get("/posts/with-pictures").text
    tags = _tags(html)
    name = first.removeprefix("/media/").removesuffix(".png")
    assert tags.get("og:image") == f"http://localhost/media/{name}-1600.png"
    assert (tags.get("og:image:width"), tags.get("og:image:height")) == ("1600", "800")
    assert tags.get("og:image:alt") == 'A "wide" view & more'
    assert tags.get("og:type") == "article"
    assert tags.get("og:title") == "With pictures"
    assert tags.get("article:author") == "http://localhost/users/writer"
    assert (tags.get("article:published_time") or "").endswith("Z")
    assert (tags.get("article:modified_time") or "").endswith("Z")
    data = json.loads(_blocks(html).blocks[0])
    assert data["image"] == f"http://localhost/media/{name}-1600.png"

    # A small image is its own card, at its own size.
    small = submit(
        writer,
        "/posts/new",
        {"title": "Small one", "body": f"![s]({second})", "status": "published"},
    )
    assert small.status_code == 302
    tags = _tags(client.get("/posts/small-one").text)
    assert tags.get("og:image") == f"http://localhost{second}"
    assert (tags.get("og:image:width"), tags.get("og:image:height")) == ("400", "300")


def test_a_post_without_a_library_image_gets_the_site_card(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_post(
            create_user("writer"),
            title="Outside only",
            body="![x](https://example.com/x.png) and ![gone](/media/" + "0" * 32 + ".png)",
        )
    html = client.get("/posts/outside-only").text
    image = _tags(html).get("og:image") or ""
    assert image.startswith("http://localhost/static/card.png?v=")
    assert json.loads(_blocks(html).blocks[0])["image"] == image


@pytest.mark.usefixtures("shared_site")
@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_only_search_results_ask_search_engines_not_to_index_them(
    client: FlaskClient, path: str
) -> None:
    """A results page is made of other pages' excerpts for any words typed: not a page to list."""
    robots = _tags(client.get(path).text).get("robots")
    expected = "noindex, follow" if path.startswith("/search") else None
    assert robots == expected
