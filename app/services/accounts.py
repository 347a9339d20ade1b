"""Accounts: identifier rules, registration, authentication."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests

from app.extensions import db
from app.models import EventType, User
from app.services import (
    confusables,
    events,
    mail,
    passwords,
    rate_limits,
    sessions,
    throttle,
)

USERNAME_MIN = 3
USERNAME_MAX = 32
EMAIL_MAX = 254
EMAIL_KEY_MAX = 320  # the email_key column
USERNAME_KEY_MAX = 96  # the username_key column
# The username_skeleton column: TR39 turns one character into 7 at most (a Hangul syllable).
USERNAME_SKELETON_MAX = 255
# What a sign-in form's identifier is cut to before any normalization: NFKC can lengthen text
# 18 times, so a long identifier must never be normalized whole (a refused sign-in stays cheap).
IDENTIFIER_MAX = EMAIL_KEY_MAX
# Letters and digits of any script (with their combining marks, as in "हिन्दी"), plus _ - . ;
# it must start with a letter or digit so that "." or ".." never appear as a path segment.
USERNAME_PUNCTUATION = frozenset("_-.")
COMBINING_MARKS = frozenset({"Mn", "Mc"})


class InvalidAccountData(ValueError):
    """A username or email breaks the rules; ``field`` names it, the message is user-facing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AccountExists(Exception):
    """The username or email already belongs to an account (caught from the unique constraint)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already in use")
        self.field = field


def normalize_username(raw: str) -> str:
    """The canonical (NFKC) form of a username, or InvalidAccountData.

    Text far longer than any username is refused before it is normalized (NFKC never shortens
    a username to a quarter of its length).
    """
    stripped = raw.strip()
    if len(stripped) > 4 * USERNAME_MAX:
        raise InvalidAccountData(
            "username",
            _(
                "Use %(username_min)s to %(username_max)s characters for your username.",
                username_min=USERNAME_MIN,
                username_max=USERNAME_MAX,
            ),
        )
    username = unicodedata.normalize("NFKC", stripped)
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise InvalidAccountData(
            "username",
            _(
                "Use %(username_min)s to %(username_max)s characters for your username.",
                username_min=USERNAME_MIN,
                username_max=USERNAME_MAX,
            ),
        )
    if (
        not _is_username_text(username)
        or len(username_key(username)) > USERNAME_KEY_MAX
        or len(username_skeleton(username)) > USERNAME_SKELETON_MAX
    ):
        raise InvalidAccountData(
            "username",
            _("Use letters, digits, and _ - . only, starting with a letter or digit."),
        )
    return username


def _is_username_text(username: str) -> bool:
    first, rest = username[0], username[1:]
    return first.isalnum() and all(
        char.isalnum()
        or char in USERNAME_PUNCTUATION
        or unicodedata.category(char) in COMBINING_MARKS
        for char in rest
    )


def normalize_email(raw: str) -> str:
    """The normalized form of an email address, or InvalidAccountData. Never looks up DNS."""
    candidate = raw.strip()
    if len(candidate) > EMAIL_MAX:
        raise InvalidAccountData(
            "email",
            _("Use an email address of at most %(email_max)s characters.", email_max=EMAIL_MAX),
        )
    try:
        email = validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as error:
        # email_validator says why in English only: other languages get the sentence alone.
        if str(get_locale() or "en").startswith("en"):
            message = _("Enter a valid email address: %(reason)s", reason=error)
        else:
            message = _("Enter a valid email address.")
        raise InvalidAccountData("email", message) from None
    # NFKC can lengthen text many times over (U+FDFA becomes 18 characters): bound the stored forms.
    if len(email) > EMAIL_MAX or len(email_key(email)) > EMAIL_KEY_MAX:
        raise InvalidAccountData(
            "email",
            _("Use an email address of at most %(email_max)s characters.", email_max=EMAIL_MAX),
        )
    return email


def username_key(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold()


def username_skeleton(username: str) -> str:
    """What ``username`` looks like: equal for look-alikes such as "unit\u0435st" (a Cyrillic
    e), "adm\u0131n" (a dotless i) or "paypa1" (a digit one), as TR39 defines them.

    The TR39 skeleton of the name as shown, then case-folded (names are case-insensitive) and
    mapped again, so "PaypaI" (capital I) matches "paypal" and "Unit\u0435st" "unitest". A
    capital I looks like l, not i: "UNIT\u0415ST" is a look-alike of "UNlTEST", not "unitest".
    """
    return confusables.skeleton(confusables.skeleton(username).casefold())


def email_key(email: str) -> str:
    return unicodedata.normalize("NFKC", email).casefold()


def register_user(username: str, email: str, password: str, *, is_admin: bool = False) -> User:
    """Create an account and commit it. Inputs must already pass the rules of this module.

    Uniqueness is left to the database's constraints, so concurrent registrations of one name
    yield exactly one account and AccountExists for the others. A name that looks like another
    member's (same ``username_skeleton``) is refused the same way. That check is not a
    constraint (databases from before it may hold look-alikes), so two look-alike names sent at
    the same instant could both be created: accepted, as neither impersonates an existing member.
    """
    user = _add_account(username, email, password, is_admin=is_admin)
    db.session.commit()
    return user


def sign_up(username: str, email: str, password: str, *, locale: str | None = None) -> User:
    """``register_user`` for the sign-up form: the event log gets a "registered" row, with the
    visitor's address and browser, in the same commit. ``locale``, the language the form was
    read in, is saved as the member's (so mail others cause reaches them in it)."""
    user = _add_account(username, email, password, is_admin=False)
    user.locale = locale
    events.record(EventType.REGISTERED, user=user, actor=user)
    db.session.commit()
    return user


