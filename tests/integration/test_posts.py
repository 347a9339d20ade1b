"""Writing over HTTP: new/edit/delete, drafts, slugs, comments and the permission matrix."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Comment, Post, Tag, User, UserSession
from app.services import posts
from app.services.markdown import render_markdown
from tests.factories import create_post, create_user
from tests.helpers import (
    FOREIGN_REFERER,
    AuthActions,
    assert_nothing_to_send,
    csrf_token,
    page_forms,
    submission_token,
    submit,
)
from tests.integration.test_reading import counted_statements


def _post(app: Flask, slug: str) -> Post | None:
    with app.app_context():
        return db.session.scalar(sa.select(Post).where(Post.slug == slug))


def _write(client: FlaskClient, **fields: str):
    data = {"title": "Hello world", "body": "Some *text*.", "tags": "", "status": "published"}
    return submit(client, "/posts/new", {**data, **fields})


@pytest.fixture
def writer(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")


@pytest.mark.usefixtures("writer")
def test_write_a_published_post_with_markdown_and_tags(app: Flask, client: FlaskClient) -> None:
    response = _write(
        client,
        title="Café au lait",
        body="# Intro\n\nSome **bold** text.",
        tags="Python, web ,python",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/posts/caf%C3%A9-au-lait"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert '<h1 id="post-title">Café au lait</h1>' in page.text
    assert "<strong>bold</strong>" in page.text
    assert "Your post is published." in page.text
    post = _post(app, "café-au-lait")
    assert post is not None
    assert post.published_at is not None
    with app.app_context():
        names = [t.name for t in db.session.scalars(sa.select(Tag).order_by(Tag.name))]
    assert names == ["Python", "web"]  # as first written; "python" is the same tag
    assert "Café au lait" in client.get("/").text
    assert client.get("/tags/python").status_code == 200


@pytest.mark.usefixtures("writer")
def test_drafts_are_visible_only_to_author_and_admin(app: Flask, client: FlaskClient) -> None:
    saved = _write(client, title="Secret plans", status="draft")
    assert saved.status_code == 302
    draft = saved.headers["Location"]
    assert client.get(draft).status_code == 200
    assert "Draft" in client.get(draft).text

    anonymous = app.test_client()
    assert anonymous.get(draft).status_code == 404
    for path in ("/", "/users/writer", "/feed.xml", "/sitemap.xml", "/search?q=secret"):
        assert "Secret plans" not in anonymous.get(path).text
        assert "secret-plans" not in anonymous.get(path).text

    with app.app_context():
        create_user("other")
        create_user("boss", is_admin=True)
    other = app.test_client()
    AuthActions(other).login("other")
    assert other.get(draft).status_code == 404
    boss = app.test_client()
    AuthActions(boss).login("boss")
    assert boss.get(draft).status_code == 200


PRIVATE_SLUG = r"[a-z2-9]{6}"


def test_readable_slugs_for_published_posts_survive_title_edits(app: Flask) -> None:
    with app.app_context():
        author = create_user("writer")
        first = create_post(author, title="Same title")
        unicode_slug = create_post(author, title="日本語のタイトル — Ünïcödé").slug
        posts.update_post(first, title="Renamed", body="x", tags=[], status="published")
    assert unicode_slug == "日本語のタイトル-ünïcödé"
    assert _post(app, "same-title").title == "Renamed"


def test_a_taken_or_reserved_slug_gets_a_random_suffix_never_a_number(app: Flask) -> None:
    with app.app_context():
        author = create_user("writer")
        slugs = [create_post(author, title="Same title").slug for _ in range(3)]
        new_slug = create_post(author, title="New").slug
    assert slugs[0] == "same-title"
    assert all(re.fullmatch(f"same-title-{PRIVATE_SLUG}", slug) for slug in slugs[1:]), slugs
    assert len(set(slugs)) == 3
    assert re.fullmatch(f"new-{PRIVATE_SLUG}", new_slug), "'new' is the /posts/new page"


@pytest.mark.usefixtures("writer")
def test_many_posts_with_one_title_never_fail(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        other = create_user("other")
        for _ in range(25):
            create_post(other, title="Hello world")
    response = _write(client, title="Hello world")
    assert response.status_code == 302
    assert re.fullmatch(f"/posts/hello-world-{PRIVATE_SLUG}", response.headers["Location"])


def test_titles_without_words_get_their_own_random_slugs(app: Flask) -> None:
    with app.app_context():
        author = create_user("writer")
        slugs = [create_post(author, title=title).slug for title in ("!!!", "???", "!!!", "—")]
    assert all(re.fullmatch(f"post-{PRIVATE_SLUG}", slug) for slug in slugs), slugs
    assert len(set(slugs)) == len(slugs)


@pytest.mark.parametrize("status", ["published", "draft"])
def test_a_hidden_draft_never_shows_in_anyone_elses_slug(app: Flask, status: str) -> None:
    """The slug a member gets is the same whether or not someone has a draft of that title."""
    with app.app_context():
        writer, other = create_user("writer"), create_user("other")
        control = create_post(other, title="Unrelated plans", status=status).slug
        create_post(writer, title="Secret plans", status="draft")
        probe = create_post(other, title="Secret plans", status=status).slug
    if status == "published":
        assert (control, probe) == ("unrelated-plans", "secret-plans")
    else:
        assert re.fullmatch(f"unrelated-plans-{PRIVATE_SLUG}", control)
        assert re.fullmatch(f"secret-plans-{PRIVATE_SLUG}", probe)


@pytest.mark.usefixtures("writer")
def test_a_draft_takes_its_readable_slug_when_first_published(
    app: Flask, client: FlaskClient
) -> None:
    draft = _write(client, title="Secret plans", status="draft").headers["Location"]
    assert re.fullmatch(f"/posts/secret-plans-{PRIVATE_SLUG}", draft)
    fields = {"title": "Secret plans", "body": "Now public.", "status": "published"}
    published = submit(client, f"{draft}/edit", fields)
    assert published.headers["Location"] == "/posts/secret-plans"
    assert app.test_client().get("/posts/secret-plans").status_code == 200
    assert client.get(draft).status_code == 404
    # Unpublished and published again, it keeps its address; so does a clash with it.
    submit(client, "/posts/secret-plans/edit", {**fields, "status": "draft"})
    again = submit(client, "/posts/secret-plans/edit", fields)
    assert again.headers["Location"] == "/posts/secret-plans"
    second = _write(client, title="Secret plans", status="draft").headers["Location"]
    kept = submit(client, f"{second}/edit", fields)
    assert kept.status_code == 302
    assert kept.headers["Location"] == second


@pytest.mark.usefixtures("writer")
def test_unicode_slug_url_works(client: FlaskClient) -> None:
    location = _write(client, title="日本語のタイトル").headers["Location"]
    assert client.get(location).status_code == 200


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("数据库入门", "数据库入门"),
        ("हिन्दी में लेख", "हिन्दी-में-लेख"),  # virama and vowel signs are marks, not separators
        ("مرحبا بالعالم", "مرحبا-بالعالم"),
        ("Crème brûlée, à la française", "crème-brûlée-à-la-française"),
        ("Cafe\u0301 decomposed", "café-decomposed"),  # NFKC composes the accent first
    ],
)
def test_titles_in_any_script_keep_whole_words_in_their_slugs(
    client: FlaskClient, title: str, slug: str
) -> None:
    location = _write(client, title=title).headers["Location"]
    assert unquote(location).endswith(f"/posts/{slug}")
    assert client.get(location).status_code == 200


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Give your post a title."),
        ({"title": "   "}, "Give your post a title."),
        ({"title": "x" * 201}, "Keep the title to 200 characters."),
        ({"body": ""}, "Write something first."),
        ({"body": "x" * 100_001}, "Posts are limited to 100,000 characters."),
        ({"body": "nul \x00 byte"}, "invisible control characters"),
        ({"title": "bell \x07"}, "invisible control characters"),
        ({"title": "not a character \uffff"}, "invisible control characters"),
        ({"body": "byte-order mark, swapped \ufffe"}, "invisible control characters"),
        ({"tags": "vertical\x0btab"}, "invisible control characters"),
        ({"status": "archived"}, "Not a valid choice"),
        ({"tags": ",".join(f"t{i}" for i in range(11))}, "Use at most 10 tags."),
    ],
)
def test_bad_post_input_is_a_422_with_a_message_and_text_kept(
    app: Flask, client: FlaskClient, fields: dict[str, str], message: str
) -> None:
    response = _write(client, **{"body": "keep this body", **fields})
    assert response.status_code == 422
    assert message in response.text
    if "body" not in fields:
        assert "keep this body" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


@pytest.mark.usefixtures("writer")
def test_emoji_rtl_and_template_syntax_are_stored_intact_and_inert(
    app: Flask, client: FlaskClient
) -> None:
    title = "{{7*7}} 🦆 \u202eevil\u202c {% raw %}"
    response = _write(client, title=title, body="{{ config }} and {{7*7}}")
    page = client.get(response.headers["Location"])
    assert "{{7*7}} 🦆" in page.text
    assert "49 🦆" not in page.text
    assert "{{ config }} and {{7*7}}" in page.text
    assert "SECRET_KEY" not in page.text
    with app.app_context():
        assert db.session.scalar(sa.select(Post.title)) == title


@pytest.mark.usefixtures("writer")
def test_edit_keeps_slug_and_ignores_undeclared_fields(app: Flask, client: FlaskClient) -> None:
    _write(client, title="Original", tags="one")
    with app.app_context():
        create_user("victim")
    form = client.get("/posts/original/edit")
    assert 'value="Original"' in form.text
    assert 'value="one"' in form.text
    response = submit(
        client,
        "/posts/original/edit",
        {
            "title": "Edited",
            "body": "New body",
            "tags": "two",
            "status": "published",
            "author_id": "2",
            "slug": "hijacked",
            "created_at": "2000-01-01",
        },
    )
    assert response.headers["Location"] == "/posts/original"
    post = _post(app, "original")
    with app.app_context():
        post = db.session.scalar(sa.select(Post).where(Post.slug == "original"))
        assert post.title == "Edited"
        assert post.author.username == "writer"
        assert [t.name for t in post.tags] == ["two"]
        assert post.created_at.year != 2000


@pytest.mark.usefixtures("writer")
def test_delete_post_asks_first_and_cascades(app: Flask, client: FlaskClient) -> None:
    _write(client, title="Doomed")
    submit(client, "/posts/doomed/comments", {"body": "first!"}, form_url="/posts/doomed")
    asked = client.get("/posts/doomed/delete")  # the confirmation page deletes nothing
    assert asked.status_code == 200
    assert _post(app, "doomed") is not None
    response = submit(client, "/posts/doomed/delete", {}, form_url="/posts/doomed/delete")
    assert response.status_code == 302
    assert _post(app, "doomed") is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert client.get("/posts/doomed").status_code == 404


def test_deleting_a_user_deletes_their_posts_and_comments(app: Flask) -> None:
    with app.app_context():
        author = create_user("writer")
        reader = create_user("reader")
        post = create_post(author, title="By writer")
        posts.add_comment(post, reader, "nice")
        mine = create_post(reader, title="By reader")
        posts.add_comment(mine, author, "thanks")
        db.session.execute(sa.delete(User).where(User.username == "writer"))
        db.session.commit()
        assert db.session.scalars(sa.select(Post.title)).all() == ["By reader"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


# The permission matrix ------------------------------------------------------------------------

ROLES = ["anonymous", "member", "owner", "admin"]


@pytest.fixture
def matrix(app: Flask) -> dict[str, FlaskClient]:
    with app.app_context():
        owner = create_user("owner")
        create_user("member")
        create_user("admin", is_admin=True)
        create_post(owner, title="Published one")
        create_post(owner, title="Draft one", status="draft")
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            AuthActions(client).login(role)
        clients[role] = client
    return clients


@pytest.mark.parametrize(
    ("role", "view_draft", "edit", "delete"),
    [
        ("anonymous", 404, 302, 302),
        ("member", 404, 403, 403),
        ("owner", 200, 200, 302),
        ("admin", 200, 200, 302),
    ],
)
def test_permission_matrix(
    app: Flask,
    matrix: dict[str, FlaskClient],
    role: str,
    view_draft: int,
    edit: int,
    delete: int,
) -> None:
    client = matrix[role]
    with app.app_context():
        draft = db.session.scalar(sa.select(Post.slug).where(Post.title == "Draft one"))
    assert client.get("/posts/published-one").status_code == 200
    assert client.get(f"/posts/{draft}").status_code == view_draft
    edit_page = client.get("/posts/published-one/edit")
    assert edit_page.status_code == edit
    if edit == 302:
        assert edit_page.headers["Location"].startswith("/auth/login?next=")
    if edit == 403:
        before = _post(app, "published-one").title
        response = submit(
            client,
            "/posts/published-one/edit",
            {"title": "Hacked", "body": "x", "status": "published"},
            form_url="/posts/published-one",
        )
        assert response.status_code == 403
        assert _post(app, "published-one").title == before
    form_url = "/auth/login" if role == "anonymous" else "/posts/published-one"
    response = submit(client, "/posts/published-one/delete", {}, form_url=form_url)
    assert response.status_code == delete
    assert (_post(app, "published-one") is None) == (delete == 302 and role != "anonymous")


# Comments -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("writer")
def test_comment_is_escaped_with_line_breaks_kept(app: Flask, client: FlaskClient) -> None:
    _write(client, title="Talk")
    body = "<script>alert(1)</script>\nsecond line {{7*7}}"
    response = submit(client, "/posts/talk/comments", {"body": body}, form_url="/posts/talk")
    assert response.status_code == 302
    page = client.get("/posts/talk")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line {{7*7}}" in page.text
    assert "<script>alert" not in page.text


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a comment first."), ("x" * 2001, "limited to 2000"), ("a\x00b", "control")],
)
def test_bad_comment_is_a_422_with_text_kept(
    app: Flask, client: FlaskClient, body: str, message: str
) -> None:
    _write(client, title="Talk")
    response = submit(client, "/posts/talk/comments", {"body": body}, form_url="/posts/talk")
    assert response.status_code == 422
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_anonymous_readers_get_a_sign_in_link_not_a_form(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="Talk")
    page = client.get("/posts/talk")
    assert 'href="/auth/login?next=/posts/talk"' in page.text
    assert 'name="body"' not in page.text
    assert client.post("/posts/talk/comments", data={"body": "x"}).status_code == 400, "no CSRF"
    token = csrf_token(client.get("/auth/login").text)
    response = client.post("/posts/talk/comments", data={"csrf_token": token, "body": "x"})
    assert response.status_code == 401
    assert "Please sign in again" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [("commenter", 302), ("post_author", 302), ("admin", 302), ("stranger", 403)],
)
def test_who_may_delete_a_comment(app: Flask, role: str, status: int) -> None:
    with app.app_context():
        post_author = create_user("post_author")
        commenter = create_user("commenter")
        create_user("stranger")
        create_user("admin", is_admin=True)
        comment_id = posts.add_comment(create_post(post_author, title="Talk"), commenter, "hi").id
    client = app.test_client()
    AuthActions(client).login(role)
    response = submit(client, f"/comments/{comment_id}/delete", {}, form_url="/posts/talk")
    assert response.status_code == status
    with app.app_context():
        remaining = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert remaining == (0 if status == 302 else 1)


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize("comment_id", ["0", "99999", "99999999999999999999", "-1", "abc"])
def test_unknown_comment_ids_are_404(client: FlaskClient, comment_id: str) -> None:
    response = submit(client, f"/comments/{comment_id}/delete", {}, form_url="/")
    assert response.status_code == 404


def test_hidden_comments_are_not_shown(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        author = create_user("writer")
        post = create_post(author, title="Talk")
        posts.add_comment(post, author, "visible one")
        posts.add_comment(post, author, "moderated away").is_hidden = True
        db.session.commit()
    page = client.get("/posts/talk")
    assert "visible one" in page.text
    assert "moderated away" not in page.text
    assert "1 comment<" in page.text


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize(
    "title",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</title><svg onload=alert(1)>",
        "javascript:alert(1)",
    ],
)
def test_hostile_titles_are_escaped_everywhere(client: FlaskClient, title: str) -> None:
    location = _write(client, title=title, tags="xss").headers["Location"]
    for path in (location, "/", "/tags/xss", "/users/writer", f"{location}/edit"):
        html = client.get(path).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<svg onload" not in html


@pytest.mark.usefixtures("writer")
def test_text_written_while_the_session_expired_is_shown_not_lost(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/posts/new")
    with app.app_context():
        db.session.execute(sa.delete(UserSession))
        db.session.commit()
    data = {
        "csrf_token": csrf_token(page.text),
        "title": "Long essay",
        "body": "Three hours of <careful> writing",
        "tags": "essays",
        "status": "published",
    }
    response = client.post("/posts/new", data=data)
    assert response.status_code == 401
    assert "Your session ended before this form was sent" in response.text
    assert "Three hours of &lt;careful&gt; writing" in response.text
    assert "Long essay" in response.text
    assert data["csrf_token"] not in response.text
    assert 'href="/auth/login?next=/posts/new"' in response.text
    assert _post(app, "long-essay") is None


@pytest.mark.usefixtures("writer")
def test_a_cross_site_post_creates_nothing_and_offers_no_form(
    app: Flask, client: FlaskClient
) -> None:
    forged = {"title": "Buy cheap pills", "body": "Spam <b>here</b>", "status": "published"}
    response = client.post("/posts/new", data=forged, headers=FOREIGN_REFERER)
    assert response.status_code == 400
    assert "did not come from this site; nothing was saved" in response.text
    assert ">Spam &lt;b&gt;here&lt;/b&gt;</textarea>" in response.text
    assert_nothing_to_send(response.text)
    assert '<a href="/posts/new">Open the form again</a>' in response.text
    assert _post(app, "buy-cheap-pills") is None
    assert "Buy cheap pills" not in client.get("/posts/new").text


@pytest.mark.usefixtures("writer")
def test_an_expired_comment_form_links_back_to_its_post(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_post(create_user("author"), title="Open thread")
    page = client.get("/posts/open-thread")
    response = client.post(
        "/posts/open-thread/comments",
        data={"csrf_token": "expired", "body": "My careful reply"},
        headers={"Referer": page.request.url},
    )
    assert response.status_code == 400
    assert ">My careful reply</textarea>" in response.text
    assert_nothing_to_send(response.text)
    assert '<a href="/posts/open-thread">Open the form again</a>' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_markdown_is_rendered_once_on_save_not_per_view(app: Flask, client: FlaskClient) -> None:
    """The page shows the stored HTML: a view never renders the Markdown again."""
    with app.app_context():
        post = create_post(create_user("writer"), title="Stored", body="*original*")
        post.body_html = "<p>kept from the database</p>"
        db.session.commit()
    page = client.get("/posts/stored").text
    assert "kept from the database" in page
    assert "<em>original</em>" not in page


@pytest.mark.usefixtures("writer")
def test_a_post_sent_after_the_session_ended_is_shown_back_as_typed(
    app: Flask, client: FlaskClient
) -> None:
    """One message; only what was typed (not the status choice or the button); the body in a
    read-only box as large as the editor's."""
    editor = client.get("/posts/new")
    body_box = re.search(r'<textarea[^>]*name="body"[^>]*>', editor.text)
    editor_rows = re.search(r'rows="(\d+)"', body_box.group(0)).group(1)
    with app.app_context():
        db.session.execute(sa.delete(UserSession))
        db.session.commit()
    url, fields = next(form for form in page_forms(editor.text) if "title" in dict(form[1]))
    typed = {"title": "Lost?", "body": "A long body\nI must not lose.", "tags": "notes"}
    sent = [(name, typed.get(name, value)) for name, value in fields]
    sent += [(name, value) for name, value in typed.items() if name not in dict(fields)]
    response = client.post(
        url or "/posts/new", data=MultiDict(sent), headers={"Referer": editor.request.url}
    )
    assert response.status_code == 401
    kept = re.findall(
        r'<label for="kept-\d+">([^<]*)</label>\s*<textarea[^>]*rows="(\d+)"[^>]*readonly>([^<]*)<',
        response.text,
    )
    assert sorted((label, value) for label, _rows, value in kept) == [
        ("Body", "A long body\nI must not lose."),
        ("Tags", "notes"),
        ("Title", "Lost?"),
    ]
    assert {label: rows for label, rows, _value in kept}["Body"] == editor_rows
    assert response.text.count("nothing was saved") == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


