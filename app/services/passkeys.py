"""Passkeys: WebAuthn discoverable credentials (py_webauthn), added on the security page and used
to sign in without a username or password.

- The relying party is the public site: its ID is the host of ``SITE_URL`` (in development
  without it, the request's host) and the origin expected in every answer is its origin.
  Browsers refuse an IP address as an ID: develop on ``http://localhost:5000``.
- User verification is required (the authenticator checked a PIN or a biometric), so a passkey
  is two factors in one: a passkey sign-in skips the code step, and ``mfa.has_second_factor``
  counts it. Resident keys are required, so the sign-in asks for no username
  (``allowCredentials`` is empty) and the answer names its account by its user handle.
- A challenge is 32 random bytes, single use, bound to the browser's session and good for
  ``CHALLENGE_MINUTES``: the session holds the challenge, a ``PasskeyChallenge`` row holds its
  SHA-256, and answering deletes the row (``DELETE … WHERE`` with a row count of 1), so an
  answer, or a replayed session cookie, cannot use it twice.
- Sign counters, as the WebAuthn spec says (§7.2 step 21): when the stored or the new count is
  not zero, the new one must be greater; otherwise the passkey may have been cloned, the
  sign-in is refused and ``passkey_clone_suspected`` is logged.
- A passkey sign-in spends the account's sign-in budget (or its device cookie's) like a
  password, counted before the signature is checked and forgiven on success.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, session
from flask_babel import lazy_gettext as _l
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from werkzeug.exceptions import TooManyRequests

from app import urls
from app.extensions import db, rowcount
from app.models import (
    AuthMethod,
    EventType,
    Passkey,
    PasskeyChallenge,
    User,
    UserSession,
    utcnow,
)
from app.services import accounts, device_cookies, events, mail, rate_limits, sessions, throttle

CHALLENGE_MINUTES = 5
REGISTER = "register"
SIGN_IN = "sign_in"
SESSION_KEYS = {REGISTER: "passkey_register", SIGN_IN: "passkey_sign_in"}
NAME_MAX = 60
# What py_webauthn raises on a malformed answer besides its own errors (bad base64, bad CBOR,
# wrong JSON types): each is a refusal, never a 500.
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)

# Shown to the member (str() of a Refused), in the request's language.
NOT_MADE = _l("The passkey could not be checked. Try adding it again.")
EXPIRED = _l("That took too long or was already used. Try again.")
ALREADY_ADDED = _l("That passkey is already added to an account.")
NOT_ACCEPTED = _l("That passkey was not accepted. Try again, or sign in with your password.")


class Refused(Exception):
    """A passkey answer that was not accepted; the message is for the member."""


def relying_party() -> tuple[str, str]:
    """The relying party ID (the host of the public site) and the origin answers must name."""
    parts = urlsplit(urls.site_url())
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


# Challenges --------------------------------------------------------------------------------------


def _issue(purpose: str, user: User | None) -> bytes:
    """A new challenge for this browser (its previous one for ``purpose`` dropped); committed."""
    challenge = secrets.token_bytes(32)
    now = utcnow()
    stale = [PasskeyChallenge.expires_at <= now]
    if (previous := _from_session(purpose, pop=False)) is not None:
        stale.append(PasskeyChallenge.challenge_hash == _hash(previous))
    db.session.execute(sa.delete(PasskeyChallenge).where(sa.or_(*stale)))
    db.session.add(
        PasskeyChallenge(
            challenge_hash=_hash(challenge),
            purpose=purpose,
            user_id=user.id if user is not None else None,
            created_at=now,
            expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    db.session.commit()
    session[SESSION_KEYS[purpose]] = bytes_to_base64url(challenge)
    return challenge


def _from_session(purpose: str, *, pop: bool) -> bytes | None:
    value = session.pop(SESSION_KEYS[purpose], None) if pop else session.get(SESSION_KEYS[purpose])
    if not isinstance(value, str):
        return None
    try:
        return base64url_to_bytes(value)
    except ValueError:
        return None


def _redeem(purpose: str, user: User | None) -> bytes | None:
    """This browser's live challenge for ``purpose`` (and ``user``), spent now; None if there is
    none, it expired or it was already used. The caller commits."""
    challenge = _from_session(purpose, pop=True)
    if challenge is None:
        return None
    owner = (
        PasskeyChallenge.user_id.is_(None) if user is None else PasskeyChallenge.user_id == user.id
    )
    spent = db.session.execute(
        sa.delete(PasskeyChallenge).where(
            PasskeyChallenge.challenge_hash == _hash(challenge),
            PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.expires_at > utcnow(),
            owner,
        )
    )
    return challenge if rowcount(spent) == 1 else None


# Adding a passkey --------------------------------------------------------------------------------


def passkeys_of(user: User) -> list[Passkey]:
    """The member's passkeys, oldest first (the security page)."""
    return list(
        db.session.scalars(
            sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)
        )
    )


def has_passkey(user: User) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Passkey).where(Passkey.user_id == user.id)
        )
    )


def get(user: User, passkey_id: int) -> Passkey | None:
    """One of ``user``'s passkeys (never another member's)."""
    return db.session.scalar(
        sa.select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )


def _user_handle(user: User, existing: list[Passkey]) -> bytes:
    """The account's WebAuthn user id: the one its passkeys already carry, else derived from
    SECRET_KEY and the account id (random-looking, no personal data, stable until it is used)."""
    if existing:
        return existing[0].user_handle
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"inkwell.passkey-user:{user.id}".encode(), hashlib.sha256).digest()


def _transports(stored: str) -> list[AuthenticatorTransport]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [AuthenticatorTransport(name) for name in stored.split(",") if name in known]


