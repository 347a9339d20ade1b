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
    commit: bool = True,
) -> SecurityEvent:
    """Log ``event`` with the request's address and user agent; commits unless told not to."""
    row = SecurityEvent(
        type=event.value,
        user_id=user.id if user is not None else None,
        actor_id=actor.id if actor is not None else None,
        identifier=printable(identifier)[:320] if identifier else None,
    )
    if has_request_context():
        row.ip_address = (request.remote_addr or "")[:45] or None
        row.user_agent = printable(request.user_agent.string)[:512] or None
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


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
