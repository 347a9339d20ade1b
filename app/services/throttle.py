"""Per-account sign-in throttling: failed attempts per account, from any address.

Kept beside Flask-Limiter's per-address limits and in the same storage (Redis when REDIS_URL is
set), but driven explicitly so that only failures count and an admin can lift a lock.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from limits import RateLimitItem, parse

from app.extensions import limiter

logger = logging.getLogger(__name__)
NAMESPACE = "login-account"


def _limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _identifiers(key: str) -> tuple[str, str, str]:
    return (current_app.config["RATELIMIT_KEY_PREFIX"], NAMESPACE, key)


def _active() -> bool:
    return bool(current_app.config["RATELIMIT_ENABLED"])


def seconds_locked(key: str) -> int:
    """Seconds until ``key`` may try again; 0 when it is not locked (or storage is down)."""
    if not _active():
        return 0
    try:
        if limiter.limiter.test(_limit(), *_identifiers(key)):
            return 0
        reset = limiter.limiter.get_window_stats(_limit(), *_identifiers(key)).reset_time
    except Exception:  # storage unreachable: fail open, like RATELIMIT_SWALLOW_ERRORS
        logger.exception("sign-in throttle storage failed")
        return 0
    return max(1, int(reset - time.time()) + 1)


def record_failure(key: str) -> None:
    if not _active():
        return
    try:
        limiter.limiter.hit(_limit(), *_identifiers(key))
    except Exception:
        logger.exception("sign-in throttle storage failed")


def unlock(key: str) -> None:
    """Forget ``key``'s failures (an admin's "unlock")."""
    if _active():
        limiter.limiter.clear(_limit(), *_identifiers(key))
