"""Signed, expiring, single-use links (password reset).

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


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=RESET_SALT,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "password": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active account a valid, unexpired, unused token was made for; else None."""
    if len(token) > 512:
        return None
    try:
        payload = _serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except BadData:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None
    user = db.session.get(User, payload["user"]) if 0 < payload["user"] < 2**63 else None
    if user is None or not user.is_active or payload.get("password") != _fingerprint(user):
        return None
    return user
