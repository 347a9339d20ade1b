"""The anonymous page cache: zero SQL on a hit, never personal, invalidated by every change."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, request_started, url_for
from flask import request as flask_request
from flask import session as flask_session
from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf

from app import cache
from app.extensions import db
from app.models import Comment, Post, User, utcnow
from app.services import posts, sharing
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, require, submit
from tests.integration.test_reading import counted_statements

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PAGES = ["/", "/posts/first", "/tags/news", "/users/writer", "/feed.xml", "/sitemap.xml"]


@pytest.fixture
def site(app: Flask) -> None:
    with app.app_context():
        writer = create_user("writer")
        create_post(writer, title="First", tags=("news",))


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", PAGES)
def test_second_anonymous_visit_is_served_without_sql(app: Flask, path: str) -> None:
    first = app.test_client().get(path)
    assert first.headers["X-Cache"] == "MISS"
    with counted_statements(app) as statements:
        second = app.test_client().get(path)
    assert second.headers["X-Cache"] == "HIT"
    assert statements == []
    assert second.data == first.data
    assert "Content-Security-Policy" in second.headers


@pytest.mark.usefixtures("site")
def test_signed_in_pages_are_never_cached_nor_served_from_cache(app: Flask) -> None:
    member = app.test_client()
    AuthActions(member).login("writer")
    anonymous = app.test_client()
    for path in PAGES[:4]:
        anonymous.get(path)  # fills the cache
        mine = member.get(path)
        assert "X-Cache" not in mine.headers
        assert 'data-testid="current-user">writer<' in mine.text
        assert mine.headers["Cache-Control"] == "no-store"
        theirs = app.test_client().get(path)
        assert theirs.headers["X-Cache"] == "HIT"
        assert "current-user" not in theirs.text
        assert "csrf_token" not in theirs.text


@pytest.mark.usefixtures("site")
def test_a_page_with_a_flash_message_is_not_shared(app: Flask) -> None:
    client = app.test_client()
    AuthActions(client).login("writer")
    response = AuthActions(client).logout()
    after_logout = client.get(response.headers["Location"])
    assert "You have signed out." in after_logout.text
    assert "X-Cache" not in after_logout.headers
    for _ in range(2):
        assert "You have signed out." not in app.test_client().get("/").text


def _anonymous(app: Flask, path: str) -> str:
    return app.test_client().get(path).text


@pytest.mark.usefixtures("site")
def test_publishing_editing_and_deleting_invalidate(app: Flask) -> None:
    for path in PAGES:
        _anonymous(app, path)
    writer = app.test_client()
    AuthActions(writer).login("writer")
    submit(
        writer,
        "/posts/new",
        {"title": "Second", "body": "x", "tags": "news", "status": "published"},
    )
    assert "Second" in _anonymous(app, "/")
    assert "Second" in _anonymous(app, "/tags/news")
    assert "Second" in _anonymous(app, "/feed.xml")

    submit(
        writer,
        "/posts/first/edit",
        {"title": "First, renamed", "body": "y", "tags": "news", "status": "published"},
    )
    assert "First, renamed" in _anonymous(app, "/posts/first")
    assert "First, renamed" in _anonymous(app, "/users/writer")

    submit(writer, "/posts/first/comments", {"body": "A new comment"}, form_url="/posts/first")
    assert "A new comment" in _anonymous(app, "/posts/first")

    submit(writer, "/posts/first/delete", {}, form_url="/posts/first")
    assert app.test_client().get("/posts/first").status_code == 404
    assert "First, renamed" not in _anonymous(app, "/")


@pytest.mark.usefixtures("site")
def test_deactivating_an_author_hides_the_cached_profile(app: Flask) -> None:
    assert app.test_client().get("/users/writer").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).values(is_active=False))
        db.session.commit()
    assert app.test_client().get("/users/writer").status_code == 404


@pytest.mark.usefixtures("site")
def test_hiding_a_comment_through_the_service_invalidates(app: Flask) -> None:
    with app.app_context():
        post = db.session.scalar(sa.select(Post))
        comment_id = posts.add_comment(post, post.author, "soon hidden").id
    assert "soon hidden" in _anonymous(app, "/posts/first")
    with app.app_context():
        db.session.get(Comment, comment_id).is_hidden = True
        db.session.commit()
    assert "soon hidden" not in _anonymous(app, "/posts/first")


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", ["/posts/first", "/feed.xml"])
def test_etag_gives_304_to_a_reader_that_has_the_page(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.usefixtures("site")
def test_a_members_post_page_is_not_kept_and_has_no_etag(client: FlaskClient) -> None:
    """A member's page is ``no-store``: no browser asks for it again, so no ETag is made."""
    AuthActions(client).login("writer")
    page = client.get("/posts/first")
    assert page.headers["Cache-Control"] == "no-store"
    assert "ETag" not in page.headers


