"""Shared fragments: the post list a member's home page shows is kept once for every reader."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Comment, User
from app.services import admin, posts
from app.services.sessions import sign_in
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, csrf_token, free_port, submission_token
from tests.integration.test_reading import counted_statements

LIST = re.compile(r'<ol class="post-list">.*?</ol>\s*(?:<nav class="pagination".*?</nav>)?', re.S)


def _member(app: Flask, username: str = "writer") -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def _listing(html: str) -> str:
    found = LIST.search(html)
    assert found, "no post list on the page"
    return found.group(0)


@pytest.fixture
def site(app: Flask) -> None:
    app.config["POSTS_PER_PAGE"] = 2
    with app.app_context():
        writer = create_user("writer")
        for number in range(3):
            create_post(writer, title=f"Post {number}", tags=("news",))
        create_user("admin", is_admin=True)


@pytest.mark.usefixtures("site")
def test_a_members_home_reads_the_list_once_for_everyone(app: Flask) -> None:
    member = _member(app)
    with counted_statements(app) as cold:
        assert member.get("/").status_code == 200
    with counted_statements(app) as warm:
        assert member.get("/").status_code == 200
    listing = [s for s in cold if "FROM posts" in s]
    assert listing, cold
    assert not [s for s in warm if "FROM posts" in s or "FROM tags" in s], warm
    assert len(warm) < len(cold)


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", ["/", "/?page=2"])
def test_the_shared_list_is_the_same_for_anyone_and_holds_nothing_personal(
    app: Flask, path: str
) -> None:
    """The author and an admin (who see edit links elsewhere) get the anonymous reader's list."""
    anonymous = _listing(app.test_client().get(path).text)
    writer_page = _member(app, "writer").get(path).text
    admin_page = _member(app, "admin").get(path).text
    assert _listing(writer_page) == anonymous
    assert _listing(admin_page) == anonymous
    assert 'data-testid="current-user">writer<' in writer_page  # the header stays personal
    assert "csrf_token" not in anonymous


@pytest.mark.usefixtures("site")
def test_a_members_home_shows_a_new_post_at_once(app: Flask) -> None:
    member = _member(app)
    assert "Post 2" in member.get("/").text
    with app.app_context():
        writer = db.session.scalar(sa.select(User).where(User.username == "writer"))
        create_post(writer, title="Brand new")
    assert "Brand new" in member.get("/").text


@pytest.mark.usefixtures("site")
def test_past_the_last_page_is_still_a_404_with_the_list_warm(app: Flask) -> None:
    member = _member(app)
    assert member.get("/?page=2").status_code == 200
    assert member.get("/?page=3").status_code == 404
    assert member.get("/?page=3").status_code == 404


def test_an_empty_site_still_invites_each_reader_in_their_own_words(app: Flask) -> None:
    with app.app_context():
        create_user("writer")
    assert "Join</a> to write the first post" in app.test_client().get("/").text
    assert "Write the first post</a>" in _member(app).get("/").text


def test_a_cache_store_that_is_down_costs_speed_never_the_page(make_app: AppFactory) -> None:
    """Redis refusing connections (nothing listens on the port): the list is built each time."""
    app = make_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    with app.app_context():
        create_post(create_user("writer"), title="Still here")
    member = _member(app)
    for _ in range(2):
        page = member.get("/")
        assert page.status_code == 200
        assert "Still here" in page.text


# The post page: the article, around it and the shown comments are kept once (app/posts/shared.py);
# the edit controls, each comment's links and the forms are the reader's own.


def _users(*names: str) -> dict[str, User]:
    return {name: db.session.scalar(sa.select(User).where(User.username == name)) for name in names}


@pytest.fixture
def discussed(app: Flask) -> str:
    """A post by "writer" with a comment by "reader"; "admin" and "other" read along."""
    with app.app_context():
        writer = create_user("writer")
        reader = create_user("reader")
        create_user("other")
        create_user("admin", is_admin=True)
        post = create_post(writer, title="Talk", tags=("news",))
        create_post(writer, title="Before", tags=("news",))  # related and newer
        posts.add_comment(post, reader, "First!")
        return post.slug


def _delete_links(html: str) -> int:
    return html.count("Delete comment</a>")


def test_a_warm_post_page_runs_only_the_sign_in_check(app: Flask, discussed: str) -> None:
    member = _member(app, "other")
    with counted_statements(app) as cold:
        assert member.get(f"/posts/{discussed}").status_code == 200
    with counted_statements(app) as warm:
        assert member.get(f"/posts/{discussed}").status_code == 200
    assert [s for s in cold if "FROM comments" in s], cold
    assert len(warm) == 1, warm  # the sign-in row with its member
    assert not [s for s in warm if "FROM posts" in s or "FROM comments" in s], warm


@pytest.mark.parametrize("first", ["admin", "writer", "reader", "other", None])
def test_each_reader_of_a_shared_post_page_gets_only_their_own_controls(
    app: Flask, discussed: str, first: str | None
) -> None:
    """Whoever warms the pieces, every later reader sees only what is theirs to do."""
    path = f"/posts/{discussed}"
    (app.test_client() if first is None else _member(app, first)).get(path)
    pages = {name: _member(app, name).get(path).text for name in ("admin", "writer", "reader")}
    pages["other"] = _member(app, "other").get(path).text
    anonymous = app.test_client().get(path).text
    for name, page in pages.items():
        assert f'data-testid="current-user">{name}<' in page
        assert ("Edit</a>" in page) is (name in {"admin", "writer"})
        assert _delete_links(page) == (0 if name == "other" else 1)  # author, post author, admin
        assert "First!" in page
        assert '<span aria-hidden="true">Reply</span>' in page
        assert 'id="comment-form"' in page
    assert "Edit</a>" not in anonymous
    assert _delete_links(anonymous) == 0
    assert '<span aria-hidden="true">Reply</span>' not in anonymous
    assert "Sign in to comment" in anonymous
    assert "csrf_token" not in anonymous


