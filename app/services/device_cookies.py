"""Device cookies (OWASP): whoever locks an account out cannot lock its owner out.

The per-account sign-in lock (``app/services/throttle.py``) would otherwise let anyone lock any
account by guessing wrong ten times, and the lock would refuse even the right password. So a
browser that signed in to an account successfully gets a signed device cookie naming it. A
sign-in attempt from a browser holding a valid device cookie for the account spends that
browser's own budget, and its failures count against that cookie only; every other client
shares the account's budget for unknown clients. While unknown clients are locked out, the
owner still signs in from any browser they have used before.

The cookie holds a random per-browser nonce and the ids of the (at most five) accounts that
signed in there, signed with SECRET_KEY and dated: it cannot be forged, and it expires after
DEVICE_COOKIE_DAYS. Stolen, it is worth no more than one more budget of guesses. It is kept
across browser restarts only for a sign-in with "remember me" (without it, nothing persistent is
set); a password reset lifts the lock for anyone who holds the mailbox.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from app.models import User

SALT = "inkwell.device-cookie"
MAX_ACCOUNTS = 5
MAX_COOKIE_LENGTH = 1024


@dataclass(frozen=True)
class Device:
    nonce: str
    accounts: tuple[int, ...]
    persistent: bool  # set with "remember me" once: it stays across restarts


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def _max_age() -> int:
    return int(current_app.config["DEVICE_COOKIE_DAYS"]) * 24 * 3600


def read() -> Device | None:
    """This browser's valid device cookie, if it sent one."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"], "")
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return None
    try:
        payload = _serializer().loads(raw, max_age=_max_age())
    except BadData:
        return None
    if not isinstance(payload, dict):
        return None
    nonce, accounts = payload.get("d"), payload.get("u")
    if not isinstance(nonce, str) or not isinstance(accounts, list):
        return None
    accounts_ids = tuple(a for a in accounts if type(a) is int)
    return Device(nonce, accounts_ids, payload.get("p") is True)


def budget_key(user: User | None, account_key: str) -> str:
    """Whose budget a sign-in attempt at ``user`` spends: this browser's own when it holds a
    device cookie for that account, else ``account_key``, shared by every unknown client."""
    device = read()
    if user is None or device is None or user.id not in device.accounts:
        return account_key
    return f"device:{device.nonce}:{user.id}"


def trust_this_browser(user: User, *, persistent: bool) -> None:
    """``user`` signed in here: this response gives the browser a device cookie for the account.

    It outlives the browser only once a member asked to be remembered on this device: without
    "remember me" nothing persistent is set, so the cookie then lasts until the browser closes.
    """
    device = read()
    if device is not None and user.id in device.accounts and device.persistent >= persistent:
        return  # the browser already holds what it needs
    persistent = persistent or (device is not None and device.persistent)
    nonce = device.nonce if device else secrets.token_urlsafe(16)
    others = [account for account in (device.accounts if device else ()) if account != user.id]
    payload = {"d": nonce, "u": [user.id, *others][:MAX_ACCOUNTS], "p": persistent}
    value = _serializer().dumps(payload)
    config = current_app.config

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            config["DEVICE_COOKIE_NAME"],
            value,
            max_age=_max_age() if persistent else None,
            path="/",
            secure=config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response
