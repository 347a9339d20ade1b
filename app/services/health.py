"""What ``/healthz`` reports: the database (readable, writable), Redis and the mail outbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import OutboxMessage
from app.services import mail_delivery


def _database_readable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def _database_writable() -> bool:
    """A write that changes no row, rolled back: refused by a read-only or failing database."""
    try:
        db.session.execute(
            sa.update(OutboxMessage).where(sa.false()).values(attempts=OutboxMessage.attempts)
        )
    except SQLAlchemyError:
        return False
    finally:
        db.session.rollback()
    return True


def _redis() -> str:
    store = current_app.extensions.get("inkwell_page_cache")
    client = getattr(store, "client", None)
    if client is None:
        return "not configured"
    try:
        client.ping()
    except Exception:  # any failure to answer is "down"
        return "down"
    return "ok"


def check() -> dict[str, object]:
    readable = _database_readable()
    writable = readable and _database_writable()
    mail: dict[str, int | None] | None = None
    if readable:
        try:
            mail = mail_delivery.backlog()
        except SQLAlchemyError:
            db.session.rollback()
    status = "ok" if writable else ("degraded" if readable else "error")
    return {
        "status": status,
        "database": {"readable": readable, "writable": writable},
        "redis": _redis(),
        "mail_outbox": mail,
    }
