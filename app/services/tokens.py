"""Signed, expiring, single-use links (password reset, email change).

A token carries the user id and a fingerprint of the current password hash, signed with
SECRET_KEY (HMAC-SHA256, so it cannot be guessed or forged: far more than 128 bits). Setting a
password changes the hash, so a used token, and every older one, stops working.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.extensions import db
from app.models import User

RESET_SALT = "inkwell.password-reset"
RESET_MAX_AGE_SECONDS = 3600
EMAIL_SALT = "inkwell.email-change"
EMAIL_MAX_AGE_SECONDS = 24 * 3600
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
    if not 0 < payload["user"] < 2**63:
        return None
    return payload


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "password": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active account a valid, unexpired, unused token was made for; else None."""
    payload = _load(token, RESET_SALT, RESET_MAX_AGE_SECONDS)
    user = db.session.get(User, payload["user"]) if payload else None
    if user is None or not user.is_active or payload.get("password") != _fingerprint(user):
        return None
    return user


def make_email_token(user: User, new_email: str) -> str:
    """A link proving ``new_email`` is reachable; it dies once the account's email changes."""
    return _serializer(EMAIL_SALT).dumps({"user": user.id, "old": user.email_key, "new": new_email})


def email_change_for_token(token: str) -> tuple[User, str] | None:
    """(account, new address) for a valid, unexpired, unused email-change token; else None."""
    payload = _load(token, EMAIL_SALT, EMAIL_MAX_AGE_SECONDS)
    user = db.session.get(User, payload["user"]) if payload else None
    if user is None or not user.is_active or payload.get("old") != user.email_key:
        return None
    new_email = payload.get("new")
    return (user, new_email) if isinstance(new_email, str) else None
