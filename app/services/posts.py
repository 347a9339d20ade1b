"""Posts, tags and comments: the writes (each owns its commit), permissions and read queries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Comment, Post, PostStatus, Tag, User, utcnow
from app.services import submissions
from app.services.markdown import make_excerpt, render_markdown

SLUG_MAX = 80
# Paths under /posts/ that a slug must never take.
RESERVED_SLUGS = frozenset({"new"})
TAG_MAX = 40
TAGS_PER_POST = 10
SLUG_ATTEMPTS = 20


def _joined_words(text: str, max_length: int) -> str:
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return "-".join(re.findall(r"[^\W_]+", normalized))[:max_length].strip("-")


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """A URL-safe, Unicode-aware slug: lower-case words of any script joined by dashes."""
    return _joined_words(text, max_length) or "post"


def parse_tags(raw: str) -> list[str]:
    """Comma-separated input → normalized, de-duplicated tag names, in the order given."""
    names: list[str] = []
    for part in raw.split(","):
        name = _joined_words(part, TAG_MAX)
        if name and name not in names:
            names.append(name)
    return names


def _tags_named(names: Sequence[str]) -> list[Tag]:
    """The Tag rows for ``names``, creating missing ones (safe against a concurrent creator)."""
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name in existing:
            continue
        try:
            with db.session.begin_nested():
                tag = Tag(name=name)
                db.session.add(tag)
            existing[name] = tag
        except IntegrityError:
            existing[name] = db.session.scalars(sa.select(Tag).where(Tag.name == name)).one()
    return [existing[name] for name in names]


def _apply(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    with db.session.no_autoflush:  # the tag queries must not flush a half-filled post
        _fill(post, title=title, body=body, tags=tags, status=status)


def _fill(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    now = utcnow()
    post.title = title
    post.body_markdown = body
    post.body_html = render_markdown(body)
    post.excerpt = make_excerpt(post.body_html)
    post.tags = _tags_named(tags)
    post.status = status
    post.updated_at = now
    if status == PostStatus.PUBLISHED and post.published_at is None:
        post.published_at = now


def create_post(
    author: User,
    *,
    title: str,
    body: str,
    tags: Sequence[str],
    status: str,
    submission: str | None = None,
) -> Post:
    """Save a new post under a unique slug derived from its title, and commit.

    ``submission`` is the web form's one-time token: ``AlreadySubmitted`` if it was used before.
    """
    submissions.check(author, submission)
    base = slugify(title)
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        slug = base if attempt == 1 else f"{base[: SLUG_MAX - 4]}-{attempt}"
        if slug in RESERVED_SLUGS or db.session.scalar(
            sa.select(sa.func.count()).where(Post.slug == slug)
        ):
            continue
        post = Post(author_id=author.id, slug=slug, created_at=utcnow())
        db.session.add(post)
        _apply(post, title=title, body=body, tags=tags, status=status)
        try:
            submissions.record(author, submission, f"/posts/{slug}")
            db.session.commit()
        except IntegrityError:  # a twin submission, or another post took the slug meanwhile
            db.session.rollback()
            submissions.check(author, submission)  # a twin saved it meanwhile?
            continue
        return post
    raise RuntimeError(f"no free slug for {base!r} after {SLUG_ATTEMPTS} attempts")


def update_post(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    """Save an edit and commit. The slug stays, so links keep working."""
    _apply(post, title=title, body=body, tags=tags, status=status)
    db.session.commit()


def delete_post(post: Post) -> None:
    """Delete a post; its comments and tag links go with it (ON DELETE CASCADE)."""
    db.session.delete(post)
    db.session.commit()


def add_comment(post: Post, author: User, body: str, *, submission: str | None = None) -> Comment:
    """Save a comment and commit; ``AlreadySubmitted`` if its form's token was used before."""
    submissions.check(author, submission)
    comment = Comment(post=post, author=author, body=body)
    db.session.add(comment)
    db.session.flush()  # its id, for the link back to it
    submissions.record(author, submission, f"/posts/{post.slug}#comment-{comment.id}")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        submissions.check(author, submission)  # a twin saved it meanwhile?
        raise
    return comment


def delete_comment(comment: Comment) -> None:
    db.session.delete(comment)
    db.session.commit()


# Permissions ----------------------------------------------------------------------------------


def can_edit(user: User | None, post: Post) -> bool:
    return user is not None and (user.is_admin or post.author_id == user.id)


def can_view(user: User | None, post: Post) -> bool:
    """Drafts are visible to their author and to admins only."""
    return post.is_published or can_edit(user, post)


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    return user is not None and (
        user.is_admin or user.id in (comment.author_id, comment.post.author_id)
    )


# Reads ----------------------------------------------------------------------------------------


def published_posts() -> sa.Select[tuple[Post]]:
    """Published posts, newest first, with authors joined and tags loaded in one more query."""
    return (
        sa.select(Post)
        .where(Post.status == PostStatus.PUBLISHED)
        .options(so.joinedload(Post.author), so.selectinload(Post.tags))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def post_by_slug(slug: str) -> Post | None:
    """The post at ``slug``; text that cannot be a slug (too long, control characters) is None."""
    if len(slug) > SLUG_MAX or not slug.isprintable():
        return None
    return db.session.scalar(
        sa.select(Post)
        .where(Post.slug == slug)
        .options(so.joinedload(Post.author), so.selectinload(Post.tags))
    )


def visible_comments(post: Post) -> list[Comment]:
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.post_id == post.id, sa.not_(Comment.is_hidden))
            .options(so.joinedload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )
