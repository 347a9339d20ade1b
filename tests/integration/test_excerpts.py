"""Excerpts and reading time over HTTP: the hand-written summary, the automatic one, the feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Post
from tests.factories import create_user
from tests.helpers import AuthActions, submit
from tests.integration.test_reading import counted_statements

ATOM = "{http://www.w3.org/2005/Atom}"
BODY = "# Intro\n\nTea is a drink made from leaves.\n\nA second paragraph."


@pytest.fixture
def writer(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")


def _write(client: FlaskClient, **fields: str):
    data = {"title": "Tea", "body": BODY, "tags": "", "status": "published", "summary": ""}
    return submit(client, "/posts/new", {**data, **fields})


def _edit(client: FlaskClient, slug: str, **fields: str):
    data = {"title": "Tea", "body": BODY, "tags": "", "status": "published", "summary": ""}
    return submit(client, f"/posts/{slug}/edit", {**data, **fields})


def _stored(app: Flask) -> tuple[str | None, str, int]:
    with app.app_context():
        post = db.session.scalar(sa.select(Post))
        assert post is not None
        return post.summary, post.excerpt, post.reading_minutes


def _feed_summary(client: FlaskClient) -> str | None:
    feed = ET.fromstring(client.get("/feed.xml").data)  # noqa: S314  (our own feed)
    return feed.find(f"{ATOM}entry/{ATOM}summary").text  # type: ignore[union-attr]


@pytest.mark.usefixtures("writer")
def test_without_a_summary_lists_and_feed_show_the_first_paragraph(
    app: Flask, client: FlaskClient
) -> None:
    assert _write(client).status_code == 302
    assert _stored(app) == (None, "Tea is a drink made from leaves.", 1)
    home = client.get("/").text
    assert '<p class="excerpt">Tea is a drink made from leaves.</p>' in home
    assert "IntroTea" not in home
    assert "Intro Tea" not in home
    assert _feed_summary(client) == "Tea is a drink made from leaves."


@pytest.mark.usefixtures("writer")
def test_a_summary_is_the_excerpt_everywhere_and_clearing_it_brings_the_automatic_one_back(
    app: Flask, client: FlaskClient
) -> None:
    assert _write(client, summary="  All about <tea>,\n\n  briefly. ").status_code == 302
    assert _stored(app) == ("All about <tea>, briefly.", "All about <tea>, briefly.", 1)
    home = client.get("/").text
    assert '<p class="excerpt">All about &lt;tea&gt;, briefly.</p>' in home
    page = client.get("/posts/tea").text
    assert 'content="All about &lt;tea&gt;, briefly."' in page  # og:description
    assert _feed_summary(client) == "All about <tea>, briefly."
    editor = client.get("/posts/tea/edit").text
    assert "All about &lt;tea&gt;, briefly.</textarea>" in editor

    assert _edit(client, "tea", summary="   ").status_code == 302
    assert _stored(app) == (None, "Tea is a drink made from leaves.", 1)
    assert '<p class="excerpt">Tea is a drink made from leaves.</p>' in client.get("/").text
    assert _feed_summary(client) == "Tea is a drink made from leaves."


@pytest.mark.usefixtures("writer")
def test_a_summary_over_300_characters_is_refused_with_the_text_kept(
    app: Flask, client: FlaskClient
) -> None:
    typed = "word " * 61  # 305 characters
    response = _write(client, summary=typed)
    assert response.status_code == 422
    assert "Keep the summary to 300 characters, or leave it empty." in response.text
    assert f"{typed}</textarea>" in response.text
    assert "Tea is a drink" in response.text, "the body is kept too"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


@pytest.mark.usefixtures("writer")
def test_preview_shows_the_excerpt_lists_will_show_and_saves_nothing(
    app: Flask, client: FlaskClient
) -> None:
    automatic = _write(client, preview="Preview")
    assert automatic.status_code == 200
    assert 'In lists and feeds: <q class="excerpt">Tea is a drink made from leaves.</q>' in (
        automatic.text
    )
    written = _write(client, preview="Preview", summary="Mine.")
    assert 'In lists and feeds: <q class="excerpt">Mine.</q>' in written.text
    assert "Mine.</textarea>" in written.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


@pytest.mark.usefixtures("writer")
def test_reading_time_on_lists_and_the_post_page_within_the_query_budget(
    app: Flask, client: FlaskClient
) -> None:
    long_body = "# Long\n\n" + " ".join(["word"] * 900)  # 901 words: 4.004 → 5 minutes
    assert _write(client, title="Long read", body=long_body, tags="tea").status_code == 302
    assert _write(client, title="Short").status_code == 302
    anonymous = app.test_client()
    for path in ("/", "/tags/tea", "/users/writer", "/search?q=word", "/posts/long-read"):
        with counted_statements(app) as statements:
            page = anonymous.get(path)
        assert page.status_code == 200, path
        assert "5 min read" in page.text, path
        assert len(statements) <= 4, (path, statements)
    home = anonymous.get("/").text
    assert "1 min read" in home, "the short post"
    assert "5 min read" in client.get("/posts/long-read").text, "members see it too"
