"""Confirmation before destruction: a GET page says what will be lost; its one button POSTs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Comment, Post, User
from app.services import admin, posts
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, page_forms, send_form
from tests.integration.test_reading import counted_statements

BUDGET = 4  # SQL statements per page, as for every page


@pytest.fixture
def site(app: Flask) -> dict[str, int]:
    """A published post by "author" with three comments (one hidden), and a draft."""
    with app.app_context():
        author = create_user("author")
        commenter = create_user("commenter")
        for name in ("stranger", "other"):
            create_user(name)
        create_user("boss", is_admin=True)
        post = create_post(author, title="Doomed “post”")
        comment = posts.add_comment(post, commenter, "first! https://example.com")
        posts.add_comment(post, author, "thanks")
        hidden = posts.add_comment(post, commenter, "spam")
        admin.set_comment_hidden(author, hidden, hidden=True)
        draft = create_post(create_user("drafter"), title="Secret", status="draft")
        draft_comment = Comment(post=draft, author=author, body="on a draft")
        db.session.add(draft_comment)
        db.session.commit()
        return {
            "post": post.id,
            "comment": comment.id,
            "draft_comment": draft_comment.id,
            "member": commenter.id,
        }


def _client(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        AuthActions(client).login(username)
    return client


def _exists(app: Flask, model: type[Post | Comment | User], row_id: int) -> bool:
    with app.app_context():
        return db.session.get(model, row_id) is not None


def _asked(app: Flask, client: FlaskClient, path: str) -> str:
    """The confirmation page at ``path``, within the query budget, having changed nothing."""
    with counted_statements(app) as statements:
        page = client.get(path)
    assert page.status_code == 200, path
    assert len(statements) <= BUDGET, statements
    return page.text


def test_the_author_is_told_what_deleting_a_post_loses(app: Flask, site: dict[str, int]) -> None:
    client = _client(app, "author")
    post_page = client.get("/posts/doomed-post").text
    assert 'href="/posts/doomed-post/delete"' in post_page
    assert not [form for form in page_forms(post_page) if form[0].endswith("/delete")]
    text = _asked(app, client, "/posts/doomed-post/delete")
    assert "Delete “Doomed “post”” and its 3 comments? This cannot be undone." in text
    [(_, fields)] = [form for form in page_forms(text) if form[0].endswith("/delete")]
    assert ("do", "Delete post") in fields
    assert 'href="/posts/doomed-post">Cancel</a>' in text
    assert _exists(app, Post, site["post"])
    done = send_form(client, client.get("/posts/doomed-post/delete"), "/posts/doomed-post/delete")
    assert (done.status_code, done.location) == (302, "/")
    assert not _exists(app, Post, site["post"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_a_post_without_comments_says_so(app: Flask) -> None:
    with app.app_context():
        create_post(create_user("author"), title="Alone")
    text = _asked(app, _client(app, "author"), "/posts/alone/delete")
    assert "Delete “Alone”? This cannot be undone." in text


@pytest.mark.parametrize(
    ("role", "post_status", "comment_status"),
    [
        (None, 302, 302),
        ("stranger", 403, 403),
        ("commenter", 403, 200),
        ("author", 200, 200),
        ("boss", 200, 200),
    ],
)
def test_confirmation_pages_show_nothing_to_those_not_allowed(
    app: Flask,
    site: dict[str, int],
    role: str | None,
    post_status: int,
    comment_status: int,
) -> None:
    client = _client(app, role)
    for path, status in (
        ("/posts/doomed-post/delete", post_status),
        (f"/comments/{site['comment']}/delete", comment_status),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        if status != 200:
            assert "Doomed" not in response.text
            assert "first!" not in response.text
    if role is not None:  # a comment on someone else's draft, an unknown post or comment: 404
        expected = 200 if role == "boss" else 404
        assert client.get(f"/comments/{site['draft_comment']}/delete").status_code == expected
        assert client.get("/posts/nothing/delete").status_code == 404
        assert client.get("/comments/99999999999999999999/delete").status_code == 404


def test_deleting_a_comment_asks_first(app: Flask, site: dict[str, int]) -> None:
    client = _client(app, "commenter")
    path = f"/comments/{site['comment']}/delete"
    assert f'href="{path}"' in client.get("/posts/doomed-post").text
    text = _asked(app, client, path)
    assert "Delete your comment on “Doomed" in text
    assert "first! https://example.com" in text
    assert _exists(app, Comment, site["comment"])
    done = send_form(client, client.get(path), path)
    assert done.status_code == 302
    assert not _exists(app, Comment, site["comment"])


def test_the_post_author_sees_whose_comment_they_delete(app: Flask, site: dict[str, int]) -> None:
    text = _asked(app, _client(app, "author"), f"/comments/{site['comment']}/delete")
    assert "Delete commenter’s comment on “Doomed" in text  # noqa: RUF001


def _add_replies(app: Flask, comment_id: int, count: int) -> None:
    """``count`` replies by others to the comment, the last of several hidden by a moderator."""
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        others = [
            db.session.scalar(sa.select(User).filter_by(username=name))
            for name in ("other", "author")
        ]
        replies = [
            posts.add_comment(comment.post, others[n % 2], f"reply {n}", reply_to=comment.id)
            for n in range(count)
        ]
        if count > 1:
            admin.set_comment_hidden(others[1], replies[-1], hidden=True)


@pytest.mark.parametrize(
    ("count", "lost"),
    [(0, "?"), (1, " and its 1 reply?"), (3, " and its 3 replies?")],
)
@pytest.mark.parametrize(
    ("username", "path"),
    [("commenter", "/comments/{}/delete"), ("boss", "/admin/comments/{}/delete")],
)
def test_deleting_a_comment_says_how_many_replies_go_with_it(
    app: Flask, site: dict[str, int], count: int, lost: str, username: str, path: str
) -> None:
    """Replies, others' and hidden ones included, are deleted with the comment they answer."""
    _add_replies(app, site["comment"], count)
    text = _asked(app, _client(app, username), path.format(site["comment"]))
    assert f"comment on “Doomed “post””{lost} This cannot be undone." in " ".join(text.split())


