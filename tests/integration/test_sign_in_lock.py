"""The per-account sign-in lock: atomic under parallel guesses, lifted by a password reset,
``unlock`` honest about what it did, and open (logged) when its storage is down."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models import EventType, SecurityEvent, User
from app.services import device_cookies
from tests.conftest import AppFactory, Inbox, serve
from tests.factories import create_user
from tests.helpers import (
    PASSWORD,
    AuthActions,
    HttpSession,
    csrf_token,
    free_port,
    require,
    run_flask,
    submit,
)

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
NEW_PASSWORD = "a brand new passphrase for inkwell"
PARALLEL = 40


def _settings(storage: str) -> dict[str, object]:
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
        "LOGIN_RATE_LIMIT": "1000 per minute",  # only the per-account lock is under test
        "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 15 minutes",
    }


def _count(app: Flask, kind: EventType) -> int:
    with app.app_context():
        return int(
            db.session.scalar(sa.select(sa.func.count()).where(SecurityEvent.type == kind)) or 0
        )


def _app_on(make_app: AppFactory, storage: str, **settings: object) -> Flask:
    """An app whose limits live in ``storage`` ("memory" or "redis", required in CI)."""
    if storage == "redis":
        require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    limits = _settings(TEST_REDIS_URL if storage == "redis" else "memory://")
    return make_app({**limits, **settings})


def _all_at_once(count: int, send: Callable[[int], int]) -> list[int]:
    """Run ``send(0)`` … ``send(count - 1)`` in threads released together; their statuses."""
    start = threading.Barrier(count)
    statuses: list[int] = []

    def run(index: int) -> None:
        start.wait()
        statuses.append(send(index))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_forty_parallel_guesses_get_exactly_ten_password_checks(
    make_app: AppFactory, storage: str
) -> None:
    app = _app_on(make_app, storage)
    with app.app_context():
        create_user("target")
    with serve(app) as base:
        sessions = [HttpSession(base) for _ in range(PARALLEL)]
        tokens = [csrf_token(s.request("GET", "/auth/login").text) for s in sessions]

        def guess(index: int) -> int:
            form = {"csrf_token": tokens[index], "username": "target", "password": f"guess {index}"}
            return sessions[index].request("POST", "/auth/login", form).status

        statuses = _all_at_once(PARALLEL, guess)
    assert sorted(statuses) == [422] * 10 + [429] * 30
    assert _count(app, EventType.LOGIN_FAILURE) == 10, "exactly ten passwords were checked"


def test_a_completed_password_reset_lifts_the_lock(
    make_app: AppFactory, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    app = make_app(
        {**_settings("memory://"), "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
        | {"MAIL_USE_TLS": False}
    )
    inbox.app = app
    with app.app_context():
        create_user("reader", email="reader@example.com")
    auth = AuthActions(app.test_client())
    for _ in range(10):
        assert auth.login(password="wrong guess").status_code == 422
    assert auth.login().status_code == 429, "locked, even for the right password"

    submit(app.test_client(), "/auth/reset", {"email": "reader@example.com"})
    inbox.deliver()
    [message] = inbox.to("reader@example.com")
    link = re.search(
        r"http://localhost(/auth/reset/\S+)", message.get_body(("plain",)).get_content()
    )
    done = submit(
        app.test_client(), link.group(1), {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert AuthActions(app.test_client()).login(password=NEW_PASSWORD).status_code == 302


def test_cli_unlock_clears_the_shared_lock_even_with_limits_off_in_its_environment(
    make_app: AppFactory, database_url: str
) -> None:
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    settings = _settings(TEST_REDIS_URL)
    app = make_app(settings)
    with app.app_context():
        create_user("reader")
    auth = AuthActions(app.test_client())
    for _ in range(10):
        auth.login(password="wrong guess")
    assert auth.login().status_code == 429

    # The CLI's environment has rate limiting off (the testing default), the storage on Redis.
    env = {
        "REDIS_URL": TEST_REDIS_URL,
        "FLASK_RATELIMIT_KEY_PREFIX": settings["RATELIMIT_KEY_PREFIX"],
    }
    unlocked = run_flask(database_url, "users", "unlock", "reader", env=env)
    assert unlocked.returncode == 0, unlocked.stderr
    assert "(cleared)" in unlocked.stdout
    assert AuthActions(app.test_client()).login().status_code == 302
    again = run_flask(database_url, "users", "unlock", "reader", env=env)
    assert "(not locked)" in again.stdout


def test_with_redis_down_sign_in_fails_open_and_unlock_says_why(make_app: AppFactory) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(_settings(down))
    with app.app_context():
        create_user("reader")
        create_user("boss", is_admin=True)
    assert AuthActions(app.test_client()).login().status_code == 302
    admin = app.test_client()
    AuthActions(admin).login("boss")
    with app.app_context():
        reader_id = db.session.scalar(sa.select(User.id).where(User.username == "reader"))
    refused = submit(admin, f"/admin/users/{reader_id}/unlock", {}, form_url="/admin/users")
    assert refused.status_code == 409
    assert "is not answering, so nothing was unlocked" in refused.text


# Device cookies: a stranger's guesses cannot lock the owner out of a browser they have used ----


def _browser(app: Flask) -> AuthActions:
    return AuthActions(app.test_client())


def _lock_out_unknown_clients(app: Flask, username: str) -> None:
    for _ in range(10):
        assert _browser(app).login(username, "wrong").status_code == 422
    assert _browser(app).login(username).status_code == 429, "locked for unknown clients"


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_a_locked_account_still_lets_its_owner_in_from_a_browser_they_used_before(
    make_app: AppFactory, storage: str
) -> None:
    app = _app_on(make_app, storage)
    with app.app_context():
        create_user("owner")
    laptop = _browser(app)
    assert laptop.login("owner").status_code == 302
    laptop.logout()

    _lock_out_unknown_clients(app, "owner")
    assert laptop.login("owner").status_code == 302, "the owner's browser is not locked out"
    laptop.logout()
    assert _browser(app).login("owner").status_code == 429, "strangers still are"


def test_failures_from_a_known_browser_count_against_that_browser_only(
    make_app: AppFactory,
) -> None:
    app = _app_on(make_app, "memory")
    with app.app_context():
        create_user("owner")
    laptop = _browser(app)
    assert laptop.login("owner").status_code == 302
    laptop.logout()
    for _ in range(10):
        assert laptop.login("owner", "wrong").status_code == 422
    assert laptop.login("owner").status_code == 429, "the browser's own budget is spent"
    assert _browser(app).login("owner").status_code == 302, "the account's budget is untouched"


def test_a_device_cookie_counts_only_for_its_account_and_only_when_signed(
    make_app: AppFactory,
) -> None:
    app = _app_on(make_app, "memory")
    with app.app_context():
        create_user("owner")
        create_user("neighbour")
    laptop, phone = _browser(app), _browser(app)
    assert laptop.login("neighbour").status_code == 302
    assert phone.login("owner").status_code == 302
    laptop.logout()
    phone.logout()
    genuine = phone.client.get_cookie("inkwell_device").value
    _lock_out_unknown_clients(app, "owner")
    assert laptop.login("owner").status_code == 429, "a cookie for another account is no key"

    payload, stamp, signature = genuine.split(".")
    with app.app_context():
        other_key = URLSafeTimedSerializer(
            "another-secret-key-0123456789-0123456789",
            salt=device_cookies.SALT,
            signer_kwargs={"digest_method": hashlib.sha256},
        )
        resigned = other_key.dumps(device_cookies._serializer().loads(genuine))
    for label, value in (
        ("tampered signature", f"{payload}.{stamp}.{signature[:-2]}xx"),
        ("signed with another key", resigned),
    ):
        stranger = _browser(app)
        stranger.client.set_cookie("inkwell_device", value)
        assert stranger.login("owner").status_code == 429, label
    holder = _browser(app)
    holder.client.set_cookie("inkwell_device", genuine)
    assert holder.login("owner").status_code == 302, "the genuine cookie is the key"


def test_a_signed_device_cookie_of_another_shape_is_ignored(make_app: AppFactory) -> None:
    app = _app_on(make_app, "memory")
    with app.app_context():
        create_user("owner")
        serializer = device_cookies._serializer()
        shapes = [["d", "u"], {"d": 1, "u": [1]}, {"d": "x", "u": [True]}, "text", None]
        values = [serializer.dumps(shape) for shape in shapes]
    for value in values:
        browser = _browser(app)
        browser.client.set_cookie("inkwell_device", value)
        assert browser.login("owner", "wrong").status_code == 422, value


def test_the_device_cookie_is_httponly_lax_and_persists_only_with_remember_me(
    make_app: AppFactory,
) -> None:
    app = _app_on(make_app, "memory")
    with app.app_context():
        create_user("owner")
    for remember, lifetime in ((True, "Max-Age=31536000"), (False, None)):
        auth = _browser(app)
        response = auth.login("owner", remember=remember)
        [header] = [h for h in response.headers.getlist("Set-Cookie") if "inkwell_device=" in h]
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Path=/" in header
        if lifetime:
            assert lifetime in header
        else:
            assert "Max-Age" not in header
            assert "Expires" not in header, "without remember-me nothing persistent is set"


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_parallel_wrong_passwords_in_a_signed_in_session_get_exactly_the_budget(
    make_app: AppFactory, storage: str
) -> None:
    """A stolen session guessing the password in parallel (re-authentication): each guess is
    counted before its password is checked, so no more than the budget is ever checked."""
    app = _app_on(make_app, storage, REAUTH_RATE_LIMIT="3 per hour")
    with app.app_context():
        create_user("target")
    with serve(app) as base:
        thief = HttpSession(base)
        token = csrf_token(thief.request("GET", "/auth/login").text)
        form = {"csrf_token": token, "username": "target", "password": PASSWORD}
        assert thief.request("POST", "/auth/login", form).status == 302
        token = csrf_token(thief.request("GET", "/auth/reauthenticate").text)
        cookie = "; ".join(f"{c.name}={c.value}" for c in thief.cookies)

        def guess(index: int) -> int:
            form = {"csrf_token": token, "password": f"guess {index}"}
            headers = {"Cookie": cookie}
            return HttpSession(base).request("POST", "/auth/reauthenticate", form, headers).status

        statuses = _all_at_once(12, guess)
    assert sorted(statuses) == [422] * 3 + [429] * 9
