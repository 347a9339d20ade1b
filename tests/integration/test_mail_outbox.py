"""The mail outbox: requests only queue mail; the worker delivers, retries, gives up in words.

SMTP outages are real: a port nothing listens on (refused), a server that accepts and never
answers (hanging), then a real aiosmtpd server started later on the same port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from app.extensions import db
from app.models import EventType, MailStatus, OutboxMessage, SecurityEvent, User, utcnow
from app.services import mail_delivery, tokens
from tests.conftest import AppFactory, Inbox
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions, free_port, submit
from tests.integration.test_reading import counted_statements

NEW_PASSWORD = "a brand new passphrase for inkwell"


class HangingSmtp:
    """Accepts connections and never says a word; counts who connected."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def hanging_smtp() -> Iterator[HangingSmtp]:
    server = HangingSmtp()
    yield server
    server.close()


def _mail_app(make_app: AppFactory, port: int, **extra: object) -> Flask:
    app = make_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False, **extra})
    with app.app_context():
        create_user("reader", email="reader@example.com")
    return app


def _outbox(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def _deliver(app: Flask) -> mail_delivery.PassReport:
    with app.app_context():
        return mail_delivery.deliver_due(app)


def _make_due(app: Flask) -> None:
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()


def test_with_smtp_refusing_every_change_is_done_and_its_mail_follows_later(
    make_app: AppFactory,
) -> None:
    port = free_port()  # nothing listens here yet: connections are refused
    app = _mail_app(make_app, port)
    client = app.test_client()
    AuthActions(client).login()

    changed = submit(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert "Password changed." in client.get(changed.headers["Location"]).text
    assert (
        submit(
            client,
            "/account/email",
            {"email": "new@example.com", "current_password": NEW_PASSWORD},
        ).status_code
        == 302
    )
    reset = submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    assert reset.status_code == 302
    assert AuthActions(app.test_client()).login(password=NEW_PASSWORD).status_code == 302

    report = _deliver(app)
    assert report.counts == {"pending": 3}
    rows = _outbox(app)
    assert all(row.status == MailStatus.PENDING and row.attempts == 1 for row in rows)
    assert all("ConnectionRefusedError" in (row.last_error or "") for row in rows)
    assert all(row.next_attempt_at > utcnow() for row in rows), "retried later, not at once"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _make_due(app)
        assert _deliver(app).counts == {"sent": 3}
    finally:
        controller.stop()
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "new@example.com",
        "reader@example.com",
        "reader@example.com",
    ]
    assert {row.status for row in _outbox(app)} == {MailStatus.SENT}


def test_with_smtp_hanging_no_request_waits_for_it(
    make_app: AppFactory, hanging_smtp: HangingSmtp
) -> None:
    app = _mail_app(make_app, hanging_smtp.port, MAIL_TIMEOUT=1)
    for _ in range(5):
        response = submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
        assert response.status_code == 302
    assert hanging_smtp.connections == [], "no request talked to the mail server"

    report = _deliver(app)  # the worker waits MAIL_TIMEOUT per message, then moves on
    assert report.counts == {"pending": 5}
    assert len(hanging_smtp.connections) == 5
    assert all("timed out" in (row.last_error or "") for row in _outbox(app))


def test_a_reset_request_takes_the_same_path_whether_or_not_the_address_exists(
    make_app: AppFactory,
) -> None:
    app = _mail_app(make_app, free_port())
    form = app.test_client().get("/auth/reset")
    assert form.status_code == 200
    statements: dict[str, list[str]] = {}
    for email in ("reader@example.com", "nobody@example.com"):
        client = app.test_client()
        with counted_statements(app) as seen:
            assert submit(client, "/auth/reset", {"email": email}).status_code == 302
        statements[email] = seen
    assert statements["reader@example.com"] == statements["nobody@example.com"]
    assert [row.recipient for row in _outbox(app)] == ["reader@example.com", "nobody@example.com"]


def test_the_worker_sends_the_known_reset_and_skips_the_unknown(
    mail_app: Flask, inbox: Inbox
) -> None:
    with mail_app.app_context():
        create_user("reader", email="reader@example.com")
    for email in ("reader@example.com", "nobody@example.com"):
        submit(mail_app.test_client(), "/auth/reset", {"email": email})
    assert inbox.deliver().counts == {"sent": 1, "skipped": 1}
    assert [str(m["To"]) for m in inbox.messages] == ["reader@example.com"]
    with mail_app.app_context():
        [event] = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.type == EventType.PASSWORD_RESET_REQUESTED)
        )
        assert event.identifier == "reader@example.com"
        assert event.ip_address == "127.0.0.1", "the requester's address, not the worker's"
    assert inbox.deliver().counts == {}, "each message is sent once"


