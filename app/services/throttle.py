"""Per-account throttling of password checks: failed attempts per account, from any address.

Two budgets use it: sign-in (``LOGIN_ACCOUNT_RATE_LIMIT``, per account or per trusted browser)
and the password checks of a signed-in member (``REAUTH_RATE_LIMIT``: re-authentication,
password change, email change, deletion; ``accounts.check_password``), so a stolen session
cannot be used to guess the password.

Kept in the rate limiter's storage (Redis when REDIS_URL is set, shared by every worker and
server; else this process's memory), but driven explicitly:

- ``begin_attempt`` counts an attempt *before* its password is checked, with one atomic
  increment, and refuses it when the count passes the limit. So parallel guesses cannot all pass
  a check made before any of them is counted: at most the limit's number of passwords is ever
  checked per window. A successful sign-in clears the count (``forgive``): only failures lock.
- ``unlock`` (an admin, ``flask users unlock``, a completed password reset) clears the count and
  says what it did; it works whether or not rate limiting is switched on in that process.
- Storage that is down fails open: the attempt is allowed and the failure is logged, as
  Flask-Limiter does with RATELIMIT_SWALLOW_ERRORS.

Which budget an attempt spends is the caller's choice of ``account`` key: the account's budget
for unknown clients, or a trusted browser's own (``app/services/device_cookies.py``).
"""

from __future__ import annotations

import enum
import logging
import threading
import time

from flask import current_app, has_request_context
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string

logger = logging.getLogger(__name__)
NAMESPACE = "login-account"


class Unlocked(enum.Enum):
    CLEARED = "cleared"  # the account was locked (or had failures) and now has none
    CLEARED_HERE = "cleared in this process only"  # memory storage: other processes keep theirs
    NOT_LOCKED = "not locked"  # nothing to clear
    NOT_SHARED = "not shared"  # counts live in each server process's memory: out of reach here
    UNREACHABLE = "unreachable"  # the storage (Redis) did not answer


# limits' MemoryStorage makes its per-key locks without a lock of its own, and forgets a new key
# that another thread reads before its expiry is set: parallel first attempts could lose counts.
# One lock per process serializes its increments (and guards making the storage).
_MEMORY_LOCK = threading.Lock()


def atomic_increment(storage: Storage, key: str, expiry: int) -> int:
    """``storage.incr``, made atomic for limits' memory storage too (see ``_MEMORY_LOCK``)."""
    if isinstance(storage, MemoryStorage):
        with _MEMORY_LOCK:
            return storage.incr(key, expiry)
    return storage.incr(key, expiry)


def _limit(setting: str) -> RateLimitItem:
    return parse(current_app.config[setting])


def _storage() -> Storage:
    storage: Storage | None = current_app.extensions.get("inkwell_throttle_storage")
    if storage is None:
        with _MEMORY_LOCK:  # parallel first requests must share one storage, not make one each
            storage = current_app.extensions.get("inkwell_throttle_storage")
            if storage is None:
                uri = current_app.config["RATELIMIT_STORAGE_URI"]
                options = {} if uri.startswith("memory") else {"socket_timeout": 0.5}
                created = storage_from_string(uri, **options)
                if not isinstance(created, Storage):
                    raise ValueError(f"RATELIMIT_STORAGE_URI {uri!r} is an asyncio storage")
                current_app.extensions["inkwell_throttle_storage"] = storage = created
    return storage


def _key(account: str) -> str:
    return "/".join((current_app.config["RATELIMIT_KEY_PREFIX"], NAMESPACE, account))


def _active() -> bool:
    return bool(current_app.config["RATELIMIT_ENABLED"])


def begin_attempt(account: str, setting: str = "LOGIN_ACCOUNT_RATE_LIMIT") -> int:
    """Count an attempt at ``account`` against the limit in ``setting``; 0 if it may go on,
    else seconds until it may."""
    if not _active():
        return 0
    limit = _limit(setting)
    try:
        storage = _storage()
        count = atomic_increment(storage, _key(account), limit.get_expiry())
        if count <= limit.amount:
            return 0
        wait = storage.get_expiry(_key(account)) - time.time()
    except Exception:  # storage unreachable: fail open, logged
        logger.exception("sign-in throttle storage failed; attempt allowed")
        return 0
    return max(1, int(wait) + 1)


def forgive(account: str) -> None:
    """The attempt succeeded: the owner is in, so the count starts again (one atomic delete)."""
    if not _active():
        return
    try:
        _storage().clear(_key(account))
    except Exception:
        logger.exception("sign-in throttle storage failed")


def unlock(account: str) -> Unlocked:
    """Forget ``account``'s failures; the answer says honestly what happened."""
    try:
        storage = _storage()
        if isinstance(storage, MemoryStorage) and not has_request_context():
            return Unlocked.NOT_SHARED  # a CLI process cannot reach the servers' memory
        had = storage.get(_key(account))
        storage.clear(_key(account))
    except Exception:
        logger.exception("sign-in throttle storage failed; nothing unlocked")
        return Unlocked.UNREACHABLE
    if isinstance(storage, MemoryStorage):
        return Unlocked.CLEARED_HERE  # without REDIS_URL each worker process counts on its own
    return Unlocked.CLEARED if had > 0 else Unlocked.NOT_LOCKED
