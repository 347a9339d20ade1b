"""Outgoing mail through a durable outbox: nothing here talks SMTP.

A service that causes a mail calls one of the ``enqueue_*`` functions below. They add an
``OutboxMessage`` row to the session, so the mail is saved in the same transaction as the change
that causes it (and vanishes with it on a rollback); the service's own commit makes both durable.
The mail worker (``app/services/mail_delivery.py``, ``flask --app wsgi mail worker``) composes each
message with ``compose()`` when it sends it and delivers it over SMTP with retries.

Composing at send time lets a row carry no secret: reset and confirmation links are signed by
the worker. It also lets a reset request take one path whether or not the address has an
account: the request only stores the address; the worker looks it up and skips it when there
is no active account, so neither the answer nor its timing tells.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from email.message import Message
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_mailman import EmailMessage, EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from app.extensions import db
from app.models import Comment, EventType, OutboxMessage, User
from app.services import events, i18n, notifications, tokens
from app.urls import absolute_url


class TerminalEmailBackend(BaseEmailBackend):
    """Development without MAIL_SERVER: print each message's text to the terminal, links whole."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            rule = "-" * 72
            sys.stdout.write(
                f"\n{rule}\nMail to {', '.join(message.to)} (not sent: MAIL_SERVER is not set)\n"
                f"Subject: {message.subject}\n\n{message.body}\n{rule}\n"
            )
            sys.stdout.flush()
        return len(email_messages)


