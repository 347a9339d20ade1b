"""Shared fragments: the post list a member's home page shows is kept once for every reader."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, free_port
from tests.integration.test_reading import counted_statements

LIST = re.compile(r'<ol class="post-list">.*?</ol>\s*(?:<nav class="pagination".*?</nav>)?', re.S)


def _member(app: Flask, username: str = "writer") -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def _listing(html: str) -> str:
    found = LIST.search(html)
    assert found, "no post list on the page"
    return found.group(0)


@pytest.fixture
def site(app: Flask) -> None:
    app.config["POSTS_PER_PAGE"] = 2
    with app.app_context():
        writer = create_user("writer")
        for number in range(3):
            create_post(writer, title=f"Post {number}", tags=("news",))
        create_user("admin", is_admin=True)


@pytest.mark.usefixtures("site")
def test_a_members_home_reads_the_list_once_for_everyone(app: Flask) -> None:
    member = _member(app)
    with counted_statements(app) as cold:
        assert member.get("/").status_code == 200
    with counted_statements(app) as warm:
        assert member.get("/").status_code == 200
    listing = [s for s in cold if "FROM posts" in s]
    assert listing, cold
    assert not [s for s in warm if "FROM posts" in s or "FROM tags" in s], warm
    assert len(warm) < len(cold)


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_the_shared_list_is_the_same_for_anyone_and_holds_nothing_personal(
    app: Flask, path: str
) -> None:
    """The author and an admin (who see edit links elsewhere) get the anonymous reader's list."""
    anonymous = _listing(app.test_client().get(path).text)
    writer_page = _member(app, "writer").get(path).text
    admin_page = _member(app, "admin").get(path).text
    assert _listing(writer_page) == anonymous
    assert _listing(admin_page) == anonymous
    assert 'data-testid="current-user">writer<' in writer_page  # the header stays personal
    assert "csrf_token" not in anonymous


@pytest.mark.usefixtures("site")
def test_a_members_home_shows_a_new_post_at_once(app: Flask) -> None:
    member = _member(app)
    assert "Post 2" in member.get("/").text
    with app.app_context():
        writer = db.session.scalar(sa.select(User).where(User.username == "writer"))
        create_post(writer, title="Brand new")
    assert "Brand new" in member.get("/").text


@pytest.mark.usefixtures("site")
def test_past_the_last_page_is_still_a_404_with_the_list_warm(app: Flask) -> None:
    member = _member(app)
    assert member.get("/?page=2").status_code == 200
    assert member.get("/?page=3").status_code == 404
    assert member.get("/?page=3").status_code == 404


def test_an_empty_site_still_invites_each_reader_in_their_own_words(app: Flask) -> None:
    with app.app_context():
        create_user("writer")
    assert "Join</a> to write the first post" in app.test_client().get("/").text
    assert "Write the first post</a>" in _member(app).get("/").text


def test_a_cache_store_that_is_down_costs_speed_never_the_page(make_app: AppFactory) -> None:
    """Redis refusing connections (nothing listens on the port): the list is built each time."""
    app = make_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    with app.app_context():
        create_post(create_user("writer"), title="Still here")
    member = _member(app)
    for _ in range(2):
        page = member.get("/")
        assert page.status_code == 200
        assert "Still here" in page.text
