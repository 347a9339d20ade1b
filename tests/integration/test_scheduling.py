"""Scheduled posts over HTTP, with the clock moved by time-machine: hidden until their time, then
everywhere by themselves (no job runs), through a warm page cache too, local or in Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.cache import due_note
from app.extensions import db
from app.models import Post, User
from app.services import admin, posts
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, require, submit
from tests.integration.test_reading import counted_statements

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
START = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
DUE = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
# Where a scheduled post must not show before its time, and must show after it.
PUBLIC_PAGES = [
    "/",
    "/feed.xml",
    "/tags/launch",
    "/search?q=launch",
    "/sitemap.xml",
    "/users/writer",
]
TITLE = "Big launch"
SCHEDULED_CHECKED = 'checked id="status-2" name="status" type="radio" value="scheduled"'
LINK = "/posts/big-launch"  # on every page that lists the post, the sitemap included


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def _schedule(client: FlaskClient, url: str = "/posts/new", **fields: str):
    data = {
        "title": TITLE,
        "body": "The launch is on.",
        "tags": "launch",
        "status": "scheduled",
        "publish_at": "2030-01-15T13:00",
    }
    return submit(client, url, {**data, **fields})


def _post(app: Flask, title: str = TITLE) -> Post:
    with app.app_context():
        found = db.session.scalar(sa.select(Post).where(Post.title == title))
        assert found is not None
        db.session.expunge(found)
        return found


def _public_text(app: Flask, path: str) -> str:
    response = app.test_client().get(path)
    assert response.status_code in (200, 404), path
    return response.text


def _app_with(make_app: AppFactory, store: str) -> Flask:
    if store == "redis":
        require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
        return make_app(
            {"REDIS_URL": TEST_REDIS_URL, "PAGE_CACHE_PREFIX": f"inkwell-test:{uuid.uuid4().hex}"}
        )
    return make_app()


@pytest.mark.parametrize("store", ["local", "redis"])
def test_a_scheduled_post_appears_everywhere_at_its_time_through_a_warm_cache(
    make_app: AppFactory, clock: time_machine.Traveller, store: str
) -> None:
    app = _app_with(make_app, store)
    with app.app_context():
        create_user("writer")
        create_user("other")
    writer = _signed_in(app, "writer")
    scheduled = _schedule(writer)
    assert scheduled.status_code == 302
    assert scheduled.headers["Location"] == "/posts/big-launch"
    assert "will be published on 15 January 2030, 13:00 UTC" in writer.get("/posts/big-launch").text

    for path in PUBLIC_PAGES:  # each page twice: the second from the cache where it is cached
        for _ in range(2):
            assert LINK not in _public_text(app, path), path
    assert app.test_client().get("/").headers["X-Cache"] == "HIT"
    assert app.test_client().get("/posts/big-launch").status_code == 404
    assert _signed_in(app, "other").get("/posts/big-launch").status_code == 404
    mine = writer.get("/account/posts").text
    assert TITLE in mine
    assert "Scheduled</span> for" in mine
    assert "15 January 2030, 13:00 UTC" in mine

    clock.move_to(DUE)
    for path in PUBLIC_PAGES:
        assert LINK in _public_text(app, path), path
    assert TITLE in app.test_client().get("/posts/big-launch").text
    assert _signed_in(app, "other").get("/posts/big-launch").status_code == 200


def test_a_page_cached_before_the_time_is_not_served_after_it_and_hits_stay_free(
    app: Flask, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        writer = create_user("writer")
        create_post(writer, title="Already out")
        posts.create_post(
            writer, title=TITLE, body="x", tags=[], status="published", publish_at=DUE
        )
    assert app.test_client().get("/").headers["X-Cache"] == "MISS"
    with counted_statements(app) as statements:
        warm = app.test_client().get("/")
    assert warm.headers["X-Cache"] == "HIT"
    assert statements == []
    assert TITLE not in warm.text

    clock.move_to(DUE - timedelta(microseconds=1))
    assert TITLE not in app.test_client().get("/").text
    clock.move_to(DUE)
    assert TITLE in app.test_client().get("/").text
    app.test_client().get("/")  # the new version's due time is worked out once
    with counted_statements(app) as statements:
        again = app.test_client().get("/")
    assert again.headers["X-Cache"] == "HIT"
    assert statements == []


def test_a_due_time_noted_late_for_an_old_version_is_ignored(
    app: Flask, clock: time_machine.Traveller
) -> None:
    """A slow reader that worked out "nothing due" before a post was scheduled, and writes it
    after the scheduling commit made a new version, cannot hide that post at its time."""
    store = app.extensions["inkwell_page_cache"]
    with app.app_context():
        writer = create_user("writer")
        before = store.version()
        posts.create_post(
            writer, title=TITLE, body="x", tags=[], status="published", publish_at=DUE
        )
    store.note_due(due_note(before, None))
    assert TITLE not in app.test_client().get("/").text
    assert app.test_client().get("/").headers["X-Cache"] == "HIT"
    clock.move_to(DUE)
    assert TITLE in app.test_client().get("/").text


def test_a_feed_reader_asking_after_the_time_gets_the_new_feed_not_a_304(
    app: Flask, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        writer = create_user("writer")
        create_post(writer, title="Already out")
        posts.create_post(
            writer, title=TITLE, body="x", tags=[], status="published", publish_at=DUE
        )
    etag = app.test_client().get("/feed.xml").headers["ETag"]
    cached = app.test_client().get("/feed.xml", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    clock.move_to(DUE)
    later = app.test_client().get("/feed.xml", headers={"If-None-Match": etag})
    assert later.status_code == 200
    assert TITLE in later.text


# The editor ---------------------------------------------------------------------------------------


@pytest.fixture
def writer(app: Flask, clock: time_machine.Traveller) -> FlaskClient:
    with app.app_context():
        create_user("writer")
    return _signed_in(app, "writer")


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2030-01-15T11:59", "Choose a time in the future, or publish now."),
        ("2030-01-15T12:00", "Choose a time in the future, or publish now."),
        ("next tuesday", "Enter the date and time as YYYY-MM-DD HH:MM"),
        ("2030-02-30T10:00", "Enter the date and time as YYYY-MM-DD HH:MM"),
        ("", "Choose when to publish it."),
        ("2045-01-01T00:00", "Choose a time in the next ten years."),
        ("9999-12-31T23:59", "Choose a time in the next ten years."),
        ("0001-01-01T00:00", "Choose a time in the future, or publish now."),
        ("x" * 41, "Enter the date and time as YYYY-MM-DD HH:MM"),
    ],
)
def test_a_time_that_cannot_be_used_is_explained_and_everything_typed_is_kept(
    app: Flask, writer: FlaskClient, typed: str, message: str
) -> None:
    response = _schedule(writer, publish_at=typed, title="Kept title", body="Kept body")
    assert response.status_code == 422
    assert message in response.text
    assert 'value="Kept title"' in response.text
    assert "Kept body</textarea>" in response.text
    assert SCHEDULED_CHECKED in response.text
    if typed:
        assert f'value="{typed}"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("status", ["draft", "published"])
@pytest.mark.parametrize("typed", ["2030-01-16T09:00", "garbage"])
def test_a_time_typed_without_choosing_scheduled_is_not_dropped_silently(
    app: Flask, writer: FlaskClient, status: str, typed: str
) -> None:
    response = _schedule(writer, status=status, publish_at=typed, title="Kept title")
    assert response.status_code == 422
    assert "Choose “Scheduled” to publish at this time, or clear the time." in response.text
    assert 'value="Kept title"' in response.text
    assert "The launch is on.</textarea>" in response.text
    assert f'value="{typed}"' in response.text
    assert f'checked id="status-{["draft", "published"].index(status)}"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    assert _schedule(writer, status=status, publish_at=" ").status_code == 302, "cleared"


def test_the_editor_says_which_zone_times_are_in(writer: FlaskClient) -> None:
    page = writer.get("/posts/new").text
    assert 'type="datetime-local"' in page
    assert "Times are in UTC." in page


def test_editing_a_scheduled_post_keeps_it_scheduled_and_it_can_be_published_now(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    _schedule(writer)
    editor = writer.get("/posts/big-launch/edit").text
    assert SCHEDULED_CHECKED in editor
    assert 'value="2030-01-15T13:00"' in editor
    fields = {"title": TITLE, "body": "Edited.", "tags": "launch"}
    edited = submit(
        writer,
        "/posts/big-launch/edit",
        {**fields, "status": "scheduled", "publish_at": "2030-01-15T14:30"},
    )
    assert edited.status_code == 302
    post = _post(app)
    assert post.is_scheduled
    assert post.published_at == datetime(2030, 1, 15, 14, 30, tzinfo=UTC)
    assert app.test_client().get("/posts/big-launch").status_code == 404

    clock.shift(timedelta(minutes=5))
    submit(writer, "/posts/big-launch/edit", {**fields, "status": "published"})
    post = _post(app)
    assert post.is_published
    assert post.published_at == START + timedelta(minutes=5)
    assert TITLE in app.test_client().get("/").text
    # Public once, it keeps its date and can no longer be scheduled.
    assert 'value="scheduled"' not in writer.get("/posts/big-launch/edit").text
    refused = submit(
        writer,
        "/posts/big-launch/edit",
        {**fields, "status": "scheduled", "publish_at": "2030-01-16T09:00"},
    )
    assert refused.status_code == 422
    assert _post(app).published_at == START + timedelta(minutes=5)


def test_saving_as_scheduled_after_the_post_went_live_says_so_and_keeps_the_text(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    soon = START + timedelta(minutes=5)
    _schedule(writer, publish_at="2030-01-15T12:05")
    assert SCHEDULED_CHECKED in writer.get("/posts/big-launch/edit").text
    clock.move_to(soon + timedelta(minutes=2))  # it goes live while the editor is open
    fields = {"title": "New title", "body": "Edited body.", "tags": "launch, later"}
    stale = {**fields, "publish_at": "2030-01-15T12:05"}  # the editor still shows the time
    response = submit(writer, "/posts/big-launch/edit", {**stale, "status": "scheduled"})
    assert response.status_code == 422
    assert "Not a valid choice" not in response.text
    assert (
        "This post was published on 15 January 2030, 12:05 UTC while you were editing; "
        "choose Published or Draft."
    ) in response.text
    assert 'value="New title"' in response.text
    assert "Edited body.</textarea>" in response.text
    assert 'value="launch, later"' in response.text
    # Published with the stale time still sent: the time is moot (Scheduled is not offered).
    saved = submit(writer, "/posts/big-launch/edit", {**stale, "status": "published"})
    assert saved.status_code == 302, saved.text
    assert _post(app, "New title").published_at == soon


def test_unscheduling_makes_a_draft_again(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    _schedule(writer)
    fields = {"title": TITLE, "body": "x", "tags": "launch", "status": "draft"}
    assert submit(writer, "/posts/big-launch/edit", fields).status_code == 302
    post = _post(app)
    assert (post.status, post.published_at) == ("draft", None)
    assert "Draft</span>" in writer.get("/account/posts").text
    clock.move_to(DUE + timedelta(hours=1))
    assert TITLE not in app.test_client().get("/").text
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 404


def test_an_admin_unpublishing_a_scheduled_post_makes_it_a_draft(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    _schedule(writer)
    with app.app_context():
        chief = create_user("chief", is_admin=True)
        post = db.session.scalar(sa.select(Post))
        listed = db.session.scalars(admin.find_posts("scheduled", "")).all()
        assert [found.title for found in listed] == [TITLE]
        admin.unpublish(chief, post)
        db.session.commit()
        assert (post.status, post.published_at) == ("draft", None)
    clock.move_to(DUE)
    assert TITLE not in app.test_client().get("/").text


# Slugs: a scheduled post's title never leaks through a slug collision -----------------------------


def test_a_post_published_first_takes_the_slug_a_scheduled_post_held(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    """Whether another member gets the readable slug says nothing about the scheduled post."""
    _schedule(writer)
    assert _post(app).slug == "big-launch"
    with app.app_context():
        create_user("other")
    other = _signed_in(app, "other")
    data = {"title": TITLE, "body": "Mine.", "tags": "", "status": "published"}
    response = submit(other, "/posts/new", data)
    assert response.headers["Location"] == "/posts/big-launch"
    moved = _post(app)
    assert moved.slug.startswith("big-launch-")
    assert TITLE in writer.get("/account/posts").text
    clock.move_to(DUE)
    assert app.test_client().get(f"/posts/{moved.slug}").status_code == 200
    assert "Mine." in app.test_client().get("/posts/big-launch").text


def test_a_scheduled_post_does_not_take_the_slug_of_a_post_that_was_public(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        create_post(create_user("other"), title=TITLE)
    response = _schedule(writer)
    assert response.headers["Location"].startswith("/posts/big-launch-")


# My posts -----------------------------------------------------------------------------------------


def test_my_posts_lists_only_the_members_own_posts_with_their_status(
    app: Flask, writer: FlaskClient, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        me = db.session.scalar(sa.select(User).where(User.username == "writer"))
        create_post(me, title="My draft", status="draft")
        create_post(me, title="My public post")
        create_post(create_user("other"), title="Their draft", status="draft")
        create_post(
            db.session.scalar(sa.select(User).where(User.username == "other")), title="Theirs"
        )
    _schedule(writer)
    response = writer.get("/account/posts")
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    for title in ("My draft", "My public post", TITLE):
        assert title in page
    assert "Their draft" not in page
    assert "Theirs" not in page
    assert page.count('data-testid="my-post"') == 3
    assert "Published <time" in page
    assert 'href="/posts/big-launch/edit"' in page
    assert "Times are in UTC." in page


def test_my_posts_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/account/posts")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_my_posts_is_paginated_within_the_query_budget(make_app: AppFactory) -> None:
    app = make_app({"POSTS_PER_PAGE": 2})
    with app.app_context():
        me = create_user("writer")
        for number in range(5):
            create_post(me, title=f"Note {number}", status="draft" if number % 2 else "published")
    writer = _signed_in(app, "writer")
    with counted_statements(app) as statements:
        first = writer.get("/account/posts")
    assert first.status_code == 200
    assert len(statements) <= 4, statements
    assert first.text.count('data-testid="my-post"') == 2
    assert "Page 1 of 3" in first.text
    assert writer.get("/account/posts?page=3").text.count('data-testid="my-post"') == 1
    assert writer.get("/account/posts?page=4").status_code == 404


def test_the_header_links_to_my_posts(writer: FlaskClient) -> None:
    assert 'href="/account/posts">My posts</a>' in writer.get("/").text
