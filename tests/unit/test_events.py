"""The event log never commits: the service that records an event commits it with its change."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import EventType, SecurityEvent
from app.services import events


def test_record_adds_to_the_session_and_leaves_the_commit_to_the_caller(app: Flask) -> None:
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        events.record(EventType.LOGOUT, identifier="someone")
        db.session.rollback()  # the caller's change failed: its event goes with it
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SecurityEvent)) == 0
        row = events.record(EventType.LOGOUT, identifier="someone")
        db.session.commit()
        assert row.ip_address == "192.0.2.1"


def test_the_worker_records_where_the_request_came_from(app: Flask) -> None:
    with app.test_request_context("/"):
        row = events.record(
            EventType.PASSWORD_RESET_REQUESTED, ip_address="198.51.100.9", user_agent="Firefox\x00"
        )
        assert (row.ip_address, row.user_agent) == ("198.51.100.9", "Firefox")
