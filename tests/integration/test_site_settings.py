"""``/admin/settings``: the site's name, tagline, about text and share image, over HTTP.

Saved by an admin through the real form, audited, shown at once to anonymous readers whose pages
were cached, read once per process (no SQL per page), and never a 500 when the database is down.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db
from app.models import EventType, MediaItem, SecurityEvent
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, csrf_token, send_form
from tests.images import MEDIA_URL, noise, uploaded_url
from tests.integration.test_reading import counted_statements

URL = "/admin/settings"
SETTINGS = {"name": "The Night Desk", "tagline": "Notes after dark", "about": "Written *late*."}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def boss(app: Flask) -> FlaskClient:
    with app.app_context():
        create_user("boss", is_admin=True)
        create_post(create_user("writer"), title="First light")
    client = app.test_client()
    AuthActions(client).login("boss")
    return client


def _save(client: FlaskClient, **fields: str) -> TestResponse:
    """Send the settings form: its inputs as shown, ``fields`` typed in (the about text and
    the image choice are not inputs: unless typed, they are sent empty)."""
    return send_form(client, client.get(URL), URL, **fields)


def _meta(html: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def test_the_page_is_for_admins_only(app: Flask, boss: FlaskClient) -> None:
    assert app.test_client().get(URL).headers["Location"].startswith("/auth/login?next=")
    member = app.test_client()
    AuthActions(member).login("writer")
    assert member.get(URL).status_code == 403
    assert (
        member.post(URL, data={"csrf_token": csrf_token(member.get("/").text)}).status_code == 403
    )
    page = boss.get(URL)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert 'value="Inkwell"' in page.text, "the configured name until one is saved"


def test_a_form_without_its_csrf_token_changes_nothing(app: Flask, boss: FlaskClient) -> None:
    response = boss.post(URL, data={"name": "Hijacked"})
    assert response.status_code == 400
    assert "Hijacked" not in app.test_client().get("/").text


def test_saved_settings_show_everywhere_and_are_audited(app: Flask, boss: FlaskClient) -> None:
    response = _save(boss, **SETTINGS)
    assert response.status_code == 302
    assert "Settings saved." in boss.get(response.headers["Location"]).text

    home = app.test_client().get("/").text
    assert '<a class="brand" href="/">The Night Desk</a>' in home
    assert "<title>The Night Desk</title>" in home
    assert '<p class="lede tagline">Notes after dark</p>' in home
    assert "<p>Written <em>late</em>.</p>" in home
    assert _meta(home, "og:site_name") == "The Night Desk"
    assert _meta(home, "description") == "Notes after dark"
    post = app.test_client().get("/posts/first-light").text
    assert "<title>First light · The Night Desk</title>" in post
    assert "Notes after dark" not in post, "the tagline is the home page's"
    feed = ET.fromstring(app.test_client().get("/feed.xml").data)  # noqa: S314  (our own)
    assert feed.findtext(f"{ATOM}title") == "The Night Desk"
    assert feed.findtext(f"{ATOM}subtitle") == "Notes after dark"

    with app.app_context():
        [event] = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.type == EventType.SITE_SETTINGS_CHANGED)
        ).all()
        assert (event.actor_username, event.identifier) == ("boss", "name, tagline, about")
    assert "site_settings_changed" in boss.get("/admin/audit").text

    # The same form again: nothing written, nothing audited.
    again = _save(boss, **SETTINGS)
    assert "Nothing changed." in boss.get(again.headers["Location"]).text
    with app.app_context():
        count = sa.select(sa.func.count()).where(
            SecurityEvent.type == EventType.SITE_SETTINGS_CHANGED
        )
        assert db.session.scalar(count) == 1


def test_about_is_rendered_safely(app: Flask, boss: FlaskClient) -> None:
    about = "<script>alert(1)</script> [x](javascript:alert(1)) **bold**\n\n# Not a heading"
    assert _save(boss, about=about).status_code == 302
    home = app.test_client().get("/").text
    intro = home.split('data-testid="site-intro"')[1].split("</section>")[0]
    assert "<script>" not in intro
    assert "&lt;script&gt;" in intro
    assert 'href="javascript' not in intro, "no link from a javascript: address"
    assert "<strong>bold</strong>" in intro
    assert "<h1" not in intro


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "Give the site a name."),
        ({"name": "n" * 61}, "Keep the site name to 60 characters (61 now)."),
        ({"tagline": "t" * 161}, "Keep the tagline to 160 characters (161 now)."),
        ({"about": "a" * 2001}, "Keep the about text to 2,000 characters (2,001 now)."),
        ({"name": "Bell\x07"}, "Remove the invisible control characters from the site name."),
        ({"name": "My \u202eBlog"}, "Remove the invisible control characters from the site name."),
        ({"tagline": "a\u200bb"}, "Remove the invisible control characters from the tagline."),
        ({"share_image": "999"}, "Choose one of your library&#39;s images, or the built-in card."),
        ({"share_image": "abc"}, "Choose one of your library&#39;s images, or the built-in card."),
    ],
)
def test_bad_settings_are_refused_with_a_message(
    app: Flask, boss: FlaskClient, fields: dict[str, str], message: str
) -> None:
    response = _save(boss, **{**SETTINGS, **fields})
    assert response.status_code == 422
    assert message in response.text
    assert "The Night Desk" not in app.test_client().get("/").text, "nothing was saved"


def test_every_bad_field_is_named_at_once(app: Flask, boss: FlaskClient) -> None:
    bad = {"name": "n" * 61, "tagline": "a\u200bb", "about": "a" * 2001, "share_image": "999"}
    response = _save(boss, **{**SETTINGS, **bad})
    assert response.status_code == 422
    for message in (
        "Keep the site name to 60 characters (61 now).",
        "Remove the invisible control characters from the tagline.",
        "Keep the about text to 2,000 characters (2,001 now).",
        "Choose one of your library&#39;s images, or the built-in card.",
    ):
        assert message in response.text


def test_a_change_reaches_cached_pages_and_other_processes_at_once(
    make_app: AppFactory, app: Flask, boss: FlaskClient
) -> None:
    """Pages cached before the change are not served after it, by this process or another one
    sharing the store (here: two apps on one instance folder, as gunicorn workers share it)."""
    other = make_app()
    for reader in (app, other):
        reader.test_client().get("/")
        assert reader.test_client().get("/").headers["X-Cache"] == "HIT"
        assert "The Night Desk" not in reader.test_client().get("/posts/first-light").text
    assert _save(boss, **SETTINGS).status_code == 302
    for reader in (app, other):
        home = reader.test_client().get("/")
        assert home.headers["X-Cache"] == "MISS"
        assert "<title>The Night Desk</title>" in home.text
        assert "The Night Desk" in reader.test_client().get("/posts/first-light").text


def test_settings_cost_no_sql_once_read(app: Flask, boss: FlaskClient) -> None:
    """Read once per process after each change; no page of any reader asks for them again."""
    assert _save(boss, **SETTINGS).status_code == 302
    reader = app.test_client()
    reader.get("/search")
    for client, path in [(reader, "/"), (reader, "/posts/first-light"), (boss, "/admin/")]:
        with counted_statements(app) as statements:
            assert client.get(path).status_code == 200
        assert not [s for s in statements if "site_settings" in s], (path, statements)


def test_the_share_image_is_one_of_the_admins_library(app: Flask, boss: FlaskClient) -> None:
    address = uploaded_url(boss, noise(2000, 1000), "card.png")
    name = MEDIA_URL.fullmatch(address)
    assert name is not None
    page = boss.get(URL).text
    item_id = re.search(rf'<option value="(\d+)">{name.group(1)}\.png</option>', page)
    assert item_id is not None, page
    assert _save(boss, share_image=item_id.group(1)).status_code == 302

    home = app.test_client().get("/").text
    # The narrowest stored copy at least 1200 px wide: the 1600 px one, on SITE_URL.
    assert _meta(home, "og:image") == f"http://localhost/media/{name.group(1)}-1600.png"
    assert (_meta(home, "og:image:width"), _meta(home, "og:image:height")) == ("1600", "800")
    assert _meta(home, "twitter:card") == "summary_large_image"
    assert app.test_client().get(f"/media/{name.group(1)}-1600.png").status_code == 200

    # The image cannot be deleted while it is the card.
    library = boss.get("/media")
    refused = send_form(boss, library, f"/media/{item_id.group(1)}/delete")
    assert "This image is the site&#39;s share card." in boss.get(refused.headers["Location"]).text
    assert app.test_client().get(f"/media/{name.group(1)}.png").status_code == 200

    # Another member's image cannot be chosen.
    writer = app.test_client()
    AuthActions(writer).login("writer")
    theirs = uploaded_url(writer, noise(300, 200, seed=2), "theirs.png")
    with app.app_context():
        their_id = db.session.scalar(
            sa.select(MediaItem.id).where(MediaItem.name == MEDIA_URL.fullmatch(theirs).group(1))
        )
    assert _save(boss, share_image=str(their_id)).status_code == 422


def test_without_a_readable_database_pages_show_the_configured_name(
    app: Flask, boss: FlaskClient, tmp_path: Path
) -> None:
    """A process that cannot read the settings shows SITE_NAME; pages that need no data still
    work, the others are the 503 page, and none is a 500."""
    assert _save(boss, **SETTINGS).status_code == 302
    down = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"},
        env="testing",
        instance_path=str(tmp_path / "instance"),  # the same settings token as ``app``
    )
    client = down.test_client()
    login = client.get("/auth/login")
    assert login.status_code == 200
    assert _meta(login.text, "og:site_name") == "Inkwell"
    assert "The Night Desk" not in login.text
    home = client.get("/")
    assert home.status_code == 503
    assert "Inkwell" in home.text


def test_saving_needs_a_fresh_sign_in(app: Flask, boss: FlaskClient) -> None:
    """A session restored by "remember me" reads the page but is asked for the password first."""
    first = app.test_client()
    AuthActions(first).login("boss", remember=True)
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", first.get_cookie("inkwell_remember").value)
    page = restored.get(URL)
    assert page.status_code == 200, "reading needs no password"
    response = send_form(restored, page, URL, **SETTINGS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/reauthenticate?next=")
    assert "The Night Desk" not in app.test_client().get("/").text


def test_another_admin_can_save_without_losing_the_share_image(
    app: Flask, boss: FlaskClient
) -> None:
    """The card chosen from one admin's library stays when a second admin saves the page (found
    by a review: their choices held only their own images, so saving cleared it)."""
    address = uploaded_url(boss, noise(2000, 1000), "card.png")
    name = MEDIA_URL.fullmatch(address)
    assert name is not None
    item_id = re.search(rf'<option value="(\d+)">{name.group(1)}\.png</option>', boss.get(URL).text)
    assert item_id is not None
    assert _save(boss, share_image=item_id.group(1)).status_code == 302
    with app.app_context():
        create_user("deputy", is_admin=True)
    deputy = app.test_client()
    AuthActions(deputy).login("deputy")
    page = deputy.get(URL).text
    option = re.search(rf'<option[^>]*value="{item_id.group(1)}"[^>]*>', page)
    assert option is not None
    assert "selected" in option.group(0), option.group(0)
    assert (
        _save(deputy, tagline="Now with a tagline", share_image=item_id.group(1)).status_code == 302
    )
    home = app.test_client().get("/").text
    assert _meta(home, "og:image") == f"http://localhost/media/{name.group(1)}-1600.png"