def test_the_cache_can_be_switched_off(make_app: AppFactory) -> None:
    app = make_app({"PAGE_CACHE_ENABLED": False})
    for _ in range(2):
        assert "X-Cache" not in app.test_client().get("/").headers


def test_static_files_are_fingerprinted_and_cached_for_a_year(client: FlaskClient) -> None:
    page = client.get("/").text
    stylesheet = re.search(r'href="(/static/css/inkwell\.css\?v=[0-9a-f]{12})"', page).group(1)
    with client.get(stylesheet) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/css/inkwell.css") as plain:
        assert "immutable" not in plain.headers.get("Cache-Control", "")


@pytest.mark.parametrize("version", ["anything", "0" * 12, "1", "%20"])
def test_only_the_files_own_hash_is_cached_for_a_year(client: FlaskClient, version: str) -> None:
    with client.get(f"/static/css/inkwell.css?v={version}") as response:
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")
        assert "31536000" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("debug", [False, True])
def test_a_static_files_hash_is_read_once_unless_in_debug_mode(
    make_app: AppFactory, tmp_path: Path, debug: bool
) -> None:
    """Workers hash each file once (a deploy restarts them); the debug server sees edits."""
    app = make_app()
    app.static_folder = str(tmp_path)
    app.debug = debug
    style = tmp_path / "site.css"
    style.write_text("body { color: black }")
    with app.test_request_context():
        before = url_for("static", filename="site.css")
        style.write_text("body { color: navy }")
        after = url_for("static", filename="site.css")
    assert re.search(r"\?v=[0-9a-f]{12}$", before)
    assert (after != before) is debug


def test_pages_and_invalidation_are_shared_through_redis(make_app: AppFactory) -> None:
    """Two app instances on one Redis: one fills the cache, the other hits it; a write in either
    invalidates both."""
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    settings = {
        "REDIS_URL": TEST_REDIS_URL,
        "PAGE_CACHE_PREFIX": f"inkwell-test:{uuid.uuid4().hex}",
    }
    first, second = make_app(settings), make_app(settings)
    with first.app_context():
        create_post(create_user("writer"), title="Shared")
    assert first.test_client().get("/").headers["X-Cache"] == "MISS"
    hit = second.test_client().get("/")
    assert hit.headers["X-Cache"] == "HIT"
    assert "Shared" in hit.text
    with second.app_context():
        create_post(db.session.scalar(sa.select(User)), title="Another one")
    fresh = first.test_client().get("/")
    assert fresh.headers["X-Cache"] == "MISS"
    assert "Another one" in fresh.text


@contextlib.contextmanager
def redis_commands(app: Flask) -> Iterator[list[str]]:
    """The commands the app's page store sends to Redis meanwhile."""
    client = app.extensions["inkwell_page_cache"].client
    sent: list[str] = []
    execute = client.execute_command

    def counted(*args: object, **options: object) -> object:
        sent.append(str(args[0]))
        return execute(*args, **options)

    client.execute_command = counted
    try:
        yield sent
    finally:
        del client.execute_command


