"""Reading over HTTP: front page, pagination, tags, authors, search, feed, sitemap, robots."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Post, User, utcnow
from app.services import admin, posts, profiles
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions

ATOM = "{http://www.w3.org/2005/Atom}"


def _seed_posts(
    app: Flask, count: int, *, author: str = "writer", tags: tuple[str, ...] = ()
) -> None:
    """``count`` published posts, the newest titled ``Post {count}``."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == author)) or create_user(
            author
        )
        for number in range(1, count + 1):
            post = create_post(user, title=f"Post {number}", tags=tags)
            post.published_at = utcnow() - timedelta(hours=count - number)
        db.session.commit()


def test_front_page_lists_newest_first_with_author_date_tags_excerpt(
    app: Flask, client: FlaskClient
) -> None:
    _seed_posts(app, 3, tags=("python",))
    page = client.get("/").text
    assert page.index("Post 3") < page.index("Post 2") < page.index("Post 1")
    assert 'href="/posts/post-3"' in page
    assert 'href="/users/writer"' in page
    assert 'href="/tags/python"' in page
    assert "Some Markdown text." in page
    assert "<time datetime=" in page


def test_empty_site_front_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Nothing has been published yet." in response.text


def test_pagination_pages_and_bounds(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 23)
    first = client.get("/").text
    assert first.count('class="post-summary"') == 10
    assert 'href="/?page=2"' in first
    assert "Page 1<" in first
    third = client.get("/?page=3").text
    assert third.count('class="post-summary"') == 3
    assert 'href="/?page=2"' in third
    assert "page=4" not in third


@pytest.mark.parametrize(
    "page", ["0", "-1", "4", "abc", "1.5", "", " 2", "10**30", "99999999999999999999", "²"]
)
def test_invalid_or_out_of_range_pages_are_404(app: Flask, client: FlaskClient, page: str) -> None:
    _seed_posts(app, 23)
    for path in ("/", "/tags/python", "/users/writer", "/search?q=post&x=1"):
        separator = "&" if "?" in path else "?"
        assert client.get(f"{path}{separator}page={page}").status_code == 404, path


def test_tag_page_and_unknown_tag(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 2, tags=("python",))
    with app.app_context():
        create_post(create_user("other"), title="Untagged")
    page = client.get("/tags/python")
    assert page.status_code == 200
    assert "Post 1" in page.text
    assert "Untagged" not in page.text
    moved = client.get("/tags/Python")  # another spelling of the tag: its address
    assert (moved.status_code, moved.location) == (301, "/tags/python")
    assert client.get("/tags/nothing-here").status_code == 404


def test_profile_page(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 2)
    with app.app_context():
        create_user("quiet")
    page = client.get("/users/writer")
    assert page.status_code == 200
    assert "2 published posts" in page.text
    assert "Post 2" in page.text
    assert "has not published anything yet" in client.get("/users/quiet").text
    assert client.get("/users/WRITER").status_code == 200
    assert client.get("/users/nobody").status_code == 404
    assert client.get("/users/%00").status_code == 400  # tests/integration/test_nul_bytes.py
    assert client.get("/users/" + "x" * 1000).status_code == 404


