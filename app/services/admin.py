"""What an administrator can do to accounts and content, with its guards and audit entries.

The web admin and the ``flask users`` commands both call these, so the rules are the same
everywhere: nobody deactivates or demotes themselves or the last active admin, deactivation
signs the member out at once, and every action lands in the security event log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

from app.extensions import db
from app.lookups import possible_id
from app.models import (
    Comment,
    EventType,
    MailStatus,
    OutboxMessage,
    Post,
    PostState,
    PostStatus,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from app.services import events, mail_delivery, sessions, throttle
from app.services.posts import in_state


class AdminActionRefused(Exception):
    """The action would break a guard; the message says why, for the admin to read."""


class InvalidFilter(BadRequest):
    """A list's filter or sort that does not exist: a 400 page that says what would work."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)


def _active_admins() -> int:
    return int(
        db.session.scalar(sa.select(sa.func.count()).where(User.is_admin, User.is_active)) or 0
    )


def _guard_self_and_last_admin(
    actor: User | None, target: User, own_account: str, last_admin: str
) -> None:
    """Refuse an action on one's own account or on the last active admin, with a whole
    sentence for each (translators need the verb inside the sentence)."""
    if actor is not None and actor.id == target.id:
        raise AdminActionRefused(own_account)
    if target.is_admin and target.is_active and _active_admins() <= 1:
        raise AdminActionRefused(last_admin)


def _audit(
    event: EventType, actor: User | None, target: User | None, what: str | None = None
) -> None:
    events.record(event, user=target, actor=actor, identifier=what)
    db.session.commit()


def deactivate(actor: User | None, target: User) -> None:
    """Refuse sign-in and end every session of ``target`` now."""
    _guard_self_and_last_admin(
        actor,
        target,
        _("You cannot deactivate your own account."),
        _("You cannot deactivate the last active admin."),
    )
    target.is_active = False
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == target.id))
    _audit(EventType.USER_DEACTIVATED, actor, target, target.username)


def activate(actor: User | None, target: User) -> None:
    target.is_active = True
    _audit(EventType.USER_ACTIVATED, actor, target, target.username)


def make_admin(actor: User | None, target: User) -> None:
    target.is_admin = True
    _audit(EventType.ADMIN_GRANTED, actor, target, target.username)


def remove_admin(actor: User | None, target: User) -> None:
    _guard_self_and_last_admin(
        actor,
        target,
        _("You cannot remove admin rights from your own account."),
        _("You cannot remove admin rights from the last active admin."),
    )
    target.is_admin = False
    _audit(EventType.ADMIN_REVOKED, actor, target, target.username)


UNLOCK_REFUSALS = {
    throttle.Unlocked.NOT_SHARED: (
        "Sign-in locks are kept in each server process's memory (REDIS_URL is not set), out of "
        "reach of this command: unlock from the admin area or restart the app."
    ),
    throttle.Unlocked.UNREACHABLE: (
        "The rate-limit storage (Redis) is not answering, so nothing was unlocked. "
        "While it is down, sign-in is not throttled at all."
    ),
}


def unlock(actor: User | None, target: User) -> throttle.Unlocked:
    """Lift the sign-in lock after too many failed attempts; refused if it cannot be done."""
    outcome = throttle.unlock(f"account:{target.id}")
    if outcome in UNLOCK_REFUSALS:
        raise AdminActionRefused(UNLOCK_REFUSALS[outcome])
    _audit(EventType.USER_UNLOCKED, actor, target, f"{target.username}: {outcome.value}")
    return outcome


def revoke_sessions(actor: User | None, target: User) -> int:
    count = sessions.revoke_all(target)
    _audit(EventType.SESSIONS_REVOKED_BY_ADMIN, actor, target, target.username)
    return count


def unpublish(actor: User, post: Post) -> None:
    post.withdraw()
    _audit(EventType.POST_UNPUBLISHED, actor, post.author, f"post {post.slug}")


def delete_post(actor: User, post: Post) -> None:
    author, slug = post.author, post.slug
    db.session.delete(post)
    _audit(EventType.POST_DELETED, actor, author, f"post {slug}")


def set_comment_hidden(actor: User, comment: Comment, hidden: bool) -> None:
    comment.is_hidden = hidden
    event = EventType.COMMENT_HIDDEN if hidden else EventType.COMMENT_UNHIDDEN
    _audit(event, actor, comment.author, f"comment {comment.id} on post {comment.post.slug}")


