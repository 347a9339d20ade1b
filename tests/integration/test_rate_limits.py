"""Per-IP limits on sign-in and registration: 429 page with Retry-After; shared through Redis."""

import os
import re
import uuid

import pytest
import redis
from flask import Flask

from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions, GunicornServer, HttpSession, require

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
def limited_app(make_app: AppFactory) -> Flask:
    return make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex})


def test_sixth_login_post_in_a_minute_gets_429(limited_app: Flask) -> None:
    auth = AuthActions(limited_app.test_client())
    for _ in range(5):
        assert auth.login("nobody", PASSWORD).status_code == 422
    response = auth.login("nobody", PASSWORD)
    assert response.status_code == 429
    assert "Too many requests" in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert "Content-Security-Policy" in response.headers
    # Reading the form is not limited; another address has its own budget.
    assert auth.client.get("/auth/login").status_code == 200
    other = AuthActions(limited_app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.login("nobody", PASSWORD).status_code == 422


def test_a_correct_password_is_throttled_too(limited_app: Flask) -> None:
    """The answer at the limit does not depend on whether the account or password exists."""
    auth = AuthActions(limited_app.test_client())
    for _ in range(5):
        auth.login("nobody", PASSWORD)
    with limited_app.app_context():
        create_user("reader")
    assert auth.login("reader", PASSWORD).status_code == 429


def test_registration_is_limited_per_ip(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "REGISTER_RATE_LIMIT": "2 per hour"})
    auth = AuthActions(app.test_client())
    assert auth.register("first").status_code == 302
    auth.client.delete_cookie("inkwell_session")
    assert auth.register("second").status_code == 302
    auth.client.delete_cookie("inkwell_session")
    response = auth.register("third")
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_forwarded_for_is_ignored_unless_configured(limited_app: Flask) -> None:
    auth = AuthActions(limited_app.test_client())
    for number in range(6):
        auth.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{number}"
        response = auth.login("nobody", PASSWORD)
    assert response.status_code == 429, "a spoofed header must not buy more attempts"


def test_forwarded_for_counts_behind_a_configured_proxy(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "PROXY_FIX_X_FOR": 1})
    auth = AuthActions(app.test_client())
    for number in range(6):
        auth.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{number}"
        assert auth.login("nobody", PASSWORD).status_code == 422
    # The positive control: the forwarded address is the key, so one of them runs out.
    auth.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.0"
    for _ in range(4):
        assert auth.login("nobody", PASSWORD).status_code == 422
    assert auth.login("nobody", PASSWORD).status_code == 429


def _failed_login(session: HttpSession) -> int:
    page = session.request("GET", "/auth/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "username": "nobody", "password": PASSWORD}
    return session.request("POST", "/auth/login", form).status


def test_two_app_servers_share_the_limit_through_redis(
    database_url: str, make_app: AppFactory
) -> None:
    """Two gunicorn instances (2 workers each) on one Redis: the 6th attempt is refused."""
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    make_app()  # schema on the test database
    prefix = f"inkwell-test-{uuid.uuid4().hex}"
    env = {
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "RATELIMIT_ENABLED": "true",
        "FLASK_RATELIMIT_KEY_PREFIX": prefix,
    }
    with GunicornServer(env, workers=2) as first, GunicornServer(env, workers=2) as second:
        statuses = [_failed_login(HttpSession(server.url)) for server in (first, second) * 3]
    assert statuses == [422] * 5 + [429]
    keys = redis.Redis.from_url(TEST_REDIS_URL).keys(f"*{prefix}*")
    assert keys, "the counters live in Redis"


def test_expired_form_at_the_limit_is_a_400_not_a_crash(limited_app: Flask) -> None:
    """A failed CSRF check never reaches the view, so neither its rate limit: nothing is done."""
    auth = AuthActions(limited_app.test_client())
    for _ in range(5):
        auth.login("nobody", PASSWORD)
    response = auth.client.post("/auth/login", data={"csrf_token": "stale", "username": "x"})
    assert response.status_code == 400
    assert "nothing was saved" in response.text


def _from(app: Flask, address: str) -> AuthActions:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def test_failed_logins_per_account_are_limited_across_addresses(limited_app: Flask) -> None:
    with limited_app.app_context():
        create_user("victim", email="victim@example.com")
    for number in range(10):
        identifier = "victim" if number % 2 else "VICTIM@example.com"
        assert (
            _from(limited_app, f"198.51.100.{number}").login(identifier, "wrong").status_code == 422
        )
    response = _from(limited_app, "203.0.113.50").login("victim", PASSWORD)
    assert response.status_code == 429, "even the right password waits out the lockout"
    assert int(response.headers["Retry-After"]) > 0
    # Another account is unaffected.
    with limited_app.app_context():
        create_user("bystander")
    assert _from(limited_app, "203.0.113.51").login("bystander").status_code == 302


def test_unknown_accounts_are_limited_exactly_like_real_ones(limited_app: Flask) -> None:
    for number in range(10):
        _from(limited_app, f"198.51.100.{number}").login("ghost", "wrong")
    assert _from(limited_app, "203.0.113.60").login("ghost", "wrong").status_code == 429


def test_successful_logins_do_not_count_against_the_account(limited_app: Flask) -> None:
    with limited_app.app_context():
        create_user("regular")
    for number in range(12):
        assert _from(limited_app, f"198.51.100.{number}").login("regular").status_code == 302