def test_deleting_a_post_counts_replies_among_its_comments(
    app: Flask, site: dict[str, int]
) -> None:
    _add_replies(app, site["comment"], 2)
    text = _asked(app, _client(app, "author"), "/posts/doomed-post/delete")
    assert "Delete “Doomed “post”” and its 5 comments? This cannot be undone." in text


# Admin -----------------------------------------------------------------------------------------


def test_admin_lists_link_to_confirmation_pages(app: Flask, site: dict[str, int]) -> None:
    boss = _client(app, "boss")
    users = boss.get("/admin/users").text
    assert f'href="/admin/users/{site["member"]}/deactivate"' in users
    listing = boss.get("/admin/posts").text
    assert f'href="/admin/posts/{site["post"]}/delete"' in listing
    assert f'href="/admin/posts/{site["post"]}/unpublish"' in listing
    assert f'href="/admin/comments/{site["comment"]}/delete"' in boss.get("/admin/comments").text
    destructive = ("/deactivate", "/delete", "/unpublish")
    for page in (users, listing):
        assert not [form for form in page_forms(page) if form[0].endswith(destructive)]


def test_admin_deactivation_says_what_leaves_the_public_pages(
    app: Flask, site: dict[str, int]
) -> None:
    AuthActions(app.test_client()).login("commenter")  # a second signed-in device
    AuthActions(app.test_client()).login("commenter")
    with app.app_context():
        commenter = db.session.get(User, site["member"])
        create_post(commenter, title="Theirs")
        create_post(commenter, title="Draft", status="draft")
    boss = _client(app, "boss")
    path = f"/admin/users/{site['member']}/deactivate"
    text = _asked(app, boss, path)
    assert "Deactivate commenter?" in text
    assert "2 signed-in devices signed out" in text
    assert "1 published post and 1 comment taken off the public pages" in text
    with app.app_context():
        assert db.session.get(User, site["member"]).is_active
    done = send_form(boss, boss.get(path), path)
    assert (done.status_code, done.location) == (302, "/admin/users")
    with app.app_context():
        assert not db.session.get(User, site["member"]).is_active


@pytest.mark.parametrize(
    ("action", "message", "gone"),
    [
        ("delete", "Delete “Doomed “post”” by author and its 3 comments? This cannot", True),
        ("unpublish", "Unpublish “Doomed “post”” by author? It becomes a draft again", False),
    ],
)
def test_admin_post_actions_say_what_is_lost(
    app: Flask, site: dict[str, int], action: str, message: str, gone: bool
) -> None:
    boss = _client(app, "boss")
    path = f"/admin/posts/{site['post']}/{action}"
    text = _asked(app, boss, path)
    assert message in text
    assert "3 comments" in text
    done = send_form(boss, boss.get(path), path)
    assert (done.status_code, done.location) == (302, "/admin/posts")
    assert _exists(app, Post, site["post"]) != gone
    assert app.test_client().get("/posts/doomed-post").status_code == 404


def test_admin_comment_delete_asks_first(app: Flask, site: dict[str, int]) -> None:
    boss = _client(app, "boss")
    path = f"/admin/comments/{site['comment']}/delete"
    text = _asked(app, boss, path)
    assert "Delete commenter’s comment on “Doomed" in text  # noqa: RUF001
    assert "first! https://example.com" in text
    done = send_form(boss, boss.get(path), path)
    assert (done.status_code, done.location) == (302, "/admin/comments")
    assert not _exists(app, Comment, site["comment"])


@pytest.mark.parametrize(
    "path", ["/admin/users/99999/deactivate", "/admin/posts/0/delete", "/admin/comments/7/delete"]
)
def test_admin_confirmation_of_nothing_is_404(app: Flask, site: dict[str, int], path: str) -> None:
    assert _client(app, "boss").get(path).status_code == 404
    assert _client(app, "author").get(path).status_code == 403, "not an admin: 403 first"


def test_a_remembered_admin_confirms_then_gives_the_password_and_the_action_is_kept(
    app: Flask, site: dict[str, int]
) -> None:
    """The confirmation page needs no password; its button does, and survives it."""
    first = app.test_client()
    AuthActions(first).login("boss", remember=True)
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", first.get_cookie("inkwell_remember").value)
    path = f"/admin/posts/{site['post']}/delete"
    asked = restored.get(path)
    assert asked.status_code == 200
    sent = send_form(restored, asked, path)
    assert sent.status_code == 302
    assert sent.location.startswith("/auth/reauthenticate?next=")
    password_page = restored.get(sent.location)
    confirmed = send_form(restored, password_page, "/auth/reauthenticate", password=PASSWORD)
    assert confirmed.status_code == 200
    assert _exists(app, Post, site["post"]), "nothing is done without a press"
    [(_, fields)] = [form for form in page_forms(confirmed.text) if path in form[0]]
    assert ("do", "Delete") in fields
    done = send_form(restored, confirmed, path)
    assert (done.status_code, done.location) == (302, "/admin/posts")
    assert not _exists(app, Post, site["post"])
