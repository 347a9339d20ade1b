"""Posts, tags and comments: the writes (each owns its commit), permissions and read queries."""

from __future__ import annotations

import functools
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.lookups import possible_id
from app.models import (
    Comment,
    FormSubmission,
    Post,
    PostState,
    PostStatus,
    Tag,
    User,
    post_tags,
    utcnow,
)
from app.services import mail, media, submissions
from app.services.markdown import make_excerpt, reading_minutes, render_markdown
from app.services.search import search_document
from app.services.tags import tags_named
from app.text import words

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
    return "-".join(words(normalized))[:max_length].strip("-")


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


def _readable_slug(title: str, post: Post | None = None) -> str | None:
    """The title's words alone, if free for ``post`` (None for wordless titles, or when taken).

    Only a post that has been public holds its readable slug for good. One that never was (a
    scheduled post, or a draft that was scheduled) gives it up to any post that asks first: it
    moves to a private slug here, as if it had never had it. So whether a new post gets its
    readable slug never says anything about posts that are not public yet.
    """
    slug = slugify(title)
    if not slug or slug in RESERVED_SLUGS:
        return None
    holder = db.session.scalar(sa.select(Post).where(Post.slug == slug))
    if holder is None or holder is post:
        return slug
    if holder.was_public:
        return None
    _move(holder, private_slug(holder.title))
    db.session.flush()  # the holder's new slug goes first, then the slug is free to take
    return slug


def _apply(
    post: Post,
    *,
    title: str,
    body: str,
    summary: str | None,
    tags: Sequence[str],
    status: str,
    publish_at: datetime | None,
) -> None:
    with db.session.no_autoflush:  # the tag queries must not flush a half-filled post
        _fill(post, title=title, body=body, summary=summary, tags=tags)
        _set_publication(post, status, publish_at)


def _fill(post: Post, *, title: str, body: str, summary: str | None, tags: Sequence[str]) -> None:
    post.title = title
    post.body_markdown = body
    shown = media.local_images(body)
    post.body_html = render_markdown(body, shown)
    media.link_images(post, shown)
    post.summary = tidy_summary(summary)
    post.excerpt = excerpt_of(post.body_html, summary)
    post.reading_minutes = reading_minutes(post.body_html)
    post.search_title, post.search_body = search_document(title, post.body_html)
    post.tags = tags_named(tags)
    post.updated_at = utcnow()


def _set_publication(post: Post, status: str, publish_at: datetime | None) -> None:
    """Draft, published now, or published at ``publish_at`` (scheduled while in the future).

    A post keeps the time it was first public at; a scheduled one published now gets now.
    """
    if status == PostStatus.DRAFT:
        post.withdraw()
        return
    post.status = PostStatus.PUBLISHED
    if publish_at is not None:
        if post.was_public:
            raise ValueError("A post that has been public cannot be scheduled.")
        post.published_at = publish_at
    elif not post.was_public:
        post.published_at = utcnow()


def tidy_summary(summary: str | None) -> str | None:
    """A hand-written summary on one line, its runs of spaces and newlines as one space;
    None when blank (the post then shows its automatic excerpt)."""
    return " ".join((summary or "").split()) or None


def excerpt_of(html: str, summary: str | None) -> str:
    """What lists, feeds and link previews show for a post: its summary, else its first
    paragraph of prose (``make_excerpt``)."""
    return tidy_summary(summary) or make_excerpt(html)


def preview(body: str) -> Markup:
    """The body as it will be published: the same rendering a save stores, and nothing saved."""
    rendered = render_markdown(body, media.local_images(body))
    return Markup(rendered)  # noqa: S704  (sanitized by render_markdown)


