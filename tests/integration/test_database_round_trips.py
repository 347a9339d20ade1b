"""PostgreSQL round trips (app/database.py): a connection the server closed is replaced before
use without a ping per checkout, and the sign-in check opens no transaction.

The fault suite (tests/faults) restarts and stops a real server under gunicorn; these look at one
connection closely.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

import pytest
import sqlalchemy as sa
from flask import Flask, Response
from psycopg.pq import TransactionStatus

from app import database
from app.extensions import db
from tests.conftest import AppFactory
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


class _SilencingProxy:
    """A TCP proxy to the test server that can make the connections it carries go silent: no
    data, no FIN, and a reset once the client speaks (a database that failed over behind the
    same address, or a load balancer that dropped an idle flow)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.silent: set[int] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            pair = (client, socket.create_connection(self.target))
            self.pairs.append(pair)
            for source, sink in (pair, pair[::-1]):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        client = next(pair[0] for pair in self.pairs if source in pair)
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if id(client) in self.silent:
                if source is client:  # spoken to after going silent: a reset
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                return
            if not data:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            try:
                sink.sendall(data)
            except OSError:
                return

    def silence(self) -> None:
        for client, upstream in self.pairs:
            self.silent.add(id(client))
            upstream.close()

    def close(self) -> None:
        self.listener.close()


def test_a_connection_gone_silent_is_pinged_after_a_quiet_spell(
    make_app: AppFactory, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A peer that says nothing until spoken to (found by a review): the socket is quiet, so
    only the time the connection sat in the pool tells the check to ask first."""
    monkeypatch.setattr(database, "QUIET_SECONDS", 0.2)
    url = sa.make_url(database_url)
    proxy = _SilencingProxy((url.host or "127.0.0.1", url.port or 5432))
    try:
        through = url.set(host="127.0.0.1", port=proxy.port)
        app = make_app({"SQLALCHEMY_DATABASE_URI": through.render_as_string(hide_password=False)})
        with app.app_context():
            create_user("reader")
        auth = AuthActions(app.test_client())
        auth.login()
        assert auth.client.get("/").status_code == 200
        proxy.silence()
        time.sleep(0.5)
        assert [auth.client.get("/").status_code for _ in range(2)] == [200, 200]
    finally:
        proxy.close()
