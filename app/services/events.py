"""The security event log (table ``security_events``): write one row per security-relevant act."""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request

from app.extensions import db
from app.models import SIGN_IN_EVENTS, EventType, SecurityEvent, User


def printable(text: str) -> str:
    """Text from a request header without control characters (PostgreSQL cannot store NUL)."""
    return "".join(char for char in text if char.isprintable())


def record(
    event: EventType,
    *,
    user: User | None = None,
    actor: User | None = None,
    identifier: str | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> SecurityEvent:
    """Add ``event`` to the session, with the request's address and user agent; never commits.

    The caller's service commits it together with the change it records. Outside a request
    (the mail worker), ``ip_address`` and ``user_agent`` say where the act came from.
    """
    if ip_address is None and user_agent is None and has_request_context():
        ip_address, user_agent = request_origin()
    row = SecurityEvent(
        type=event.value,
        user_id=user.id if user is not None else None,
        actor_id=actor.id if actor is not None else None,
        username=user.username if user is not None else None,
        actor_username=actor.username if actor is not None else None,
        identifier=printable(identifier)[:320] if identifier else None,
        ip_address=(ip_address or "")[:45] or None,
        user_agent=printable(user_agent or "")[:512] or None,
    )
    db.session.add(row)
    return row


def request_origin() -> tuple[str | None, str | None]:
    """The address and user agent of the current request, as ``record`` would store them."""
    return (request.remote_addr or "")[:45] or None, printable(request.user_agent.string)[:512]


def recent_sign_ins(user: User, limit: int = 20) -> list[SecurityEvent]:
    """The account's latest sign-in events, successes and failures, newest first."""
    return list(
        db.session.scalars(
            sa.select(SecurityEvent)
            .where(
                SecurityEvent.user_id == user.id,
                SecurityEvent.type.in_([event.value for event in SIGN_IN_EVENTS]),
            )
            .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
            .limit(limit)
        )
    )