def create_post(
    author: User,
    *,
    title: str,
    body: str,
    tags: Sequence[str],
    status: str,
    publish_at: datetime | None = None,
    summary: str | None = None,
    submission: str | None = None,
) -> Post:
    """Save a new post and commit; its slug comes from its title (see ``_slug_for``).

    ``summary`` is the writer's own excerpt; without one (or blank) the body's first paragraph.

    A published post with a ``publish_at`` in the future is scheduled: public from then on.
    ``submission`` is the web form's one-time token: ``AlreadySubmitted`` if it was used before.
    """
    submissions.check(author, submission)
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        slug = _slug_for(title, status, attempt)
        post = Post(author_id=author.id, slug=slug, created_at=utcnow())
        db.session.add(post)
        _apply(
            post,
            title=title,
            body=body,
            summary=summary,
            tags=tags,
            status=status,
            publish_at=publish_at,
        )
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
    """A new post's slug: readable when it is published (or scheduled) and free, else private.

    A draft never takes a readable slug, so no draft holds an address that a new post could
    ask for, and the slug a writer gets never depends on anyone's hidden drafts. A scheduled
    post takes its readable slug at once, but only for as long as no other post asks for it
    before its time (see ``_readable_slug``): the readable slugs held for good belong to posts
    that were public once.
    """
    readable = _readable_slug(title) if status == PostStatus.PUBLISHED and attempt == 1 else None
    return readable or private_slug(title, attempt)


def update_post(
    post: Post,
    *,
    title: str,
    body: str,
    tags: Sequence[str],
    status: str,
    publish_at: datetime | None = None,
    summary: str | None = None,
) -> None:
    """Save an edit and commit. A slug that has been public stays, so links keep working.

    A blank ``summary`` gives the post its automatic excerpt back.

    When a post that was never public is published or scheduled, it trades its slug for the
    readable one of its title if that is free (see ``_readable_slug``); if another post takes
    it meanwhile, it keeps the slug it had.
    """
    first_publication = status == PostStatus.PUBLISHED and not post.was_public
    edit = functools.partial(
        _apply,
        post,
        title=title,
        body=body,
        summary=summary,
        tags=tags,
        status=status,
        publish_at=publish_at,
    )
    edit()
    if not first_publication:
        db.session.commit()
        return
    try:
        readable = _readable_slug(title, post)
        if readable is not None and readable != post.slug:
            _move(post, readable)
        db.session.commit()
    except IntegrityError:  # another post took the readable slug meanwhile
        db.session.rollback()
        edit()  # the same edit again, after the rollback expired it
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


class CannotReply(Exception):
    """The comment a reply answers is not one readers of the post can see (any more)."""


def add_comment(
    post: Post,
    author: User,
    body: str,
    *,
    reply_to: int | None = None,
    submission: str | None = None,
) -> Comment:
    """Save a comment, queue its notifications (``app/services/notifications.py``) and commit.

    ``reply_to`` is the id of the comment it answers: the reply joins that comment's thread
    (one level: under the thread's first comment); ``CannotReply`` if it is not a comment shown
    on ``post``. ``AlreadySubmitted`` if the form's token was used before.
    """
    submissions.check(author, submission)
    answered = None if reply_to is None else _shown_comment_of(post, reply_to)
    parent_id = None if answered is None else answered.parent_id or answered.id
    comment = Comment(post=post, author=author, body=body, parent_id=parent_id)
    db.session.add(comment)
    db.session.flush()  # its id, for the link back to it
    mail.enqueue_comment_notices(comment, answered)
    submissions.record(author, submission, f"/posts/{post.slug}#comment-{comment.id}")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        submissions.check(author, submission)  # a twin saved it meanwhile?
        raise
    return comment


def _shown_comment_of(post: Post, comment_id: int) -> Comment:
    found = db.session.get(Comment, comment_id) if possible_id(comment_id) else None
    if found is None or found.post_id != post.id or not comment_is_shown(found):
        raise CannotReply
    return found


def delete_comment(comment: Comment) -> None:
    """Delete a comment; replies to it go with it (ON DELETE CASCADE)."""
    db.session.delete(comment)
    db.session.commit()


# Permissions ----------------------------------------------------------------------------------


def is_author_or_admin(user: User | None, author_id: int) -> bool:
    return user is not None and (user.is_admin or author_id == user.id)


def can_edit(user: User | None, post: Post) -> bool:
    return is_author_or_admin(user, post.author_id)