def _add_account(username: str, email: str, password: str, *, is_admin: bool) -> User:
    """The new account, flushed (so it has an id) but not committed; AccountExists if taken."""
    skeleton = username_skeleton(username)
    if db.session.scalar(sa.select(User.id).where(User.username_skeleton == skeleton).limit(1)):
        raise AccountExists("username")
    user = User(
        username=username,
        username_key=username_key(username),
        username_skeleton=skeleton,
        email=email,
        email_key=email_key(email),
        password_hash=passwords.hash_password(password),
        is_admin=is_admin,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        taken = db.session.scalar(
            sa.select(sa.func.count()).where(User.username_key == username_key(username))
        )
        raise AccountExists("username" if taken else "email") from None
    return user


def find_by_login(identifier: str) -> User | None:
    """The account whose username or email is ``identifier`` (too long: none, at no cost)."""
    if len(identifier) > IDENTIFIER_MAX:
        return None
    if "@" in identifier:
        try:
            key = email_key(normalize_email(identifier))
        except InvalidAccountData:
            return None
        return db.session.scalar(sa.select(User).where(User.email_key == key))
    try:
        key = username_key(normalize_username(identifier))
    except InvalidAccountData:
        return None
    return db.session.scalar(sa.select(User).where(User.username_key == key))


def throttle_key(identifier: str, user: User | None) -> str:
    """Who a sign-in attempt is aimed at (``user``: ``find_by_login(identifier)``).

    An existing account is keyed by its id, so its username and email share one budget; anything
    else by the normalized text, so unknown names are limited exactly like real ones.
    """
    if user is not None:
        return f"account:{user.id}"
    capped = identifier[:IDENTIFIER_MAX]  # cut before normalizing, never after
    return "name:" + unicodedata.normalize("NFKC", capped).casefold()[:EMAIL_KEY_MAX]


def authenticate(identifier: str, password: str, user: User | None) -> User | None:
    """``user`` (``find_by_login(identifier)``) if it is active and ``password`` is its own.

    Unknown accounts still cost one hash and inactive accounts are checked after the password, so
    neither the answer nor its timing tells which part was wrong. A failure is logged and
    committed here; a hash made with other parameters or another algorithm is replaced on
    success and committed with the sign-in (``sessions.sign_in``).
    """
    if user is None:
        passwords.burn_hash_time(password)
        events.record(EventType.LOGIN_FAILURE, identifier=identifier)
        db.session.commit()
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        events.record(EventType.LOGIN_FAILURE, user=user, identifier=identifier)
        db.session.commit()
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def record_throttled(identifier: str, *, scope: str, window_seconds: int) -> None:
    """Log a sign-in refused by a rate limit, once per ``scope`` (an address, an account) and
    window: the first refusal writes a row (on the account's history if it exists), the
    following ones in the same window write nothing, so a refusal costs less than an attempt.
    """
    if not rate_limits.first_in_window(f"throttled:{scope}", window_seconds):
        return
    identifier = identifier[:IDENTIFIER_MAX]
    events.record(EventType.THROTTLED, user=find_by_login(identifier), identifier=identifier)
    db.session.commit()


def reauthenticate(user: User, password: str) -> bool:
    """Confirm the signed-in member's password; logged either way. On success this sign-in
    steps up: a new session token, fresh again (``sessions.step_up``)."""
    if not check_password(user, password):
        events.record(EventType.LOGIN_FAILURE, user=user, identifier=user.username)
        db.session.commit()
        return False
    sessions.step_up(user)
    return True


def check_password(user: User, password: str, *, forgive: bool = True) -> bool:
    """Re-check the signed-in member's password (re-authentication, sensitive changes).

    Every form that asks for it shares one budget of wrong answers per sign-in: a stolen session
    can guess only that many times, and its guesses never block the owner's other sign-ins. The
    check is counted before the password is verified (so parallel guesses cannot all pass a
    check made before any is counted) and forgiven when it is right, so only wrong passwords
    spend it. Past the budget, ``TooManyRequests`` (429) with the wait. When a code is asked
    next (``forgive=False``), a right password forgives nothing: ``mfa.check_code`` does once
    the code passes too, or a thief with the password could guess codes for ever.
    """
    record = sessions.current_sign_in()
    budget = f"password-check:{f'session:{record.id}' if record else f'user:{user.id}'}"
    if wait := throttle.begin_attempt(budget, "REAUTH_RATE_LIMIT"):
        raise TooManyRequests(retry_after=wait)
    if passwords.verify_password(user.password_hash, password):
        if forgive:
            throttle.forgive(budget)
        return True
    return False


def change_password(user: User, new_password: str) -> None:
    """Set a new password, sign out every other session, log it, queue a notice; one commit."""
    user.password_hash = passwords.hash_password(new_password)
    sessions.revoke_all(user, except_current=True)
    events.record(EventType.PASSWORD_CHANGED, user=user, actor=user)
    mail.enqueue_password_changed(user)
    db.session.commit()


def request_password_reset(email: str) -> None:
    """Queue a reset mail for ``email``; the mail worker sends it only if an active account has it.

    The request does the same work (one row, one commit) whether or not the address exists, so
    neither the answer nor its timing tells; the caller answers the same either way.
    """
    try:
        normalized = normalize_email(email)
    except InvalidAccountData:
        return
    ip_address, user_agent = events.request_origin()
    mail.enqueue_password_reset(normalized, ip_address=ip_address, user_agent=user_agent)
    db.session.commit()


def reset_password(user: User, new_password: str) -> None:
    """Set a password from a reset link: every session of the account ends, this one included.

    It also lifts the per-account sign-in lock: whoever holds the mailbox is the owner.
    """
    user.password_hash = passwords.hash_password(new_password)
    sessions.revoke_all(user)
    events.record(EventType.PASSWORD_RESET, user=user, actor=user)
    mail.enqueue_password_changed(user)
    db.session.commit()
    throttle.unlock(throttle_key("", user))


def request_email_change(user: User, new_email: str) -> None:
    """Queue a confirmation link to ``new_email`` (already normalized) and log the request.

    The mail worker skips it if the address belongs to an account, so the form, which answers
    the same either way, reveals no other member's address.
    """
    if email_key(new_email) == user.email_key:
        return
    events.record(EventType.EMAIL_CHANGE_REQUESTED, user=user, actor=user, identifier=new_email)
    mail.enqueue_email_confirmation(user, new_email)
    db.session.commit()


def change_email(user: User, new_email: str) -> None:
    """Apply a confirmed change; the old address is told. AccountExists if it was taken since."""
    old_email = user.email
    user.email, user.email_key = new_email, email_key(new_email)
    events.record(EventType.EMAIL_CHANGED, user=user, actor=user, identifier=new_email)
    mail.enqueue_email_changed(user, old_email)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountExists("email") from None


def delete_account(user: User) -> None:
    """Delete the account, its sessions, posts and comments; the event log keeps a row."""
    events.record(EventType.ACCOUNT_DELETED, user=user, actor=user, identifier=user.username)
    db.session.delete(user)
    db.session.commit()
