"""The app in production config behind https: Secure cookies, HSTS, trusted hosts, no debugger."""

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import User
from app.services import media
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import (
    PASSWORD,
    AuthActions,
    assert_nothing_to_send,
    csrf_token,
    set_cookie_headers,
)
from tests.images import photo


@pytest.fixture
def production_app(make_app: AppFactory) -> Flask:
    app = make_app(
        {
            "SECRET_KEY": "a-production-strength-secret-key-0123456789",
            "TRUSTED_HOSTS": ["blog.example.com"],
            "SITE_URL": "https://blog.example.com",
        },
        env="production",
    )
    with app.app_context():
        create_user("reader")
    return app


class HTTPSClient(FlaskClient):
    """A browser on https://blog.example.com (werkzeug clients take the base URL per request)."""

    base_url = "https://blog.example.com"

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("base_url", self.base_url)
        return super().open(*args, **kwargs)


HOST_COOKIES = ("__Host-inkwell_session", "__Host-inkwell_remember", "__Host-inkwell_device")


@pytest.fixture
def https_client(production_app: Flask) -> FlaskClient:
    production_app.test_client_class = HTTPSClient
    return production_app.test_client()


def test_cookies_are_secure_over_https(https_client: FlaskClient) -> None:
    response = AuthActions(https_client).login(remember=True)
    assert response.status_code == 302
    cookies = set_cookie_headers(response)
    assert set(cookies) == set(HOST_COOKIES), "every cookie is __Host- over https"
    for name in HOST_COOKIES:
        morsel = cookies[name][name]
        assert morsel["secure"]
        assert morsel["httponly"]
        assert morsel["samesite"] == "Lax"
        # What a browser demands of a __Host- cookie (else it drops it): Path=/ and no Domain.
        assert morsel["path"] == "/"
        assert not morsel["domain"]


def test_signing_out_deletes_the_host_cookies_in_a_way_browsers_accept(
    https_client: FlaskClient,
) -> None:
    """A browser ignores a ``__Host-`` Set-Cookie without Secure, deletions included."""
    assert AuthActions(https_client).login(remember=True).status_code == 302
    response = AuthActions(https_client).logout()
    deleted = {
        name: cookie[name]
        for name, cookie in set_cookie_headers(response).items()
        if cookie[name]["max-age"] == "0"
    }
    assert "__Host-inkwell_remember" in deleted
    for name, morsel in deleted.items():
        assert morsel["secure"], name
        assert morsel["path"] == "/", name


def test_cookie_names_are_plain_over_http_in_development(make_app: AppFactory) -> None:
    app = make_app(env="development")
    with app.app_context():
        create_user("reader")
    response = AuthActions(app.test_client()).login(remember=True)
    assert set(set_cookie_headers(response)) == {
        "inkwell_session",
        "inkwell_remember",
        "inkwell_device",
    }


def test_hsts_for_a_year_over_https(https_client: FlaskClient) -> None:
    for path in ("/", "/missing", "/static/css/inkwell.css"):
        with https_client.get(path) as response:
            hsts = response.headers["Strict-Transport-Security"]
        max_age = int(hsts.split("max-age=")[1].split(";")[0])
        assert max_age >= 365 * 24 * 3600


def test_untrusted_host_is_refused(production_app: Flask) -> None:
    response = production_app.test_client().get("/", base_url="https://evil.example.net")
    assert response.status_code == 400
    assert "Bad request" in response.text


def test_errors_never_show_a_debugger(production_app: Flask, https_client: FlaskClient) -> None:
    @production_app.get("/explode")
    def explode() -> str:
        raise RuntimeError("internal detail")

    response = https_client.get("/explode")
    assert response.status_code == 500
    assert "internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "debugger" not in response.text.lower()


def test_missing_or_foreign_referer_over_https_never_signs_in(
    production_app: Flask, https_client: FlaskClient
) -> None:
    """Flask-WTF's https Referer check fails: the text is shown back read-only, nothing happens."""
    page = https_client.get("/auth/login")
    token = csrf_token(page.text)
    form = {"csrf_token": token, "username": "reader", "password": PASSWORD}
    for headers in ({}, {"Referer": "https://evil.example.net/"}):
        response = https_client.post("/auth/login", data=form, headers=headers)
        assert response.status_code == 400
        assert ">reader</textarea>" in response.text
        assert_nothing_to_send(response.text)
        assert "current-user" not in https_client.get("/").text

    page = https_client.get("/auth/register")
    data = {
        "csrf_token": csrf_token(page.text),
        "username": "mallory",
        "email": "m@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    response = https_client.post(
        "/auth/register", data=data, headers={"Referer": "https://evil.example.net/"}
    )
    assert response.status_code == 400
    with production_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_hsts_on_every_https_answer_and_only_there_cached_or_not(
    make_app: AppFactory, behind_proxy: bool
) -> None:
    """A cache hit replays what another request stored: HSTS must follow this request's scheme
    (found by a review: an http request's copy went to https readers without it). Behind a
    proxy the scheme is the forwarded one, also for hits answered before Flask."""
    app = make_app(
        {
            "SECRET_KEY": "a-production-strength-secret-key-0123456789",
            "TRUSTED_HOSTS": ["blog.example.com"],
            "SITE_URL": "https://blog.example.com",
            "PROXY_FIX_X_PROTO": 1 if behind_proxy else 0,
        },
        env="production",
    )
    with app.test_request_context():
        writer = create_user("writer")
        create_post(writer, title="Kept")
        picture = FileStorage(io.BytesIO(photo()), filename="p.jpg", content_type="image/jpeg")
        image = f"/media/{media.upload(writer, picture).item.filename}"

    def fetch(path: str, https: bool) -> TestResponse:
        client = app.test_client()  # a visitor with no cookie: hits are answered before Flask
        if behind_proxy:
            proto = "https" if https else "http"
            return client.get(
                path, base_url="http://blog.example.com", headers={"X-Forwarded-Proto": proto}
            )
        return client.get(path, base_url=f"{'https' if https else 'http'}://blog.example.com")

    for path in ("/", "/posts/kept", "/feed.xml", image):
        for first, then in ((False, True), (True, False)):
            fetch(path, first)
            again = fetch(path, then)
            assert again.headers.get("X-Cache") == "HIT", path
            assert ("Strict-Transport-Security" in again.headers) is then, (path, first, then)
