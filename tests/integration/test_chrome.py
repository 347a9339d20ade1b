"""The frame kept per process (app/chrome.py): each reader gets the header and footer of who
they are, in their language, under the site's current name, with their own sign-out token."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from app.services import site
from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import AuthActions, csrf_token


def _member(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def _header(page: str) -> str:
    return page[page.index("<header") : page.index("</header>")]


def _set(app: Flask, who: str, **values: object) -> None:
    with app.app_context():
        db.session.execute(sa.update(User).where(User.username == who).values(**values))
        db.session.commit()


def test_each_member_gets_a_header_of_their_own(app: Flask) -> None:
    with app.app_context():
        create_user("alice", is_admin=True)
        create_user("bob")
    alice, bob = _member(app, "alice"), _member(app, "bob")
    for _ in range(2):  # the second time from what was kept
        for client, me, other in ((alice, "alice", "bob"), (bob, "bob", "alice")):
            header = _header(client.get("/").text)
            assert f'data-testid="current-user">{me}<' in header
            assert other not in header
        assert "/admin" in _header(alice.get("/").text)
        assert "/admin" not in _header(bob.get("/").text)
    visitor = _header(app.test_client().get("/auth/login").text)
    assert "current-user" not in visitor
    assert "/auth/register" in visitor


def test_the_header_follows_a_change_of_role_name_and_language(app: Flask) -> None:
    with app.app_context():
        create_user("alice", is_admin=True)
    alice = _member(app, "alice")
    assert "/admin" in _header(alice.get("/").text)
    _set(app, "alice", is_admin=False)
    assert "/admin" not in _header(alice.get("/").text)
    _set(app, "alice", locale="zh-Hans")
    page = alice.get("/").text
    assert "写文章" in _header(page)
    assert "New post" not in _header(page)
    _set(app, "alice", username="alicia", username_key="alicia", username_skeleton="alicia")
    assert 'data-testid="current-user">alicia<' in _header(alice.get("/").text)


def _rename_site(app: Flask, name: str) -> None:
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.is_admin)) or create_user(
            "admin", is_admin=True
        )
        site.save(admin, name=name, tagline="", about="", share_image="")


def test_the_frame_follows_the_site_name_and_the_theme(app: Flask) -> None:
    reader = app.test_client()
    assert "The Old Name" not in reader.get("/auth/login").text
    _rename_site(app, "The Old Name")
    page = reader.get("/auth/login").text
    footer = page[page.index("<footer") :]
    assert "The Old Name" in _header(page)
    assert "The Old Name — written by people" in footer
    _rename_site(app, "A New Name")
    page = reader.get("/auth/login").text
    assert "A New Name" in _header(page)
    assert "The Old Name" not in page
    for theme in ("dark", "light"):
        reader.set_cookie("theme", theme)
        footer = reader.get("/auth/login").text.split("<footer")[1]
        assert re.search(f'theme={theme}"[^>]*aria-current="true"', footer), theme


def test_each_member_signs_out_with_a_token_of_their_own_session(app: Flask) -> None:
    """The sign-out form stays outside what is kept: a token from one member's page is refused
    in another member's session."""
    with app.app_context():
        create_user("alice")
        create_user("bob")
    alice, bob = _member(app, "alice"), _member(app, "bob")
    bob.get("/")
    token_of_alice = csrf_token(alice.get("/").text)
    refused = bob.post("/auth/logout", data={"csrf_token": token_of_alice})
    assert refused.status_code == 400
    assert bob.get("/account/sessions").status_code == 200, "bob is still signed in"
    signed_out = bob.post("/auth/logout", data={"csrf_token": csrf_token(bob.get("/").text)})
    assert signed_out.status_code == 302


def test_the_kept_share_card_follows_the_host_when_no_site_url_is_set(
    make_app: AppFactory,
) -> None:
    """Development without SITE_URL builds links on the request's host: the kept card too
    (found by a review)."""
    app = make_app({"SITE_URL": ""}, env="development")
    for host in ("first.example", "second.example"):
        page = app.test_client().get("/auth/login", base_url=f"http://{host}").text
        image = re.search(r'<meta property="og:image" content="([^"]+)"', page)
        assert image is not None
        assert image.group(1).startswith(f"http://{host}/static/card.png"), host


def test_the_kept_language_switch_carries_this_requests_path_and_token(app: Flask) -> None:
    """The member's switch is kept with slots: each page puts its own path (escaped) and the
    session's token in, and the form works."""
    with app.app_context():
        create_user("alice")
        create_user("bob")
    alice, bob = _member(app, "alice"), _member(app, "bob")
    tricky = "/search?q=a&page=2&x='y'"
    for client, path in (
        (alice, "/search?q=%22%3E%3Cb%3E"),
        (alice, tricky),
        (alice, "/"),
        (bob, "/tags"),
    ):
        page = client.get(path).text
        switch = page[page.index('class="theme-switch language-switch"') :]
        nexts = re.findall(r'name="next" value="([^"]*)"', switch)
        expected = {
            "/search?q=%22%3E%3Cb%3E": "/search?q=%22%3E%3Cb%3E",
            tricky: "/search?q=a&amp;page=2&amp;x=&#39;y&#39;",
            "/": "/?",
            "/tags": "/tags?",
        }
        assert nexts == [expected[path]] * 2, nexts
        assert ":csrf:" not in switch, "a slot left unfilled"
        assert ":next:" not in switch, "a slot left unfilled"
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', switch))
        assert len(tokens) == 1
    token = csrf_token(bob.get("/").text)
    saved = bob.post("/language", data={"csrf_token": token, "lang": "zh-Hans", "next": "/"})
    assert saved.status_code == 303
    assert 'lang="zh-Hans"' in bob.get("/").text
    refused = alice.post("/language", data={"csrf_token": token, "lang": "zh-Hans", "next": "/"})
    assert refused.status_code == 400
