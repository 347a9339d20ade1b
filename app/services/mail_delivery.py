"""The mail worker: deliver the outbox (``mail_outbox``) over SMTP, with retries.

``flask --app wsgi mail worker`` runs ``run_worker``; several may run at once, on one machine or
many. Each pass *claims* a batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
workers never wait for or take the same row; on SQLite a claim token written by a conditional
UPDATE does the same), commits the claim, then sends each row and records the outcome with one
commit per row. A claim is a lease: a worker that dies mid-send leaves its rows ``sending`` until
``next_attempt_at``, after which another worker takes them; the lease is renewed just before each
send, and a worker records an outcome only while its claim still holds. Delivery is therefore at
least once: a crash between the SMTP server's "250 OK" and the commit can send one message twice,
never none.

A failed attempt is retried with exponential backoff (30 s, 1 min, 2 min … capped at an hour)
until ``MAIL_RETRY_HOURS`` after the message was queued; then it is ``failed``, with the error,
on the admin dashboard, where an admin can send it again.
"""

from __future__ import annotations

import logging
import secrets
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from app import urls
from app.extensions import db, rowcount
from app.models import MailStatus, OutboxMessage, utcnow
from app.services import mail

logger = logging.getLogger(__name__)

BATCH = 20
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# Finished rows are kept this long (for the dashboard and for support), then deleted.
KEEP_FINISHED = timedelta(days=30)
ERROR_LENGTH = 500


@dataclass
class PassReport:
    """What one pass did: how many messages ended in each status."""

    counts: Counter[str] = field(default_factory=Counter)

    @property
    def handled(self) -> int:
        return self.counts.total()

    def __str__(self) -> str:
        return ", ".join(f"{count} {status}" for status, count in sorted(self.counts.items()))


def _lease() -> timedelta:
    # Long enough for the slowest send this worker can make: SMTP's own timeout, per step.
    return timedelta(seconds=4 * current_app.config["MAIL_TIMEOUT"] + 30)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    factor: int = 2 ** max(attempts - 1, 0)  # typeshed cannot tell a power of 2 is an int
    return min(FIRST_RETRY * factor, LONGEST_WAIT)


def _due() -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.status.in_([MailStatus.PENDING, MailStatus.SENDING]),
        OutboxMessage.next_attempt_at <= utcnow(),
    )


def claim(limit: int = BATCH) -> tuple[str, list[int]]:
    """Take up to ``limit`` due rows for this worker and commit the claim: (claim token, ids)."""
    token = secrets.token_hex(16)
    candidates = (
        sa.select(OutboxMessage.id)
        .where(_due())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has no row locks and ignores it
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.rollback()
        return token, []
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due())  # still due: no other worker took it meanwhile
        .values(
            status=MailStatus.SENDING,
            claim=token,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=utcnow() + _lease(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token, list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.claim == token, OutboxMessage.status == MailStatus.SENDING)
            .order_by(OutboxMessage.id)
        )
    )


def _held(message_id: int, token: str) -> OutboxMessage | None:
    """The row, if this worker's claim on it still holds (no other worker took it over)."""
    return db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.id == message_id,
            OutboxMessage.claim == token,
            OutboxMessage.status == MailStatus.SENDING,
        )
    )


