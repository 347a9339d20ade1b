"""Refusals by a rate limit: a page in words that keeps what was typed, limits on writing that
count only what was created, and refused sign-ins that cost less than attempted ones."""

from __future__ import annotations

import html
import re
import tracemalloc
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import Comment, EventType, Post, SecurityEvent, User
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, csrf_token, submit

LimitedApp = Callable[..., Flask]
RAW_LIMIT_TEXT = re.compile(r"\d+ per \d+ \w+")


@pytest.fixture
def limited(make_app: AppFactory) -> LimitedApp:
    """An app with rate limiting on (its own counters), and ``settings`` on top."""

    def build(**settings: Any) -> Flask:
        prefix = uuid.uuid4().hex
        return make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": prefix, **settings})

    return build


def _from(app: Flask, address: str) -> AuthActions:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def _kept(response: TestResponse) -> list[str]:
    """The texts shown back read-only on the page."""
    found = re.findall(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", response.text, re.S)
    return [html.unescape(text) for text in found]


def assert_refused_in_words(response: TestResponse) -> None:
    assert response.status_code == 429
    assert re.search(r"Please try again in (a few seconds|about [\w ]+)\.", response.text)
    assert not RAW_LIMIT_TEXT.search(response.text), "Flask-Limiter's own text is not shown"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert PASSWORD not in response.text


def _events(app: Flask, event: EventType) -> list[SecurityEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.type == event)))


# Sign-in refusals (429 pages, and their cost) ------------------------------------------------


def test_sign_in_refused_per_address_is_in_words_and_keeps_the_username(
    limited: LimitedApp,
) -> None:
    auth = AuthActions(limited().test_client())
    for _ in range(5):
        assert auth.login("nobody", PASSWORD).status_code == 422
    response = auth.login("typed-name", PASSWORD)
    assert_refused_in_words(response)
    assert _kept(response) == ["typed-name"]


def test_sign_in_refused_by_the_account_lock_is_in_words(limited: LimitedApp) -> None:
    app = limited(LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes")
    with app.app_context():
        create_user("victim")
    for number in range(2):
        assert _from(app, f"198.51.100.{number}").login("victim", "wrong").status_code == 422
    response = _from(app, "203.0.113.9").login("victim", PASSWORD)
    assert_refused_in_words(response)
    assert "about 15 minutes" in response.text
    assert _kept(response) == ["victim"]


def test_refused_sign_ins_from_one_address_write_one_event_per_window(limited: LimitedApp) -> None:
    app = limited()
    auth = AuthActions(app.test_client())
    for _ in range(5):
        auth.login("nobody", PASSWORD)
    for number in range(8):
        assert auth.login(f"name{number}", PASSWORD).status_code == 429
    refused = _events(app, EventType.THROTTLED)
    assert [event.identifier for event in refused] == ["name0"]


def test_refused_sign_ins_at_a_locked_account_write_one_event_per_window(
    limited: LimitedApp,
) -> None:
    app = limited(LOGIN_ACCOUNT_RATE_LIMIT="2 per 15 minutes")
    with app.app_context():
        victim_id = create_user("victim").id
    for number in range(2):
        _from(app, f"198.51.100.{number}").login("victim", "wrong")
    for number in range(6):
        assert _from(app, f"203.0.113.{number}").login("victim", "wrong").status_code == 429
    refused = _events(app, EventType.THROTTLED)
    assert [event.user_id for event in refused] == [victim_id]


def test_a_huge_refused_identifier_is_cut_before_it_is_normalized(limited: LimitedApp) -> None:
    """U+FDFA becomes 18 characters under NFKC: normalizing 100,000 of them takes megabytes."""
    app = limited()
    client = app.test_client()
    auth = AuthActions(client)
    for _ in range(5):
        auth.login("nobody", PASSWORD)
    token = csrf_token(client.get("/auth/login").text)
    data = {"csrf_token": token, "username": "\ufdfa" * 100_000, "password": PASSWORD}
    tracemalloc.start()  # multipart: URL-decoding 900 kB of %XX would dwarf what is measured
    try:
        response = client.post("/auth/login", data=data, content_type="multipart/form-data")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 429
    assert peak < 3_000_000, f"{peak:,} bytes at peak: the identifier was normalized whole"
    (event,) = _events(app, EventType.THROTTLED)
    assert event.identifier is not None
    assert len(event.identifier) <= 320


# Registration ---------------------------------------------------------------------------------


def _register(auth: AuthActions, username: str, *, confirm: str = PASSWORD) -> TestResponse:
    data = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "confirm": confirm,
    }
    response = submit(auth.client, "/auth/register", data)
    auth.client.delete_cookie("inkwell_session")  # signed out again, ready for the next one
    return response