def test_a_page_costs_one_redis_round_trip_signed_in_or_not(make_app: AppFactory) -> None:
    """The version, its due note and the settings token come in one MGET; the page or piece
    itself from this process's memory once it has seen it."""
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    app = make_app(
        {"REDIS_URL": TEST_REDIS_URL, "PAGE_CACHE_PREFIX": f"inkwell-test:{uuid.uuid4().hex}"}
    )
    with app.app_context():
        create_post(create_user("writer"), title="First", tags=("news",))
    member = app.test_client()
    AuthActions(member).login("writer")
    for client, paths in ((app.test_client(), PAGES), (member, ["/", "/posts/first"])):
        for path in paths:
            client.get(path)  # fills the cache and this process's memory
            with redis_commands(app) as sent:
                assert client.get(path).status_code == 200
            assert sent == ["MGET"], path


def test_a_copy_kept_from_redis_never_outlives_redis_own(make_app: AppFactory) -> None:
    """Another server's page, read from Redis, is kept in this process only for the time Redis
    has left on it (docs/security.md W23: a write Redis missed is bounded by it)."""
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    prefix = f"inkwell-test:{uuid.uuid4().hex}"
    settings = {"REDIS_URL": TEST_REDIS_URL, "PAGE_CACHE_PREFIX": prefix, "PAGE_CACHE_SECONDS": 1}
    writer, reader = make_app(settings), make_app(settings)
    with writer.app_context():
        create_post(create_user("writer"), title="First")
    assert writer.test_client().get("/").headers["X-Cache"] == "MISS"
    assert reader.test_client().get("/").headers["X-Cache"] == "HIT"  # read from Redis, kept
    client = reader.extensions["inkwell_page_cache"].client
    stored = client.keys(f"{prefix}:page2:*")
    assert stored
    client.delete(*stored)  # Redis let them go early (its memory)
    assert reader.test_client().get("/").headers["X-Cache"] == "HIT"  # same version: still true
    time.sleep(1.1)  # past the time Redis had left on it
    assert reader.test_client().get("/").headers["X-Cache"] == "MISS"


def test_kept_pages_are_bounded_in_bytes() -> None:
    kept = cache.KeptEntries(len, limit=1000)
    later = time.monotonic() + 60
    for number in range(20):
        kept.put(f"page{number}", later, b"x" * 100)
    assert kept.size <= 1000
    assert kept.get("page19") == b"x" * 100
    assert kept.get("page0") is None  # least recently used out
    kept.put("big", later, b"x" * 126)  # over an eighth of the limit: never kept
    assert kept.get("big") is None
    kept.put("page19", later, b"y" * 10)  # replaced, not counted twice
    assert kept.size == sum(len(value) for _expires, value in kept.entries.values())


def test_a_member_renamed_by_another_server_is_never_filed_old_under_the_new_version(
    app: Flask,
) -> None:
    """The version is read before the member is loaded: a piece of their page built after
    another server's change cannot carry the member as loaded before it (found by a review)."""
    with app.app_context():
        writer = create_user("writer")
        writer.display_name = "Old Name"
        db.session.commit()
        create_post(writer, title="First", tags=("news",))
    renamed: list[bool] = []
    armed: list[bool] = []

    def rename_elsewhere() -> None:  # after the sign-in check loaded the member
        if armed and not renamed and flask_request.path == "/":
            renamed.append(True)
            with db.engine.begin() as connection:
                connection.execute(
                    sa.update(User).where(User.username == "writer").values(display_name="New Name")
                )
            app.extensions["inkwell_page_cache"].bump()  # as that server's commit does

    app.before_request(rename_elsewhere)
    member = app.test_client()
    AuthActions(member).login("writer")
    armed.append(True)
    member.get("/")
    assert renamed
    assert "New Name" in app.test_client().get("/").text


@pytest.mark.usefixtures("site")
def test_a_request_that_commits_content_reads_pieces_under_the_new_version(app: Flask) -> None:
    """The version is read once a request, and dropped by the request's own commit: a piece it
    renders after writing is never the one kept from before."""
    with app.test_request_context("/"):
        before = cache.shared_fragment("probe", lambda: "before")
        assert cache.shared_fragment("probe", lambda: "again") == before == "before"
        posts.create_post(
            db.session.scalar(sa.select(User)), title="New", body="x", tags=[], status="published"
        )
        assert cache.shared_fragment("probe", lambda: "after") == "after"


