"""Fixtures: a fresh app and database per test, a test client, an ``auth`` helper that fills the
real forms (CSRF included), a live server and a real Chromium.

The database is SQLite unless ``TEST_DATABASE_URL`` names another (``make test`` runs the suite a
second time against a throwaway PostgreSQL).

Every test runs from a known environment: ``pytest_configure`` removes the app's settings
(``MAIL_SERVER``, ``REDIS_URL``, ``FLASK_*``…, ``tests.helpers.is_app_setting``) from the
process before any app is built, so a developer's shell cannot change what the suite tests.
Only the suite's own inputs are read: ``TEST_DATABASE_URL``, ``TEST_REDIS_URL``, ``CI``,
``CHROMIUM_PATH`` (and ``PG_BIN``, ``REDIS_SERVER`` for the fault suite).
"""

from __future__ import annotations

import email.policy
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from babel.messages.frontend import CommandLineInterface
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.services.mail_delivery import PassReport, deliver_due
from tests.helpers import AuthActions, free_port, is_app_setting, require


def pytest_configure(config: pytest.Config) -> None:
    """Forget the app's settings the shell set: tests name every setting they run with; compile
    the translations (``make catalogs``), so every app the suite starts reads today's .po files."""
    for name in [name for name in os.environ if is_app_setting(name)]:
        del os.environ[name]
    translations = Path(__file__).resolve().parent.parent / "app" / "translations"
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(translations)])


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
SUITE_DIALECT = (
    TEST_DATABASE_URL.split(":", 1)[0].split("+", 1)[0] if TEST_DATABASE_URL else "sqlite"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``only_on("postgresql")`` (TOAST, say) are deselected in the SQLite run and
    the reverse: not a skip, since nothing is missing; the other run holds them."""
    other = [
        item
        for item in items
        if (marker := item.get_closest_marker("only_on")) and marker.args[0] != SUITE_DIALECT
    ]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'inkwell-test.db'}"


AppFactory = Callable[..., Flask]


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """Build apps on the test database (schema created); their data is wiped after the test."""
    apps: list[Flask] = []

    def factory(overrides: Mapping[str, Any] | None = None, env: str = "testing") -> Flask:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": database_url, **(overrides or {})},
            env=env,
            instance_path=str(tmp_path / "instance"),
        )
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        redis_client = getattr(app.extensions.get("inkwell_page_cache"), "client", None)
        if redis_client is not None:
            redis_client.close()
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                tables = ", ".join(table.name for table in db.metadata.sorted_tables)
                with db.engine.begin() as connection:
                    connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.engine.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


class Inbox:
    """An aiosmtpd handler that keeps every message the app sends, parsed.

    Requests only queue mail; ``deliver()`` runs one pass of the real mail worker for the app
    that ``mail_app`` built, as ``flask mail worker`` would.
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.app: Flask | None = None

    def deliver(self) -> PassReport:
        assert self.app is not None, "deliver() needs the mail_app fixture"
        with self.app.app_context():
            return deliver_due(self.app)

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a loopback port for the length of one test."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    return smtp_server[0]


@pytest.fixture
def mail_app(make_app: AppFactory, smtp_server: tuple[Inbox, int]) -> Flask:
    """The app sending its mail over SMTP to ``inbox`` (through ``inbox.deliver()``)."""
    app = make_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server[1], "MAIL_USE_TLS": False})
    smtp_server[0].app = app
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def _closing_every_answer(app: Flask) -> Callable[..., Iterable[bytes]]:
    """``app``, its answers read and closed before they are sent: Werkzeug's development server
    leaves an answer unclosed when the browser drops the connection (Chromium cancels a favicon
    as it moves on), and the open static file then surfaces as a ResourceWarning in another
    test. Production servers (gunicorn) close every answer, dropped or not, as this does."""

    def serve_closed(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return serve_closed


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``app`` on a real threaded HTTP server on a free loopback port; SITE_URL points at it."""
    server = make_server("127.0.0.1", 0, _closing_every_answer(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}"
    app.config["SITE_URL"] = url
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with serve(app) as url:
        yield url


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless as root in a closed network (see the env notes): no sandbox, no background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
