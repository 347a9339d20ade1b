"""Discovery over HTTP: the archive by month, the tags with their counts, each tag's and
author's Atom feed, feed links on every page, and the posts around a post (older, newer,
related), within the query budget and through a warm page cache."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Post, User, utcnow
from app.services import posts
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, submit
from tests.integration.test_reading import counted_statements

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM = f"{{{ATOM_NS}}}"
NOW = datetime(2030, 3, 15, 12, 0, tzinfo=UTC)
FEED_LINK = re.compile(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"')


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """Every test at ``NOW``: the dates below are in the past, the scheduled one ahead."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _publish(
    author: User, title: str, when: datetime, tags: tuple[str, ...] = (), body: str = "Text."
) -> Post:
    """A published post, dated ``when`` (call inside an app context)."""
    post = create_post(author, title=title, tags=tags, body=body)
    post.published_at = post.updated_at = when
    db.session.commit()
    return post


def _writer(app: Flask, username: str = "writer") -> User:
    found = db.session.scalar(sa.select(User).where(User.username == username))
    return found or create_user(username)


def _feed(client: FlaskClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314  (our own output)
    assert root.tag == f"{ATOM}feed", "the Atom namespace"
    return root


def _entry_titles(root: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title", "") for entry in root.findall(f"{ATOM}entry")]


@pytest.fixture
def site(app: Flask) -> None:
    """Posts over three months of two years, plus what must never show: a draft, a scheduled
    post and a deactivated member's post."""
    with app.app_context():
        writer, other = _writer(app), _writer(app, "other")
        _publish(writer, "New year", datetime(2030, 1, 1, 0, 0, tzinfo=UTC), ("python", "web"))
        _publish(writer, "Late January", datetime(2030, 1, 31, 23, 59, tzinfo=UTC), ("python",))
        _publish(other, "March one", datetime(2030, 3, 1, 9, 0, tzinfo=UTC), ("web",))
        _publish(other, "Old one", datetime(2029, 12, 31, 23, 59, tzinfo=UTC), ("python",))
        create_post(writer, title="Draft one", tags=("python", "drafts-only"), status="draft")
        posts.create_post(
            writer,
            title="Scheduled one",
            body="Soon.",
            tags=["python", "future-only"],
            status="published",
            publish_at=NOW + timedelta(days=30),
        )
        gone = create_user("gone")
        _publish(gone, "Gone one", datetime(2030, 2, 10, tzinfo=UTC), ("python", "gone-only"))
        gone.is_active = False
        db.session.commit()


HIDDEN = ("Draft one", "Scheduled one", "Gone one")


# The archive -------------------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_archive_lists_months_newest_first_with_public_counts(client: FlaskClient) -> None:
    page = client.get("/archive")
    assert page.status_code == 200
    months = re.findall(r'href="/archive/(\d+)/(\d+)">(\w+)', page.text)
    assert months == [("2030", "3", "March"), ("2030", "1", "January"), ("2029", "12", "December")]
    counts = re.findall(r'<span class="count">([^<]+)</span>', page.text)
    assert counts == ["1 post", "2 posts", "1 post"], "no draft, scheduled or hidden post counted"
    assert "2030/2" not in page.text, "February holds only a deactivated member's post"
    assert page.text.index(">2030</h2>") < page.text.index(">2029</h2>")


def test_an_empty_archive_says_so(client: FlaskClient) -> None:
    page = client.get("/archive")
    assert page.status_code == 200
    assert "Nothing has been published yet." in page.text


@pytest.mark.usefixtures("site")
def test_a_month_lists_its_public_posts_by_utc_time(client: FlaskClient) -> None:
    january = client.get("/archive/2030/1")
    assert january.status_code == 200
    assert "Posts from January 2030" in january.text
    titles = re.findall(r'<h2 id="post-\d+"><a href="[^"]+">([^<]+)</a>', january.text)
    assert titles == ["Late January", "New year"], "the first and last minute of the month"
    assert "Old one" not in january.text
    assert "Old one" in client.get("/archive/2029/12").text
    assert client.get("/archive/2030/01").headers["Location"] == "/archive/2030/1"  # one address


@pytest.mark.parametrize(
    "path",
    [
        "/archive/2030/13",
        "/archive/2030/0",
        "/archive/0/1",
        "/archive/9999/12",
        "/archive/99999999999999999999/1",
        "/archive/2030/99999999999999999999",
        "/archive/2030/2",  # only a deactivated member's post
        "/archive/2030/4",  # only a scheduled post (not yet)
        "/archive/1999/5",
        "/archive/2030/x",
        "/archive/-1/1",
        "/archive/2030/1?page=2",
        "/archive/2030/1?page=0",
        "/archive/2030/1?page=abc",
    ],
)
@pytest.mark.usefixtures("site")
def test_months_that_cannot_be_or_hold_nothing_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_month_is_paginated_like_the_other_lists(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        writer = _writer(app)
        for day in range(1, 13):
            _publish(writer, f"Day {day}", datetime(2030, 1, day, 8, 0, tzinfo=UTC))
    first = client.get("/archive/2030/1")
    assert first.text.count('class="post-summary"') == 10
    assert "Day 12" in first.text
    assert '<a rel="next" href="/archive/2030/1?page=2">' in first.text
    second = client.get("/archive/2030/1?page=2")
    assert second.status_code == 200
    assert second.text.count('class="post-summary"') == 2
    assert "Day 1<" in second.text
    assert '<a rel="prev" href="/archive/2030/1?page=1">' in second.text
    assert client.get("/archive/2030/1?page=3").status_code == 404


# Tags --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_tags_page_lists_every_public_tag_with_its_count(client: FlaskClient) -> None:
    page = client.get("/tags")
    assert page.status_code == 200
    listed = re.findall(
        r'<a href="/tags/([^"]+)">#([^<]+)</a>\s*<span class="count">([^<]+)</span>', page.text
    )
    assert listed == [("python", "python", "3 posts"), ("web", "web", "2 posts")]
    for private in ("drafts-only", "future-only", "gone-only"):
        assert private not in page.text


def test_tags_keep_their_spelling_and_slug(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        _publish(_writer(app), "Plus", datetime(2030, 1, 2, tzinfo=UTC), ("C++", "数据库"))
    page = client.get("/tags").text
    assert '<a href="/tags/c-plus-plus">#C++</a>' in page
    assert "#数据库</a>" in page
    assert page.count("1 post<") == 2


def test_no_tags_yet(client: FlaskClient) -> None:
    assert "No post has a tag yet." in client.get("/tags").text


# Feeds -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("site")
def test_a_tags_feed_is_atom_with_its_public_posts_only(client: FlaskClient) -> None:
    root = _feed(client, "/tags/python/feed.xml")
    assert root.findtext(f"{ATOM}title") == "#python · Inkwell"
    assert root.findtext(f"{ATOM}id") == "http://localhost/tags/python"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "http://localhost/tags/python",
        "self": "http://localhost/tags/python/feed.xml",
    }
    assert _entry_titles(root) == ["Late January", "New year", "Old one"]
    first = root.find(f"{ATOM}entry")
    assert first is not None
    assert first.findtext(f"{ATOM}id") == "http://localhost/posts/late-january"
    assert first.findtext(f"{ATOM}updated") == "2030-01-31T23:59:00Z"
    assert root.findtext(f"{ATOM}updated") == "2030-01-31T23:59:00Z", "its newest change"
    assert {c.get("term") for c in first.findall(f"{ATOM}category")} == {"python"}


@pytest.mark.usefixtures("site")
def test_an_authors_feed_is_atom_with_their_public_posts_only(app: Flask) -> None:
    client = app.test_client()
    root = _feed(client, "/users/writer/feed.xml")
    assert root.findtext(f"{ATOM}title") == "writer · Inkwell"
    assert root.findtext(f"{ATOM}id") == "http://localhost/users/writer"
    assert _entry_titles(root) == ["Late January", "New year"]
    ids = [entry.findtext(f"{ATOM}id") for entry in root.findall(f"{ATOM}entry")]
    assert ids == ["http://localhost/posts/late-january", "http://localhost/posts/new-year"]
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "writer"
        assert (entry.findtext(f"{ATOM}updated") or "").endswith("Z")
    assert _feed(client, "/users/WRITER/feed.xml").findtext(f"{ATOM}id") == (
        "http://localhost/users/writer"
    ), "the address finds the member as the profile does"
    with app.app_context():
        create_user("quiet")
    quiet = _feed(client, "/users/quiet/feed.xml")
    assert _entry_titles(quiet) == []
    assert (quiet.findtext(f"{ATOM}updated") or "").endswith("Z")


@pytest.mark.parametrize(
    "path",
    [
        "/tags/nope/feed.xml",
        "/tags/drafts-only/feed.xml",
        "/tags/future-only/feed.xml",
        "/tags/gone-only/feed.xml",
        "/tags/%01/feed.xml",
        "/users/nobody/feed.xml",
        "/users/gone/feed.xml",
        "/users/%20bad%20name%20/feed.xml",
        "/users/" + "x" * 300 + "/feed.xml",
    ],
)
@pytest.mark.usefixtures("site")
def test_feeds_of_unknown_tags_and_members_are_404(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_feeds_escape_hostile_names(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        writer = _writer(app)
        writer.display_name = "</name><x>&"
        db.session.commit()
        _publish(writer, "</title>&<b>", datetime(2030, 1, 2, tzinfo=UTC), ("a&b",))
    root = _feed(client, "/users/writer/feed.xml")
    assert root.findtext(f"{ATOM}title") == "</name><x>& · Inkwell"
    assert _entry_titles(root) == ["</title>&<b>"]
    slug = re.search(r'href="/tags/([^"]+)">#a&amp;b<', client.get("/tags").text)
    assert slug is not None
    assert _feed(client, f"/tags/{slug.group(1)}/feed.xml").findtext(f"{ATOM}title") == (
        "#a&b · Inkwell"
    )


@pytest.mark.usefixtures("site")
def test_every_page_links_the_site_feed_and_lists_link_their_own(app: Flask) -> None:
    with app.app_context():
        create_user("member")
    member = app.test_client()
    AuthActions(member).login("member")
    anonymous = app.test_client()
    for client in (anonymous, member):
        for path in ("/", "/archive", "/archive/2030/1", "/tags", "/posts/new-year", "/search"):
            assert FEED_LINK.findall(client.get(path).text) == ["/feed.xml"], path
        assert FEED_LINK.findall(client.get("/tags/python").text) == [
            "/feed.xml",
            "/tags/python/feed.xml",
        ]
        assert FEED_LINK.findall(client.get("/users/writer").text) == [
            "/feed.xml",
            "/users/writer/feed.xml",
        ]
    assert FEED_LINK.findall(anonymous.get("/auth/login").text) == ["/feed.xml"]
    for feed in ("/tags/python/feed.xml", "/users/writer/feed.xml"):
        _feed(anonymous, feed)


@pytest.mark.usefixtures("site")
def test_the_footer_leads_to_the_archive_and_tags_and_the_sitemap_lists_them(
    client: FlaskClient,
) -> None:
    footer = client.get("/").text.split('<footer class="site-footer">')[1]
    assert '<a href="/archive">Archive</a>' in footer
    assert '<a href="/tags">Tags</a>' in footer
    sitemap = client.get("/sitemap.xml").text
    assert "<loc>http://localhost/archive</loc>" in sitemap
    assert "<loc>http://localhost/tags</loc>" in sitemap


# Around a post -------------------------------------------------------------------------------


def _around(html: str) -> dict[str, list[str]]:
    """The older, newer and related links of a post page, by title."""
    found: dict[str, list[str]] = {"older": [], "newer": [], "related": []}
    for kind in ("older", "newer"):
        found[kind] = re.findall(rf'<li class="{kind}">.*?<a href="[^"]+">([^<]+)</a>', html)
    related = html.split('id="related-heading"', 1)
    if len(related) == 2:
        found["related"] = re.findall(r'<li><a href="/posts/[^"]+">([^<]+)</a>', related[1])
    return found


@pytest.mark.usefixtures("site")
def test_older_and_newer_follow_publication_time_among_public_posts(client: FlaskClient) -> None:
    new_year = _around(client.get("/posts/new-year").text)
    assert (new_year["older"], new_year["newer"]) == (["Old one"], ["Late January"])
    # February's post is a deactivated member's: March follows January.
    late = _around(client.get("/posts/late-january").text)
    assert (late["older"], late["newer"]) == (["New year"], ["March one"])
    oldest = _around(client.get("/posts/old-one").text)
    assert (oldest["older"], oldest["newer"]) == ([], ["New year"])
    newest = _around(client.get("/posts/march-one").text)
    assert (newest["older"], newest["newer"]) == (["Late January"], []), "never the scheduled one"


def test_posts_published_at_the_same_moment_are_ordered_by_id(
    app: Flask, client: FlaskClient
) -> None:
    moment = datetime(2030, 1, 5, tzinfo=UTC)
    with app.app_context():
        writer = _writer(app)
        for title in ("Twin a", "Twin b", "Twin c"):
            _publish(writer, title, moment)
    middle = _around(client.get("/posts/twin-b").text)
    assert (middle["older"], middle["newer"]) == (["Twin a"], ["Twin c"])


def test_related_posts_share_the_most_tags_then_are_newest(app: Flask, client: FlaskClient) -> None:
    day = datetime(2030, 1, 1, tzinfo=UTC)
    with app.app_context():
        writer = _writer(app)
        _publish(writer, "Subject", day, ("a", "b", "c"))
        _publish(writer, "Shares one old", day + timedelta(days=1), ("a",))
        _publish(writer, "Shares one new", day + timedelta(days=5), ("c", "z"))
        _publish(writer, "Shares two", day + timedelta(days=2), ("a", "b"))
        _publish(writer, "Shares three", day - timedelta(days=9), ("a", "b", "c"))
        _publish(writer, "Shares none", day + timedelta(days=3), ("z",))
        create_post(writer, title="Draft shares all", tags=("a", "b", "c"), status="draft")
    related = _around(client.get("/posts/subject").text)["related"]
    assert related == ["Shares three", "Shares two", "Shares one new"]
    assert _around(client.get("/posts/shares-none").text)["related"] == ["Shares one new"]


def test_a_post_without_tags_or_neighbours_shows_neither(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        _publish(_writer(app), "Alone", datetime(2030, 1, 1, tzinfo=UTC))
    page = client.get("/posts/alone").text
    assert "post-neighbours" not in page
    assert "related-heading" not in page


def test_drafts_and_scheduled_posts_show_no_neighbours_to_their_author(app: Flask) -> None:
    with app.app_context():
        writer = _writer(app)
        _publish(writer, "Public", datetime(2030, 1, 1, tzinfo=UTC), ("a",))
        create_post(writer, title="Unfinished", tags=("a",), status="draft")
        posts.create_post(
            writer,
            title="Later",
            body="x",
            tags=["a"],
            status="published",
            publish_at=utcnow() + timedelta(days=1),
        )
    client = app.test_client()
    AuthActions(client).login("writer")
    for slug in ("unfinished", "later"):
        page = client.get(_slug_of(app, slug)).text
        assert "Edit</a>" in page, "the author sees it"
        assert "post-neighbours" not in page, slug
        assert "related-heading" not in page, slug
    public = _around(client.get("/posts/public").text)
    assert public == {"older": [], "newer": [], "related": []}


def _slug_of(app: Flask, start: str) -> str:
    with app.app_context():
        slug = db.session.scalar(sa.select(Post.slug).where(Post.slug.startswith(start)))
    assert slug is not None
    return f"/posts/{slug}"


# Query budget and cache ----------------------------------------------------------------------

NEW_PAGES = [
    "/archive",
    "/archive/2030/1",
    "/tags",
    "/tags/python/feed.xml",
    "/users/writer/feed.xml",
    "/users/quiet/feed.xml",
]


def _seed_more(app: Flask, count: int) -> None:
    with app.app_context():
        writer, other = _writer(app), _writer(app, "other")
        for number in range(count):
            author = writer if number % 2 else other
            when = datetime(2030, 1 + number % 3, 2 + number % 20, tzinfo=UTC)
            _publish(author, f"More {count} {number}", when, ("python", f"t{number % 4}", "web"))


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
@pytest.mark.usefixtures("site")
def test_new_pages_and_the_post_page_stay_within_four_statements(
    app: Flask, signed_in: bool
) -> None:
    """Every discovery page, and a post page showing older, newer and related posts: at most
    4 statements (a member's session and user included), the same with 5 posts as with 35."""
    with app.app_context():
        create_user("quiet")
        create_user("member")
    client = app.test_client()
    if signed_in:
        AuthActions(client).login("member")
    pages = [*NEW_PAGES, "/posts/new-year"]

    def counts() -> dict[str, int]:
        found = {}
        for path in pages:
            with counted_statements(app) as statements:
                response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers.get("X-Cache") != "HIT", path
            found[path] = len(statements)
        return found

    client.get("/search")  # the process reads the site settings once, on its first page
    small = counts()
    around = _around(client.get("/posts/new-year").text)
    assert all(around.values()), around
    _seed_more(app, 30)
    large = counts()
    assert small == large
    assert all(count <= 4 for count in large.values()), large
    assert large["/posts/new-year"] == (4 if signed_in else 3)


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", NEW_PAGES[:5])
def test_the_second_anonymous_visit_is_a_hit_without_sql(app: Flask, path: str) -> None:
    first = app.test_client().get(path)
    assert first.headers["X-Cache"] == "MISS"
    with counted_statements(app) as statements:
        second = app.test_client().get(path)
    assert second.headers["X-Cache"] == "HIT"
    assert statements == []
    assert second.data == first.data


def test_a_new_post_shows_up_everywhere_through_a_warm_cache(app: Flask) -> None:
    with app.app_context():
        _publish(_writer(app), "First", NOW - timedelta(days=1), ("news",))
    watched = ["/archive", "/tags", "/tags/news/feed.xml", "/users/writer/feed.xml"]
    for path in watched:
        for _ in range(2):
            assert "Second" not in app.test_client().get(path).text
        assert app.test_client().get(path).headers["X-Cache"] == "HIT", path
    writer = app.test_client()
    AuthActions(writer).login("writer")
    saved = submit(
        writer,
        "/posts/new",
        {"title": "Second", "body": "x", "tags": "news, fresh", "status": "published"},
    )
    assert saved.status_code == 302
    assert '<span class="count">2 posts</span>' in app.test_client().get("/archive").text
    assert "#fresh</a>" in app.test_client().get("/tags").text
    for feed in ("/tags/news/feed.xml", "/users/writer/feed.xml"):
        assert _entry_titles(_feed(app.test_client(), feed)) == ["Second", "First"], feed
    assert "Second" in app.test_client().get("/archive/2030/3").text


def test_a_scheduled_post_joins_the_discovery_pages_at_its_time(
    app: Flask, clock: time_machine.Traveller
) -> None:
    with app.app_context():
        writer = _writer(app)
        _publish(writer, "Earlier", NOW - timedelta(days=1), ("news",))
        posts.create_post(
            writer,
            title="Launch",
            body="x",
            tags=["news", "launch"],
            status="published",
            publish_at=NOW + timedelta(hours=1),
        )
    watched = ["/archive", "/archive/2030/3", "/tags", "/tags/news/feed.xml"]
    watched += ["/users/writer/feed.xml", "/posts/earlier"]
    for path in watched:
        for _ in range(2):  # the second from the cache
            page = app.test_client().get(path).text
            assert "Launch" not in page, path
            assert "#launch" not in page, path
    assert '<span class="count">1 post</span>' in app.test_client().get("/archive").text
    assert app.test_client().get("/tags/launch/feed.xml").status_code == 404
    clock.move_to(NOW + timedelta(hours=1))
    assert '<span class="count">2 posts</span>' in app.test_client().get("/archive").text
    assert "#launch</a>" in app.test_client().get("/tags").text
    for path in ("/archive/2030/3", "/tags/news/feed.xml", "/users/writer/feed.xml"):
        assert "Launch" in app.test_client().get(path).text, path
    assert _around(app.test_client().get("/posts/earlier").text)["newer"] == ["Launch"]
    assert app.test_client().get("/tags/launch/feed.xml").status_code == 200


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", ["/tags/python/feed.xml", "/users/writer/feed.xml"])
def test_a_feed_reader_that_has_the_feed_gets_a_304(app: Flask, path: str) -> None:
    first = app.test_client().get(path)
    etag = first.headers["ETag"]
    for _ in range(2):  # from Flask, then as a cache hit
        again = app.test_client().get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_a_month_has_one_address_and_a_tag_feed_follows_other_spellings(app: Flask) -> None:
    """/archive/2026/012 moves to /archive/2026/12, /tags/PYTHON/feed.xml to the tag's slug, as
    the tag page does (found by a review)."""
    with app.app_context():
        post = create_post(create_user("writer"), title="One", tags=("Python",))
        year, month = post.published_at.year, post.published_at.month
    client = app.test_client()
    padded = client.get(f"/archive/{year}/{month:03d}?page=1")
    assert padded.status_code == 301
    assert padded.headers["Location"] == f"/archive/{year}/{month}?page=1"
    assert client.get(f"/archive/{year}/{month}").status_code == 200
    moved = client.get("/tags/PYTHON/feed.xml")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/tags/python/feed.xml"
    assert client.get("/tags/nothing-here/feed.xml").status_code == 404