def registration_options(user: User) -> str:
    """The JSON options for ``navigator.credentials.create()``; the challenge is committed."""
    rp_id, _ = relying_party()
    existing = passkeys_of(user)
    handle, name = _user_handle(user, existing), user.username
    display_name = user.display_name or user.username
    exclude = [  # the member's own authenticators are not asked to make a second one
        PublicKeyCredentialDescriptor(
            id=passkey.credential_id, transports=_transports(passkey.transports)
        )
        for passkey in existing
    ]
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["SITE_NAME"],
        user_name=name,
        user_id=handle,
        user_display_name=display_name,
        challenge=_issue(REGISTER, user),  # commits: everything read from rows is read above
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
    )
    return options_to_json(options)


def register(user: User, name: str, answer: str, *, first_factor: bool = False) -> Passkey:
    """Check the browser's answer to this session's registration challenge and keep the new
    passkey as ``name``: logged, mailed, committed. ``Refused`` says why not (the challenge is
    spent either way). ``first_factor``: the account had no second factor, so this sign-in,
    which just proved the passkey, counts as made with it."""
    challenge = _redeem(REGISTER, user)
    db.session.commit()
    if challenge is None:
        raise Refused(EXPIRED)
    rp_id, origin = relying_party()
    try:
        credential = parse_registration_credential_json(answer)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except MALFORMED:
        raise Refused(NOT_MADE) from None
    taken = db.session.scalar(
        sa.select(Passkey.id).where(Passkey.credential_id == verified.credential_id)
    )
    if taken is not None:
        raise Refused(ALREADY_ADDED)
    transports = ",".join(transport.value for transport in credential.response.transports or [])
    passkey = Passkey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        user_handle=_user_handle(user, passkeys_of(user)),
        sign_count=verified.sign_count,
        transports=transports[:200],
        name=name.strip()[:NAME_MAX],
        device_type=verified.credential_device_type.value,
        backed_up=verified.credential_backed_up,
        created_at=utcnow(),
    )
    db.session.add(passkey)
    if first_factor:
        db.session.flush()  # its id, for the sign-in it now counts for
        sessions.record_method(AuthMethod.PASSKEY, passkey.id)
    events.record(EventType.PASSKEY_ADDED, user=user, actor=user)
    mail.enqueue_two_factor_notice(user, "passkey_added")
    db.session.commit()
    return passkey


def remove(user: User, passkey_id: int) -> bool:
    """Delete one of ``user``'s passkeys (the caller re-authenticated) and end the sign-ins it
    made, but this one (which just proved the password again): logged, mailed, committed.
    False if it is not theirs."""
    current = sessions.current_sign_in()
    # First: deleting the passkey sets its sign-ins' passkey_id to null.
    db.session.execute(
        sa.delete(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.passkey_id == passkey_id,
            UserSession.id != (current.id if current is not None else -1),
        )
    )
    result = db.session.execute(
        sa.delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )
    if not rowcount(result):
        db.session.rollback()
        return False
    events.record(EventType.PASSKEY_REMOVED, user=user, actor=user)
    mail.enqueue_two_factor_notice(user, "passkey_removed")
    db.session.commit()
    return True


# Signing in --------------------------------------------------------------------------------------


def sign_in_options() -> str:
    """The JSON options for ``navigator.credentials.get()``: no credentials listed (the
    authenticator offers the site's discoverable ones). The challenge is committed."""
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_issue(SIGN_IN, None),
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def _fail(user: User | None) -> Refused:
    events.record(EventType.LOGIN_FAILURE, user=user, identifier=user.username if user else None)
    db.session.commit()
    return Refused(NOT_ACCEPTED)


def sign_in(answer: str, *, remember: bool) -> User:
    """Sign in the member whose passkey answered this session's challenge (``AuthMethod.PASSKEY``,
    no code step); committed. ``Refused`` (logged as a failed sign-in) or ``TooManyRequests``
    when the account's sign-in budget is spent."""
    challenge = _redeem(SIGN_IN, None)
    db.session.commit()
    if challenge is None:
        raise Refused(EXPIRED)
    try:
        credential = parse_authentication_credential_json(answer)
    except MALFORMED:
        raise _fail(None) from None
    passkey = db.session.scalar(
        sa.select(Passkey)
        .where(Passkey.credential_id == credential.raw_id)
        .options(sa.orm.joinedload(Passkey.user))
    )
    if passkey is None:
        raise _fail(None)
    user = passkey.user
    account = accounts.throttle_key("", user)
    budget = device_cookies.budget_key(user, account)
    if wait := throttle.begin_attempt(budget):
        window = rate_limits.window_seconds("LOGIN_ACCOUNT_RATE_LIMIT")
        accounts.record_throttled(user.username, scope=account, window_seconds=window)
        raise TooManyRequests(retry_after=wait)
    handle = credential.response.user_handle
    if handle is None or not hmac.compare_digest(handle, passkey.user_handle):
        raise _fail(user)
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # compared below, to log a possible clone
            require_user_verification=True,
        )
    except MALFORMED:
        raise _fail(user) from None
    if not user.is_active:
        raise _fail(user)
    new_count = verified.new_sign_count
    if (new_count or passkey.sign_count) and new_count <= passkey.sign_count:
        events.record(EventType.PASSKEY_CLONE_SUSPECTED, user=user, identifier=passkey.name)
        raise _fail(user)
    passkey.sign_count = new_count
    passkey.last_used_at = utcnow()
    passkey.backed_up = verified.credential_backed_up
    throttle.forgive(budget)
    sessions.sign_in(user, remember=remember, method=AuthMethod.PASSKEY, passkey_id=passkey.id)
    return user
