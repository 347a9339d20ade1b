"""Exactly-once create-forms: a replayed or double-clicked submission leads to what the first
one created instead of creating it again."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import Comment, Post
from tests.conftest import serve
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, HttpSession, csrf_token, submission_token

POST = {"title": "Only once", "body": "Sent twice, saved once.", "status": "published"}


@pytest.fixture
def writer_app(app: Flask) -> Flask:
    with app.app_context():
        create_post(create_user("writer"), title="First")
        create_user("other")
    return app


def _count(app: Flask, model: type[Post] | type[Comment]) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _form(client: object, path: str) -> dict[str, str]:
    page = client.get(path).text  # type: ignore[attr-defined]
    token = submission_token(page)
    assert token is not None, "a create-form carries a one-time token"
    return {"csrf_token": csrf_token(page), "submission_token": token}


def test_a_replayed_new_post_leads_to_the_first_one(writer_app: Flask) -> None:
    client = writer_app.test_client()
    AuthActions(client).login("writer")
    form = {**_form(client, "/posts/new"), **POST}
    first = client.post("/posts/new", data=form)
    again = client.post("/posts/new", data=form)  # the browser retried: same body, same token
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"] == "/posts/only-once"
    assert _count(writer_app, Post) == 2  # "First" and one "Only once"
    fresh = client.post("/posts/new", data={**_form(client, "/posts/new"), **POST})
    assert re.fullmatch(r"/posts/only-once-[a-z2-9]{6}", fresh.headers["Location"]), (
        "a new form makes a new post"
    )


def test_a_replayed_comment_leads_to_the_first_one(writer_app: Flask) -> None:
    client = writer_app.test_client()
    AuthActions(client).login("writer")
    form = {**_form(client, "/posts/first"), "body": "Just once, please."}
    first = client.post("/posts/first/comments", data=form)
    again = client.post("/posts/first/comments", data=form)
    assert again.headers["Location"] == first.headers["Location"]
    assert "#comment-" in first.headers["Location"]
    assert _count(writer_app, Comment) == 1


def test_twin_submissions_racing_each_other_create_one_post(writer_app: Flask) -> None:
    with serve(writer_app) as base:
        browser = HttpSession(base)
        page = browser.request("GET", "/auth/login").text
        browser.request(
            "POST",
            "/auth/login",
            {
                "csrf_token": csrf_token(page),
                "username": "writer",
                "password": PASSWORD,
            },
        )
        editor = browser.request("GET", "/posts/new").text
        form = {
            "csrf_token": csrf_token(editor),
            "submission_token": submission_token(editor) or "",
            **POST,
        }
        answers: list[tuple[int, str]] = []
        start = threading.Barrier(4)

        def send() -> None:
            start.wait()
            response = browser.request("POST", "/posts/new", form)
            answers.append((response.status, response.headers["Location"]))

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [(302, "/posts/only-once")] * 4
    assert _count(writer_app, Post) == 2


def test_a_token_is_one_members_own(writer_app: Flask) -> None:
    mine, theirs = writer_app.test_client(), writer_app.test_client()
    AuthActions(mine).login("writer")
    AuthActions(theirs).login("other")
    token = _form(mine, "/posts/new")["submission_token"]
    assert (
        mine.post(
            "/posts/new", data={**_form(mine, "/posts/new"), "submission_token": token, **POST}
        ).status_code
        == 302
    )
    copied = theirs.post(
        "/posts/new", data={**_form(theirs, "/posts/new"), "submission_token": token, **POST}
    )
    assert copied.status_code == 302
    assert re.fullmatch(r"/posts/only-once-[a-z2-9]{6}", copied.headers["Location"]), (
        "their own post, not a redirect"
    )


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "<script>"])
def test_a_missing_or_forged_token_is_a_form_error(writer_app: Flask, token: str) -> None:
    client = writer_app.test_client()
    AuthActions(client).login("writer")
    form = {**_form(client, "/posts/new"), **POST, "submission_token": token}
    response = client.post("/posts/new", data=form)
    assert response.status_code == 422
    assert "missing its one-time code" in response.text
    assert "Sent twice, saved once." in response.text, "the text typed is kept"
    assert _count(writer_app, Post) == 1
