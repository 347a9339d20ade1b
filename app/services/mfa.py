"""Two-factor sign-in with an authenticator app (RFC 6238 TOTP, by pyotp) and recovery codes.

- The shared secret is stored encrypted (Fernet, with a key derived from SECRET_KEY by HKDF), and
  shown only while enrolment is unconfirmed. Rotating SECRET_KEY makes enrolled secrets
  unreadable: those members must be reset (docs/security.md says so).
- A code is accepted for the current 30-second step or one step either side (clock drift), and
  once only: the step accepted is recorded with ``UPDATE … WHERE last_step < :step``, so of two
  parallel requests with one code exactly one passes.
- Ten recovery codes of 118 random bits each; only their SHA-256 is stored. With 112 bits or
  more a standard hash is enough (ASVS 5.0 V6.5.2): a slow, salted hash (argon2) would add cost
  per sign-in (ten verifications) without adding safety. Each is spent
  with ``UPDATE … WHERE used_at IS NULL`` (once, even in parallel).
- A sign-in whose password was right but whose code is still to come is a ``PendingSignIn``
  row, referenced from the Flask session by a random token; nobody is signed in meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Response, after_this_request, current_app, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.exceptions import TooManyRequests

from app.extensions import db, rowcount
from app.models import (
    AuthMethod,
    EventType,
    Passkey,
    PendingSignIn,
    RecoveryCode,
    TotpCredential,
    TrustedBrowser,
    User,
    utcnow,
)
from app.services import accounts, events, mail, passkeys, sessions, throttle

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied
RECOVERY_LENGTH = 24  # 24 of 31 symbols: 118 bits, so SHA-256 suffices (ASVS 5.0 V6.5.2)
DRIFT_STEPS = 1  # one 30-second step either side
PENDING_MINUTES = 5
PENDING_ATTEMPTS = 5  # wrong codes per password sign-in, on top of the account's budget
PENDING_KEY = "mfa_pending"
TOTP_DIGITS = 6


def _fernet() -> Fernet:
    secret_key = current_app.config["SECRET_KEY"].encode("utf-8")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"inkwell.totp-secret")
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key)))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _decrypt(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("ascii")
    except InvalidToken:
        return None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _credential(user: User) -> TotpCredential | None:
    return db.session.scalar(sa.select(TotpCredential).where(TotpCredential.user_id == user.id))


def is_enabled(user: User) -> bool:
    """Whether ``user`` signs in with a code after the password (a confirmed credential)."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TotpCredential)
            .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None))
        )
    )


def has_second_factor(user: User) -> bool:
    """Whether the account has a second factor: an authenticator app, or a passkey (which
    verifies its user, so it is two factors by itself)."""
    return is_enabled(user) or passkeys.has_passkey(user)


SIGN_IN_WITH_A_FACTOR = _l(
    "To add a passkey or an authenticator app to an account that has a second factor, sign in "
    "with it first: sign out, then sign in with a passkey, or with your password and a code."
)


def may_add_second_factor(user: User) -> bool:
    """A first second factor may be added by any fresh sign-in; another one only by a sign-in
    made with one, so a stolen password cannot plant a passkey or an app of its own."""
    return sessions.used_second_factor() or not has_second_factor(user)


def admits_to_admin_pages() -> bool:
    """``REQUIRE_ADMIN_2FA``: this sign-in used a second factor (having one is not enough)."""
    return sessions.used_second_factor()


# Enrolment ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """What the security page shows while enrolment is unconfirmed."""

    key: str  # the base32 secret, grouped by four for typing
    uri: str  # otpauth://
    qr_svg: str  # inline <svg> markup


@dataclass(frozen=True)
class Status:
    enabled: bool
    recovery_left: int
    enrolment: Enrolment | None


def status(user: User) -> Status:
    """The security page's state; starts an unconfirmed enrolment if there is none (committed)."""
    credential = _credential(user)
    if credential is not None and credential.confirmed_at is not None:
        left = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        return Status(True, left or 0, None)
    secret = _decrypt(credential.secret) if credential is not None else None
    if secret is None:
        secret = pyotp.random_base32()
        if credential is None:
            credential = TotpCredential(user_id=user.id, secret=_encrypt(secret))
            db.session.add(credential)
        else:
            credential.secret = _encrypt(secret)
        db.session.commit()
    return Status(False, 0, _enrolment(user, secret))


def _enrolment(user: User, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=current_app.config["SITE_NAME"]
    )
    qr = segno.make(uri, error="m")
    label = _("QR code for your authenticator app")
    svg = qr.svg_inline(scale=4, light="#fff", title=label)
    svg = svg.replace(
        "<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1
    )  # a named image
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Enrolment(key=key, uri=uri, qr_svg=svg)


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn two-factor sign-in on with a current code; the new recovery codes, or None."""
    credential = _credential(user)
    if credential is None or credential.confirmed_at is not None:
        return None
    secret = _decrypt(credential.secret)
    step = _matching_step(secret, code) if secret is not None else None
    if step is None:
        return None
    if not passkeys.has_passkey(user):  # the sign-in's first second factor, proved just now
        sessions.record_method(AuthMethod.PASSWORD_TOTP)
    credential.confirmed_at = utcnow()
    credential.last_step = step
    codes = _new_recovery_codes(user)
    events.record(EventType.TOTP_ENABLED, user=user, actor=user)
    mail.enqueue_two_factor_notice(user, "enabled")
    db.session.commit()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code of ``user`` (the old ones stop working); committed."""
    codes = _new_recovery_codes(user)
    events.record(EventType.RECOVERY_CODES_REGENERATED, user=user, actor=user)
    mail.enqueue_two_factor_notice(user, "recovery_codes")
    db.session.commit()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


# Checking a code ---------------------------------------------------------------------------------


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) whose code is ``code``, if any."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalize_recovery(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def verify_code(user: User, code: str) -> bool:
    """A code from the app (once per step, ±1 step) or an unused recovery code; no commit."""
    credential = _credential(user)
    if credential is None or credential.confirmed_at is None:
        return False
    secret = _decrypt(credential.secret)
    step = _matching_step(secret, code) if secret is not None else None
    if step is not None:
        accepted = db.session.execute(
            sa.update(TotpCredential)
            .where(TotpCredential.user_id == user.id, TotpCredential.last_step < step)
            .values(last_step=step)
        )
        return rowcount(accepted) == 1  # 0: this step (or a later one) was already used
    recovery = _normalize_recovery(code)
    if len(recovery) != RECOVERY_LENGTH:
        return False
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(recovery),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if rowcount(spent) != 1:
        return False
    events.record(EventType.RECOVERY_CODE_USED, user=user, actor=user)
    return True


# The half-done sign-in ---------------------------------------------------------------------------


def start_pending(user: User, *, remember: bool, next_url: str) -> None:
    """The password was right: remember the sign-in server-side until the code comes; commit."""
    cancel_pending()
    now = utcnow()
    db.session.execute(sa.delete(PendingSignIn).where(PendingSignIn.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.session.add(
        PendingSignIn(
            token_hash=_hash(token),
            user_id=user.id,
            remember=remember,
            next_url=next_url[:2000],
            created_at=now,
            expires_at=now + timedelta(minutes=PENDING_MINUTES),
        )
    )
    db.session.commit()
    session[PENDING_KEY] = token


def pending() -> PendingSignIn | None:
    """This browser's unexpired half-done sign-in, if any."""
    token = session.get(PENDING_KEY)
    if not isinstance(token, str):
        return None
    row = db.session.scalar(
        sa.select(PendingSignIn)
        .where(PendingSignIn.token_hash == _hash(token), PendingSignIn.expires_at > utcnow())
        .options(sa.orm.joinedload(PendingSignIn.user))
    )
    if row is None or not row.user.is_active:
        return None
    return row


def cancel_pending() -> None:
    """Forget this browser's half-done sign-in (logout, a new attempt); committed."""
    token = session.pop(PENDING_KEY, None)
    if isinstance(token, str):
        db.session.execute(sa.delete(PendingSignIn).where(PendingSignIn.token_hash == _hash(token)))
        db.session.commit()


def complete_sign_in(row: PendingSignIn, code: str, *, trust: bool = False) -> bool:
    """Check the code of a half-done sign-in: right, the member is signed in (committed);
    wrong, the attempt is counted and logged, and the row dies after PENDING_ATTEMPTS."""
    user = row.user
    if verify_code(user, code):
        db.session.delete(row)
        session.pop(PENDING_KEY, None)
        if trust:
            trust_this_browser(user)  # committed with the sign-in
        sessions.sign_in(user, remember=row.remember, method=AuthMethod.PASSWORD_TOTP)
        return True
    row.attempts += 1
    if row.attempts >= PENDING_ATTEMPTS:
        db.session.delete(row)
        session.pop(PENDING_KEY, None)
    events.record(EventType.SECOND_FACTOR_FAILED, user=user, identifier=user.username)
    db.session.commit()
    return False


# A signed-in member's second factor (turning it off, re-authentication) ------------------------


def check_code(user: User, code: str) -> bool:
    """Check a signed-in member's code; wrong codes share the budget of wrong passwords of
    ``accounts.check_password`` (per sign-in), so a stolen session cannot guess them. A failure
    is logged; both outcomes are committed (a used step stays used)."""
    record = sessions.current_sign_in()
    budget = f"password-check:{f'session:{record.id}' if record else f'user:{user.id}'}"
    if wait := throttle.begin_attempt(budget, "REAUTH_RATE_LIMIT"):
        raise TooManyRequests(retry_after=wait)
    if verify_code(user, code):
        db.session.commit()
        throttle.forgive(budget)
        return True
    events.record(EventType.SECOND_FACTOR_FAILED, user=user, identifier=user.username)
    db.session.commit()
    return False


def reauthenticate(user: User, password: str, code: str | None) -> str | None:
    """Confirm the password, and ``code`` when two-factor is on (``code`` given); on success this
    sign-in steps up (``sessions.step_up``). The name of the field that was wrong, else None."""
    if code is None:
        return None if accounts.reauthenticate(user, password) else "password"
    if not accounts.check_password(user, password, forgive=False):
        events.record(EventType.LOGIN_FAILURE, user=user, identifier=user.username)
        db.session.commit()
        return "password"
    if not check_code(user, code):
        return "code"
    sessions.step_up(user)
    return None


def disable(user: User) -> None:
    """Turn two-factor sign-in off (the caller checked the password and a code); committed."""
    _remove(user)
    events.record(EventType.TOTP_DISABLED, user=user, actor=user)
    mail.enqueue_two_factor_notice(user, "disabled")
    db.session.commit()


def admin_reset(admin: User, target: User) -> bool:
    """An admin removes ``target``'s second factors, the authenticator app and every passkey
    (audited, mailed), for a member who lost them; False if there were none."""
    if _credential(target) is None and not passkeys.has_passkey(target):
        return False
    _remove(target)
    db.session.execute(sa.delete(Passkey).where(Passkey.user_id == target.id))
    events.record(EventType.TOTP_RESET_BY_ADMIN, user=target, actor=admin)
    mail.enqueue_two_factor_notice(target, "reset_by_admin")
    db.session.commit()
    return True


def _remove(user: User) -> None:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(sa.delete(TotpCredential).where(TotpCredential.user_id == user.id))


# Trusted browsers --------------------------------------------------------------------------------

TRUSTED_SALT = "inkwell.trusted-browser"


def _trusted_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"],
        salt=TRUSTED_SALT,
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def _trusted_days() -> int:
    return int(current_app.config["TRUSTED_BROWSER_DAYS"])


def trust_this_browser(user: User) -> None:
    """Let sign-ins of ``user`` from this browser skip the code for TRUSTED_BROWSER_DAYS: a row
    (added, not committed) and a signed cookie holding its token, set on this response."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    ip_address, user_agent = events.request_origin()
    db.session.add(
        TrustedBrowser(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=_trusted_days()),
            ip_address=ip_address,
            user_agent=user_agent,
        )
    )
    value = _trusted_serializer().dumps(token)
    config = current_app.config

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            config["TRUSTED_BROWSER_COOKIE_NAME"],
            value,
            max_age=_trusted_days() * 24 * 3600,
            path="/",
            secure=config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response


def is_trusted(user: User) -> bool:
    """Whether this browser holds a live "trust this browser" row of ``user``."""
    raw = request.cookies.get(current_app.config["TRUSTED_BROWSER_COOKIE_NAME"], "")
    if not raw or len(raw) > 512:
        return False
    try:
        token = _trusted_serializer().loads(raw, max_age=_trusted_days() * 24 * 3600)
    except BadData:
        return False
    if not isinstance(token, str):
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TrustedBrowser)
            .where(
                TrustedBrowser.token_hash == _hash(token),
                TrustedBrowser.user_id == user.id,
                TrustedBrowser.expires_at > utcnow(),
            )
        )
    )


def trusted_browsers(user: User) -> list[TrustedBrowser]:
    """The account's live trusted browsers, newest first (the devices page)."""
    return list(
        db.session.scalars(
            sa.select(TrustedBrowser)
            .where(TrustedBrowser.user_id == user.id, TrustedBrowser.expires_at > utcnow())
            .order_by(TrustedBrowser.created_at.desc(), TrustedBrowser.id.desc())
        )
    )


def revoke_trusted_browser(user: User, browser_id: int) -> bool:
    """Stop trusting one of ``user``'s browsers; False if it is not theirs. Committed."""
    result = db.session.execute(
        sa.delete(TrustedBrowser).where(
            TrustedBrowser.id == browser_id, TrustedBrowser.user_id == user.id
        )
    )
    if not rowcount(result):
        return False
    events.record(EventType.TRUSTED_BROWSER_REVOKED, user=user, actor=user)
    db.session.commit()
    return True
