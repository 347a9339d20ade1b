"""A read-only or unreachable database: reads are served or get a 503 in words, never a 500;
writes get a 503 page that shows what was typed; /healthz says which part is down.

Read-only is the database's own mode (SQLite ``PRAGMA query_only``, PostgreSQL
``default_transaction_read_only``), switched on for every new connection; "unreachable" is a
SQLite file in a folder that does not exist. The fault suite (tests/faults) does the same to a
PostgreSQL server that is stopped, restarted and made read-only under gunicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.extensions import db
from app.models import Post, UserSession, utcnow
from tests.factories import create_user
from tests.helpers import AuthActions, csrf_token, submit


@contextmanager
def read_only_database(app: Flask) -> Iterator[None]:
    """Every connection opened from now on refuses writes, until the block ends."""
    with app.app_context():
        engine = db.engine

    def refuse_writes(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET default_transaction_read_only = on")
        else:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    sa.event.listen(engine, "connect", refuse_writes)
    engine.dispose()
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", refuse_writes)
        engine.dispose()


@pytest.fixture
def member_app(app: Flask) -> Flask:
    with app.app_context():
        create_user("writer")
    return app


def _age_sessions(app: Flask) -> None:
    """Make the last-seen bookkeeping write due on the next request."""
    with app.app_context():
        db.session.execute(
            sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()


def test_healthz_reports_each_component(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": {"readable": True, "writable": True},
        "redis": "not configured",
        "mail_outbox": {"waiting": 0, "failed": 0, "oldest_waiting_seconds": None},
    }


def test_an_unreachable_database_is_a_503_in_words_never_a_500(tmp_path: Path) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"},
        env="testing",
        instance_path=str(tmp_path),
    )
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["status"] == "error"
    assert health.json["database"] == {"readable": False, "writable": False}
    for path in ("/", "/posts/anything", "/auth/login"):
        page = client.get(path)
        if path == "/auth/login":
            assert page.status_code == 200, "a page that needs no data still works"
            continue
        assert page.status_code == 503, path
        assert "Our database is not answering right now" in page.text
        assert page.headers["Retry-After"] == "30"
    sign_in = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(client.get("/auth/login").text),
            "username": "writer",
            "password": "whatever it is",
        },
    )
    assert sign_in.status_code == 503
    assert "was not saved" in sign_in.text
    assert "whatever it is" not in sign_in.text, "a password is never shown back"


def test_read_only_database_serves_reads_and_refuses_writes_in_words(member_app: Flask) -> None:
    writer = member_app.test_client()
    AuthActions(writer).login("writer")
    new_post = writer.get("/posts/new").text
    _age_sessions(member_app)

    with read_only_database(member_app):
        # Reading, signed in, while the last-seen write is due: served; the write is skipped.
        home = writer.get("/")
        assert home.status_code == 200
        assert 'data-testid="current-user">writer<' in home.text
        assert member_app.test_client().get("/").status_code == 200

        health = member_app.test_client().get("/healthz")
        assert health.status_code == 200
        assert health.json["status"] == "degraded"
        assert health.json["database"] == {"readable": True, "writable": False}

        # Writing: a 503 that says nothing was saved and shows the text typed.
        refused = writer.post(
            "/posts/new",
            data={
                "csrf_token": csrf_token(new_post),
                "submission_token": "x" * 43,
                "title": "Written during the outage",
                "body": "Every word of this must come back to me.",
                "status": "published",
            },
        )
        assert refused.status_code == 503
        assert "what you sent was not saved" in refused.text
        assert "Written during the outage" in refused.text
        assert "Every word of this must come back to me." in refused.text

        # A new sign-in needs a write too: refused in words.
        other = AuthActions(member_app.test_client()).login("writer")
        assert other.status_code == 503
        assert "Temporarily unavailable" in other.text

    with member_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    # Once the database takes writes again, the same form works.
    done = submit(
        writer, "/posts/new", {"title": "After", "body": "Saved now.", "status": "published"}
    )
    assert done.status_code == 302


def test_a_connection_lost_after_the_view_is_not_a_500(app: Flask) -> None:
    """The database goes away between the view's last query and the end of the request: the
    rollback that releases the connection fails, and the answer must not turn into a 500."""
    with app.app_context():
        create_user("writer")
    original = app.view_functions["main.index"]

    def index_then_lose_the_connection() -> object:
        page = original()
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with db.engine.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:
            connection.connection.dbapi_connection.close()
        return page

    app.view_functions["main.index"] = index_then_lose_the_connection
    client = app.test_client()
    assert client.get("/?page=1").status_code == 200
    app.view_functions["main.index"] = original
    assert client.get("/?page=1").status_code == 200, "the next request gets a fresh connection"
