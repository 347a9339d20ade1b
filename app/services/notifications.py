"""Mail about comments: who is told, what each member asked for, and the settings' writes.

A new comment (``posts.add_comment``) queues, in its own transaction, at most one mail per
member (``mail.enqueue_comment_notices`` asks ``recipients``): a ``comment_reply`` to the author
of the comment it answers, and a ``post_comment`` to the post's author unless that is the same
person. Nobody is told of their own comment; deactivated members and members who turned that
kind of mail off are told nothing. The worker asks again when it sends (``still_wanted``): a
comment hidden, deleted or gone from public view by then, or a setting turned off meanwhile,
sends nothing.
"""

from __future__ import annotations

import enum

from app.extensions import db
from app.models import Comment, User


class Topic(enum.StrEnum):
    """A kind of notification a member can turn off (a ``users.notify_*`` column each)."""

    COMMENTS = "comments"  # someone commented on one of my posts
    REPLIES = "replies"  # someone replied to one of my comments


# Mail kinds (``app/services/mail.py``) and the setting that governs each.
POST_COMMENT = "post_comment"
COMMENT_REPLY = "comment_reply"
KIND_TOPIC = {POST_COMMENT: Topic.COMMENTS, COMMENT_REPLY: Topic.REPLIES}
EXCERPT_LENGTH = 500


def topic_named(name: str) -> Topic | None:
    return Topic(name) if name in Topic.__members__.values() else None


def wants(user: User, topic: Topic) -> bool:
    """Whether ``user`` is to be mailed about ``topic`` (never once deactivated)."""
    wanted = user.notify_comments if topic == Topic.COMMENTS else user.notify_replies
    return user.is_active and wanted


def recipients(comment: Comment, replied_to: Comment | None) -> list[tuple[str, User]]:
    """(mail kind, member) for everyone to tell about ``comment``: one mail each at most.

    ``replied_to`` is the comment the writer answered (a reply to a reply is stored under the
    thread's first comment, but it is the answered comment's author who hears of it).
    """
    told: set[int] = {comment.author_id}
    found: list[tuple[str, User]] = []
    answered = replied_to.author if replied_to is not None else None
    if answered is not None and answered.id not in told and wants(answered, Topic.REPLIES):
        found.append((COMMENT_REPLY, answered))
        told.add(answered.id)
    post_author = comment.post.author
    if post_author.id not in told and wants(post_author, Topic.COMMENTS):
        found.append((POST_COMMENT, post_author))
    return found


def is_public(comment: Comment) -> bool:
    """Whether readers of the post see ``comment`` now (its thread's first comment too)."""
    from app.services import posts  # posts queues mail, which asks this module

    return posts.comment_is_shown(comment) and posts.can_view(None, comment.post)


def still_wanted(kind: str, recipient: User, comment: Comment, replied_to: Comment | None) -> bool:
    """At send time: is the mail queued for ``comment`` still to go to ``recipient``?"""
    if recipient.id == comment.author_id or not wants(recipient, KIND_TOPIC[kind]):
        return False
    if kind == COMMENT_REPLY:
        if replied_to is None or replied_to.author_id != recipient.id or not is_public(replied_to):
            return False
    elif comment.post.author_id != recipient.id:
        return False
    return is_public(comment)


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The comment's text for a mail: trimmed, and cut at a word near ``limit`` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(maxsplit=1)[0] + "…"


# Writes (each owns its commit) ------------------------------------------------------------------


def save_settings(user: User, *, comments: bool, replies: bool) -> None:
    user.notify_comments = comments
    user.notify_replies = replies
    db.session.commit()


def unsubscribe(user: User, topic: Topic) -> None:
    """Turn ``topic`` off for ``user`` (from a mail's link: the same answer if already off)."""
    if topic == Topic.COMMENTS:
        user.notify_comments = False
    else:
        user.notify_replies = False
    db.session.commit()