def test_a_post_page_changes_at_once_after_an_edit_a_comment_and_moderation(
    app: Flask, discussed: str
) -> None:
    member, path = _member(app, "other"), f"/posts/{discussed}"
    assert "First!" in member.get(path).text
    with app.app_context():
        users = _users("writer", "reader", "admin")
        post = posts.post_by_slug(discussed)
        assert post is not None
        second = posts.add_comment(post, users["reader"], "Second thoughts").id
    assert "Second thoughts" in member.get(path).text
    assert "2 comments" in member.get(path).text
    with app.app_context():
        users = _users("admin")
        hidden = db.session.get(Comment, second)
        assert hidden is not None
        admin.set_comment_hidden(users["admin"], hidden, True)
        db.session.commit()
    assert "Second thoughts" not in member.get(path).text
    with app.app_context():
        post = posts.post_by_slug(discussed)
        assert post is not None
        posts.update_post(
            post, title="Talk, revised", body="New words.", tags=[], status="published"
        )
    page = member.get(path).text
    assert "Talk, revised" in page
    assert "New words." in page
    assert "#news" not in page


def test_a_draft_is_never_shared_nor_kept(app: Flask) -> None:
    """A draft's pieces are made for its author on each request: never kept, never shown."""
    with app.app_context():
        writer = create_user("writer")
        create_user("other")
        slug = create_post(writer, title="Secret draft", status="draft").slug
    author = _member(app, "writer")
    assert "Secret draft" in author.get(f"/posts/{slug}").text
    with counted_statements(app) as again:
        assert "Edit</a>" in author.get(f"/posts/{slug}").text
    assert [s for s in again if "FROM posts" in s], again
    assert _member(app, "other").get(f"/posts/{slug}").status_code == 404
    assert app.test_client().get(f"/posts/{slug}").status_code == 404


def test_a_reply_link_on_a_warm_page_opens_the_form_under_its_thread(
    app: Flask, discussed: str
) -> None:
    member, path = _member(app, "other"), f"/posts/{discussed}"
    comment_id = int(re.findall(r'id="comment-(\d+)"', member.get(path).text)[0])
    page = member.get(f"{path}?reply_to={comment_id}").text
    assert 'id="reply"' in page
    assert "Your reply to reader" in page
    assert page.index(f'id="comment-{comment_id}"') < page.index('id="reply"')
    assert "Write a new comment instead" in page
    gone = member.get(f"{path}?reply_to={comment_id + 999}").text
    assert 'id="reply"' not in gone
    assert 'id="comment-form"' in gone


def test_the_blank_comment_form_is_the_one_wtforms_renders(app: Flask, discussed: str) -> None:
    """posts/show.html writes the blank form out by hand (cheaper): it must stay CommentForm's."""
    from app.posts.forms import CommentForm
    from app.posts.routes import _post_page
    from app.posts.shared import page_of

    with app.test_request_context(f"/posts/{discussed}"):
        sign_in(_users("other")["other"], remember=False)
        page = page_of(discussed, None)
        by_hand, by_wtforms = _post_page(page, None), _post_page(page, CommentForm(formdata=None))

    def form(html: str) -> str:
        found = re.search(r'<form class="comment-form" id="comment-form".*?</form>', html, re.S)
        assert found, html
        tokens = re.sub(
            r'(name="(?:csrf|submission)_token" type="hidden" value=)"[^"]+"', r"\1", found.group(0)
        )
        return re.sub(r">\s+<", "><", tokens)

    assert 'name="csrf_token"' in form(by_hand)
    assert form(by_hand) == form(by_wtforms)


def test_a_comment_sent_back_with_errors_reads_the_post_once(app: Flask, discussed: str) -> None:
    """The form with its errors is the post page again: built from the post the view loaded,
    so still at most 4 statements (and, read before the version, never kept)."""
    member, path = _member(app, "other"), f"/posts/{discussed}"
    page = member.get(path).text
    data = {"csrf_token": csrf_token(page), "submission_token": submission_token(page) or ""}
    with app.app_context():  # a new version: the pieces are built again for the answer
        post = posts.post_by_slug(discussed)
        assert post is not None
        posts.add_comment(post, _users("reader")["reader"], "Meanwhile")
    with counted_statements(app) as statements:
        sent = member.post(f"{path}/comments", data={**data, "body": ""})
    assert sent.status_code == 422
    assert "Write a comment first." in sent.text
    assert len([s for s in statements if "WHERE posts.slug = " in s]) == 1, statements
    assert len(statements) <= 4, statements


def test_the_kept_theme_switch_marks_each_readers_own_theme_and_language(
    app: Flask, discussed: str
) -> None:
    """The footer's theme switch is kept per theme and language (app/theme/routes.py)."""
    current = re.compile(r'<nav class="theme-switch".*?aria-current="true">([^<]+)</a>', re.S)
    readers = {}
    for theme, language in (("light", "en"), ("dark", "en"), ("dark", "zh-Hans"), ("x", "en")):
        reader = _member(app, "other")
        reader.set_cookie("theme", theme)
        reader.set_cookie("lang", language)
        readers[theme, language] = reader
    for _ in range(2):  # cold, then warm
        shown = {key: current.search(r.get("/").text) for key, r in readers.items()}
        assert {key: found.group(1) if found else None for key, found in shown.items()} == {
            ("light", "en"): "Light",
            ("dark", "en"): "Dark",
            ("dark", "zh-Hans"): "深色",
            ("x", "en"): "System",
        }
