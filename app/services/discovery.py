"""Ways into the archive: months with their counts, every tag with its count, and the posts
around a post (the older and newer one, and those sharing its tags).

Every query selects public posts only (``posts.visible_to_public()``: published, their time
come, their author active), so scheduled posts and drafts appear nowhere here. Months are
UTC months, as every date the site shows is UTC. Each function is one SQL statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import Post, Tag, post_tags
from app.services import posts

RELATED_POSTS = 3
# Of each of its tags, the newest this many posts are weighed for "related" (a bound, not a page).
RELATED_CANDIDATES = 200
# The years an archive address may name: datetime's range, with room for the month after.
FIRST_YEAR, LAST_YEAR = 1, 9998


class UtcMonth(FunctionElement[str]):
    """``YYYY-MM`` of a UTC timestamp, the same text on SQLite and PostgreSQL."""

    type = sa.String()
    inherit_cache = True


@compiles(UtcMonth, "sqlite")
def _utc_month_sqlite(element: UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps the UTC time as text (``UTCDateTime``), which strftime reads as UTC.
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(UtcMonth, "postgresql")
def _utc_month_postgresql(element: UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz in UTC whatever the connection's TimeZone is.
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM')"


@dataclass(frozen=True)
class Month:
    """A month of the archive and how many public posts it holds."""

    year: int
    month: int
    count: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)


def months() -> list[Month]:
    """Every month with at least one public post, newest first."""
    month = UtcMonth(Post.published_at)
    rows = db.session.execute(
        sa.select(month, sa.func.count())
        .where(posts.visible_to_public())
        .group_by(month)
        .order_by(month.desc())
    )
    return [Month(int(text[:4]), int(text[5:7]), count) for text, count in rows]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime] | None:
    """The first moment of the month and of the next (UTC); None for a month that cannot be."""
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def posts_of_month(start: datetime, end: datetime) -> sa.Select[tuple[Post]]:
    """The public posts published from ``start`` until ``end``, newest first."""
    return posts.published_posts().where(Post.published_at >= start, Post.published_at < end)


def tag_counts() -> list[tuple[Tag, int]]:
    """Every tag on at least one public post, with the number of such posts, by name."""
    count = sa.func.count(post_tags.c.post_id)
    rows = db.session.execute(
        sa.select(Tag, count)
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(posts.visible_to_public())
        .group_by(Tag.id)
        .order_by(Tag.name_key)
    )
    return [(tag, number) for tag, number in rows.tuples()]


@dataclass(frozen=True)
class Neighbour:
    """Enough of another post to link to it."""

    slug: str
    title: str
    published_at: datetime


@dataclass(frozen=True)
class Around:
    """The posts a reader may go on to from a post."""

    older: Neighbour | None = None
    newer: Neighbour | None = None
    related: list[Neighbour] = field(default_factory=list)


OLDER, NEWER, RELATED = 1, 2, 3


def around(post: Post) -> Around:
    """The public posts published just before and just after ``post`` (ties broken by id) and
    up to ``RELATED_POSTS`` others sharing its tags (most shared tags first, then the newest),
    in one statement. ``post`` must be public and its tags loaded."""
    if post.published_at is None:
        return Around()
    published, shown = post.published_at, posts.visible_to_public()
    before = sa.or_(
        Post.published_at < published,
        sa.and_(Post.published_at == published, Post.id < post.id),
    )
    after = sa.or_(
        Post.published_at > published,
        sa.and_(Post.published_at == published, Post.id > post.id),
    )
    branches = [
        _branch(OLDER, sa.literal_column("0"))
        .where(shown, before)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(1),
        _branch(NEWER, sa.literal_column("0"))
        .where(shown, after)
        .order_by(Post.published_at, Post.id)
        .limit(1),
    ]
    if post.tags:
        # Candidates: the newest posts of each tag only, so the cost does not grow with the site
        # (every post of a common tag was joined and grouped: 180 ms a view at 100,000 posts).
        recent = sa.union_all(
            *(
                sa.select(
                    sa.select(post_tags.c.post_id, post_tags.c.tag_id)
                    .where(post_tags.c.tag_id == tag.id, post_tags.c.post_id != post.id)
                    .order_by(post_tags.c.post_id.desc())
                    .limit(RELATED_CANDIDATES)
                    .subquery()
                )
                for tag in post.tags
            )
        ).subquery("recent")
        shared = sa.func.count(recent.c.tag_id)
        branches.append(
            _branch(RELATED, shared)
            .join(recent, recent.c.post_id == Post.id)
            .where(shown)
            .group_by(Post.id)
            .order_by(shared.desc(), Post.published_at.desc(), Post.id.desc())
            .limit(RELATED_POSTS)
        )
    # Each branch is wrapped as a subquery: SQLite allows no ORDER BY or LIMIT on its own.
    union = sa.union_all(*(sa.select(branch.subquery()) for branch in branches))
    rows = db.session.execute(union).all()
    found: dict[int, list[tuple[int, datetime, int, Neighbour]]] = {}
    for kind, slug, title, when, number, post_id in rows:
        found.setdefault(kind, []).append((number, when, post_id, Neighbour(slug, title, when)))
    related = sorted(found.get(RELATED, []), key=lambda row: row[:3], reverse=True)
    return Around(
        older=next((row[3] for row in found.get(OLDER, [])), None),
        newer=next((row[3] for row in found.get(NEWER, [])), None),
        related=[row[3] for row in related],
    )


def _branch(kind: int, shared: sa.ColumnElement[Any]) -> sa.Select[Any]:
    return sa.select(
        sa.literal_column(str(kind)).label("kind"),
        Post.slug,
        Post.title,
        Post.published_at,
        shared.label("shared"),
        Post.id,
    )
