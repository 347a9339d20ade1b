"""Uploaded images kept in each process by ``cache.ServeCachedPages``: answered before Flask
with no SQL, for visitors and members alike, and gone the moment their last copy is deleted —
by the library, by a new avatar, with the account, or by another server sharing Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.cache import KeptImages
from app.extensions import db
from app.models import MediaItem, User
from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import AuthActions, require, send_form
from tests.images import photo, png_with_alpha, upload, uploaded_url
from tests.integration.test_page_cache import flask_requests
from tests.integration.test_reading import counted_statements

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
def member(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")


def _only_item(app: Flask) -> MediaItem:
    with app.app_context():
        [item] = db.session.scalars(sa.select(MediaItem)).all()
        return item


@pytest.mark.usefixtures("member")
def test_an_image_is_answered_before_flask_for_visitors_and_members(
    app: Flask, client: FlaskClient
) -> None:
    url = uploaded_url(client, photo())
    first = app.test_client().get(url)
    assert first.status_code == 200
    with flask_requests(app) as reached, counted_statements(app) as statements:
        visitor = app.test_client().get(url)
        member = client.get(url)
        head = app.test_client().head(url)
    assert reached == []
    assert statements == []
    assert visitor.data == member.data == first.data
    assert (visitor.headers["X-Cache"], head.headers["X-Cache"]) == ("HIT", "HIT")
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(first.data))

    def replayed(headers: object) -> list[tuple[str, str]]:
        return sorted((n, v) for n, v in headers if n not in {"Date", "X-Cache"})  # type: ignore[attr-defined]

    assert replayed(visitor.headers) == replayed(first.headers)
    assert visitor.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert visitor.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.usefixtures("member")
def test_a_conditional_request_for_a_kept_image_still_gets_a_304(
    app: Flask, client: FlaskClient
) -> None:
    url = uploaded_url(client, photo())
    etag = app.test_client().get(url).headers["ETag"]
    again = app.test_client().get(url, headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")


@pytest.mark.usefixtures("member")
def test_a_deleted_image_is_never_answered_from_memory(app: Flask, client: FlaskClient) -> None:
    url = uploaded_url(client, photo())
    app.test_client().get(url)
    assert app.test_client().get(url).headers["X-Cache"] == "HIT"
    item = _only_item(app)
    response = send_form(client, client.get("/media"), f"/media/{item.id}/delete")
    assert response.status_code == 302
    assert app.test_client().get(url).status_code == 404
    assert client.get(url).status_code == 404


@pytest.mark.usefixtures("member")
def test_a_replaced_avatar_is_never_answered_from_memory(app: Flask, client: FlaskClient) -> None:
    upload(client, photo(300, 300), page="/account/avatar")
    old = f"/media/{_only_item(app).filename}"
    app.test_client().get(old)
    assert app.test_client().get(old).headers["X-Cache"] == "HIT"
    upload(client, png_with_alpha(), "b.png", "image/png", page="/account/avatar")
    assert app.test_client().get(old).status_code == 404


@pytest.mark.usefixtures("member")
def test_an_image_goes_with_its_deleted_account(app: Flask, client: FlaskClient) -> None:
    url = uploaded_url(client, photo())
    app.test_client().get(url)
    assert app.test_client().get(url).headers["X-Cache"] == "HIT"
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(User).where(User.username == "writer")))
        db.session.commit()
    assert app.test_client().get(url).status_code == 404


def test_a_deletion_on_one_server_reaches_another_through_redis(make_app: AppFactory) -> None:
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    settings = {
        "REDIS_URL": TEST_REDIS_URL,
        "PAGE_CACHE_PREFIX": f"inkwell-test:{uuid.uuid4().hex}",
    }
    first, second = make_app(settings), make_app(settings)
    with first.app_context():
        create_user("writer")
    member = first.test_client()
    AuthActions(member).login("writer")
    url = uploaded_url(member, photo())
    second.test_client().get(url)
    assert second.test_client().get(url).headers["X-Cache"] == "HIT"
    item = _only_item(first)
    send_form(member, member.get("/media"), f"/media/{item.id}/delete")
    assert second.test_client().get(url).status_code == 404


def test_kept_images_stay_within_their_bytes() -> None:
    kept = KeptImages(1000, 300)
    for number in range(20):
        kept.put(f"/media/{number}.png", "t", [("Content-Type", "image/png")], b"x" * 100)
    assert kept.size <= 1000
    assert len(kept.entries) == 10
    assert kept.get("/media/19.png", "t") == ([("Content-Type", "image/png")], b"x" * 100)
    assert kept.get("/media/19.png", "other token") is None
    assert kept.get("/media/0.png", "t") is None  # the oldest went first
    kept.put("/media/big.png", "t", [], b"x" * 126)  # over an eighth of the limit
    assert kept.get("/media/big.png", "t") is None
    kept.put("/media/19.png", "t", [("Date", "then")], b"y" * 50)
    assert kept.get("/media/19.png", "t") == ([], b"y" * 50)
    assert kept.size == 9 * 100 + 50


def test_kept_images_expire_like_cached_pages() -> None:
    lasting, brief = KeptImages(1000, 300), KeptImages(1000, 0)
    for kept in (lasting, brief):
        kept.put("/media/a.png", "t", [], b"x")
    time.sleep(0.01)
    assert lasting.get("/media/a.png", "t") == ([], b"x")
    assert brief.get("/media/a.png", "t") is None


def test_with_redis_unreachable_images_come_from_flask_and_a_deletion_holds(
    make_app: AppFactory,
) -> None:
    """The page store down: every image is answered by Flask (no copy kept, so none can
    outlive its deletion), and deleting one still works and is a 404 at once."""
    app = make_app({"REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens on port 1
    with app.app_context():
        create_user("writer")
    member = app.test_client()
    AuthActions(member).login("writer")
    url = uploaded_url(member, photo())
    with flask_requests(app) as reached:
        for _ in range(2):
            assert app.test_client().get(url).status_code == 200
    assert reached == [url, url]
    item = _only_item(app)
    assert send_form(member, member.get("/media"), f"/media/{item.id}/delete").status_code == 302
    assert app.test_client().get(url).status_code == 404
