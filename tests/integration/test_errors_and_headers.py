"""Friendly error pages with no internals, security headers on every response, health check."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from app import SQLITE_MMAP_SIZE, create_app
from app.extensions import db
from app.http import HSTS
from app.models import User
from tests.factories import create_post, create_user
from tests.helpers import FOREIGN_REFERER, PASSWORD, AuthActions, assert_nothing_to_send

INTERNALS = ("Traceback", "sqlalchemy", "werkzeug", "jinja2", 'File "', "SELECT ", "Exception")


def _assert_friendly(text: str) -> None:
    assert "Go to the home page" in text
    for word in INTERNALS:
        assert word not in text


def test_404_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    _assert_friendly(response.text)


def test_405_page_keeps_allow_header(client: FlaskClient) -> None:
    response = client.delete("/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    _assert_friendly(response.text)


def test_oversized_body_gets_the_413_page(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than this site accepts" in response.text
    _assert_friendly(response.text)


CSRF_FAILED = "This form had expired or did not come from this site; nothing was saved."


def test_post_without_csrf_token_is_a_friendly_400(client: FlaskClient) -> None:
    response = client.post("/auth/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert CSRF_FAILED in response.text
    assert "Here is what was sent" in response.text
    assert ">a</textarea>" in response.text
    assert '<a href="/auth/login">Open the form again</a>' in response.text
    assert_nothing_to_send(response.text)
    _assert_friendly(response.text)


def _example_url(app: Flask, rule: Rule) -> str:
    """``rule``'s URL with made-up values for its variables."""
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "a-post"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


# The one POST without CSRF: a mail's unsubscribe link, whose signed token is the authority (RFC
# 8058 providers POST with no cookie). It can only turn off one kind of mail for the member the
# token names (tests/integration/test_comment_notifications.py).
CSRF_EXEMPT = {"notifications.unsubscribe"}


def test_a_forged_post_to_any_form_gets_the_read_only_page(app: Flask, auth: AuthActions) -> None:
    """Every POST address: a cross-site request is shown back as text, never as a form to send."""
    with app.app_context():
        create_user("boss", is_admin=True)
        author = create_user("author")
        create_post(author, title="A post")
    auth.login("boss")
    forged = {"title": "Injected <b>title</b>", "email": "attacker@example.net"}
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert len(rules) > 15
    assert {rule.endpoint for rule in rules} >= CSRF_EXEMPT
    rules = [rule for rule in rules if rule.endpoint not in CSRF_EXEMPT]
    for rule in rules:
        url = _example_url(app, rule)
        response = auth.client.post(url, data=forged, headers=FOREIGN_REFERER)
        assert response.status_code == 400, url
        assert CSRF_FAILED in response.text, url
        assert "Injected &lt;b&gt;title&lt;/b&gt;</textarea>" in response.text, url
        assert_nothing_to_send(response.text)
        if "GET" in (rule.methods or ()):
            assert f'<a href="{url}">Open the form again</a>' in response.text, url
        else:
            assert "Open the form again" not in response.text, url
    assert "boss" in auth.client.get("/").text, "still signed in"


def test_unexpected_error_gets_the_500_page_without_internals(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("SELECT secret FROM internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret" not in response.text
    _assert_friendly(response.text)


def test_a_failed_request_leaves_nothing_half_written(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/half-write")
    def half_write() -> str:
        db.session.add(
            User(
                username="ghost",
                username_key="ghost",
                email="g@example.com",
                email_key="g@example.com",
                password_hash="x",
            )
        )
        db.session.flush()
        raise RuntimeError("boom")

    client = app.test_client()
    assert client.get("/half-write").status_code == 500
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    "path", ["/", "/auth/login", "/static/css/inkwell.css", "/missing", "/healthz"]
)
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers, "HSTS only over https"
    names = [name.lower() for name, _value in headers]
    assert len(names) == len(set(names)), names  # each header once


def test_a_header_the_view_set_is_kept_once_whatever_its_case(app: Flask) -> None:
    @app.get("/own-headers")
    def own_headers() -> tuple[str, int, dict[str, str]]:
        return "x", 200, {"content-security-policy": "default-src 'none'", "X-FRAME-OPTIONS": "x"}

    headers = app.test_client().get("/own-headers", base_url="https://localhost").headers
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert headers.getlist("X-Frame-Options") == ["x"]
    assert headers.getlist("Strict-Transport-Security") == [HSTS]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]


def test_pages_have_no_inline_script_or_style(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("boss", is_admin=True)
    auth.login("boss")
    for path in ("/", "/auth/login", "/auth/register", "/admin/", "/missing"):
        html = app.test_client().get(path).text + client.get(path).text
        # Only the site's own files (the login page's passkeys.js), never a script's text.
        for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            assert re.fullmatch(r' src="/static/js/[\w.-]+\?v=\w+" defer', attributes)
            assert body == ""
        assert html.count("<script") == len(re.findall(r"<script\b[^>]*></script>", html))
        assert "style=" not in html
        assert "<style" not in html


def test_sqlite_runs_with_foreign_keys_wal_and_a_memory_map(tmp_path: Path) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pragmas.db'}"},
        env="testing",
        instance_path=str(tmp_path),
    )
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_SIZE


def test_sqlite_connections_are_handed_out_without_a_ping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file has no server to lose: a ping on every checkout could never find one dead."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pings.db'}"},
        env="testing",
        instance_path=str(tmp_path),
    )
    with app.app_context():
        pings: list[object] = []
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda raw: pings.append(raw) or True)
        for _ in range(3):
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    assert pings == []


def test_the_plaintext_password_reaches_no_log_database_or_page(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG"):
        auth = AuthActions(client)
        pages = [auth.register("secretive").text, client.get("/").text]
        auth.logout()
        pages.append(auth.login("secretive", password=PASSWORD + "x").text)
        pages.append(auth.login("secretive").text)
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in page for page in pages)
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                assert all(PASSWORD not in str(value) for value in row), table.name
    for name in ("inkwell_session", "inkwell_remember"):
        cookie = client.get_cookie(name)
        assert cookie is None or PASSWORD not in cookie.value