def test_inactive_authors_profile_is_gone(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("gone", is_active=False)
        create_user("here")
    assert client.get("/users/here").status_code == 200
    assert client.get("/users/gone").status_code == 404


def test_a_deactivated_members_posts_and_comments_leave_every_public_page(
    app: Flask, client: FlaskClient
) -> None:
    """Until the account is activated again; the cached pages follow at once, admins still see."""
    with app.app_context():
        gone, stays = create_user("gone"), create_user("stays")
        ids = {"gone": gone.id, "boss": create_user("boss", is_admin=True).id}
        create_post(gone, title="Vanishing act", body="Hidden words.", tags=("magic",))
        kept = create_post(stays, title="Staying put", tags=("magic",))
        posts.add_comment(kept, gone, "A vanishing remark")
    shown = {
        "/": "Vanishing act",
        "/tags/magic": "Vanishing act",
        "/search?q=hidden": "Vanishing act",
        "/feed.xml": "Vanishing act",
        "/sitemap.xml": "/posts/vanishing-act",
        "/posts/staying-put": "A vanishing remark",
    }
    boss = app.test_client()
    AuthActions(boss).login("boss")

    def public_view() -> dict[str, bool]:
        seen = {path: text in client.get(path).text for path, text in shown.items()}
        seen["/posts/vanishing-act"] = client.get("/posts/vanishing-act").status_code == 200
        return seen

    assert all(public_view().values())  # and now in the page cache
    with app.app_context():
        admin.deactivate(db.session.get(User, ids["boss"]), db.session.get(User, ids["gone"]))
    assert not any(public_view().values()), public_view()
    assert "Vanishing act" in boss.get("/admin/posts").text
    assert "A vanishing remark" in boss.get("/admin/comments").text
    assert boss.get("/posts/vanishing-act").status_code == 200
    with app.app_context():
        admin.activate(db.session.get(User, ids["boss"]), db.session.get(User, ids["gone"]))
    assert all(public_view().values())


def test_search_finds_title_and_body_words_and_escapes_input(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(author, title="Connection pooling", body="All about psycopg pools.")
        create_post(author, title="Café notes", body="Espresso and naïve questions.")
        create_post(author, title="Unrelated", body="Nothing to see.")
    assert "Connection pooling" in client.get("/search?q=psycopg").text
    found = client.get("/search?q=pooling").text
    assert "Connection <mark>pooling</mark>" in found
    assert "Unrelated" not in found
    assert "Café notes" in client.get("/search?q=espresso").text
    hostile = client.get('/search?q=<script>alert(1)</script> " OR 1=1 -- NEAR(')
    assert hostile.status_code == 200
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text
    assert client.get("/search").status_code == 200
    assert client.get("/search?q=" + "x" * 10_000).status_code == 200
    assert client.get("/search?q=%01%02").status_code == 200


def test_feed_is_valid_atom_with_absolute_links(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 25, tags=("python",))
    response = client.get("/feed.xml")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314  (our own output)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 20
    assert entries[0].find(f"{ATOM}title").text == "Post 25"
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == "http://localhost/posts/post-25"
    assert entries[0].find(f"{ATOM}category").get("term") == "python"
    assert "<em>" in entries[0].find(f"{ATOM}content").text
    assert root.find(f"{ATOM}updated").text.endswith("Z")


def test_feed_escapes_hostile_titles(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="</title><script>alert(1)</script> & more")
    root = ET.fromstring(client.get("/feed.xml").data)  # noqa: S314
    assert root.find(f"{ATOM}entry/{ATOM}title").text == "</title><script>alert(1)</script> & more"


# Characters XML 1.0 forbids, as rows saved before the forms refused them could hold.
XML_FORBIDDEN_SAMPLES = "\x00\x07\x0b\x0c\x1b\ufffe\uffff"


def test_the_feed_stays_well_formed_whatever_the_rows_hold(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        writer = create_user("writer")
        post = create_post(writer, title="Bell title", body="Some *text*", tags=("news",))
        dirty = f"Bell{XML_FORBIDDEN_SAMPLES.replace(chr(0), '')} title"
        # Written past the forms, as an older version or a script could have.
        post.title, post.excerpt = dirty, dirty
        post.body_html = f"<p>{dirty}</p>"
        db.session.commit()
    feed = ET.fromstring(client.get("/feed.xml").data)  # noqa: S314  (our own output)
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Bell title"
    assert entry.find(f"{ATOM}summary").text == "Bell title"
    assert entry.find(f"{ATOM}content").text == "<p>Bell title</p>"


def test_sitemap_and_robots(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 2)
    root = ET.fromstring(client.get("/sitemap.xml").data)  # noqa: S314
    locations = [
        node.text for node in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert "http://localhost/posts/post-1" in locations
    robots = client.get("/robots.txt")
    assert robots.mimetype == "text/plain"
    assert "Disallow: /admin/" in robots.text
    assert "Sitemap: http://localhost/sitemap.xml" in robots.text


@pytest.mark.parametrize("slug", ["nope", "99999999999999999999", "%01", "a" * 500])
def test_unknown_posts_are_404(client: FlaskClient, slug: str) -> None:
    assert client.get(f"/posts/{slug}").status_code == 404


def test_post_page_has_meta_description_and_open_graph(app: Flask, client: FlaskClient) -> None:
    _seed_posts(app, 1)
    page = client.get("/posts/post-1").text
    assert '<meta name="description" content="Some Markdown text.">' in page
    assert '<meta property="og:title" content="Post 1">' in page
    assert '<meta property="og:url" content="http://localhost/posts/post-1">' in page


# SQL statements per page ------------------------------------------------------------------------


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _statements_for(app: Flask, client: FlaskClient, path: str) -> int:
    with counted_statements(app) as statements:
        assert client.get(path).status_code == 200, path
    return len(statements)


PAGES = ["/", "/posts/post-1", "/tags/python", "/users/writer", "/feed.xml", "/search?q=post"]
# The post page with the reply form under a thread (members only; the same page for others).
REPLY_PAGE = "/posts/post-1?reply_to=1"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_sql_statements_per_page_do_not_grow_with_data(app: Flask, signed_in: bool) -> None:
    """The count is the same with 3 posts as with 30 (no N+1) and within budget."""
    client = app.test_client()
    if signed_in:
        with app.app_context():
            create_user("member")
        AuthActions(client).login("member")

    def comment_on(slug: str, count: int) -> None:
        with app.app_context():
            from app.services import posts

            post = db.session.scalar(sa.select(Post).where(Post.slug == slug))
            for index in range(count):
                commenter = create_user(f"c{slug[-1]}{index}_{count}")
                reply_to = 1 if index % 2 else None  # every other one answers the first
                posts.add_comment(post, commenter, "hello", reply_to=reply_to)

    _seed_posts(app, 3, tags=("python", "web"))
    with app.app_context():  # bylines with a display name and avatar initials cost no query
        writer = db.session.scalar(sa.select(User).where(User.username == "writer"))
        assert writer is not None
        profiles.update_profile(
            writer, display_name="The Writer", bio="*Hi*", website="example.com", time_zone="UTC"
        )
    comment_on("post-1", 2)
    # Each process reads the site's settings once (app/services/site.py), not once per page.
    app.test_client().get("/search")
    small = {path: _statements_for(app, client, path) for path in [*PAGES, REPLY_PAGE]}
    _seed_posts(app, 27, author="second", tags=("python", "flask", "web"))
    comment_on("post-1", 5)
    large = {path: _statements_for(app, client, path) for path in [*PAGES, REPLY_PAGE]}
    assert small == large
    budget = 4 if signed_in else 3  # signed in: +1 to load the session and its user
    assert all(count <= budget for count in large.values()), large


def test_get_requests_write_nothing(app: Flask) -> None:
    _seed_posts(app, 3, tags=("python",))
    client = app.test_client()
    writes = ("INSERT", "UPDATE", "DELETE")
    for path in PAGES:
        with counted_statements(app) as statements:
            client.get(path)
        assert not [s for s in statements if s.lstrip().upper().startswith(writes)], path


def test_in_development_links_follow_the_server_unless_site_url_is_set(
    make_app: AppFactory,
) -> None:
    """``make run PORT=5123`` links to port 5123: in development without SITE_URL, absolute
    links come from the request; a SITE_URL that is set always wins."""
    unset = make_app(env="development")
    with unset.app_context():
        create_post(create_user("writer"), title="A post")
    feed = unset.test_client().get("/feed.xml", base_url="http://127.0.0.1:5123").text
    assert "http://127.0.0.1:5123/posts/a-post" in feed
    assert ":5000" not in feed
    pinned = make_app({"SITE_URL": "https://blog.example.com"}, env="development")
    feed = pinned.test_client().get("/feed.xml", base_url="http://127.0.0.1:5123").text
    assert "https://blog.example.com/posts/a-post" in feed
