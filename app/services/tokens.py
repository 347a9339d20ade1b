"""Signed, expiring links: single-use ones (password reset, email change) and unsubscribe links.

A token carries the user id and a fingerprint of the account's state (its password hash and
its email address), signed with SECRET_KEY (HMAC-SHA256, so it cannot be guessed or forged: far
more than 128 bits). Setting a password or changing the email changes the state, so a used
token, and every other one made before, stops working: a password reset kills a pending email
change (which a hijacked session may have asked for), and an email change kills reset links.
Django's ``contrib.auth.tokens`` binds its tokens the same way.

An unsubscribe link (in every notification mail) is bound to its purpose and to one member and
one kind of mail, not to the account's state: all it can do is turn that kind of mail off, so it
keeps working after a password change, for as long as an old mail may be read. It names the
account by id and by when it was created, which never changes: SQLite gives the id of a deleted
account to the next one, and that account's mail must not be turned off by the old link.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.extensions import db
from app.lookups import possible_id
from app.models import User

RESET_SALT = "inkwell.password-reset"
RESET_MAX_AGE_SECONDS = 3600
EMAIL_SALT = "inkwell.email-change"
EMAIL_MAX_AGE_SECONDS = 24 * 3600
UNSUBSCRIBE_SALT = "inkwell.unsubscribe"
UNSUBSCRIBE_MAX_AGE_SECONDS = 365 * 24 * 3600
MAX_TOKEN_LENGTH = 1024


def _serializer(salt: str = RESET_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=salt,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _load(token: str, salt: str, max_age: int) -> dict[str, object] | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None
    if not possible_id(payload["user"]):
        return None
    return payload


def account_state(user: User) -> str:
    """A fingerprint of what a link must not outlive: the password hash and the email address."""
    material = f"{user.password_hash}\x00{user.email_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "state": account_state(user)})


def _current_user_for(payload: dict[str, object] | None) -> User | None:
    """The active account ``payload`` was made for, if its state has not changed since."""
    if not payload:
        return None
    user = db.session.get(User, payload["user"])
    if user is None or not user.is_active or payload.get("state") != account_state(user):
        return None
    return user


def user_for_reset_token(token: str) -> User | None:
    """The active account a valid, unexpired, unused token was made for; else None."""
    return _current_user_for(_load(token, RESET_SALT, RESET_MAX_AGE_SECONDS))


def make_email_token(user_id: int, state: str, new_email: str) -> str:
    """A link proving ``new_email`` is reachable, for the account as it was (``state``) when the
    change was asked for: it dies once the password or the email changes."""
    payload = {"user": user_id, "state": state, "new": new_email}
    return _serializer(EMAIL_SALT).dumps(payload)


def email_change_for_token(token: str) -> tuple[User, str] | None:
    """(account, new address) for a valid, unexpired, unused email-change token; else None."""
    payload = _load(token, EMAIL_SALT, EMAIL_MAX_AGE_SECONDS)
    user = _current_user_for(payload)
    new_email = payload.get("new") if payload else None
    return (user, new_email) if user is not None and isinstance(new_email, str) else None


def _account_birth(user: User) -> str:
    """What tells this account from a later one with the same id: when it was created."""
    return hashlib.sha256(user.created_at.isoformat().encode()).hexdigest()[:16]


def make_unsubscribe_token(user: User, topic: str) -> str:
    """A link that turns off ``topic`` (a kind of notification) for one member."""
    payload = {"user": user.id, "born": _account_birth(user), "topic": topic}
    return _serializer(UNSUBSCRIBE_SALT).dumps(payload)


def unsubscribe_for_token(token: str) -> tuple[User, str] | None:
    """(member, topic) for a valid unsubscribe token of an account that still exists; else None."""
    payload = _load(token, UNSUBSCRIBE_SALT, UNSUBSCRIBE_MAX_AGE_SECONDS)
    topic = payload.get("topic") if payload else None
    if payload is None or not isinstance(topic, str):
        return None
    user = db.session.get(User, payload["user"])
    if user is None or payload.get("born") != _account_birth(user):
        return None
    return user, topic