def test_a_local_store_keeps_pages_on_this_server_even_with_redis_set(
    make_app: AppFactory,
) -> None:
    """PAGE_CACHE_STORE=local (one app server): the version in a file, no Redis for a page, so
    an unreachable Redis costs the pages nothing."""
    app = make_app({"REDIS_URL": "redis://127.0.0.1:1/0", "PAGE_CACHE_STORE": "local"})
    with app.app_context():
        create_post(create_user("writer"), title="Kept here")
    assert app.test_client().get("/").headers["X-Cache"] == "MISS"
    hit = app.test_client().get("/")
    assert hit.headers["X-Cache"] == "HIT"
    assert "Kept here" in hit.text


# Correct by construction (issue: reliability) ---------------------------------------------------


def _wrap_view(app: Flask, endpoint: str, after: Callable[[], None]) -> None:
    """Make ``endpoint`` run ``after`` once its page is rendered, like a write landing meanwhile."""
    original = app.view_functions[endpoint]

    @functools.wraps(original)
    def view(**kwargs: object) -> object:
        page = original(**kwargs)
        after()
        return page

    app.view_functions[endpoint] = view


@pytest.mark.usefixtures("site")
def test_a_page_rendered_before_a_publish_is_not_filed_under_the_new_version(app: Flask) -> None:
    def publish_meanwhile() -> None:
        author = db.session.scalar(sa.select(User))
        posts.create_post(
            author, title="Published meanwhile", body="x", tags=[], status="published"
        )

    _wrap_view(app, "main.index", publish_meanwhile)
    stale = app.test_client().get("/")
    assert "Published meanwhile" not in stale.text  # rendered before the publish
    app.view_functions["main.index"] = app.view_functions["main.index"].__wrapped__
    fresh = app.test_client().get("/")
    assert fresh.headers["X-Cache"] == "MISS"
    assert "Published meanwhile" in fresh.text


@pytest.mark.usefixtures("site")
def test_moderation_landing_during_a_render_takes_effect_at_once(app: Flask) -> None:
    def unpublish_meanwhile() -> None:
        post = db.session.scalar(sa.select(Post))
        post.status = "draft"
        db.session.commit()

    _wrap_view(app, "posts.show", unpublish_meanwhile)
    assert app.test_client().get("/posts/first").status_code == 200
    app.view_functions["posts.show"] = app.view_functions["posts.show"].__wrapped__
    assert app.test_client().get("/posts/first").status_code == 404


@pytest.mark.usefixtures("site")
def test_only_the_parameters_a_page_reads_are_in_the_key(app: Flask) -> None:
    assert app.test_client().get("/").headers["X-Cache"] == "MISS"
    tracked = app.test_client().get("/?utm_source=news&fbclid=abc&ref=x")
    assert tracked.headers["X-Cache"] == "HIT"
    assert app.test_client().get("/?page=1").headers["X-Cache"] == "MISS"
    assert app.test_client().get("/?page=1&utm_medium=mail").headers["X-Cache"] == "HIT"
    assert app.test_client().get("/posts/first?page=7").headers["X-Cache"] == "MISS"
    assert app.test_client().get("/posts/first").headers["X-Cache"] == "HIT"


@pytest.mark.usefixtures("site")
def test_a_page_that_read_a_session_secret_is_never_shared(app: Flask) -> None:
    """A visitor's CSRF token (already in their session, so nothing is written and no cookie is
    set) must not end up in a page that another visitor is served."""
    _wrap_view(app, "posts.show", lambda: None)
    original = app.view_functions["posts.show"].__wrapped__

    def show_with_a_form(slug: str) -> str:
        return original(slug=slug) + f"<!-- {generate_csrf()} -->"

    app.view_functions["posts.show"] = show_with_a_form
    visitor = app.test_client()
    visitor.get("/auth/login")  # puts a CSRF token in this visitor's session
    visitor.get("/auth/login")  # (and Flask-Login's one-time "_fresh" mark)
    mine = visitor.get("/posts/first")
    assert "Set-Cookie" not in mine.headers
    assert "X-Cache" not in mine.headers
    theirs = app.test_client().get("/posts/first")
    assert theirs.headers.get("X-Cache") != "HIT"
    my_token = re.search(r"<!-- (\S+) -->", mine.text).group(1)
    assert my_token not in theirs.text


