"""PostgreSQL round trips (app/database.py): a connection the server closed is replaced before
use without a ping per checkout, and the sign-in check opens no transaction.

The fault suite (tests/faults) restarts and stops a real server under gunicorn; these look at one
connection closely.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask, Response
from psycopg.pq import TransactionStatus

from app.extensions import db
from tests.factories import create_user
from tests.helpers import AuthActions

pytestmark = pytest.mark.only_on("postgresql")


def _backend(app: Flask) -> int:
    """The server process of the connection the session checks out next (then put back)."""
    with app.app_context():
        pid = int(db.session.scalar(sa.text("SELECT pg_backend_pid()")))
        db.session.remove()
    return pid


def _terminate(app: Flask, pid: int) -> None:
    """End server process ``pid`` from a connection of its own, as a restart would."""
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with other.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(app: Flask) -> None:
    first = _backend(app)
    assert _backend(app) == first, "the pool hands the same idle connection out again"
    _terminate(app, first)
    time.sleep(0.3)  # the server's goodbye reaches the idle socket
    assert _backend(app) != first  # no OperationalError: replaced at checkout


def test_a_healthy_connection_is_handed_out_without_a_ping(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        dialect = db.engine.dialect
    pings: list[object] = []
    ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda raw: pings.append(raw) or ping(raw))
    first = _backend(app)
    for _ in range(3):
        assert _backend(app) == first
    assert pings == []
    _terminate(app, first)
    time.sleep(0.3)
    assert _backend(app) != first
    assert len(pings) == 1, "the closed connection was asked, and found dead"


def test_the_sign_in_check_runs_outside_a_transaction(app: Flask) -> None:
    """A member's warm page runs only the sign-in check: no BEGIN, so nothing to roll back."""
    states: list[TransactionStatus] = []

    @app.after_request
    def note(response: Response) -> Response:
        raw = db.session.connection().connection.dbapi_connection
        assert raw is not None
        states.append(raw.info.transaction_status)
        return response

    with app.app_context():
        create_user("reader")
    auth = AuthActions(app.test_client())
    auth.login()
    for _ in range(3):
        assert auth.client.get("/").status_code == 200
    assert states[-1] == TransactionStatus.IDLE


def test_changes_waiting_in_the_session_stay_in_its_transaction(app: Flask) -> None:
    """A read outside a transaction would flush them first, committed at once: not then."""
    from app.database import read_outside_transaction
    from app.models import Tag

    with app.app_context():
        db.session.add(Tag(name="pending", name_key="pending", slug="pending"))
        with read_outside_transaction(db.session()):
            db.session.scalar(sa.select(sa.func.count()).select_from(Tag))  # autoflush
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Tag)) == 0
