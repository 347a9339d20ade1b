"""The theme switch: a cookie, a safe redirect, and cached pages kept apart by theme."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.factories import create_post, create_user


@pytest.fixture
def site(app: Flask) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="First")


def test_the_switch_sets_the_cookie_and_goes_back_to_a_safe_page(app: Flask) -> None:
    client = app.test_client()
    answer = client.get("/theme?theme=dark&next=/posts/first")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/posts/first"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("theme=dark;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/theme?theme=light&next=//evil.example").headers["Location"] == "/"
    gone = client.get("/theme?theme=system&next=/")
    assert "theme=;" in gone.headers["Set-Cookie"]


def test_the_switch_goes_back_to_the_page_of_this_site_that_linked_to_it(app: Flask) -> None:
    client = app.test_client()
    back = client.get("/theme?theme=dark", headers={"Referer": "http://localhost/tags/x?page=2"})
    assert back.headers["Location"] == "/tags/x?page=2"
    away = client.get("/theme?theme=dark", headers={"Referer": "https://evil.example/tags/x"})
    assert away.headers["Location"] == "/"
    assert client.get("/theme?theme=dark").headers["Location"] == "/"


def test_the_footer_switch_is_links_that_are_the_same_on_every_page(app: Flask) -> None:
    client = app.test_client()
    home, missing = client.get("/").text, client.get("/no/such/page").text
    switch = home[home.index('<nav class="theme-switch"') :].split("</nav>")[0]
    assert "<form" not in switch
    assert 'href="/theme?theme=dark"' in switch
    assert switch in missing


def test_an_unknown_theme_is_a_400(app: Flask) -> None:
    assert app.test_client().get("/theme?theme=purple").status_code == 400


@pytest.mark.usefixtures("site")
def test_a_warm_cache_serves_each_reader_their_own_theme(app: Flask) -> None:
    dark, light, plain, odd = (app.test_client() for _ in range(4))
    dark.set_cookie("theme", "dark")
    light.set_cookie("theme", "light")
    odd.set_cookie("theme", "purple")
    for client in (dark, light, plain):
        client.get("/posts/first")  # fills one entry per theme
    for client in (dark, light, plain, odd):
        answer = client.get("/posts/first")
        assert answer.headers["X-Cache"] == "HIT"
    assert '<html lang="en" data-theme="dark">' in dark.get("/posts/first").text
    assert '<html lang="en" data-theme="light">' in light.get("/posts/first").text
    assert '<html lang="en">' in plain.get("/posts/first").text
    assert '<html lang="en">' in odd.get("/posts/first").text  # read as System