@pytest.mark.usefixtures("site")
def test_a_page_that_wrote_the_session_is_never_stored(app: Flask) -> None:
    def remember_something() -> None:
        flask_session["seen"] = True

    _wrap_view(app, "main.index", remember_something)
    first = app.test_client().get("/")
    assert "Set-Cookie" in first.headers
    assert app.test_client().get("/").headers.get("X-Cache") != "HIT"


def test_a_missing_redis_version_is_created_never_defaulted(make_app: AppFactory) -> None:
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    prefix = f"inkwell-test:{uuid.uuid4().hex}"
    app = make_app({"REDIS_URL": TEST_REDIS_URL, "PAGE_CACHE_PREFIX": prefix})
    store = app.extensions["inkwell_page_cache"]
    first = store.version()
    assert first not in ("", "0")
    store.client.delete(f"{prefix}:version")  # evicted, or lost
    assert store.version() not in ("", "0", first)


# Hits answered before Flask (issue 16: cached pages near the Flask ceiling) ---------------------


@contextlib.contextmanager
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that reached Flask (``request_started``) meanwhile."""
    seen: list[str] = []

    def started(_sender: Flask, **_extra: object) -> None:
        seen.append(flask_request.path)

    with request_started.connected_to(started, app):
        yield seen


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", PAGES)
def test_a_hit_for_a_visitor_without_a_session_never_enters_flask(app: Flask, path: str) -> None:
    through_flask = app.test_client().get(path)
    with flask_requests(app) as reached, counted_statements(app) as statements:
        hit = app.test_client().get(path)
        head = app.test_client().head(path)
    assert (hit.headers["X-Cache"], head.headers["X-Cache"]) == ("HIT", "HIT")
    assert reached == []
    assert statements == []
    assert hit.data == through_flask.data
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(hit.data))

    def replayed(headers: object) -> list[tuple[str, str]]:
        return sorted((n, v) for n, v in headers if n not in {"Date", "X-Cache"})  # type: ignore[attr-defined]

    assert replayed(hit.headers) == replayed(through_flask.headers)
    assert "Content-Security-Policy" in hit.headers


@pytest.mark.usefixtures("site")
def test_routes_remembered_by_the_hit_layer_stay_bounded(app: Flask) -> None:
    from app.cache import ROUTES_REMEMBERED, ServeCachedPages

    layer = app.wsgi_app
    while not isinstance(layer, ServeCachedPages):
        layer = layer.wsgi_app  # type: ignore[attr-defined]
    client = app.test_client()
    for number in range(ROUTES_REMEMBERED + 10):
        client.get(f"/made-up/{number}")
    assert 0 < len(layer.routes) <= ROUTES_REMEMBERED
    client.get("/")
    assert client.get("/").headers["X-Cache"] == "HIT"


@pytest.mark.usefixtures("site")
def test_a_visitor_with_a_session_cookie_is_answered_by_flask(app: Flask) -> None:
    app.test_client().get("/")
    visitor = app.test_client()
    visitor.get("/auth/login")  # a session cookie now holds a CSRF token
    assert visitor.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    with flask_requests(app) as reached:
        page = visitor.get("/")
    assert page.headers["X-Cache"] == "HIT"  # still a hit, found by Flask's own hook
    assert reached == ["/"]


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("path", ["/posts/first", "/feed.xml", "/"])
def test_a_hit_carries_no_date_of_the_time_it_was_stored(app: Flask, path: str) -> None:
    """A replayed Date would stand beside the server's own, minutes old (found by a review)."""
    stored_at = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(stored_at, tick=False):
        first = app.test_client().get(path)
    with time_machine.travel(stored_at + timedelta(minutes=4), tick=False):
        hit = app.test_client().get(path)
    assert hit.headers["X-Cache"] == "HIT"
    stale = stored_at.strftime("%H:%M:%S")
    assert stale not in " ".join(hit.headers.getlist("Date")), first.headers
    assert len(hit.headers.getlist("Date")) <= 1


