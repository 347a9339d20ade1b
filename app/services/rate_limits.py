"""Rate-limit helpers for Flask-Limiter: keys, what counts, and refusals noted once per window.

The counters live in the limiter's storage (Redis when REDIS_URL is set, shared by every worker
and server; else this process's memory).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime

from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse
from werkzeug import Response

from app.extensions import limiter
from app.services import throttle

logger = logging.getLogger(__name__)
NAMESPACE = "first-in-window"


def member_key() -> str:
    """Key of the limits per member: the signed-in account, whatever address it writes from."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{get_remote_address()}"  # not reached on login_required views


def created(response: Response) -> bool:
    """``deduct_when``: only a request that created something costs (a redirect to it).

    A form shown again with errors does not, nor does a form sent twice (``nothing_created``).
    """
    return response.status_code == 302 and not g.get("nothing_created", False)


def costly_attempt() -> None:
    """This request did costly work (decoding an image): it spends the budget, kept or not."""
    g.costly_attempt = True


def created_or_costly(response: Response) -> bool:
    """``deduct_when`` for limits on costly work: something created, or the work attempted."""
    return created(response) or bool(g.get("costly_attempt", False))


def nothing_created() -> None:
    """This request's redirect leads to something created earlier (a replayed form)."""
    g.nothing_created = True


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
        return throttle.atomic_increment(limiter.storage, key, max(1, seconds)) == 1
    except Exception:  # storage unreachable: treat as first, so nothing goes unrecorded
        logger.exception("rate-limit storage failed in first_in_window")
        return True


def retry_after_seconds(error: Exception) -> int:
    """Seconds until a refused request may be sent again (at least 1).

    ``error.retry_after`` when the refusal said it (the per-account sign-in lock), else the
    reset time of the limit Flask-Limiter found breached in this request.
    """
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, datetime):
        return max(1, math.ceil(retry_after.timestamp() - time.time()))
    if isinstance(retry_after, int):
        return max(1, retry_after)
    breached = limiter.current_limit
    if breached is not None and breached.breached:
        return max(1, int(breached.reset_at - time.time()))  # as Flask-Limiter's header
    return 60