def test_registration_counts_only_accounts_created(limited: LimitedApp) -> None:
    app = limited(REGISTER_RATE_LIMIT="2 per hour")
    auth = AuthActions(app.test_client())
    for number in range(4):
        assert _register(auth, f"typo{number}", confirm="not the same").status_code == 422
    assert _register(auth, "first").status_code == 302
    assert _register(auth, "second").status_code == 302
    response = _register(auth, "third")
    assert_refused_in_words(response)
    assert "about an hour" in response.text
    assert _kept(response) == ["third", "third@example.com"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_registration_attempts_have_a_ceiling(limited: LimitedApp) -> None:
    app = limited(REGISTER_ATTEMPT_LIMIT="3 per hour")
    auth = AuthActions(app.test_client())
    for number in range(3):
        assert _register(auth, f"typo{number}", confirm="not the same").status_code == 422
    assert_refused_in_words(_register(auth, "fourth"))


def test_reset_request_refused_is_in_words_and_keeps_the_address(limited: LimitedApp) -> None:
    app = limited(RESET_RATE_LIMIT="1 per hour")
    client = app.test_client()
    assert submit(client, "/auth/reset", {"email": "me@example.com"}).status_code == 302
    response = submit(client, "/auth/reset", {"email": "me@example.com"})
    assert_refused_in_words(response)
    assert _kept(response) == ["me@example.com"]


def test_reauthentication_refused_is_in_words_without_the_password(limited: LimitedApp) -> None:
    app = limited(REAUTH_RATE_LIMIT="1 per hour")
    with app.app_context():
        create_user("reader")
    auth = AuthActions(app.test_client())
    assert auth.login("reader").status_code == 302
    assert submit(auth.client, "/auth/reauthenticate", {"password": "wrong"}).status_code == 422
    response = submit(auth.client, "/auth/reauthenticate", {"password": PASSWORD})
    assert_refused_in_words(response)
    assert _kept(response) == []


# Writing --------------------------------------------------------------------------------------


def _writer(app: Flask, name: str = "writer") -> FlaskClient:
    with app.app_context():
        create_user(name)
    auth = AuthActions(app.test_client())
    assert auth.login(name).status_code == 302
    return auth.client


def _write(client: FlaskClient, title: str, body: str = "Some *text*.") -> TestResponse:
    data = {"title": title, "body": body, "tags": "", "status": "draft"}
    return submit(client, "/posts/new", data)


def _count(app: Flask, model: type[Post] | type[Comment]) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_posts_are_limited_per_member_counting_only_what_was_created(limited: LimitedApp) -> None:
    app = limited(POST_RATE_LIMIT="2 per hour")
    client = _writer(app)
    assert _write(client, "").status_code == 422, "a form error costs nothing"
    assert _write(client, "First draft").status_code == 302
    assert _write(client, "Second draft").status_code == 302
    response = _write(client, "Third draft", body="A long body I must not lose.")
    assert_refused_in_words(response)
    assert "about an hour" in response.text
    assert _kept(response) == ["Third draft", "A long body I must not lose."], "not the status"
    assert _count(app, Post) == 2
    other = _writer(app, "other")  # the limit is per member, not per address
    assert _write(other, "Someone else's draft").status_code == 302


def _comment(client: FlaskClient, slug: str, body: str, token_page: str | None = None):
    page = token_page or client.get(f"/posts/{slug}").text
    match = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    assert match
    data = {"csrf_token": csrf_token(page), "submission_token": match.group(1), "body": body}
    return client.post(f"/posts/{slug}/comments", data=data), page


def test_comments_are_limited_per_member_and_a_replay_costs_nothing(limited: LimitedApp) -> None:
    app = limited(COMMENT_RATE_LIMIT="2 per 10 minutes")
    with app.app_context():
        slug = create_post(create_user("author")).slug
    client = _writer(app, "talker")
    first, page = _comment(client, slug, "First!")
    assert first.status_code == 302
    replay, _ = _comment(client, slug, "First!", token_page=page)  # a double click
    assert replay.status_code == 302
    assert _comment(client, slug, "")[0].status_code == 422, "a form error costs nothing"
    assert _comment(client, slug, "Second thought.")[0].status_code == 302
    response, _ = _comment(client, slug, "A third comment I want to keep.")
    assert_refused_in_words(response)
    assert "about 10 minutes" in response.text
    assert _kept(response) == ["A third comment I want to keep."]
    assert _count(app, Comment) == 2