@pytest.mark.usefixtures("site")
def test_the_etag_of_a_hit_before_flask_still_gives_a_304(app: Flask) -> None:
    etag = app.test_client().get("/posts/first").headers["ETag"]
    with flask_requests(app) as reached:
        again = app.test_client().get("/posts/first", headers={"If-None-Match": etag})
    assert (again.status_code, again.data, reached) == (304, b"", [])


def test_what_flask_refuses_is_refused_with_the_page_cached(make_app: AppFactory) -> None:
    app = make_app({"TRUSTED_HOSTS": ["blog.example"]})
    with app.app_context():
        create_post(create_user("author"), title="Hosted")
    client = app.test_client()
    assert client.get("/", headers={"Host": "blog.example"}).headers["X-Cache"] == "MISS"
    assert client.get("/", headers={"Host": "blog.example"}).headers["X-Cache"] == "HIT"
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/?page=%00", headers={"Host": "blog.example"}).status_code == 400


def test_a_post_falling_due_is_shown_by_a_hit_before_flask(app: Flask) -> None:
    with app.app_context():
        writer = create_user("writer")
        create_post(writer, title="Now")
        later = create_post(writer, title="Later on")
        later.published_at = utcnow() + timedelta(minutes=5)
        db.session.commit()
    assert "Later on" not in app.test_client().get("/").text
    assert app.test_client().get("/").headers["X-Cache"] == "HIT"
    with time_machine.travel(utcnow() + timedelta(minutes=6), tick=False):
        assert "Later on" in app.test_client().get("/").text


def test_fixed_addresses_built_once_follow_the_script_root(make_app: AppFactory) -> None:
    """Templates keep the addresses they build without parameters (``install_template_url_for``);
    an app mounted under a prefix must still link under it, and the same process at the root
    without it."""
    app = make_app({"PAGE_CACHE_ENABLED": False})
    mounted = app.test_client().get("/", base_url="http://localhost/blog").text
    at_root = app.test_client().get("/").text
    assert 'href="/blog/auth/login"' in mounted
    assert 'href="/blog/static/css/inkwell.css?v=' in mounted
    assert 'href="/auth/login"' in at_root
    assert "/blog/" not in at_root


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_and_pieces_kept_under_one_script_root_never_reach_another(
    app: Flask, signed_in: bool
) -> None:
    """Links in a kept page or piece are built under the request's script root (SCRIPT_NAME,
    which gunicorn takes from a trusted proxy's header): a copy made under "//evil.example"
    must never be served at the root (found by a review)."""
    for _ in range(2):  # the second is a hit, if the prefix were not part of the key
        warm = app.test_client()
        if signed_in:
            AuthActions(warm).login("writer")
        warm.get("/posts/first", base_url="http://localhost//evil.example")
        warm.get("/", base_url="http://localhost//evil.example")
    reader = app.test_client()
    if signed_in:
        AuthActions(reader).login("writer")
    for path in ("/", "/posts/first"):
        assert "evil.example" not in reader.get(path).text, path


def test_addresses_kept_per_process_hold_no_token_and_no_long_visitor_value(app: Flask) -> None:
    """The templates' address memo (``install_template_url_for``, also behind canonical links
    and share cards) keeps no mail token and nothing long a visitor sent (found by a review)."""
    kept = app.extensions["inkwell_url_for"].kept
    token = "t" * 40
    with app.test_request_context(f"/auth/reset/{token}"):
        app.preprocess_request()
        before = len(kept)
        sharing.canonical_url()
        app.extensions["inkwell_url_for"]("main.search_page", q="x" * 101)
        with app.test_request_context("/search?q=secret+words"):
            app.preprocess_request()
            sharing.canonical_url()
        assert len(kept) == before
        app.extensions["inkwell_url_for"]("main.search_page", q="short")
        assert len(kept) == before + 1
