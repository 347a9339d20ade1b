"""Atom 1.0 feeds: the one renderer behind the site feed and every tag's and author's feed.

A feed is the newest ``FEED_SIZE`` posts of a public list (``posts.published_posts()`` narrowed
by the caller), with absolute links from ``SITE_URL`` (``app/urls.py``). XML documents drop the
characters XML forbids (``app/text.py`` ``xml_safe``), so no row can make one ill-formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, render_template

from app.extensions import db
from app.models import Post, utcnow
from app.text import xml_safe

ATOM_TYPE = "application/atom+xml"


@dataclass(frozen=True)
class Feed:
    """What a feed says about itself: the page it follows (absolute; also its id, which must
    never change), its own address, and what it is about ("#python"; None for the whole site),
    which its title puts before the site's name."""

    page: str
    address: str
    subject: str | None = None


def latest(statement: sa.Select[tuple[Post]]) -> list[Post]:
    """The newest posts of a public list, as many as a feed holds."""
    return list(db.session.scalars(statement.limit(current_app.config["FEED_SIZE"])))


def atom(feed: Feed, entries: Sequence[Post]) -> Response:
    """``entries`` (authors and tags loaded) as an Atom document; updated with the newest change."""
    updated = max((entry.last_changed for entry in entries), default=utcnow())
    return xml_document("_atom.xml", ATOM_TYPE, feed=feed, entries=entries, updated=updated)


def xml_document(template: str, mimetype: str, **context: Any) -> Response:
    """An XML document, without the characters XML forbids: rows saved before the forms
    refused them (or written by other means) cannot make it ill-formed for every reader."""
    return Response(xml_safe(render_template(template, **context)), mimetype=mimetype)