def delete_comment(actor: User, comment: Comment) -> None:
    author, what = comment.author, f"comment {comment.id} on post {comment.post.slug}"
    db.session.delete(comment)
    _audit(EventType.COMMENT_DELETED, actor, author, what)


def failed_mail(limit: int = 20) -> list[OutboxMessage]:
    """Mail the worker gave up on, newest first, for the dashboard."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == MailStatus.FAILED)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def retry_mail(actor: User, message: OutboxMessage) -> None:
    """Queue a failed message again, with a fresh day of retries."""
    if message.status != MailStatus.FAILED:
        raise AdminActionRefused(_("That message has not failed; the worker is still on it."))
    mail_delivery.retry(message)
    _audit(EventType.MAIL_RETRIED, actor, None, f"mail {message.id} to {message.recipient}")


USER_ACTIONS: dict[str, Callable[[User | None, User], object]] = {
    "deactivate": deactivate,
    "activate": activate,
    "make-admin": make_admin,
    "remove-admin": remove_admin,
    "unlock": unlock,
    "revoke-sessions": revoke_sessions,
}


def dashboard_counts(now: datetime | None = None) -> dict[str, int]:
    """The dashboard's figures, in one query per table."""
    now = now or utcnow()
    day_ago = now - timedelta(hours=24)
    users = db.session.execute(
        sa.select(
            sa.func.count(User.id).filter(User.is_active),
            sa.func.count(User.id).filter(sa.not_(User.is_active)),
            sa.func.count(User.id).filter(User.is_admin),
        )
    ).one()
    posts = db.session.execute(
        sa.select(
            sa.func.count(Post.id).filter(in_state(PostState.PUBLISHED)),
            sa.func.count(Post.id).filter(in_state(PostState.DRAFT)),
            sa.func.count(Post.id).filter(in_state(PostState.SCHEDULED)),
        )
    ).one()
    comments = db.session.execute(
        sa.select(
            sa.func.count(Comment.id).filter(sa.not_(Comment.is_hidden)),
            sa.func.count(Comment.id).filter(Comment.is_hidden),
        )
    ).one()
    recent = sa.and_(SecurityEvent.created_at >= day_ago)
    sign_ins = db.session.execute(
        sa.select(
            sa.func.count(SecurityEvent.id).filter(SecurityEvent.type == EventType.LOGIN_SUCCESS),
            sa.func.count(SecurityEvent.id).filter(SecurityEvent.type == EventType.LOGIN_FAILURE),
            sa.func.count(sa.distinct(SecurityEvent.identifier)).filter(
                SecurityEvent.type == EventType.THROTTLED
            ),
        ).where(recent)
    ).one()
    return {
        "active_users": users[0],
        "inactive_users": users[1],
        "admins": users[2],
        "published_posts": posts[0],
        "draft_posts": posts[1],
        "scheduled_posts": posts[2],
        "visible_comments": comments[0],
        "hidden_comments": comments[1],
        "sign_ins_24h": sign_ins[0],
        "failed_sign_ins_24h": sign_ins[1],
        "throttled_24h": sign_ins[2],
    }


# What an action would take away, for its confirmation page -------------------------------------


@dataclass(frozen=True)
class Footprint:
    """What the public sees of a member, and where they are signed in."""

    published_posts: int
    visible_comments: int
    sessions: int


def footprint(user: User) -> Footprint:
    """What deactivating ``user`` takes off the public pages and signs out, in one query."""

    def count(model: type[Post | Comment | UserSession], *where: sa.ColumnElement[bool]) -> Any:
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    row = db.session.execute(
        sa.select(
            count(Post, Post.author_id == user.id, Post.status == PostStatus.PUBLISHED),
            count(Comment, Comment.author_id == user.id, sa.not_(Comment.is_hidden)),
            count(UserSession, UserSession.user_id == user.id),
        )
    ).one()
    return Footprint(*row)


def post_with_author(post_id: int) -> Post | None:
    """The post with ``post_id`` and its author, in one query (None if no row can have it)."""
    if not possible_id(post_id):
        return None
    return db.session.get(Post, post_id, options=[so.joinedload(Post.author)])


# The admin lists --------------------------------------------------------------------------------