def test_backoff_grows_and_a_message_fails_after_the_retry_window(make_app: AppFactory) -> None:
    app = _mail_app(make_app, free_port())
    submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    waits = []
    for _ in range(3):
        _make_due(app)
        started = utcnow()
        _deliver(app)
        [row] = _outbox(app)
        waits.append(round((row.next_attempt_at - started).total_seconds()))
    assert waits[0] >= 30
    assert waits[1] >= 2 * waits[0] - 2
    assert waits[2] >= 2 * waits[1] - 2

    with app.app_context():  # the message has waited a whole day
        db.session.execute(
            sa.update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=24))
        )
        db.session.commit()
    _make_due(app)
    assert _deliver(app).counts == {"failed": 1}
    assert _deliver(app).counts == {}, "a failed message is not retried by itself"


def test_admins_see_failed_mail_and_can_send_it_again(make_app: AppFactory) -> None:
    port = free_port()
    app = _mail_app(make_app, port, MAIL_RETRY_HOURS=0)
    with app.app_context():
        create_user("boss", is_admin=True)
    submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    assert _deliver(app).counts == {"failed": 1}

    admin = app.test_client()
    AuthActions(admin).login("boss")
    dashboard = admin.get("/admin/")
    assert 'data-testid="failed-mail"' in dashboard.text
    assert "reader@example.com" in dashboard.text
    assert "ConnectionRefusedError" in dashboard.text
    [row] = _outbox(app)
    assert submit(admin, f"/admin/mail/{row.id}/retry", {}, form_url="/admin/").status_code == 302
    again = submit(admin, f"/admin/mail/{row.id}/retry", {}, form_url="/admin/")
    assert again.status_code == 409, "only a failed message can be retried"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert _deliver(app).counts == {"sent": 1}
    finally:
        controller.stop()
    assert len(inbox.to("reader@example.com")) == 1
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(SecurityEvent.type == EventType.MAIL_RETRIED)
        )


def test_two_workers_never_claim_the_same_message_and_a_dead_ones_claim_expires(
    make_app: AppFactory,
) -> None:
    app = _mail_app(make_app, free_port())
    for _ in range(3):
        submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    with app.app_context():
        token, first = mail_delivery.claim(limit=2)
        _second_token, second = mail_delivery.claim(limit=5)
        _third_token, third = mail_delivery.claim(limit=5)
    assert len(first) == 2
    assert len(second) == 1
    assert set(first).isdisjoint(second)
    assert third == []
    with app.app_context():  # the worker holding ``first`` died: its lease runs out
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(first))
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        new_token, taken_over = mail_delivery.claim(limit=5)
        assert sorted(taken_over) == sorted(first)
    with app.test_request_context("/", base_url=app.config["SITE_URL"]):
        # The first worker comes back to life: its claim is gone, so it neither sends nor records.
        assert mail_delivery.deliver(first[0], token) == MailStatus.SENDING
        assert mail_delivery.deliver(first[0], new_token) == MailStatus.PENDING  # SMTP refuses
        [row] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id == first[0]))
        assert "ConnectionRefusedError" in (row.last_error or "")


def test_nothing_is_queued_when_the_change_itself_is_rolled_back(make_app: AppFactory) -> None:
    """The mail row is in the change's transaction: an email change to an address taken
    meanwhile fails as a whole, so no "your email was changed" notice goes out."""
    app = _mail_app(make_app, free_port())
    client = app.test_client()
    AuthActions(client).login()
    submit(client, "/account/email", {"email": "wanted@example.com", "current_password": PASSWORD})
    with app.app_context():
        reader = db.session.scalar(sa.select(User).where(User.username == "reader"))
        token = tokens.make_email_token(
            reader.id, tokens.account_state(reader), "wanted@example.com"
        )
        create_user("squatter", email="wanted@example.com")
    path = f"/account/email/confirm/{token}"
    assert submit(client, path, {}).status_code == 409
    assert [row.kind for row in _outbox(app)] == ["email_confirm"]


def test_links_in_mail_name_a_site_under_a_path_prefix_once(
    make_app: AppFactory, smtp_server: tuple[Inbox, int]
) -> None:
    """``SITE_URL`` may carry a path (a blog served under /ink): every link keeps it, once."""
    inbox, port = smtp_server
    app = _mail_app(make_app, port, SITE_URL="https://blog.example.com/ink")
    inbox.app = app
    client = app.test_client()
    AuthActions(client).login()
    fields = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(client, "/account/password", fields).status_code == 302
    submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    inbox.deliver()
    notice, reset = inbox.to("reader@example.com")
    for message in (notice, reset):
        for part in ("plain", "html"):
            text = message.get_body(preferencelist=(part,)).get_content()
            assert "https://blog.example.com/ink/auth/reset" in text, (message["Subject"], part)
            assert "/ink/ink/" not in text
