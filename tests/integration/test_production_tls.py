"""The production config as it runs: gunicorn (2 workers) terminating TLS with a test CA's
certificate, production hashing, and a client that trusts only that CA."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from flask import Flask

from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import PASSWORD, GunicornServer, HttpSession

SECRET = "production-secret-key-for-the-tls-test-0123456789"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ssl.SSLContext]:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return cert, key, context


@pytest.fixture
def https_server(
    make_app: AppFactory, database_url: str, certificate: tuple[Path, Path, ssl.SSLContext]
) -> Iterator[tuple[str, ssl.SSLContext]]:
    app: Flask = make_app()  # the schema on the test database
    with app.app_context():
        create_user("reader")
    cert, key, context = certificate
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "SITE_URL": "https://blog.example.com",
    }
    with GunicornServer(env, workers=2, tls=(cert, key), ssl_context=context) as server:
        yield server.url, context


def _login(session: HttpSession, *, remember: bool, referer: bool = True) -> int:
    page = session.request("GET", "/auth/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "username": "reader", "password": PASSWORD}
    if remember:
        form["remember"] = "y"
    headers = {} if referer else {"Referer": ""}
    return session.request("POST", "/auth/login", form, headers=headers).status


def _signed_in(session: HttpSession) -> bool:
    return 'data-testid="current-user">reader<' in session.request("GET", "/").text


def test_security_headers_and_cookie_flags_over_https(
    https_server: tuple[str, ssl.SSLContext],
) -> None:
    url, context = https_server
    session = HttpSession(url, context)
    for path in ("/", "/auth/login", "/missing", "/static/css/inkwell.css"):
        headers = session.request("GET", path).headers
        assert int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"]).group(1)) >= (
            31_536_000
        )
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Permissions-Policy" in headers

    assert _login(session, remember=True) == 302
    cookies = {c.name: c for c in session.cookies}
    for name in ("__Host-inkwell_session", "__Host-inkwell_remember", "__Host-inkwell_device"):
        assert cookies[name].secure, name
        assert cookies[name].path == "/", name
        assert not cookies[name].domain_specified, name
        assert cookies[name].has_nonstandard_attr("HttpOnly"), name
        assert cookies[name].get_nonstandard_attr("SameSite") == "Lax", name
    assert cookies["__Host-inkwell_session"].expires is None
    assert _signed_in(session)
    assert session.request("GET", "/account/sessions").headers["Cache-Control"] == "no-store"


def test_logout_revokes_captured_cookies_across_workers(
    https_server: tuple[str, ssl.SSLContext],
) -> None:
    url, context = https_server
    session = HttpSession(url, context)
    assert _login(session, remember=True) == 302
    names = ("__Host-inkwell_session", "__Host-inkwell_remember")
    captured = {name: session.cookie(name) for name in names}
    page = session.request("GET", "/")
    token = re.search(r'type="hidden" name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert session.request("POST", "/auth/logout", {"csrf_token": token}).status == 302
    for name, value in captured.items():
        replay = HttpSession(url, context)
        response = replay.request("GET", "/", headers={"Cookie": f"{name}={value}"})
        assert 'data-testid="current-user"' not in response.text, name


def test_login_without_referer_over_https_is_refused(
    https_server: tuple[str, ssl.SSLContext],
) -> None:
    url, context = https_server
    session = HttpSession(url, context)
    assert _login(session, remember=False, referer=False) == 400
    assert not _signed_in(session)


def test_errors_show_no_internals_in_production(https_server: tuple[str, ssl.SSLContext]) -> None:
    url, context = https_server
    session = HttpSession(url, context)
    for path, status in (
        ("/missing", 404),
        ("/posts/99999999999999999999", 404),
        ("/?page=0", 404),
    ):
        response = session.request("GET", path)
        assert response.status == status
        assert "Traceback" not in response.text
        assert "werkzeug" not in response.text.lower()