USER_SORTS = {
    "username": User.username_key,
    "created": User.created_at,
    "last-sign-in": User.last_login_at,
}
AUDIT_FILTERS = ("user", "type", "from", "to")
CSV_LIMIT = 50_000
CSV_HEADER = ["time", "event", "user", "actor", "identifier", "ip", "user_agent"]


def contains(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) for names that contain ``text``, case-folded;
    ``%`` and ``_`` in ``text`` match only themselves."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_users(query: str, sort: str, descending: bool) -> sa.Select[tuple[User]]:
    """Accounts whose username or email contains ``query``, sorted by ``sort``."""
    if sort not in USER_SORTS:
        raise InvalidFilter(_("Sort by username, created or last-sign-in."))
    column = USER_SORTS[sort]
    statement = sa.select(User).order_by(
        (column.desc() if descending else column.asc()).nulls_last(), User.id
    )
    if query:
        pattern = contains(query)
        statement = statement.where(
            sa.or_(
                User.username_key.like(pattern, escape="\\"),
                User.email_key.like(pattern, escape="\\"),
            )
        )
    return statement


def find_posts(status: str, author: str) -> sa.Select[tuple[Post]]:
    """Posts, newest first, of ``status`` (any if empty) by authors whose names contain
    ``author``, as the users search matches (anyone if empty)."""
    statement = (
        sa.select(Post)
        .options(so.joinedload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if status:
        if status not in {known.value for known in PostState}:
            raise InvalidFilter(_("Filter by status draft, scheduled or published."))
        statement = statement.where(in_state(PostState(status)))
    if author:
        statement = statement.where(
            Post.author.has(User.username_key.like(contains(author), escape="\\"))
        )
    return statement


def find_comments(shown: str) -> sa.Select[tuple[Comment]]:
    """Comments, newest first: ``all``, ``visible`` or ``hidden`` ones."""
    statement = (
        sa.select(Comment)
        .options(so.joinedload(Comment.author), so.joinedload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    if shown == "hidden":
        return statement.where(Comment.is_hidden)
    if shown == "visible":
        return statement.where(sa.not_(Comment.is_hidden))
    if shown != "all":
        raise InvalidFilter(_("Show all, visible or hidden comments."))
    return statement


def _events_newest_first() -> sa.Select[tuple[SecurityEvent]]:
    return sa.select(SecurityEvent).order_by(
        SecurityEvent.created_at.desc(), SecurityEvent.id.desc()
    )


def latest_events(limit: int = 10) -> list[SecurityEvent]:
    """The newest entries of the event log, for the dashboard."""
    return list(db.session.scalars(_events_newest_first().limit(limit)))


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
    except ValueError:
        raise InvalidFilter(_("Write dates as YYYY-MM-DD, for example 2026-11-23.")) from None


def find_events(filters: Mapping[str, str]) -> sa.Select[tuple[SecurityEvent]]:
    """The event log filtered by ``user`` (either side, or the name typed), ``type`` and the
    days ``from`` and ``to`` (YYYY-MM-DD, UTC, both included); empty values filter nothing."""
    statement = _events_newest_first()
    if name := filters.get("user", ""):
        key = name.casefold()
        statement = statement.where(
            sa.or_(
                SecurityEvent.user.has(User.username_key == key),
                SecurityEvent.actor.has(User.username_key == key),
                # Names kept on the rows find the events of deleted accounts too.
                sa.func.lower(SecurityEvent.username) == key,
                sa.func.lower(SecurityEvent.actor_username) == key,
                sa.func.lower(SecurityEvent.identifier) == key,
            )
        )
    if kind := filters.get("type", ""):
        if kind not in {event.value for event in EventType}:
            raise InvalidFilter(_("That is not a known event type."))
        statement = statement.where(SecurityEvent.type == kind)
    if start := filters.get("from", ""):
        statement = statement.where(SecurityEvent.created_at >= _day(start))
    if end := filters.get("to", ""):
        statement = statement.where(SecurityEvent.created_at < _day(end) + timedelta(days=1))
    return statement


def audit_rows(statement: sa.Select[tuple[SecurityEvent]]) -> Iterator[list[str]]:
    """The CSV export's rows, header first, read while they stream (at most ``CSV_LIMIT``)."""
    yield CSV_HEADER
    for event in db.session.scalars(statement.limit(CSV_LIMIT)):
        yield [
            event.created_at.isoformat(),
            event.type,
            event.username or "",
            event.actor_username or "",
            event.identifier or "",
            event.ip_address or "",
            event.user_agent or "",
        ]
