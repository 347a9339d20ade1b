"""Exactly-once form posts: a create-form carries a one-time token, saved with what it created.

A double click, a browser retry after a lost answer (a worker killed after its commit) or the
back button sends the same token again; ``check`` then raises ``AlreadySubmitted`` with where
the first submission led, and the view redirects there instead of creating a second copy. Two
copies racing each other are settled by the token's primary key: the loser's commit fails, and
``check`` (called again after its rollback) tells it where the winner's result is.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import FormSubmission, User, utcnow

TOKEN_BYTES = 32
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
# A submission replayed later than this creates anew; older tokens are deleted.
KEEP = timedelta(days=7)


class AlreadySubmitted(Exception):
    """This form was sent before; ``location`` is where its result is."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: object) -> bool:
    return isinstance(text, str) and TOKEN_SHAPE.fullmatch(text) is not None


def _earlier(user: User, token: str) -> str | None:
    return db.session.scalar(
        sa.select(FormSubmission.location).where(
            FormSubmission.token == token, FormSubmission.user_id == user.id
        )
    )


def check(user: User, token: str | None) -> None:
    """Raise ``AlreadySubmitted`` if ``user`` already sent the form with ``token``.

    No token (the seed command, the factories of tests) means no form: nothing to check.
    """
    if token and (location := _earlier(user, token)) is not None:
        raise AlreadySubmitted(location)


def record(user: User, token: str | None, location: str) -> None:
    """Add the token to the session (the creating service commits it with what it created)."""
    if not token:
        return
    with db.session.no_autoflush:  # what the caller created is flushed by its own commit
        db.session.execute(
            sa.delete(FormSubmission).where(FormSubmission.created_at < utcnow() - KEEP)
        )
    db.session.add(FormSubmission(token=token, user_id=user.id, location=location))