_TEXT_BOXES = re.compile(r"<(?:textarea|input)\b[^>]*>", re.IGNORECASE)


def _limits_cut_silently(html: str) -> list[str]:
    """The text boxes that would cut a paste at their ``maxlength`` without a word."""
    return [tag for tag in _TEXT_BOXES.findall(html) if "maxlength" in tag.lower()]


@pytest.mark.usefixtures("writer")
def test_the_editor_states_its_limits_and_cuts_no_paste(app: Flask, client: FlaskClient) -> None:
    """A paste longer than a limit arrives whole and is refused with the limit named, rather
    than being cut by the browser at a ``maxlength`` nobody was told about."""
    editor = client.get("/posts/new").text.lower()
    assert _limits_cut_silently(editor) == []
    assert "up to 200 characters" in editor
    assert "up to 100,000 characters" in editor
    with app.app_context():
        author = db.session.scalars(sa.select(User).where(User.username == "writer")).one()
        slug = create_post(author, title="Limits").slug
    post_page = client.get(f"/posts/{slug}").text
    assert "comment" in post_page
    assert _limits_cut_silently(post_page) == []


def test_password_boxes_cut_no_paste(client: FlaskClient) -> None:
    """A password manager's long password is refused with a message, never cut short."""
    page = client.get("/auth/register").text
    boxes = [tag for tag in _limits_cut_silently(page) if 'type="password"' in tag]
    assert boxes == []


