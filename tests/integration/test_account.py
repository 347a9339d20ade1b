"""Account security over HTTP with a real SMTP server: reset by mail, password change,
devices page, re-authentication and the security event log."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models import EventType, OutboxMessage, SecurityEvent, User, UserSession
from app.services import tokens
from tests.conftest import AppFactory, Inbox
from tests.factories import create_user
from tests.helpers import (
    FOREIGN_REFERER,
    PASSWORD,
    AuthActions,
    assert_nothing_to_send,
    run_flask,
    send_form,
    submit,
)

NEW_PASSWORD = "a brand new passphrase for inkwell"
RESET_LINK = re.compile(r"http://localhost/auth/reset/[A-Za-z0-9_.\-]+")


def _signed_in_as(client: FlaskClient) -> str | None:
    match = re.search(r'data-testid="current-user">([^<]+)<', client.get("/").text)
    return match.group(1) if match else None


def _events(app: Flask, kind: EventType) -> list[SecurityEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.type == kind)))


def _sessions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession))


def _use_reset_mail(client: FlaskClient, inbox: Inbox, address: str) -> None:
    """Deliver the outbox, open the newest reset link mailed to ``address``, set NEW_PASSWORD."""
    inbox.deliver()
    message = inbox.to(address)[-1]
    assert message["Subject"] == "[Inkwell] Reset your password"
    link = RESET_LINK.search(message.get_body(("plain",)).get_content()).group(0)
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(client, link.removeprefix("http://localhost"), new).status_code == 302


def _limited_mail_app(make_app: AppFactory, smtp_server: tuple[Inbox, int], **limits: str) -> Flask:
    """Rate limits on, mail to the test SMTP server, and a member "reader"."""
    inbox, port = smtp_server
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False}
    app = make_app({"RATELIMIT_ENABLED": True, **mail, **limits})
    inbox.app = app
    with app.app_context():
        create_user("reader")
    return app


def _request_reset(client: FlaskClient, email: str) -> str:
    response = submit(client, "/auth/reset", {"email": email})
    assert response.status_code == 302
    return client.get(response.headers["Location"]).text


@pytest.fixture
def member(mail_app: Flask) -> None:
    with mail_app.app_context():
        create_user("reader", email="reader@example.com")


# Password reset -------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_reset_by_mail_end_to_end_revokes_every_session(mail_app: Flask, inbox: Inbox) -> None:
    laptop, phone = mail_app.test_client(), mail_app.test_client()
    AuthActions(laptop).login()
    AuthActions(phone).login(remember=True)
    anonymous = mail_app.test_client()

    page = _request_reset(anonymous, "Reader@Example.com")
    assert "a link to reset its password is on its way" in page
    inbox.deliver()
    [message] = inbox.to("reader@example.com")
    assert message["Subject"] == "[Inkwell] Reset your password"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = RESET_LINK.search(text).group(0)
    assert link in html
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # far more than 128 bits of signature alone

    form_page = anonymous.get(f"/auth/reset/{token}")
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.text
    done = submit(
        anonymous, f"/auth/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done.headers["Location"] == "/auth/login"

    assert _signed_in_as(laptop) is None
    assert _signed_in_as(phone) is None
    assert _sessions(mail_app) == 0
    assert AuthActions(anonymous).login(password=PASSWORD).status_code == 422
    assert AuthActions(anonymous).login(password=NEW_PASSWORD).status_code == 302
    assert len(_events(mail_app, EventType.PASSWORD_RESET)) == 1
    inbox.deliver()
    assert inbox.to("reader@example.com")[-1]["Subject"] == "[Inkwell] Your password was changed"

    reused = mail_app.test_client().get(f"/auth/reset/{token}")
    assert reused.status_code == 400
    assert "This link no longer works" in reused.text


@pytest.mark.usefixtures("member")
def test_reset_answers_the_same_for_unknown_addresses(mail_app: Flask, inbox: Inbox) -> None:
    known = _request_reset(mail_app.test_client(), "reader@example.com")
    unknown = _request_reset(mail_app.test_client(), "nobody@example.com")
    invalid = _request_reset(mail_app.test_client(), "not an email")
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown) == strip.sub("", invalid)
    inbox.deliver()
    assert [m["To"] for m in inbox.messages] == ["reader@example.com"]


@pytest.mark.usefixtures("member")
def test_no_reset_mail_for_an_inactive_account(mail_app: Flask, inbox: Inbox) -> None:
    with mail_app.app_context():
        create_user("dormant", is_active=False)
    _request_reset(mail_app.test_client(), "dormant@example.com")
    assert inbox.deliver().counts == {"skipped": 1}
    assert inbox.messages == []


def _forged_tokens(app: Flask) -> dict[str, str]:
    """Tokens that must never open the reset form for ``reader``."""
    with app.app_context():
        reader = _reader(app)
        other_key = URLSafeTimedSerializer(
            "another-secret-key-that-is-long-enough-0123456789",
            salt=tokens.RESET_SALT,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        return {
            "garbage": "garbage",
            "too long": "x" * 600,
            "bad signature": "eyJ1c2VyIjoxfQ.AAAAAA.BBBBBBBB",
            "signed with another key": other_key.dumps(
                {"user": reader.id, "state": tokens.account_state(reader)}
            ),
            "an email-change token": tokens.make_email_token(
                reader.id, tokens.account_state(reader), "reader@example.com"
            ),
        }


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize(
    "kind",
    ["garbage", "too long", "bad signature", "signed with another key", "an email-change token"],
)
def test_forged_or_malformed_reset_tokens_are_refused(mail_app: Flask, kind: str) -> None:
    token = _forged_tokens(mail_app)[kind]
    client = mail_app.test_client()
    page = client.get(f"/auth/reset/{token}")
    assert page.status_code == 400
    assert "This link no longer works" in page.text
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    # With the CSRF token a browser would send, so only the reset token can refuse it.
    response = submit(client, f"/auth/reset/{token}", new, form_url="/auth/reset")
    assert response.status_code == 400
    assert "This link no longer works" in response.text
    assert _events(mail_app, EventType.PASSWORD_RESET) == []
    assert AuthActions(mail_app.test_client()).login(password=PASSWORD).status_code == 302

    # The positive control: the same request with a real token sets the password.
    with mail_app.app_context():
        real = tokens.make_reset_token(_reader(mail_app))
    done = submit(mail_app.test_client(), f"/auth/reset/{real}", new, form_url="/auth/reset")
    assert done.status_code == 302
    assert len(_events(mail_app, EventType.PASSWORD_RESET)) == 1


@pytest.mark.parametrize(("path", "status"), [("%00", 400), ("..%2F..%2Fetc", 404)])
def test_reset_paths_that_are_no_token_never_reach_the_form(
    client: FlaskClient, path: str, status: int
) -> None:
    assert client.get(f"/auth/reset/{path}").status_code == status
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(client, f"/auth/reset/{path}", new, form_url="/auth/reset").status_code == status


def test_reset_token_expires_after_an_hour(app: Flask) -> None:
    """The link made by the real token maker works for 3,599 seconds and not at 3,601."""
    with time_machine.travel(datetime(2030, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
        with app.app_context():
            token = tokens.make_reset_token(create_user("reader"))
        client = app.test_client()
        clock.shift(3599)
        assert client.get(f"/auth/reset/{token}").status_code == 200
        clock.shift(2)
        late = client.get(f"/auth/reset/{token}")
        assert late.status_code == 400
        assert "This link no longer works" in late.text
        new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        refused = submit(client, f"/auth/reset/{token}", new, form_url="/auth/reset")
        assert refused.status_code == 400
    assert AuthActions(app.test_client()).login(password=PASSWORD).status_code == 302


def test_email_change_link_expires_after_a_day(app: Flask) -> None:
    """The confirmation link works for 24 hours less a second and not a second past them."""
    with time_machine.travel(datetime(2030, 1, 1, 12, tzinfo=UTC), tick=False) as clock:
        with app.app_context():
            reader = create_user("reader")
            token = tokens.make_email_token(
                reader.id, tokens.account_state(reader), "moved@example.com"
            )
        client = app.test_client()
        clock.shift(24 * 3600 - 1)
        page = client.get(f"/account/email/confirm/{token}")
        assert page.status_code == 200
        assert "<strong>reader</strong> to <strong>moved@example.com</strong>?" in page.text
        clock.shift(2)
        assert client.get(f"/account/email/confirm/{token}").status_code == 400
        applied = submit(client, f"/account/email/confirm/{token}", {}, form_url="/auth/login")
        assert applied.status_code == 400
    with app.app_context():
        assert _reader(app).email == "reader@example.com"


def _reader(app: Flask) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == "reader"))


@pytest.mark.usefixtures("member")
def test_reset_link_dies_when_the_password_changes_another_way(mail_app: Flask) -> None:
    with mail_app.app_context():
        token = tokens.make_reset_token(_reader(mail_app))
    assert mail_app.test_client().get(f"/auth/reset/{token}").status_code == 200, "alive before"
    client = mail_app.test_client()
    AuthActions(client).login()
    response = submit(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert mail_app.test_client().get(f"/auth/reset/{token}").status_code == 400


@pytest.mark.usefixtures("member")
def test_reset_with_a_weak_password_is_a_form_error(mail_app: Flask) -> None:
    with mail_app.app_context():
        token = tokens.make_reset_token(_reader(mail_app))
    client = mail_app.test_client()
    response = submit(
        client, f"/auth/reset/{token}", {"password": "reader123", "confirm": "reader123"}
    )
    assert response.status_code == 422
    assert "must not contain your username" in response.text


def test_reset_requests_are_rate_limited(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "RESET_RATE_LIMIT": "2 per hour"})
    client = app.test_client()
    assert submit(client, "/auth/reset", {"email": "a@example.com"}).status_code == 302
    assert submit(client, "/auth/reset", {"email": "b@example.com"}).status_code == 302
    limited = submit(client, "/auth/reset", {"email": "c@example.com"})
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers


def test_reset_still_works_while_the_account_is_locked(
    make_app: AppFactory, smtp_server: tuple[Inbox, int]
) -> None:
    app = _limited_mail_app(make_app, smtp_server, LOGIN_ACCOUNT_RATE_LIMIT="2 per hour")
    for number in range(2):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        AuthActions(client).login(password="wrong")
    locked = AuthActions(app.test_client())
    assert locked.login().status_code == 429
    _request_reset(locked.client, "reader@example.com")
    _use_reset_mail(locked.client, smtp_server[0], "reader@example.com")
    assert len(_events(app, EventType.PASSWORD_RESET)) == 1


def test_reset_still_works_while_sign_in_is_throttled(
    make_app: AppFactory, smtp_server: tuple[Inbox, int]
) -> None:
    app = _limited_mail_app(make_app, smtp_server, LOGIN_RATE_LIMIT="1 per hour")
    auth = AuthActions(app.test_client())
    auth.login(password="wrong")
    assert auth.login().status_code == 429

    _request_reset(auth.client, "reader@example.com")
    _use_reset_mail(auth.client, smtp_server[0], "reader@example.com")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert AuthActions(elsewhere).login(password=NEW_PASSWORD).status_code == 302


def test_without_mail_server_the_worker_prints_the_message_in_the_terminal(
    make_app: AppFactory, database_url: str
) -> None:
    app = make_app()
    with app.app_context():
        create_user("reader")
    _request_reset(app.test_client(), "reader@example.com")
    worker = run_flask(database_url, "mail", "worker", "--once")
    assert worker.returncode == 0, worker.stderr
    assert "Mail to reader@example.com" in worker.stdout
    assert "Subject: [Inkwell] Reset your password" in worker.stdout
    assert "mail worker: 1 sent" in worker.stderr, "the worker's INFO line reaches the terminal"
    link = RESET_LINK.search(worker.stdout).group(0)
    token = link.rsplit("/", 1)[1]
    assert app.test_client().get(f"/auth/reset/{token}").status_code == 200, "the link works"


# Password change and re-authentication --------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_change_password_keeps_this_session_and_revokes_the_others(
    mail_app: Flask, inbox: Inbox
) -> None:
    here, elsewhere = mail_app.test_client(), mail_app.test_client()
    AuthActions(here).login()
    AuthActions(elsewhere).login(remember=True)
    captured_remember = elsewhere.get_cookie("inkwell_remember").value

    wrong = submit(
        here,
        "/account/password",
        {"current_password": "nope", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.text

    response = submit(
        here,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _signed_in_as(here) == "reader"
    assert _signed_in_as(elsewhere) is None
    replay = mail_app.test_client()
    replay.set_cookie("inkwell_remember", captured_remember)
    assert _signed_in_as(replay) is None
    assert _sessions(mail_app) == 1
    inbox.deliver()
    [notice] = inbox.to("reader@example.com")
    assert notice["Subject"] == "[Inkwell] Your password was changed"
    assert len(_events(mail_app, EventType.PASSWORD_CHANGED)) == 1


@pytest.mark.usefixtures("member")
def test_remembered_session_must_confirm_the_password_for_sensitive_actions(
    mail_app: Flask,
) -> None:
    first = mail_app.test_client()
    AuthActions(first).login(remember=True)
    restored = mail_app.test_client()
    restored.set_cookie("inkwell_remember", first.get_cookie("inkwell_remember").value)
    assert _signed_in_as(restored) == "reader"
    elsewhere = mail_app.test_client()
    AuthActions(elsewhere).login()

    for method, path in (
        ("GET", "/account/password"),
        ("GET", "/account/email"),
        ("POST", "/account/delete"),
    ):
        response = (
            submit(restored, path, {}, form_url="/account/sessions")
            if method == "POST"
            else restored.get(path)
        )
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/auth/reauthenticate?next=")

    everywhere = "/account/sessions/revoke-others"
    sent = send_form(restored, restored.get("/account/sessions"), everywhere)
    assert sent.status_code == 302
    asked = restored.get(sent.headers["Location"])
    assert "Confirm your password" in asked.text
    assert "What you asked for has not been done yet" in asked.text
    assert _sessions(mail_app) == 2, "nothing done yet"
    wrong = send_form(restored, asked, "/auth/reauthenticate", password="nope")
    assert wrong.status_code == 422
    assert "That password is not correct." in wrong.text
    confirmed = send_form(restored, wrong, "/auth/reauthenticate", password=PASSWORD)
    assert confirmed.status_code == 200
    assert ">Sign out everywhere else</button>" in confirmed.text
    done = send_form(restored, confirmed, everywhere)
    assert done.headers["Location"] == "/account/sessions"
    assert _signed_in_as(elsewhere) is None
    assert _signed_in_as(first) is None, "the cookies from before the confirmation are dead"
    assert _signed_in_as(restored) == "reader"

    evil = submit(restored, "/auth/reauthenticate?next=//evil.com", {"password": PASSWORD})
    assert evil.headers["Location"] == "/"


# Devices page ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_devices_page_lists_sessions_and_sign_in_history(mail_app: Flask) -> None:
    here = mail_app.test_client()
    here.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    )
    phone = mail_app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    )
    AuthActions(mail_app.test_client()).login(password="wrong guess")
    AuthActions(here).login()
    AuthActions(phone).login(remember=True)
    page = here.get("/account/sessions")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "Firefox on Linux" in page.text
    assert "Chrome on Android" in page.text
    assert page.text.count("This device") == 1
    assert "Remembered" in page.text
    assert "Failed attempt" in page.text
    assert "Signed in" in page.text
    assert page.text.count("with a password</small>") == 2


@pytest.mark.usefixtures("member")
def test_devices_page_names_browsers_on_ios_and_survives_any_header(mail_app: Flask) -> None:
    here, iphone, odd = (mail_app.test_client() for _ in range(3))
    iphone.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1"
    )
    odd.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (" + "x" * 10_000
    for client in (here, iphone, odd):
        AuthActions(client).login()
    page = here.get("/account/sessions")
    assert page.status_code == 200
    assert "Chrome on iPhone" in page.text
    assert "Safari" not in page.text


@pytest.mark.usefixtures("member")
def test_revoke_one_device_and_everywhere_else(mail_app: Flask) -> None:
    here, phone, tablet = (mail_app.test_client() for _ in range(3))
    for client in (here, phone, tablet):
        AuthActions(client).login()
    with mail_app.app_context():
        ids = list(db.session.scalars(sa.select(UserSession.id).order_by(UserSession.id)))
    response = submit(here, f"/account/sessions/{ids[1]}/revoke", {}, form_url="/account/sessions")
    assert response.status_code == 302
    assert _signed_in_as(phone) is None
    assert _signed_in_as(tablet) == "reader"
    submit(here, "/account/sessions/revoke-others", {}, form_url="/account/sessions")
    assert _signed_in_as(tablet) is None
    assert _signed_in_as(here) == "reader"
    assert len(_events(mail_app, EventType.SESSION_REVOKED)) == 1
    assert len(_events(mail_app, EventType.OTHER_SESSIONS_REVOKED)) == 1


@pytest.mark.usefixtures("member")
def test_cannot_revoke_another_members_session(mail_app: Flask) -> None:
    with mail_app.app_context():
        create_user("other")
    victim = mail_app.test_client()
    AuthActions(victim).login("other")
    with mail_app.app_context():
        victim_session = db.session.scalar(sa.select(UserSession.id))
    attacker = mail_app.test_client()
    AuthActions(attacker).login()
    for session_id in (victim_session, 99999, 99999999999999999999):
        response = submit(
            attacker, f"/account/sessions/{session_id}/revoke", {}, form_url="/account/sessions"
        )
        assert response.status_code == 404
    assert _signed_in_as(victim) == "other"


@pytest.mark.usefixtures("member")
def test_account_pages_need_a_sign_in(mail_app: Flask) -> None:
    client = mail_app.test_client()
    for path in ("/account/", "/account/sessions", "/account/password", "/auth/reauthenticate"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


# Event log ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_sign_in_events_are_logged_with_address_and_agent(mail_app: Flask) -> None:
    client = mail_app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "EventBrowser/1.0"
    AuthActions(client).login(password="wrong")
    AuthActions(client).login("ghost", password="wrong")
    AuthActions(client).login()
    AuthActions(client).logout()
    [success] = _events(mail_app, EventType.LOGIN_SUCCESS)
    failures = _events(mail_app, EventType.LOGIN_FAILURE)
    assert [f.identifier for f in failures] == ["reader", "ghost"]
    assert failures[0].user_id == success.user_id
    assert failures[1].user_id is None
    assert success.ip_address == "127.0.0.1"
    assert success.user_agent == "EventBrowser/1.0"
    assert len(_events(mail_app, EventType.LOGOUT)) == 1


# Email change ---------------------------------------------------------------------------------

CONFIRM_LINK = re.compile(r"http://localhost/account/email/confirm/[A-Za-z0-9_.\-]+")


@pytest.mark.usefixtures("member")
def test_email_change_is_confirmed_from_the_new_address(mail_app: Flask, inbox: Inbox) -> None:
    client = mail_app.test_client()
    AuthActions(client).login()
    response = submit(
        client, "/account/email", {"email": "New.Address@Example.com", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    assert "a confirmation link is on its way" in client.get(response.headers["Location"]).text
    inbox.deliver()
    [confirm] = inbox.to("New.Address@example.com")
    link = CONFIRM_LINK.search(confirm.get_body(preferencelist=("plain",)).get_content()).group(0)
    path = link.removeprefix("http://localhost")

    page = client.get(path)
    assert page.status_code == 200
    assert "New.Address@example.com" in page.text
    with mail_app.app_context():
        assert _reader(mail_app).email == "reader@example.com", "a GET changes nothing"
    assert submit(client, path, {}).status_code == 302
    with mail_app.app_context():
        assert _reader(mail_app).email == "New.Address@example.com"
    inbox.deliver()
    [notice] = inbox.to("reader@example.com")
    assert notice["Subject"] == "[Inkwell] Your email address was changed"
    assert client.get(path).status_code == 400, "the link works once"
    assert AuthActions(mail_app.test_client()).login("new.address@example.com").status_code == 302


@pytest.mark.usefixtures("member")
def test_a_cross_site_email_change_queues_nothing_and_offers_no_form(mail_app: Flask) -> None:
    client = mail_app.test_client()
    AuthActions(client).login()
    forged = {"email": "attacker@example.net"}
    response = client.post("/account/email", data=forged, headers=FOREIGN_REFERER)
    assert response.status_code == 400
    assert ">attacker@example.net</textarea>" in response.text
    assert_nothing_to_send(response.text)
    assert '<a href="/account/email">Open the form again</a>' in response.text
    assert _events(mail_app, EventType.EMAIL_CHANGE_REQUESTED) == []
    with mail_app.app_context():
        to_attacker = sa.select(OutboxMessage).where(OutboxMessage.recipient == forged["email"])
        assert db.session.scalar(to_attacker) is None
    assert "attacker@example.net" not in client.get("/account/email").text


@pytest.mark.usefixtures("member")
def test_email_change_to_a_taken_address_reveals_nothing(mail_app: Flask, inbox: Inbox) -> None:
    with mail_app.app_context():
        create_user("other", email="taken@example.com")
    client = mail_app.test_client()
    AuthActions(client).login()
    free = submit(
        client, "/account/email", {"email": "free@example.com", "current_password": PASSWORD}
    )
    taken = submit(
        client, "/account/email", {"email": "TAKEN@example.com", "current_password": PASSWORD}
    )
    assert free.status_code == taken.status_code == 302
    inbox.deliver()
    assert [m["To"] for m in inbox.messages] == ["free@example.com"]


def _ask_email_change(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    response = submit(client, "/account/email", {"email": email, "current_password": password})
    return response.status_code


def _confirm_path(inbox: Inbox, address: str) -> str:
    [confirm] = inbox.to(address)
    text = confirm.get_body(preferencelist=("plain",)).get_content()
    return CONFIRM_LINK.search(text).group(0).removeprefix("http://localhost")


def _reset_by_mail(app: Flask, inbox: Inbox, address: str) -> None:
    anonymous = app.test_client()
    _request_reset(anonymous, address)
    _use_reset_mail(anonymous, inbox, address)


@pytest.mark.usefixtures("member")
def test_a_password_reset_kills_an_email_change_asked_for_before_it(
    mail_app: Flask, inbox: Inbox
) -> None:
    """A hijacked session asks for the attacker's address; the owner resets the password; the
    confirmation link (already mailed) is dead and the next reset mail goes to the owner."""
    hijacked = mail_app.test_client()
    AuthActions(hijacked).login()
    assert _ask_email_change(hijacked, "attacker@example.com") == 302
    inbox.deliver()
    path = _confirm_path(inbox, "attacker@example.com")

    _reset_by_mail(mail_app, inbox, "reader@example.com")
    attacker = mail_app.test_client()
    assert attacker.get(path).status_code == 400
    assert submit(attacker, path, {}, form_url="/auth/login").status_code == 400
    with mail_app.app_context():
        assert _reader(mail_app).email == "reader@example.com"
    _request_reset(mail_app.test_client(), "reader@example.com")
    inbox.deliver()
    assert inbox.to("reader@example.com")[-1]["Subject"] == "[Inkwell] Reset your password"
    assert len(inbox.to("attacker@example.com")) == 1, "only the dead confirmation link"


@pytest.mark.usefixtures("member")
def test_an_email_change_still_queued_when_the_password_changes_is_never_sent(
    mail_app: Flask, inbox: Inbox
) -> None:
    client = mail_app.test_client()
    AuthActions(client).login()
    assert _ask_email_change(client, "attacker@example.com") == 302
    changed = submit(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    inbox.deliver()
    assert inbox.to("attacker@example.com") == []
    assert inbox.to("reader@example.com")[-1]["Subject"] == "[Inkwell] Your password was changed"


@pytest.mark.usefixtures("member")
def test_reset_links_die_when_the_email_changes(mail_app: Flask, inbox: Inbox) -> None:
    client = mail_app.test_client()
    _request_reset(mail_app.test_client(), "reader@example.com")
    inbox.deliver()
    reset = RESET_LINK.search(inbox.to("reader@example.com")[-1].get_body(("plain",)).get_content())
    reset_path = reset.group(0).removeprefix("http://localhost")
    assert client.get(reset_path).status_code == 200, "the link works before the change"
    AuthActions(client).login()
    assert _ask_email_change(client, "moved@example.com") == 302
    inbox.deliver()
    assert submit(client, _confirm_path(inbox, "moved@example.com"), {}).status_code == 302
    assert client.get(reset_path).status_code == 400


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize("password", ["", "not my password"])
def test_email_change_asks_for_the_current_password(
    mail_app: Flask, inbox: Inbox, password: str
) -> None:
    client = mail_app.test_client()
    AuthActions(client).login()
    assert 'name="current_password"' in client.get("/account/email").text
    response = submit(
        client, "/account/email", {"email": "new@example.com", "current_password": password}
    )
    assert response.status_code == 422
    assert "current password" in response.text
    inbox.deliver()
    assert inbox.messages == []
    with mail_app.app_context():
        assert not _events(mail_app, EventType.EMAIL_CHANGE_REQUESTED)
    assert _ask_email_change(client, "new@example.com") == 302


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your new email address."),
        ("not-an-email", "Enter a valid email address"),
        ("nul\x00@example.com", "Enter a valid email address"),
        ("x" * 10_000 + "@example.com", "at most 254 characters"),
    ],
)
def test_bad_new_email_is_a_form_error(mail_app: Flask, email: str, message: str) -> None:
    client = mail_app.test_client()
    AuthActions(client).login()
    response = submit(client, "/account/email", {"email": email, "current_password": PASSWORD})
    assert response.status_code == 422
    assert message in response.text


# Account deletion -----------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_delete_account_needs_the_password_and_removes_everything(mail_app: Flask) -> None:
    from tests.factories import create_post

    with mail_app.app_context():
        create_post(_reader(mail_app), title="Mine")
    here, elsewhere = mail_app.test_client(), mail_app.test_client()
    AuthActions(here).login()
    AuthActions(elsewhere).login(remember=True)
    wrong = submit(here, "/account/delete", {"password": "nope"}, form_url="/account/sessions")
    assert wrong.status_code == 422
    assert "nothing was deleted" in wrong.text

    response = submit(here, "/account/delete", {"password": PASSWORD}, form_url="/account/sessions")
    assert response.status_code == 302
    assert _signed_in_as(here) is None
    assert _signed_in_as(elsewhere) is None
    assert here.get("/posts/mine").status_code == 404
    with mail_app.app_context():
        assert _reader(mail_app) is None
    [event] = _events(mail_app, EventType.ACCOUNT_DELETED)
    assert event.identifier == "reader"
    assert _events(mail_app, EventType.LOGIN_SUCCESS)[0].user_id is None, "history outlives it"


def test_throttled_sign_ins_are_logged(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1 per hour"})
    with app.app_context():
        create_user("reader")
    auth = AuthActions(app.test_client())
    auth.login(password="wrong")
    assert auth.login().status_code == 429
    [event] = _events(app, EventType.THROTTLED)
    assert event.identifier == "reader"
    assert event.user_id is not None


def test_password_guesses_through_account_forms_share_one_limit(make_app: AppFactory) -> None:
    """A stolen session cannot guess the password through the change or delete forms."""
    app = make_app({"RATELIMIT_ENABLED": True, "REAUTH_RATE_LIMIT": "3 per hour"})
    with app.app_context():
        create_user("reader")
    client = app.test_client()
    AuthActions(client).login()
    guesses = [
        (
            "/account/password",
            {"current_password": "g1", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
        ("/account/delete", {"password": "g2"}),
        ("/auth/reauthenticate", {"password": "g3"}),
    ]
    for url, data in guesses:
        form_url = "/account/sessions" if url == "/account/delete" else url
        assert submit(client, url, data, form_url=form_url).status_code == 422, url
    right = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(client, "/account/password", right).status_code == 429
    assert (
        submit(client, "/account/email", {"email": "n@example.com", "current_password": "g4"})
    ).status_code == 429

    # The owner's own sign-in elsewhere keeps its budget: a thief cannot lock them out of it.
    owner = app.test_client()
    AuthActions(owner).login()
    assert submit(owner, "/account/password", right).status_code == 302


def test_only_wrong_passwords_count_against_the_shared_budget(make_app: AppFactory) -> None:
    """A mismatched confirmation, a weak new password or an empty field is no password guess."""
    app = make_app({"RATELIMIT_ENABLED": True, "REAUTH_RATE_LIMIT": "3 per hour"})
    with app.app_context():
        create_user("reader")
    client = app.test_client()
    AuthActions(client).login()
    right = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    mistakes = [
        ("/account/password", {**right, "confirm": "a different new passphrase"}),
        ("/account/password", {**right, "password": "password", "confirm": "password"}),
        ("/account/password", {**right, "password": "reader2024!", "confirm": "reader2024!"}),
        ("/account/password", {**right, "current_password": ""}),
        ("/account/delete", {"password": ""}),
        ("/auth/reauthenticate", {"password": ""}),
    ]
    for url, data in mistakes * 2:
        form_url = "/account/sessions" if url == "/account/delete" else url
        assert submit(client, url, data, form_url=form_url).status_code == 422, (url, data)
    assert submit(client, "/account/password", right).status_code == 302


def test_email_change_requests_are_rate_limited(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "RESET_RATE_LIMIT": "2 per hour"})
    with app.app_context():
        create_user("reader")
    client = app.test_client()
    AuthActions(client).login()
    for number in range(2):
        assert (
            submit(
                client,
                "/account/email",
                {"email": f"n{number}@example.com", "current_password": PASSWORD},
            ).status_code
            == 302
        )
    limited = submit(
        client, "/account/email", {"email": "n3@example.com", "current_password": PASSWORD}
    )
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