class _OneLine:
    """A header value written as it is, on one line (RFC 5322 allows 998 characters)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.value

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return self.value


class NoticeMessage(EmailMultiAlternatives):
    """A notification with an unsubscribe link in its ``List-Unsubscribe`` header.

    Python's mail generator (the compat32 policy Flask-Mailman uses) folds a header longer than
    78 characters, and a signed link has no space to fold at, so it would become RFC 2047
    encoded words, which are not a URL to anyone reading RFC 2369's ``<…>``. The header is
    therefore written on one line.
    """

    def message(self) -> Message:
        message = super().message()
        for name in ("List-Unsubscribe",):
            value = str(message[name])
            del message[name]
            # Message's own __setitem__: Flask-Mailman's would turn the value back into a str.
            # (typeshed cannot tell which header value type a compat32 message takes.)
            Message.__setitem__(message, name, _OneLine(value))  # type: ignore[misc]
        return message


# Enqueueing (in the request, inside the caller's transaction) -----------------------------------


def _enqueue(kind: str, recipient: str, **payload: Any) -> OutboxMessage:
    # The language of the request that caused the mail: the fallback when the recipient has
    # saved none (app/services/i18n.py; ``compose`` decides).
    if has_request_context():
        payload.setdefault("locale", i18n.request_language())
    row = OutboxMessage(kind=kind, recipient=recipient, payload=payload)
    db.session.add(row)
    return row


def _person(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "username": user.username, "email": user.email}


def enqueue_password_changed(user: User) -> None:
    _enqueue("password_changed", user.email, **_person(user))


def enqueue_two_factor_notice(user: User, change: str) -> None:
    """Tell the member that two-factor sign-in changed (``TWO_FACTOR_CHANGES`` names how)."""
    _enqueue("two_factor", user.email, change=change, **_person(user))


def enqueue_email_changed(user: User, old_email: str) -> None:
    _enqueue("email_changed", old_email, **_person(user))


def enqueue_email_confirmation(user: User, new_email: str) -> None:
    """The worker mails a confirmation link to ``new_email`` unless the address is taken by then
    or the account has changed its password or email since (``tokens.account_state``)."""
    _enqueue("email_confirm", new_email, state=tokens.account_state(user), **_person(user))


def enqueue_password_reset(email: str, *, ip_address: str | None, user_agent: str | None) -> None:
    """The worker mails a reset link if ``email`` (normalized) belongs to an active account."""
    _enqueue("password_reset", email, ip_address=ip_address, user_agent=user_agent)


def enqueue_comment_notices(comment: Comment, replied_to: Comment | None) -> None:
    """Tell the post's author of ``comment``, and the author of the comment it answers (a
    flushed comment: its id goes in the row). The worker checks again before sending."""
    for kind, member in notifications.recipients(comment, replied_to):
        _enqueue(
            kind,
            member.email,
            user_id=member.id,
            comment_id=comment.id,
            replied_to_id=replied_to.id if replied_to is not None else None,
        )


# Composing (in the worker, at send time) ---------------------------------------------------------

SUBJECTS = {
    "password_changed": _l("Your password was changed"),
    "email_changed": _l("Your email address was changed"),
    "email_confirm": _l("Confirm your new email address"),
    "password_reset": _l("Reset your password"),
    "two_factor": _l("Two-factor sign-in changed"),
    notifications.POST_COMMENT: _l("{commenter} commented on “{title}”"),
    notifications.COMMENT_REPLY: _l("{commenter} replied to your comment on “{title}”"),
}


def _message(
    row: OutboxMessage,
    to: str,
    *,
    subject: str | None = None,
    headers: dict[str, str] | None = None,
    message_class: type[EmailMultiAlternatives] = EmailMultiAlternatives,
    **context: object,
) -> EmailMultiAlternatives:
    """Render ``mail/<kind>.txt`` and ``.html`` into one message to ``to``."""
    site = current_app.config["SITE_NAME"]
    context = {"site_name": site, **context}
    message = message_class(
        subject=f"[{site}] {subject or str(SUBJECTS[row.kind])}",
        body=render_template(f"mail/{row.kind}.txt", **context),
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
        headers=headers,
    )
    message.attach_alternative(render_template(f"mail/{row.kind}.html", **context), "text/html")
    return message


def _notice(row: OutboxMessage) -> EmailMultiAlternatives:
    """A notice about the account, with the names it had when the change was made."""
    return _message(row, row.recipient, user=row.payload)


def _email_confirm(row: OutboxMessage) -> EmailMultiAlternatives | None:
    from app.services.accounts import email_key  # accounts imports this module

    user = db.session.get(User, row.payload.get("user_id") or 0)
    taken = db.session.scalar(
        sa.select(sa.func.count()).where(User.email_key == email_key(row.recipient))
    )
    state = row.payload.get("state")
    if user is None or not user.is_active or taken or state != tokens.account_state(user):
        # The account is gone, the address is (or has become) someone else's, or the password
        # or email changed since the request (a reset after a hijack must kill it).
        return None
    token = tokens.make_email_token(user.id, state, row.recipient)
    url = absolute_url("account.confirm_email", token=token)
    return _message(row, row.recipient, user=user, url=url)


def _password_reset(row: OutboxMessage) -> EmailMultiAlternatives | None:
    """A reset link for the account at the typed address, if there is an active one.

    The event log row is added here and committed only with a successful delivery.
    """
    from app.services.accounts import email_key

    user = db.session.scalar(sa.select(User).where(User.email_key == email_key(row.recipient)))
    if user is None or not user.is_active:
        return None
    events.record(
        EventType.PASSWORD_RESET_REQUESTED,
        user=user,
        identifier=row.recipient,
        ip_address=row.payload.get("ip_address"),
        user_agent=row.payload.get("user_agent"),
    )
    url = absolute_url("auth.reset_with_token", token=tokens.make_reset_token(user))
    return _message(row, user.email, user=user, url=url)


def _comment_notice(row: OutboxMessage) -> EmailMultiAlternatives | None:
    """A new comment on the recipient's post, or a reply to their comment, if it is still
    public, still theirs to hear of and still wanted (``notifications.still_wanted``)."""
    recipient = db.session.get(User, row.payload.get("user_id") or 0)
    comment = db.session.get(Comment, row.payload.get("comment_id") or 0)
    replied_to_id = row.payload.get("replied_to_id")
    replied_to = db.session.get(Comment, replied_to_id) if replied_to_id else None
    if recipient is None or comment is None:
        return None
    if not notifications.still_wanted(row.kind, recipient, comment, replied_to):
        return None
    topic = notifications.KIND_TOPIC[row.kind]
    token = tokens.make_unsubscribe_token(recipient, topic)
    unsubscribe_url = absolute_url("notifications.unsubscribe", token=token)
    post = comment.post
    # A header holds one line: the title's line breaks, if any, become spaces.
    title = " ".join(post.title.split())
    subject = SUBJECTS[row.kind].format(commenter=comment.author.username, title=title)
    return _message(
        row,
        recipient.email,  # the address the member has now
        subject=subject,
        message_class=NoticeMessage,
        # RFC 8058: mail providers offer an "Unsubscribe" button that POSTs to the link.
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        user=recipient,
        commenter=comment.author.username,
        title=title,
        text=notifications.excerpt(comment.body),
        url=absolute_url("posts.show", slug=post.slug, _anchor=f"comment-{comment.id}"),
        unsubscribe_url=unsubscribe_url,
        settings_url=absolute_url("notifications.settings"),
    )


# What a "two_factor" notice says happened, by its payload's ``change``.
TWO_FACTOR_CHANGES = {
    "enabled": _l("Two-factor sign-in was turned on for your %(site)s account."),
    "disabled": _l("Two-factor sign-in was turned off for your %(site)s account."),
    "reset_by_admin": _l(
        "An administrator turned two-factor sign-in off for your %(site)s account."
    ),
    "recovery_codes": _l(
        "New recovery codes were made (the old ones no longer work) for your %(site)s account."
    ),
    "passkey_added": _l("A passkey was added to your %(site)s account."),
    "passkey_removed": _l("A passkey was removed from your %(site)s account."),
}


# A passkey is not two-factor sign-in to everyone: its notices say what happened in the subject.
TWO_FACTOR_SUBJECTS = {
    "passkey_added": _l("A passkey was added"),
    "passkey_removed": _l("A passkey was removed"),
}


def _two_factor(row: OutboxMessage) -> EmailMultiAlternatives:
    change = str(row.payload.get("change"))
    what = TWO_FACTOR_CHANGES.get(
        change, _l("Two-factor sign-in changed for your %(site)s account.")
    )
    what = str(what) % {"site": current_app.config["SITE_NAME"]}
    subject = str(TWO_FACTOR_SUBJECTS.get(change, SUBJECTS["two_factor"]))
    return _message(row, row.recipient, subject=subject, user=row.payload, what=what)


COMPOSERS: dict[str, Callable[[OutboxMessage], EmailMultiAlternatives | None]] = {
    "password_changed": _notice,
    "email_changed": _notice,
    "two_factor": _two_factor,
    "email_confirm": _email_confirm,
    "password_reset": _password_reset,
    notifications.POST_COMMENT: _comment_notice,
    notifications.COMMENT_REPLY: _comment_notice,
}


def compose(row: OutboxMessage) -> EmailMultiAlternatives | None:
    """The message ``row`` stands for, or None when there is nothing to send (any more).

    Written in the recipient's language: their saved one, else that of the request that caused
    the mail, else ``DEFAULT_LOCALE``."""
    with force_locale(i18n.babel_locale(recipient_language(row))):
        return COMPOSERS[row.kind](row)


def recipient_language(row: OutboxMessage) -> str:
    from app.services.accounts import email_key  # accounts imports this module

    user_id = row.payload.get("user_id")
    user = (
        db.session.get(User, user_id)
        if user_id
        else db.session.scalar(sa.select(User).where(User.email_key == email_key(row.recipient)))
    )
    for language in (user.locale if user is not None else None, row.payload.get("locale")):
        if language in i18n.LANGUAGES:
            return str(language)
    return i18n.default_language()
