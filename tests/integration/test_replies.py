"""Replies to comments over HTTP: one level of threading, the reply form without JavaScript,
refusals, what deleting and hiding do to a thread, and the limits a reply shares with comments."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Comment, Post, User
from app.services import posts
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, page_forms, send_form, submit


@pytest.fixture
def talk(app: Flask) -> dict[str, int]:
    """A post by "writer" with a comment by "reader"; "third" signed in on ``client``."""
    with app.app_context():
        writer = create_user("writer")
        reader = create_user("reader")
        create_user("third")
        post = create_post(writer, title="Talk")
        first = posts.add_comment(post, reader, "First thoughts.")
        return {"post": post.id, "first": first.id}


def _reply(client: FlaskClient, comment_id: int, body: str, slug: str = "talk"):
    page = client.get(f"/posts/{slug}?reply_to={comment_id}")
    return send_form(client, page, f"/posts/{slug}/comments", body=body)


def _comments(app: Flask) -> list[Comment]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))
        db.session.expunge_all()
        return found


class _Nesting(HTMLParser):
    """Which comment each comment's <li> sits in: {comment id: id of the enclosing comment}."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.parents: dict[int, int | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "li":
            return
        found = re.fullmatch(r"comment-(\d+)", dict(attrs).get("id") or "")
        if found:
            enclosing = next((each for each in reversed(self.stack) if each), None)
            self.parents[int(found.group(1))] = int(enclosing) if enclosing else None
        self.stack.append(found.group(1) if found else None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self.stack.pop()


def _nesting(html: str) -> dict[int, int | None]:
    parser = _Nesting()
    parser.feed(html)
    return parser.parents


def test_a_reply_link_works_without_javascript_and_the_reply_is_shown_nested(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    page = client.get("/posts/talk")
    link = f"/posts/talk?reply_to={talk['first']}#reply"
    assert f'href="{link}"' in page.text
    assert '<span class="visually-hidden">Reply to reader</span>' in page.text

    form_page = client.get(link)
    assert form_page.status_code == 200
    assert 'id="reply"' in form_page.text
    assert "Your reply to reader" in form_page.text
    assert f'name="reply_to" type="hidden" value="{talk["first"]}"' in form_page.text
    assert "Write a new comment instead" in form_page.text
    assert _nesting(form_page.text) == {talk["first"]: None}

    response = send_form(client, form_page, "/posts/talk/comments", body="I disagree.")
    assert response.status_code == 302
    reply = _comments(app)[-1]
    assert response.headers["Location"] == f"/posts/talk#comment-{reply.id}"
    assert reply.parent_id == talk["first"]
    shown = client.get("/posts/talk")
    assert "Reply posted." in shown.text
    assert "2 comments<" in shown.text
    assert _nesting(shown.text) == {talk["first"]: None, reply.id: talk["first"]}
    assert re.search(r'<ol class="replies" aria-label="Replies to reader">', shown.text)


def test_a_reply_to_a_reply_joins_the_first_comments_thread(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    assert _reply(client, talk["first"], "Second level.").status_code == 302
    second = _comments(app)[-1]
    page = client.get(f"/posts/talk?reply_to={second.id}")
    assert "@third </textarea>" in page.text, "the answered member is named in the text"
    assert _reply(client, second.id, "Third level?").status_code == 302
    third = _comments(app)[-1]
    assert third.parent_id == talk["first"], "one level: attached to the thread's first comment"
    assert _nesting(client.get("/posts/talk").text) == {
        talk["first"]: None,
        second.id: talk["first"],
        third.id: talk["first"],
    }


def _comment_elsewhere(app: Flask) -> int:
    with app.app_context():
        other = create_post(db.session.scalar(sa.select(User).filter_by(username="writer")))
        return posts.add_comment(other, other.author, "Elsewhere.").id


def _hidden(app: Flask, talk: dict[str, int]) -> int:
    with app.app_context():
        post = db.session.get(Post, talk["post"])
        comment = posts.add_comment(post, post.author, "Moderated away.")
        comment.is_hidden = True
        db.session.commit()
        return comment.id


def _by_deactivated(app: Flask, talk: dict[str, int]) -> int:
    with app.app_context():
        post = db.session.get(Post, talk["post"])
        comment = posts.add_comment(post, create_user("gone"), "Soon gone.")
        comment.author.is_active = False
        db.session.commit()
        return comment.id


@pytest.mark.parametrize(
    "target",
    [
        "hidden",
        "deactivated author",
        "other post",
        "deleted",
        "unknown",
        "huge",
        "negative",
        "text",
    ],
)
def test_a_reply_to_a_comment_not_shown_on_the_post_is_refused_and_its_text_kept(
    app: Flask, client: FlaskClient, talk: dict[str, int], target: str
) -> None:
    AuthActions(client).login("third")
    page = client.get(f"/posts/talk?reply_to={talk['first']}")  # a form, then the target goes
    reply_to = {
        "hidden": lambda: str(_hidden(app, talk)),
        "deactivated author": lambda: str(_by_deactivated(app, talk)),
        "other post": lambda: str(_comment_elsewhere(app)),
        "deleted": lambda: str(talk["first"]),
        "unknown": lambda: "99999",
        "huge": lambda: "99999999999999999999",
        "negative": lambda: "-1",
        "text": lambda: "abc",
    }[target]()
    if target == "deleted":
        with app.app_context():
            posts.delete_comment(db.session.get(Comment, talk["first"]))
    before = len(_comments(app))
    response = send_form(
        client, page, "/posts/talk/comments", body="My careful answer.", reply_to=reply_to
    )
    assert response.status_code == 422
    assert "no longer shown here, so your reply was not posted" in response.text
    assert "My careful answer.</textarea>" in response.text
    assert 'id="comment-form"' in response.text, "kept in a form for a new comment"
    assert 'name="reply_to" type="hidden" value=""' in response.text
    assert len(_comments(app)) == before


def test_an_old_reply_link_to_a_comment_gone_offers_a_new_comment(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    hidden = _hidden(app, talk)
    page = client.get(f"/posts/talk?reply_to={hidden}")
    assert page.status_code == 200
    assert "The comment you wanted to answer is no longer shown here." in page.text
    assert 'id="comment-form"' in page.text
    assert 'id="reply"' not in page.text
    assert client.get("/posts/talk?reply_to=abc").status_code == 200


def test_deleting_a_comment_deletes_its_replies(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    _reply(client, talk["first"], "An answer.")
    AuthActions(client).logout()
    AuthActions(client).login("reader")
    deleted = submit(client, f"/comments/{talk['first']}/delete", {}, form_url="/posts/talk")
    assert deleted.status_code == 302
    assert _comments(app) == []


def test_while_a_comment_is_hidden_its_replies_are_hidden_too(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    _reply(client, talk["first"], "An answer to the first.")
    with app.app_context():
        db.session.get(Comment, talk["first"]).is_hidden = True
        db.session.commit()
    page = client.get("/posts/talk").text
    assert "An answer to the first." not in page
    assert "0 comments<" in page
    with app.app_context():
        db.session.get(Comment, talk["first"]).is_hidden = False
        db.session.commit()
    assert "An answer to the first." in client.get("/posts/talk").text


def test_readers_who_are_not_signed_in_get_no_reply_links(
    client: FlaskClient, talk: dict[str, int]
) -> None:
    page = client.get(f"/posts/talk?reply_to={talk['first']}")
    assert "reply_to=" not in page.text
    assert "<form" not in page.text.split('id="comments"')[1]


def test_a_replayed_reply_creates_one_reply(
    app: Flask, client: FlaskClient, talk: dict[str, int]
) -> None:
    AuthActions(client).login("third")
    page = client.get(f"/posts/talk?reply_to={talk['first']}")
    url, fields = next(form for form in page_forms(page.text) if "/comments" in form[0])
    data = {**dict(fields), "body": "Once."}
    first = client.post(url, data=data)
    again = client.post(url, data=data)
    assert again.headers["Location"] == first.headers["Location"]
    assert [c.body for c in _comments(app)] == ["First thoughts.", "Once."]


def test_replies_count_against_the_comment_rate_limit(make_app: AppFactory) -> None:
    app = make_app(
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
            "COMMENT_RATE_LIMIT": "2 per hour",
        }
    )
    with app.app_context():
        reader = create_user("reader")
        first = posts.add_comment(create_post(create_user("writer"), title="Talk"), reader, "Hi.")
        first_id = first.id
    client = app.test_client()
    AuthActions(client).login("reader")
    assert _reply(client, first_id, "One.").status_code == 302
    assert (
        submit(client, "/posts/talk/comments", {"body": "Two."}, "/posts/talk").status_code == 302
    )
    assert _reply(client, first_id, "Three.").status_code == 429
