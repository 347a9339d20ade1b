"""No NUL character reaches the database: every request holding one is a 400, never a 500.

PostgreSQL refuses any statement with a NUL in its text, so before the guard the admin filters
were a 500 there; this table runs on SQLite and PostgreSQL alike (``scripts/test.sh``).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Comment, OutboxMessage, Post, User
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, csrf_token, submission_token

REFUSED = "holds a NUL character (%00)"
SECRET = "never-shown-back-9271"


@pytest.fixture
def boss(app: Flask) -> FlaskClient:
    with app.app_context():
        create_post(create_user("boss", is_admin=True), title="First", tags=("news",))
    client = app.test_client()
    AuthActions(client).login("boss")
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users?q=%00",
        "/admin/users?q=boss%00",
        "/admin/users?sort=%00",
        "/admin/posts?author=%00",
        "/admin/posts?author=boss%00",
        "/admin/posts?status=%00",
        "/admin/comments?show=%00",
        "/admin/audit?user=%00",
        "/admin/audit?user=boss%00",
        "/admin/audit?type=%00",
        "/admin/audit?from=%00",
        "/admin/audit.csv?user=%00",
        "/admin/users?%00=x",
        "/?page=%00",
        "/search?q=%00",
        "/search?q=first%00",
        "/tags/news%00",
        "/tags/news?page=1%00",
        "/users/boss%00",
        "/posts/first%00",
        "/posts/first%00/edit",
        "/auth/login?%00=x",
        "/auth/reset/token%00",
        "/account/email/confirm/token%00",
        "/static/css/inkwell.css%00",
        "/nowhere%00",
    ],
)
def test_a_nul_in_the_address_is_a_400(boss: FlaskClient, url: str) -> None:
    with boss.get(url) as response:
        assert response.status_code == 400, url
        assert REFUSED in response.text


@pytest.mark.parametrize(
    ("url", "fields", "message"),
    [
        ("/auth/login", {"username": "boss\x00"}, "Incorrect username"),
        ("/auth/login", {"username": "boss@example.com\x00"}, "Incorrect username"),
        ("/auth/register", {"username": "new\x00", "email": "n@example.com"}, "letters, digits"),
        ("/auth/reset", {"email": "boss@example.com\x00"}, None),  # the same answer as ever
        ("/posts/new", {"title": "Kept", "body": "nul \x00 byte"}, "control characters"),
        ("/posts/first/comments", {"body": "nul \x00 byte"}, "control characters"),
    ],
)
def test_a_nul_in_a_form_is_refused_by_the_form_and_saves_nothing(
    app: Flask, boss: FlaskClient, url: str, fields: dict[str, str], message: str | None
) -> None:
    writing = url.startswith("/posts/")
    client = boss if writing else app.test_client()
    page = client.get("/posts/first" if url.endswith("/comments") else url).text
    hidden = {"csrf_token": csrf_token(page), "submission_token": submission_token(page) or ""}
    data = {**hidden, "password": SECRET, "confirm": SECRET, "status": "published", **fields}
    with app.app_context():
        before = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES]
    response = client.post(url, data=data)
    assert response.status_code == (422 if message else 302)
    assert message is None or message in response.text
    assert SECRET not in response.text
    with app.app_context():
        after = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES]
    assert after == before, "no post, comment, account or mail"


TABLES = (Post, Comment, User, OutboxMessage)
