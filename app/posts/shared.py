"""A post's page as the same HTML for every reader, with marked places for the personal bits.

Everything on a post's page but a few places is the same for every reader of a language: the
article, its tags, the older/newer and related posts, the visible comments. ``page_of`` renders
that once (``posts/_shared.html``), cuts it at the places that depend on who reads it (the
edit controls, the scheduled notice, each comment's Reply/Delete links, the reply form under a
thread, the comment form) and keeps the pieces as a shared fragment (``cache.shared_text``,
docs/security.md W21) while the post is public. ``posts/show.html`` puts the pieces back
together around the reader's own parts on every request, so a warm page runs no SQL but the
sign-in check. The places are cut at a random marker made for each rendering, so no text that
anyone wrote can pass for one. A post that is not public (a draft, a scheduled post) is seen by
its author and admins only: its pieces are made for each request and never kept.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from flask import abort, render_template
from markupsafe import Markup

from app import cache
from app.models import Comment, Post, User
from app.services import discovery, posts

# The personal places on the page (see posts/_shared.html and posts/show.html).
EDIT, NOTICE, FORM, COMMENT, THREAD = "edit", "notice", "form", "comment", "thread"
SLOTS = frozenset({EDIT, NOTICE, FORM, COMMENT, THREAD})


@dataclass(frozen=True)
class CommentShown:
    """What the personal parts need of a shown comment: who wrote it, which thread it is in."""

    id: int
    author_id: int
    username: str
    name_shown: str
    parent_id: int | None
    thread_id: int


@dataclass(frozen=True)
class PostPage:
    """A post's page as pieces: ``content`` is (place, reference, HTML after it) in order."""

    id: int
    slug: str
    author_id: int
    public: bool
    is_published: bool
    is_scheduled: bool
    published_at: datetime | None
    title: str
    excerpt: str
    card: Markup
    head: Markup
    content: tuple[tuple[str, int | None, Markup], ...]
    comments: Mapping[int, CommentShown]

    def comment(self, comment_id: int | None) -> CommentShown | None:
        return None if comment_id is None else self.comments.get(comment_id)


def page_of(slug: str, viewer: User | None, loaded: Post | None = None) -> PostPage:
    """The pieces of the post at ``slug``; a 404 if ``viewer`` may not see it (as if absent).

    ``loaded``: the post at ``slug`` when the caller has it already (no second query on a miss).
    Pieces built from it are not kept: it was read before the content version was, so it may
    be older than the version they would be filed under.
    """

    def build() -> tuple[str, bool]:
        post = loaded or posts.post_by_slug(slug)
        if post is None or not posts.can_view(viewer, post):
            abort(404)
        return _render(post), _is_public(post) and loaded is None

    page = _read_kept(cache.shared_text(f"posts.show:{slug}", build))
    if not page.public and not posts.is_author_or_admin(viewer, page.author_id):
        abort(404)  # never kept, so already checked by ``build``; a second lock on the door
    return page


def _is_public(post: Post) -> bool:
    """Visible to anyone (``posts.can_view`` without a viewer): only then are pieces shared."""
    return post.is_published and post.author.is_active


def _render(post: Post) -> str:
    threads = posts.comment_threads(post)
    marker = secrets.token_hex(16)

    def place(kind: str, reference: int | None = None) -> Markup:
        assert kind in SLOTS
        return Markup(f"{marker}{kind}:{'' if reference is None else reference}{marker}")  # noqa: S704

    card, _, head = render_template(
        "posts/_shared_head.html",
        post=post,
        marker=Markup(marker),  # noqa: S704
    ).partition(marker)
    html = render_template(
        "posts/_shared.html",
        post=post,
        threads=threads,
        comment_count=sum(1 + len(thread.replies) for thread in threads),
        around=discovery.around(post) if _is_public(post) else None,
        place=place,
    )
    comments = [
        _comment_row(shown, thread.comment.id)
        for thread in threads
        for shown in (thread.comment, *thread.replies)
    ]
    published = post.published_at.isoformat() if post.published_at else None
    fields = (post.id, post.slug, post.author_id, _is_public(post), post.is_published)
    return json.dumps(
        {
            "post": [*fields, post.is_scheduled, published, post.title, post.excerpt],
            "card": card,
            "head": head,
            "parts": html.split(marker),
            "comments": comments,
        }
    )


def _comment_row(comment: Comment, thread_id: int) -> tuple[object, ...]:
    """The fields of ``CommentShown``, in order."""
    author = comment.author
    return (
        comment.id,
        comment.author_id,
        author.username,
        author.name_shown,
        comment.parent_id,
        thread_id,
    )


# Pages read from kept text, by that text: reading a page's JSON again cost 16 µs a view, its
# hash 1 µs. The same text is the same page, so nothing here can be stale; read-only once made.
# Only public pages of at most READ_KEPT_CHARACTERS (a long post with its comments is read
# each time), at most READ_KEPT of them per process.
_READ: dict[str, PostPage] = {}
READ_KEPT = 128
READ_KEPT_CHARACTERS = 256_000


def _read_kept(stored: str) -> PostPage:
    found = _READ.get(stored)
    if found is None:
        found = _read(stored)
        if found.public and len(stored) <= READ_KEPT_CHARACTERS:
            if len(_READ) >= READ_KEPT:
                _READ.clear()
            _READ[stored] = found
    return found


def _read(stored: str) -> PostPage:
    data: dict[str, Any] = json.loads(stored)
    post_id, slug, author_id, public, published, scheduled, when, title, excerpt = data["post"]
    parts: list[str] = data["parts"]
    # parts: HTML, place, HTML, place, …, HTML: each place with the HTML after it.
    content: list[tuple[str, int | None, Markup]] = [("", None, Markup(parts[0]))]  # noqa: S704
    for name, html in zip(parts[1::2], parts[2::2], strict=True):
        kind, _, reference = name.partition(":")
        content.append((kind, int(reference) if reference else None, Markup(html)))  # noqa: S704
    return PostPage(
        id=post_id,
        slug=slug,
        author_id=author_id,
        public=public,
        is_published=published,
        is_scheduled=scheduled,
        published_at=datetime.fromisoformat(when) if when else None,
        title=title,
        excerpt=excerpt,
        card=Markup(data["card"]),  # noqa: S704
        head=Markup(data["head"]),  # noqa: S704
        content=tuple(content),
        comments=MappingProxyType({row[0]: CommentShown(*row) for row in data["comments"]}),
    )
