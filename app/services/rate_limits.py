"""Rate-limit helpers for Flask-Limiter: refusals noted once per window.

The counters live in the limiter's storage (Redis when REDIS_URL is set, shared by every worker
and server; else this process's memory).
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import parse

from app.extensions import limiter

logger = logging.getLogger(__name__)
NAMESPACE = "first-in-window"


def window_seconds(setting: str) -> int:
    """The window of the limit in the config ``setting`` (e.g. "10 per 15 minutes": 900)."""
    return int(parse(current_app.config[setting]).get_expiry())


def first_in_window(scope: str, seconds: int) -> bool:
    """True for the first call per ``scope`` in ``seconds``, then False until they have passed.

    One atomic increment (Redis INCR with its expiry set on creation), so parallel calls
    across workers agree on which one was first. Storage that is down answers True (logged).
    """
    key = "/".join((current_app.config["RATELIMIT_KEY_PREFIX"], NAMESPACE, scope))
    try:
        return bool(limiter.storage.incr(key, max(1, seconds)) == 1)
    except Exception:  # storage unreachable: treat as first, so nothing goes unrecorded
        logger.exception("rate-limit storage failed in first_in_window")
        return True
