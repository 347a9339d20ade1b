"""Posts, tags and comments: the writes (each owns its commit), permissions and read queries."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.lookups import possible_id
from app.models import Comment, FormSubmission, Post, PostStatus, User, utcnow
from app.services import submissions
from app.services.markdown import make_excerpt, render_markdown
from app.services.tags import tags_named

SLUG_MAX = 80
# Paths under /posts/ that a slug must never take.
RESERVED_SLUGS = frozenset({"new"})
# Private slugs end in a random suffix: lower-case letters and digits that cannot be misread.
SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SUFFIX_LENGTH = 6
# A random suffix clashes about once in a billion posts; each retry makes it longer still.
SLUG_ATTEMPTS = 5
WORDLESS_BASE = "post"


def _joined_words(text: str, max_length: int) -> str:
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return "-".join(re.findall(r"[^\W_]+", normalized))[:max_length].strip("-")


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """A URL-safe, Unicode-aware slug: lower-case words of any script joined by dashes.

    Empty when the text has no letters or digits.
    """
    return _joined_words(text, max_length)


def private_slug(title: str, attempt: int = 1) -> str:
    """The title's words plus a random suffix: an address that says nothing about other posts."""
    length = SUFFIX_LENGTH + attempt - 1
    base = slugify(title, SLUG_MAX - length - 1) or WORDLESS_BASE
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(length))
    return f"{base}-{suffix}"


def _readable_slug(title: str) -> str | None:
    """The title's words alone, if no post has ever held them (None for wordless titles)."""
    slug = slugify(title)
    if not slug or slug in RESERVED_SLUGS:
        return None
    taken = db.session.scalar(sa.select(Post.id).where(Post.slug == slug).limit(1))
    return slug if taken is None else None


def _apply(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    with db.session.no_autoflush:  # the tag queries must not flush a half-filled post
        _fill(post, title=title, body=body, tags=tags, status=status)


def _fill(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    now = utcnow()
    post.title = title
    post.body_markdown = body
    post.body_html = render_markdown(body)
    post.excerpt = make_excerpt(post.body_html)
    post.tags = tags_named(tags)
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
    """Save a new post and commit; its slug comes from its title (see ``_slug_for``).

    ``submission`` is the web form's one-time token: ``AlreadySubmitted`` if it was used before.
    """
    submissions.check(author, submission)
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        slug = _slug_for(title, status, attempt)
        post = Post(author_id=author.id, slug=slug, created_at=utcnow())
        db.session.add(post)
        _apply(post, title=title, body=body, tags=tags, status=status)
        try:
            submissions.record(author, submission, f"/posts/{slug}")
            db.session.commit()
        except IntegrityError:  # a twin submission, or another post took the slug meanwhile
            db.session.rollback()
            submissions.check(author, submission)  # a twin saved it meanwhile?
            if attempt == SLUG_ATTEMPTS:
                raise
            continue
        return post
    raise AssertionError("unreachable: the last attempt returns or raises")


def _slug_for(title: str, status: str, attempt: int) -> str:
    """A new post's slug: readable when it is published at once and free, else private.

    A draft never takes a readable slug, so no draft holds an address that a new post could
    ask for, and the slug a writer gets never depends on anyone's hidden drafts. The readable
    slugs that are taken belong to posts that were public once.
    """
    readable = _readable_slug(title) if status == PostStatus.PUBLISHED and attempt == 1 else None
    return readable or private_slug(title, attempt)


def update_post(post: Post, *, title: str, body: str, tags: Sequence[str], status: str) -> None:
    """Save an edit and commit. A published slug stays, so links keep working.

    On its first publication a draft trades its private slug for the readable one if that is
    free; if another post takes it meanwhile, the draft keeps its private slug.
    """
    first_publication = status == PostStatus.PUBLISHED and post.published_at is None
    _apply(post, title=title, body=body, tags=tags, status=status)
    readable = _readable_slug(title) if first_publication else None
    if readable is None:
        db.session.commit()
        return
    try:
        _move(post, readable)
        db.session.commit()
    except IntegrityError:  # another post took the readable slug meanwhile
        db.session.rollback()
        _apply(post, title=title, body=body, tags=tags, status=status)
        db.session.commit()


def _move(post: Post, slug: str) -> None:
    """Give ``post`` a new slug; a replayed form that created it then leads to the new one."""
    old, new = f"/posts/{post.slug}", f"/posts/{slug}"
    post.slug = slug
    db.session.execute(
        sa.update(FormSubmission)
        .where(FormSubmission.user_id == post.author_id, FormSubmission.location == old)
        .values(location=new)
    )


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
    """Drafts, and the posts of deactivated members, are visible to their author and admins only."""
    return (post.is_published and post.author.is_active) or can_edit(user, post)


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    return user is not None and (
        user.is_admin or user.id in (comment.author_id, comment.post.author_id)
    )


# Reads ----------------------------------------------------------------------------------------


def visible_to_public() -> sa.ColumnElement[bool]:
    """What the public may read: published posts by members who are not deactivated.

    A deactivated member's posts and comments leave every public page (as their profile does)
    and come back if the account is activated again; the admin area still lists them.
    """
    return sa.and_(Post.status == PostStatus.PUBLISHED, Post.author.has(User.is_active))


def published_posts() -> sa.Select[tuple[Post]]:
    """Public posts, newest first, with authors joined and tags loaded in one more query."""
    return (
        sa.select(Post)
        .where(visible_to_public())
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


def comment_count(post: Post) -> int:
    """Every comment on ``post``, hidden ones included: what deleting it would lose."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.post_id == post.id)
    )
    return count or 0


def comment_by_id(comment_id: int) -> Comment | None:
    """A comment with its author, its post and the post's author, in one query."""
    if not possible_id(comment_id):
        return None
    return db.session.get(
        Comment,
        comment_id,
        options=[
            so.joinedload(Comment.author),
            so.joinedload(Comment.post).joinedload(Post.author),
        ],
    )


def visible_comments(post: Post) -> list[Comment]:
    return list(
        db.session.scalars(
            sa.select(Comment)
            .where(
                Comment.post_id == post.id,
                sa.not_(Comment.is_hidden),
                Comment.author.has(User.is_active),
            )
            .options(so.joinedload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )
