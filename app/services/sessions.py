"""The server-side session registry: every sign-in is a ``UserSession`` row.

Flask-Login keeps the row's random token (never its hash) in the signed session cookie and, with
"remember me", in the remember cookie. ``load_user`` resolves the token through the table on every
request, so deleting a row signs that browser out for good: a captured session cookie or remember
cookie is anonymous from then on.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from app.database import read_outside_transaction
from app.extensions import db, rowcount
from app.http import ANONYMOUS_ENDPOINTS
from app.models import AuthMethod, EventType, TrustedBrowser, User, UserSession, utcnow
from app.services import device_cookies, events
from app.services.events import printable

logger = logging.getLogger(__name__)
TOKEN_BYTES = 32  # 256 bits
TWO_FACTOR_METHODS = frozenset(
    {AuthMethod.PASSWORD_TOTP, AuthMethod.PASSWORD_TRUSTED, AuthMethod.PASSKEY}
)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _lifetime(remembered: bool) -> timedelta:
    config = current_app.config
    if remembered:
        return timedelta(days=config["REMEMBER_DAYS"])
    return timedelta(hours=config["SESSION_MAX_HOURS"])


def _is_idle(record: SignIn, now: datetime) -> bool:
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return not record.remembered and now - record.last_seen_at > idle


def sign_in(
    user: User,
    *,
    remember: bool,
    method: AuthMethod = AuthMethod.PASSWORD,
    passkey_id: int | None = None,
) -> UserSession:
    """Start a new sign-in for ``user`` in this browser and commit it.

    The old session content is dropped first, so nothing from before the sign-in (a planted
    session, a stale flag) survives it. The browser gets a device cookie for the account, so it
    keeps a sign-in budget of its own (``device_cookies``).
    """
    now = utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = UserSession(
        user=user,
        token_hash=hash_token(token),
        remembered=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
        ip_address=(request.remote_addr or "")[:45] or None,
        user_agent=printable(request.user_agent.string)[:512] or None,
        auth_method=method,
        passkey_id=passkey_id,
    )
    db.session.add(row)
    events.record(EventType.LOGIN_SUCCESS, user=user, actor=user)
    user.last_login_at = now
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    db.session.commit()

    session.clear()
    _forget_sign_in()
    user.attach_session_token(token)
    login_user(user, remember=remember, duration=_lifetime(remember) if remember else None)
    device_cookies.trust_this_browser(user, persistent=remember)
    return row


def _forget_sign_in() -> None:
    """Drop what this request knew of a sign-in (noted by ``load_user``): it is another one
    now, or none."""
    g.pop("sign_in", None)
    g.pop("user_session", None)


class SignInEnded(Exception):
    """This browser's sign-in was ended (signed out from another device, revoked by an admin)
    while its request ran: what the request was doing as that sign-in must not be saved. The
    app answers as for any ended sign-in (``auth.routes.sign_in_ended``)."""


def _live_record() -> UserSession | None:
    """``current_session_record``, raising ``SignInEnded`` when this request was signed in but
    its row is gone now (None only for a request that was never signed in)."""
    record = current_session_record()
    if record is None and current_sign_in() is not None:
        raise SignInEnded
    return record


def record_method(method: AuthMethod, passkey_id: int | None = None) -> None:
    """This sign-in now counts as made with ``method`` (a second factor enrolled in it, when it
    had none: the code or passkey was just proved). Added to the session; the caller commits."""
    record = _live_record()
    if record is not None:
        record.auth_method = method
        record.passkey_id = passkey_id


def used_second_factor() -> bool:
    """Whether this sign-in was made with two factors (a code, a trusted browser, a passkey)."""
    # The row once this request loaded it (``record_method`` may have changed it, a rollback
    # expires it), else what the sign-in check read.
    record = current_session_record() if "user_session" in g else current_sign_in()
    return record is not None and record.auth_method in TWO_FACTOR_METHODS


def step_up(user: User) -> None:
    """The member confirmed the password: this sign-in gets a new token, and is fresh again.

    A step up in privilege issues a new session identifier (ASVS V7.2.4): the row keeps its
    lifetime and "remember me" but its token changes, so a copy of the cookies taken before the
    confirmation is anonymous afterwards. The session content is dropped, as at sign-in (a new
    CSRF token is made on the next form). Logged and committed here.
    """
    record = _live_record()
    if record is None:
        raise RuntimeError("step_up needs a signed-in request")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record.token_hash = hash_token(token)
    events.record(EventType.REAUTHENTICATED, user=user, actor=user)
    db.session.commit()

    session.clear()
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)  # Flask-WTF's copy for this request
    user.attach_session_token(token)
    remaining = record.expires_at - utcnow()
    login_user(user, remember=record.remembered, duration=remaining if record.remembered else None)


@dataclass(frozen=True)
class SignIn:
    """What the sign-in check read of this browser's ``UserSession`` row: enough for every
    request. The row itself is loaded only by what changes it (``current_session_record``)."""

    id: int
    remembered: bool
    last_seen_at: datetime
    expires_at: datetime
    auth_method: str


# Built once: every signed-in request runs it, and building and keying it anew each time cost
# as much as running it (0.19 -> 0.10 ms a sign-in check, measured in-process on SQLite). The
# member is the only ORM object: the session row's columns come as plain values, which saves
# building a second object on every request (0.17 -> 0.14 ms, docs/performance.md).
SIGN_IN_WITH_MEMBER = (
    sa.select(
        User,
        UserSession.id,
        UserSession.remembered,
        UserSession.last_seen_at,
        UserSession.expires_at,
        UserSession.auth_method,
    )
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == sa.bindparam("token_hash"))
)


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the live, unexpired sign-in for ``token``, or None."""
    # A plain read, and usually the request's only statement: on PostgreSQL it runs without
    # BEGIN and ROLLBACK (app/database.py).
    _forget_sign_in()  # nothing of an earlier request in the same app context
    with read_outside_transaction(db.session()):
        row = db.session.execute(SIGN_IN_WITH_MEMBER, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    user: User = row[0]
    record = SignIn(*row[1:])
    now = utcnow()
    if record.expires_at <= now or _is_idle(record, now) or not user.is_active:
        return None
    user.attach_session_token(token)
    g.sign_in = record
    return user


def current_sign_in() -> SignIn | None:
    """What the sign-in check read of the signed-in browser's session (None if anonymous)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    record: SignIn | None = g.get("sign_in")
    return record


def current_session_record() -> UserSession | None:
    """The ``UserSession`` row of the signed-in browser making this request, loaded once per
    request when asked for (None if anonymous, or if the row was deleted or given to another
    sign-in meanwhile)."""
    sign_in = current_sign_in()
    if sign_in is None:
        return None
    if "user_session" not in g:
        record = db.session.get(UserSession, sign_in.id)
        if record is not None and record.token_hash != hash_token(current_user.get_id()):
            record = None  # its id went to another sign-in meanwhile (SQLite reuses the highest)
        g.user_session = record
    kept: UserSession | None = g.user_session
    return kept


def touch_current_session() -> None:
    """Record activity for idle timeouts, writing at most once a minute per session.

    Bookkeeping, not the reader's request: when the database refuses the write (read-only,
    failing over) the page is served anyway and the failure is logged.
    """
    if request.endpoint in ANONYMOUS_ENDPOINTS:
        return  # a static file or image never restores a sign-in (app/http.py says why)
    record = current_sign_in()
    if record is None:
        return
    now = utcnow()
    if now - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        try:
            db.session.execute(
                sa.update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
            )
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.warning("could not record activity of session %s", record.id, exc_info=True)


def end_browser_session() -> None:
    """Forget this browser's sign-in cookies (its row is already gone)."""
    session.clear()
    _forget_sign_in()
    logout_user()


def sign_out() -> None:
    """End this browser's sign-in: delete its row, then clear the cookies."""
    record = current_session_record()
    if record is not None:
        db.session.delete(record)
        events.record(EventType.LOGOUT, user=current_user, actor=current_user)
        db.session.commit()
    end_browser_session()


def active_sessions(user: User) -> list[UserSession]:
    """The account's unexpired sign-ins, most recently used first."""
    return list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def is_current(record: UserSession) -> bool:
    current = current_sign_in()
    return current is not None and current.id == record.id


def revoke(user: User, session_id: int) -> bool:
    """Sign one of ``user``'s sessions out; False if it is not theirs (or does not exist)."""
    result = db.session.execute(
        sa.delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    if not rowcount(result):
        return False
    events.record(EventType.SESSION_REVOKED, user=user, actor=user)
    db.session.commit()
    return True


def revoke_others(user: User) -> int:
    """ "Sign out everywhere else": end every session of ``user`` but this browser's, and log it."""
    count = revoke_all(user, except_current=True)
    events.record(EventType.OTHER_SESSIONS_REVOKED, user=user, actor=user)
    db.session.commit()
    return count


def revoke_all(user: User, *, except_current: bool = False) -> int:
    """Delete ``user``'s sessions (all but this browser's with ``except_current``) and every
    browser trusted to skip the two-factor code (this one too); no commit."""
    db.session.execute(sa.delete(TrustedBrowser).where(TrustedBrowser.user_id == user.id))
    statement = sa.delete(UserSession).where(UserSession.user_id == user.id)
    current = current_sign_in()
    if except_current and current is not None:
        statement = statement.where(UserSession.id != current.id)
    return rowcount(db.session.execute(statement))