def _renew(message_id: int, token: str) -> bool:
    """Extend the claim's lease just before sending: a batch's last row is never taken over."""
    renewed = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim == token)
        .values(next_attempt_at=utcnow() + _lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(rowcount(renewed))


def _outcome(
    message_id: int, token: str, status: MailStatus, error: str | None = None
) -> MailStatus:
    row = _held(message_id, token)
    if row is None:  # the lease ran out and another worker has it: its outcome counts
        db.session.rollback()
        return MailStatus.SENDING
    now = utcnow()
    if status == MailStatus.PENDING:
        give_up = row.created_at + timedelta(hours=current_app.config["MAIL_RETRY_HOURS"])
        retry_at = now + backoff(row.attempts)
        if retry_at > give_up:
            status = MailStatus.FAILED
        row.next_attempt_at = retry_at
    row.status, row.claim = status, None
    row.last_error = error[:ERROR_LENGTH] if error else None
    if status in (MailStatus.SENT, MailStatus.SKIPPED):
        row.sent_at = now
    db.session.commit()
    return status


def deliver(message_id: int, token: str) -> MailStatus:
    """Compose and send one row this worker claimed, then record what happened (one commit)."""
    if not _renew(message_id, token) or (row := _held(message_id, token)) is None:
        return MailStatus.SENDING  # taken over by another worker meanwhile
    try:
        message = mail.compose(row)
        if message is None:
            return _outcome(message_id, token, MailStatus.SKIPPED)
        message.send()
    except SQLAlchemyError:
        raise  # the database itself failed: leave the claim to expire, the row is retried
    except Exception as error:
        db.session.rollback()  # nothing composed for this attempt is kept (e.g. its event row)
        logger.warning("mail %s to %s failed: %s", message_id, row.recipient, error)
        return _outcome(message_id, token, MailStatus.PENDING, f"{type(error).__name__}: {error}")
    return _outcome(message_id, token, MailStatus.SENT)


def deliver_due(app: Flask, limit: int = BATCH) -> PassReport:
    """One pass: claim what is due and deliver it. Safe to call from several processes."""
    report = PassReport()
    # Links in mail are built on SITE_URL, as if the reader's browser had asked.
    with app.app_context():
        base_url = urls.site_url()
    with app.test_request_context("/", base_url=base_url):
        token, message_ids = claim(limit)
        for message_id in message_ids:
            report.counts[str(deliver(message_id, token))] += 1
        db.session.remove()
    return report


def forget_finished() -> int:
    """Delete sent and skipped rows older than ``KEEP_FINISHED``; how many went."""
    result = db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.status.in_([MailStatus.SENT, MailStatus.SKIPPED]),
            OutboxMessage.created_at < utcnow() - KEEP_FINISHED,
        )
    )
    db.session.commit()
    return rowcount(result)


def retry(message: OutboxMessage) -> None:
    """Make a failed message due again, with a fresh retry window (no commit: the caller's)."""
    message.status = MailStatus.PENDING
    message.attempts = 0
    message.created_at = message.next_attempt_at = utcnow()
    message.last_error = None


def backlog() -> dict[str, int | None]:
    """Waiting and failed messages, and the age in seconds of the oldest waiting one."""
    waiting, failed, oldest = db.session.execute(
        sa.select(
            sa.func.count(OutboxMessage.id).filter(
                OutboxMessage.status.in_([MailStatus.PENDING, MailStatus.SENDING])
            ),
            sa.func.count(OutboxMessage.id).filter(OutboxMessage.status == MailStatus.FAILED),
            sa.func.min(OutboxMessage.created_at).filter(
                OutboxMessage.status.in_([MailStatus.PENDING, MailStatus.SENDING])
            ),
        )
    ).one()
    age = None if oldest is None else int((utcnow() - oldest).total_seconds())
    return {"waiting": waiting, "failed": failed, "oldest_waiting_seconds": age}


class _Stop:
    """SIGTERM / SIGINT end the loop after the message in hand (systemd's stop)."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self.request)
        signal.signal(signal.SIGINT, self.request)

    def request(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True


def run_worker(app: Flask, *, poll_seconds: float, once: bool = False) -> None:
    """Deliver until stopped; a database outage is waited out, never the end of the worker."""
    stop = _Stop()
    last_cleanup = 0.0
    while not stop.requested:
        try:
            with app.app_context():
                report = deliver_due(app)
                if time.monotonic() - last_cleanup > 3600:
                    forget_finished()
                    last_cleanup = time.monotonic()
        except SQLAlchemyError:
            logger.warning("mail worker: the database is unavailable; retrying", exc_info=True)
            report = PassReport()
            with app.app_context():
                db.session.remove()
        if report.handled:
            logger.info("mail worker: %s", report)
        if once:
            return
        if report.handled < BATCH:  # a full batch means more may be due: go on at once
            deadline = time.monotonic() + poll_seconds
            while not stop.requested and time.monotonic() < deadline:
                time.sleep(min(0.2, poll_seconds))
