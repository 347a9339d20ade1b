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
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mailman import EmailMessage, EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from app.extensions import db
from app.models import EventType, OutboxMessage, User
from app.services import events, tokens
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


# Enqueueing (in the request, inside the caller's transaction) -----------------------------------


def _enqueue(kind: str, recipient: str, **payload: Any) -> OutboxMessage:
    row = OutboxMessage(kind=kind, recipient=recipient, payload=payload)
    db.session.add(row)
    return row


def _person(user: User) -> dict[str, Any]:
    return {"user_id": user.id, "username": user.username, "email": user.email}


def enqueue_password_changed(user: User) -> None:
    _enqueue("password_changed", user.email, **_person(user))


def enqueue_email_changed(user: User, old_email: str) -> None:
    _enqueue("email_changed", old_email, **_person(user))


def enqueue_email_confirmation(user: User, new_email: str) -> None:
    """The worker mails a confirmation link to ``new_email`` unless the address is taken by then
    or the account has changed its password or email since (``tokens.account_state``)."""
    _enqueue("email_confirm", new_email, state=tokens.account_state(user), **_person(user))


def enqueue_password_reset(email: str, *, ip_address: str | None, user_agent: str | None) -> None:
    """The worker mails a reset link if ``email`` (normalized) belongs to an active account."""
    _enqueue("password_reset", email, ip_address=ip_address, user_agent=user_agent)


# Composing (in the worker, at send time) ---------------------------------------------------------

SUBJECTS = {
    "password_changed": "Your password was changed",
    "email_changed": "Your email address was changed",
    "email_confirm": "Confirm your new email address",
    "password_reset": "Reset your password",
}


def _message(row: OutboxMessage, to: str, **context: object) -> EmailMultiAlternatives:
    """Render ``mail/<kind>.txt`` and ``.html`` into one message to ``to``."""
    site = current_app.config["SITE_NAME"]
    context = {"site_name": site, **context}
    message = EmailMultiAlternatives(
        subject=f"[{site}] {SUBJECTS[row.kind]}",
        body=render_template(f"mail/{row.kind}.txt", **context),
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[to],
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


COMPOSERS: dict[str, Callable[[OutboxMessage], EmailMultiAlternatives | None]] = {
    "password_changed": _notice,
    "email_changed": _notice,
    "email_confirm": _email_confirm,
    "password_reset": _password_reset,
}


def compose(row: OutboxMessage) -> EmailMultiAlternatives | None:
    """The message ``row`` stands for, or None when there is nothing to send (any more)."""
    return COMPOSERS[row.kind](row)
