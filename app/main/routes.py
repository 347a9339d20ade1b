"""Reading: the front page, tags, authors, search, feed, sitemap, robots.txt, health."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from app import cache, feeds
from app.extensions import db
from app.models import Post, Tag, User
from app.pagination import page_number, window
from app.services import health, posts, profiles, search, tags
from app.urls import absolute_url

bp = Blueprint("main", __name__)


@bp.app_context_processor
def inject_helpers() -> dict[str, object]:
    return {"absolute_url": absolute_url}


@bp.get("/")
def index() -> str:
    number = page_number()
    listing = cache.shared_fragment(
        f"main.index:{number}",
        lambda: render_template("main/_latest.html", page=window(posts.published_posts())),
    )
    return render_template("main/index.html", listing=listing, page_number=number)


@bp.get("/tags/<slug>")
def tag(slug: str) -> str | ResponseReturnValue:
    page = window(posts.published_posts().where(Post.tags.any(Tag.slug == slug)))
    if not page.items:
        return _tag_moved_or_404(slug)
    # The tag comes with its posts, as the author does on a profile: no query of its own.
    shown = next(tag for tag in page.items[0].tags if tag.slug == slug)
    return render_template("main/tag.html", tag=shown, page=page)


def _tag_moved_or_404(address: str) -> ResponseReturnValue:
    """A permanent redirect from another spelling of a tag ("Python", "C++") to its slug, for
    a tag on a public post only: otherwise a 404, as for a tag that does not exist."""
    found = tags.tag_for_address(address, shown=posts.visible_to_public())
    if found is None or found.slug == address:
        abort(404)
    return redirect(url_for("main.tag", slug=found.slug, page=request.args.get("page")), 301)


@bp.get("/users/<username>")
def profile(username: str) -> str:
    key = profiles.address_key(username)
    if key is None:
        abort(404)
    page = window(posts.published_posts().where(Post.author.has(User.username_key == key)))
    author = profiles.public_author(key, page.items)
    if author is None:
        abort(404)
    published = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Post)
        .where(Post.author_id == author.id, posts.released())
    )
    return render_template("main/profile.html", author=author, page=page, published=published)


@bp.get("/search")
def search_page() -> str:
    query = request.args.get("q", "")[: search.MAX_QUERY_LENGTH]
    terms = search.search_terms(query)
    results = None
    if terms:
        per_page = current_app.config["POSTS_PER_PAGE"]
        shown = posts.visible_to_public()
        results = search.search(terms, shown, page_number(), per_page)
        if results is None:
            abort(404)
    return render_template("main/search.html", query=query, page=results, cap=search.CANDIDATES)


@bp.get("/feed.xml")
def feed() -> Response:
    site = feeds.Feed(absolute_url("main.index"), absolute_url("main.feed"))
    return feeds.atom(site, feeds.latest(posts.published_posts()))


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    rows = db.session.execute(
        sa.select(Post.slug, Post.updated_at, Post.published_at)
        .where(posts.visible_to_public())
        .order_by(Post.published_at.desc())
        .limit(50_000)
    ).all()
    return feeds.xml_document("main/sitemap.xml", "application/xml", rows=rows)


@bp.get("/robots.txt")
def robots() -> Response:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /auth/",
        "Disallow: /account/",
        f"Sitemap: {absolute_url('main.sitemap')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    """Each component's state, for load balancers and monitors; 503 when reads cannot be served.

    A read-only database is "degraded" (200): pages are served, writes get the 503 page.
    """
    report = health.check()
    return report, 200 if report["status"] != "error" else 503


@bp.app_template_filter("isodate")
def isodate(value: datetime) -> str:
    """RFC 3339 in UTC, as Atom and sitemaps want it."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