@pytest.mark.usefixtures("writer")
@pytest.mark.parametrize("path", ["/posts/new", "edit"])
def test_preview_shows_the_post_as_published_keeps_every_field_and_saves_nothing(
    app: Flask, client: FlaskClient, path: str
) -> None:
    if path == "edit":
        with app.app_context():
            author = db.session.scalars(sa.select(User).where(User.username == "writer")).one()
            path = f"/posts/{create_post(author, title='Before', body='Old text.').slug}/edit"
    body = "## Heading\n\nSome **bold** <script>alert(1)</script> text.\n\n```python\nx = 1\n```\n"
    fields = {"title": "Previewed <i>", "body": body, "tags": "alpha, beta", "status": "published"}
    with app.app_context():
        published_html = render_markdown(body)
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
        edited_before = db.session.scalar(sa.select(Post.body_markdown).limit(1))
    response = submit(client, path, {**fields, "preview": "Preview"})
    assert response.status_code == 200, re.findall(
        r'class="errors"[^>]*>(.*?)</ul>', response.text, re.S
    )
    preview, form = response.text.split('<form class="editor"', 1)
    assert published_html in preview  # byte for byte what a save stores and the post page shows
    assert "Previewed &lt;i&gt;" in preview
    assert "<script>alert" not in response.text
    editor = dict(page_forms(f'<form class="editor"{form}')[0][1])
    assert editor["title"] == fields["title"]
    assert editor["tags"] == "alpha, beta"
    assert editor["status"] == "published"
    typed_body = re.search(r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', form, re.S)
    assert typed_body is not None
    assert html.unescape(typed_body.group(1)) == body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == before
        assert db.session.scalar(sa.select(Post.body_markdown).limit(1)) == edited_before


@pytest.mark.usefixtures("writer")
def test_a_preview_with_errors_shows_the_errors_and_no_preview(client: FlaskClient) -> None:
    response = submit(client, "/posts/new", {"title": "", "body": "text", "preview": "Preview"})
    assert response.status_code == 422
    assert "Give your post a title." in response.text
    assert 'class="preview"' not in response.text


@pytest.mark.usefixtures("writer")
def test_save_after_preview_creates_the_post_once(app: Flask, client: FlaskClient) -> None:
    """The preview leaves the form's one-time token unused: the save after it goes through."""
    page = client.get("/posts/new")
    token = {"csrf_token": csrf_token(page.text), "submission_token": submission_token(page.text)}
    typed = {**token, "title": "Looked at first", "body": "Checked.", "status": "published"}
    previewed = client.post("/posts/new", data={**typed, "preview": "Preview"})
    assert previewed.status_code == 200
    assert submission_token(previewed.text) == token["submission_token"]
    saved = client.post("/posts/new", data={**typed, "submit": "Save"})
    assert saved.status_code == 302
    with app.app_context():
        titles = db.session.scalars(sa.select(Post.title)).all()
    assert titles == ["Looked at first"]


@pytest.mark.usefixtures("writer")
def test_a_body_within_the_limit_in_any_script_is_never_too_large(client: FlaskClient) -> None:
    """99,000 emoji are within the 100,000-character limit, yet over 1 MiB once form-encoded:
    the editor still answers with the form, not a bare 413 page."""
    body = "\N{GRINNING FACE}" * 99_000
    previewed = submit(client, "/posts/new", {"title": "Smiles", "body": body, "preview": "1"})
    assert previewed.status_code == 200
    too_long = submit(client, "/posts/new", {"title": "Smiles", "body": body + "x" * 1_001})
    assert too_long.status_code == 422
    assert "Posts are limited to 100,000 characters." in too_long.text


def test_a_post_is_found_by_its_slug_without_reading_every_posts_tags(app: Flask) -> None:
    """joinedload's nested "LEFT JOIN (post_tags JOIN tags)" made SQLite materialise the tags of
    every post of the site for one post page (50 ms at 100,000 posts): the plan must use the
    post's own rows of post_tags. PostgreSQL plans it either way; the rows must be right on both."""
    with app.app_context():
        writer = create_user("writer")
        slug = create_post(writer, title="Tagged", tags=("zeta", "alpha")).slug
        untagged = create_post(writer, title="Untagged").slug
        with counted_statements(app) as statements:
            found = posts.post_by_slug(slug)
        assert found is not None
        assert [tag.name for tag in found.tags] == ["alpha", "zeta"]
        bare = posts.post_by_slug(untagged)
        assert bare is not None
        assert bare.tags == []
        if db.engine.dialect.name == "sqlite":
            explain = f"EXPLAIN QUERY PLAN {statements[0]}"
            plan = db.session.connection().exec_driver_sql(explain, (slug,)).all()
            assert not [step for step in plan if "SCAN" in step[3]], plan