def can_view(user: User | None, post: Post) -> bool:
    """Drafts, scheduled posts before their time and the posts of deactivated members are
    visible to their author and admins only (a 404 for everyone else, as if absent)."""
    return (post.is_published and post.author.is_active) or can_edit(user, post)


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    return user is not None and (
        user.is_admin or user.id in (comment.author_id, comment.post.author_id)
    )


# Reads ----------------------------------------------------------------------------------------


def released() -> sa.ColumnElement[bool]:
    """Published posts whose time has come: a scheduled post appears by itself at its time,
    with nothing to run then, since every public query asks for ``published_at <= now``."""
    return in_state(PostState.PUBLISHED)


def in_state(state: PostState) -> sa.ColumnElement[bool]:
    """Posts in ``state`` as of now: the SQL twin of ``Post.state``."""
    if state == PostState.DRAFT:
        return Post.status == PostStatus.DRAFT
    due = Post.published_at <= utcnow()
    return sa.and_(
        Post.status == PostStatus.PUBLISHED, due if state == PostState.PUBLISHED else sa.not_(due)
    )


def visible_to_public() -> sa.ColumnElement[bool]:
    """What the public may read: released posts by members who are not deactivated.

    A deactivated member's posts and comments leave every public page (as their profile does)
    and come back if the account is activated again; the admin area still lists them.
    """
    return sa.and_(released(), Post.author.has(User.is_active))


def written_by(author: User) -> sa.Select[tuple[Post]]:
    """All of ``author``'s posts (drafts and scheduled ones too), last edited first."""
    return (
        sa.select(Post)
        .where(Post.author_id == author.id)
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )


def published_posts() -> sa.Select[tuple[Post]]:
    """Public posts, newest first, with authors joined and tags loaded in one more query."""
    return (
        sa.select(Post)
        .where(visible_to_public())
        .options(so.joinedload(Post.author), so.selectinload(Post.tags))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def post_by_slug(slug: str) -> Post | None:
    """The post at ``slug`` with its author and tags, in one query; text that cannot be a slug
    (too long, control characters) is None."""
    if len(slug) > SLUG_MAX or not slug.isprintable():
        return None
    # A joined collection comes as one row per tag: ``unique`` folds them into the one post.
    # Flat outer joins, not joinedload's nested "LEFT JOIN (post_tags JOIN tags)": SQLite
    # materialised that nested join for every post of the site (50 ms at 100,000 posts).
    return (
        db.session.scalars(
            sa.select(Post)
            .where(Post.slug == slug)
            .outerjoin(post_tags, post_tags.c.post_id == Post.id)
            .outerjoin(Tag, Tag.id == post_tags.c.tag_id)
            .order_by(Tag.name_key)
            .options(so.joinedload(Post.author), so.contains_eager(Post.tags))
        )
        .unique()
        .one_or_none()
    )


def comment_is_shown(comment: Comment) -> bool:
    """Whether a reader of the post sees ``comment``: neither it nor the first comment of its
    thread is hidden, and their authors are active (as ``comment_threads`` shows them)."""
    thread = [comment] if comment.parent is None else [comment, comment.parent]
    return all(not each.is_hidden and each.author.is_active for each in thread)


@dataclass
class Thread:
    """A top-level comment and the replies to it, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)

    def __contains__(self, comment_id: object) -> bool:
        return comment_id in {self.comment.id, *(reply.id for reply in self.replies)}


def comment_threads(post: Post) -> list[Thread]:
    """The comments readers see, as threads. While a thread's first comment is hidden (or its
    author deactivated), its replies are not shown either. Still one query."""
    comments = visible_comments(post)
    threads = {each.id: Thread(each) for each in comments if each.parent_id is None}
    for reply in comments:
        if reply.parent_id is not None and reply.parent_id in threads:
            threads[reply.parent_id].replies.append(reply)
    return list(threads.values())


def comment_count(post: Post) -> int:
    """Every comment on ``post``, hidden ones included: what deleting it would lose."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.post_id == post.id)
    )
    return count or 0


def reply_count(comment: Comment) -> int:
    """Every reply to ``comment``, hidden ones included: deleting it deletes them too."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.parent_id == comment.id)
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
