"""What a page says about itself to other sites: Open Graph and Twitter cards, canonical
addresses, and a post's schema.org ``BlogPosting`` JSON-LD.

Every address is absolute on ``SITE_URL`` (``app/urls.py``), never on the Host a request brings.
A card's picture is a post's first image of the library (read from its stored HTML: no query),
else the site's share image (``app/services/site.py``), else the built-in ``static/card.png``
(1200 x 630, made by ``scripts/make_card_image.py``); of an image's stored widths the card takes
the narrowest that is at least ``CARD_WIDTH`` wide, else the widest.

The JSON goes inside ``<script type="application/ld+json">``, a data block that browsers never
run. It is escaped as Django's ``json_script`` does: ``<``, ``>`` and ``&`` become ``\\u003c``,
``\\u003e`` and ``\\u0026``, so no title (``</script>``, ``<!--``) can end the block early, and
``json.loads`` of the block's text gives the data back unchanged.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from flask import request
from markupsafe import Markup

from app.http import PRIVATE_BLUEPRINTS
from app.models import Post
from app.urls import absolute_url, public_url

JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
CARD_WIDTH: Final = 1200
# The query parameters that make a page another page (the rest, ``?utm_source=…``, do not).
CANONICAL_PARAMS: Final = {
    "main.index": ("page",),
    "main.tag": ("page",),
    "main.profile": ("page",),
    "main.search_page": ("q", "page"),
}
# The first library image of a post's HTML, as ``markdown._image`` writes it (attributes in
# that order after the sanitizer); an image of another site is never a card.
_FIRST_IMAGE: Final = re.compile(r'<img src="/media/([0-9a-f]{32})\.(jpg|png|webp)"([^>]*)>')
_ATTRIBUTE: Final = re.compile(r'([a-z]+)="([^"]*)"')
_SRCSET_WIDTH: Final = re.compile(r"(\d+)w")


@dataclass(frozen=True)
class Card:
    """The picture of a share card: a file of an endpoint, its pixel size and its text."""

    endpoint: str  # "media.file" or "static"
    filename: str
    width: int
    height: int
    alt: str = ""

    @property
    def url(self) -> str:
        return public_url(self.endpoint, filename=self.filename)


DEFAULT_CARD: Final = Card("static", "card.png", 1200, 630)


def library_card(
    name: str, ext: str, size: tuple[int, int], widths: Iterable[int], alt: str
) -> Card:
    """The card of a library image ``<name>.<ext>`` of ``size``, stored also at ``widths``."""
    width, height = size
    narrower = sorted(w for w in widths if w < width)
    chosen = next((w for w in narrower if w >= CARD_WIDTH), width)
    filename = f"{name}.{ext}" if chosen == width else f"{name}-{chosen}.{ext}"
    return Card("media.file", filename, chosen, max(1, round(height * chosen / width)), alt)


def first_image(body_html: str) -> Card | None:
    """The card of the first library image a post's HTML shows, if it shows one."""
    found = _FIRST_IMAGE.search(body_html)
    if found is None:
        return None
    attributes = dict(_ATTRIBUTE.findall(found.group(3)))
    width, height = attributes.get("width", ""), attributes.get("height", "")
    if not (width.isdigit() and height.isdigit() and int(width) > 0):
        return None  # an address no library image has: the renderer gave it no size
    widths = [int(w) for w in _SRCSET_WIDTH.findall(attributes.get("srcset", ""))]
    alt = html.unescape(attributes.get("alt", ""))
    return library_card(found.group(1), found.group(2), (int(width), int(height)), widths, alt)


def canonical_url() -> str | None:
    """This page's address on ``SITE_URL``, with only the parameters that make it this page."""
    if request.endpoint is None or request.url_rule is None:
        return None  # a 404: no page of ours
    kept = {
        name: request.args[name]
        for name in CANONICAL_PARAMS.get(request.endpoint, ())
        if request.args.get(name) and not (name == "page" and request.args[name] == "1")
    }
    values = {**(request.view_args or {}), **kept}
    if request.blueprint in PRIVATE_BLUEPRINTS or "q" in kept:
        return absolute_url(request.endpoint, **values)  # a token in the path, a visitor's words
    return public_url(request.endpoint, **values)


def json_ld(data: dict[str, Any]) -> Markup:
    """``data`` as JSON that is safe to place inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(JSON_ESCAPES)
    return Markup(text)  # noqa: S704  (every character that could end the element is escaped)


def _stamp(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def blog_posting(post: Post, image: Card | None = None) -> Markup:
    """The post's ``BlogPosting``: headline, dates, author, image and address (author joined)."""
    author = post.author
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": absolute_url("posts.show", slug=post.slug),
        "mainEntityOfPage": absolute_url("posts.show", slug=post.slug),
        "datePublished": _stamp(post.published_at),
        "dateModified": _stamp(post.last_changed),
        "image": image.url if image is not None else None,
        "author": {
            "@type": "Person",
            "name": author.name_shown,
            "url": absolute_url("main.profile", username=author.username),
        },
    }
    return json_ld({key: value for key, value in data.items() if value is not None})
