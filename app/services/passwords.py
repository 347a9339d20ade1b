"""Password policy and hashing (argon2id), per docs/security.md "Passwords"."""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 128
# An identifier shorter than this (say the "a" of a@example.com) is not searched for inside a
# password: it would forbid most passwords while protecting nothing.
MIN_IDENTIFIER_IN_PASSWORD = 3


class PasswordPolicyError(ValueError):
    """The password breaks the policy; the message is shown to the user as-is."""


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (see app/data/README.md)."""
    data = resources.files("app").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").splitlines())


def normalize(password: str) -> str:
    """NFKC, so a password typed on another keyboard or OS still matches (NIST SP 800-63B)."""
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, *, username: str = "", email: str = "") -> None:
    """Raise PasswordPolicyError if ``password`` may not be used. Cheap: never hashes."""
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(
            _("Use at most %(max_length)s characters.", max_length=MAX_LENGTH)
        )
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(
            _("Use at least %(min_length)s characters.", min_length=MIN_LENGTH)
        )
    folded = normalize(password).casefold()
    if folded in common_passwords():
        raise PasswordPolicyError(
            _("This password is too common; choose one that is harder to guess.")
        )
    identifiers = {username, email.rpartition("@")[0] if "@" in email else email}
    for identifier in identifiers:
        key = normalize(identifier).casefold()
        if key and (folded == key or (len(key) >= MIN_IDENTIFIER_IN_PASSWORD and key in folded)):
            raise PasswordPolicyError(
                _("Your password must not contain your username or email name.")
            )


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=config["PASSWORD_HASH_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(
            _("Use at most %(max_length)s characters.", max_length=MAX_LENGTH)
        )
    return _hasher().hash(normalize(password))


def verify_password(stored_hash: str, password: str) -> bool:
    """Check ``password`` against argon2 hashes and Werkzeug's legacy scrypt/pbkdf2 ones."""
    if len(password) > MAX_LENGTH:
        return False
    candidate = normalize(password)
    if stored_hash.startswith("$argon2"):
        try:
            return _hasher().verify(stored_hash, candidate)
        except (VerificationError, InvalidHashError):
            return False
    # Imported legacy hashes were made from the password as typed, before NFKC was applied.
    try:
        return any(check_password_hash(stored_hash, text) for text in {candidate, password})
    except ValueError:
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash is not argon2id with the configured parameters."""
    if not stored_hash.startswith("$argon2id$"):
        return True
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def burn_hash_time(password: str) -> None:
    """Verify against a dummy hash, so an unknown account answers as slowly as a known one."""
    dummy = current_app.extensions.get("inkwell_dummy_hash")
    if dummy is None:
        dummy = hash_password("inkwell-dummy-password")
        current_app.extensions["inkwell_dummy_hash"] = dummy
    verify_password(dummy, password)
