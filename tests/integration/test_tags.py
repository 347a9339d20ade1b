"""Tags as written over HTTP: display forms, distinct slugs, one tag per spelling, old addresses."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Tag, User, utcnow
from app.services import admin, posts
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, submit


@pytest.fixture
def writer(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")


def _write(client: FlaskClient, title: str, tags: str) -> str:
    fields = {"title": title, "body": "Some text.", "tags": tags, "status": "published"}
    response = submit(client, "/posts/new", fields)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _tags(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            tuple(row) for row in db.session.execute(sa.select(Tag.name, Tag.slug).order_by(Tag.id))
        ]


@pytest.mark.usefixtures("writer")
def test_c_cpp_and_csharp_are_three_tags_with_three_addresses(
    app: Flask, client: FlaskClient
) -> None:
    post = client.get(_write(client, "Three languages", "C, C++, C#")).text
    assert _tags(app) == [("C", "c"), ("C++", "c-plus-plus"), ("C#", "c-sharp")]
    for name, slug in _tags(app):
        assert f'<a href="/tags/{slug}">#{name}</a>' in post
        page = client.get(f"/tags/{slug}")
        assert page.status_code == 200
        assert f"Posts tagged #{name}</h1>" in page.text
        assert "Three languages" in page.text


def test_spellings_that_differ_in_case_are_one_tag_as_first_written(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_post(create_user("first"), title="First", tags=("Python",))
        create_post(create_user("second"), title="Second", tags=("python", "PYTHON"))
    assert _tags(app) == [("Python", "python")]
    page = client.get("/tags/python")
    assert "Posts tagged #Python</h1>" in page.text
    assert "First" in page.text
    assert "Second" in page.text


@pytest.mark.usefixtures("writer")
def test_display_forms_in_post_tag_page_and_feed(app: Flask, client: FlaskClient) -> None:
    written = ["Node.js", ".NET", "machine learning", "数据库", "हिन्दी", "Go"]
    location = _write(client, "Everything", ", ".join(written))
    slugs = dict(_tags(app))
    assert slugs == {
        "Node.js": "node-js",
        ".NET": "dot-net",
        "machine learning": "machine-learning",
        "数据库": "数据库",
        "हिन्दी": "हिन्दी",  # the virama, a combining mark, stays in the word
        "Go": "go",
    }
    post = client.get(location).text
    feed = client.get("/feed.xml").text
    for name, slug in slugs.items():
        assert f'<a href="/tags/{quote(slug)}">#{name}</a>' in post
        assert f'<category term="{name}"/>' in feed
        assert f"Posts tagged #{name}</h1>" in client.get(f"/tags/{quote(slug)}").text


@pytest.mark.usefixtures("writer")
def test_a_slug_is_kept_when_another_tag_would_have_it(app: Flask, client: FlaskClient) -> None:
    _write(client, "Server side", "Node.js")
    _write(client, "Spaced", "node js")
    assert _tags(app) == [("Node.js", "node-js"), ("node js", "node-js-2")]
    assert "Server side" in client.get("/tags/node-js").text
    spaced = client.get("/tags/node-js-2").text
    assert "Spaced" in spaced
    assert "Server side" not in spaced


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("/tags/C%2B%2B", "/tags/c-plus-plus"),
        ("/tags/c++", "/tags/c-plus-plus"),
        ("/tags/C%23", "/tags/c-sharp"),
        ("/tags/Machine%20Learning?page=1", "/tags/machine-learning?page=1"),
        ("/tags/Machine_Learning", "/tags/machine-learning"),
        # the same tag in decomposed Unicode (NFD), as some systems send it
        ("/tags/" + quote("Cafe\u0301"), "/tags/" + quote("café")),
    ],
)
def test_other_spellings_of_a_tag_redirect_to_its_address(
    app: Flask, client: FlaskClient, address: str, target: str
) -> None:
    with app.app_context():
        create_post(create_user("w"), title="T", tags=("C++", "C#", "Machine learning", "Café"))
    response = client.get(address)
    assert (response.status_code, response.location) == (301, target)


@pytest.mark.parametrize("address", ["/tags/c", "/tags/nothing", "/tags/%2B", "/tags/" + "x" * 300])
def test_unknown_tags_are_404(app: Flask, client: FlaskClient, address: str) -> None:
    with app.app_context():
        create_post(create_user("w"), title="T", tags=("C++",))
    assert client.get(address).status_code == 404


@pytest.mark.parametrize(
    "address",
    ["/tags/Project%20Falcon", "/tags/project_falcon", "/tags/Launch%20Plan", "/tags/Quiet%20Life"],
)
def test_other_spellings_of_tags_on_no_public_post_are_404_like_unknown_ones(
    app: Flask, client: FlaskClient, address: str
) -> None:
    """A redirect would tell anyone that a draft, a scheduled post or a hidden member uses it."""
    with app.app_context():
        writer = create_user("writer")
        create_post(writer, title="Draft", tags=("Project Falcon",), status="draft")
        later = utcnow() + timedelta(days=1)
        posts.create_post(
            writer,
            title="Soon",
            body="b",
            tags=["Launch Plan"],
            status="published",
            publish_at=later,
        )
        create_post(create_user("gone"), title="Theirs", tags=("Quiet Life",))
        admin.deactivate(None, db.session.scalar(sa.select(User).filter_by(username="gone")))
        create_post(writer, title="Public", tags=("Python",))
    assert client.get("/tags/Python%20").status_code == 301, "a public tag still redirects"
    response = client.get(address)
    assert response.status_code == 404
    assert response.text == client.get("/tags/Project%20Nothing").text


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("x" * 41, "keep each tag to 40 characters"),
        ("C++, !!!", "“!!!” needs at least one letter or digit."),
        ("one,\u0007two", "invisible control characters"),
        (", ".join(f"Tag {n}" for n in range(11)), "Use at most 10 tags."),
    ],
)
def test_bad_tags_are_a_422_with_a_message(
    app: Flask, client: FlaskClient, tags: str, message: str
) -> None:
    fields = {"title": "T", "body": "B", "tags": tags, "status": "published"}
    response = submit(client, "/posts/new", fields)
    assert response.status_code == 422
    assert message in response.text
    assert _tags(app) == []


@pytest.mark.usefixtures("writer")
def test_the_editor_shows_tags_as_written(client: FlaskClient) -> None:
    location = _write(client, "Edit me", "C++,  Node.js ,node.JS")
    assert 'value="C++, Node.js"' in client.get(f"{location}/edit").text
