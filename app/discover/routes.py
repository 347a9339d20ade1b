"""Discovery pages: ``/archive``, ``/archive/<year>/<month>``, ``/tags`` and the Atom feeds of
a tag and of an author (``app/feeds.py``). Public, cached for anonymous readers (app/cache.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import feeds
from app.models import Post, Tag, User
from app.pagination import window
from app.services import discovery, posts, profiles
from app.services import tags as tag_service
from app.urls import absolute_url

bp = Blueprint("discover", __name__)


@bp.get("/archive")
def archive() -> str:
    return render_template("discover/archive.html", months=discovery.months())


@bp.get("/archive/<int:year>/<int:month>")
def month(year: int, month: int) -> ResponseReturnValue:
    bounds = discovery.month_bounds(year, month)
    if bounds is None:
        abort(404)
    if request.path != url_for("discover.month", year=year, month=month):  # /archive/2026/012
        number = request.args.get("page")
        return redirect(url_for("discover.month", year=year, month=month, page=number), 301)
    page = window(discovery.posts_of_month(*bounds))
    if not page.items:
        abort(404)
    return render_template("discover/month.html", start=bounds[0], page=page)


@bp.get("/tags")
def tags() -> str:
    return render_template("discover/tags.html", tags=discovery.tag_counts())


@bp.get("/tags/<slug>/feed.xml")
def tag_feed(slug: str) -> ResponseReturnValue:
    entries = feeds.latest(posts.published_posts().where(Post.tags.any(Tag.slug == slug)))
    if not entries:  # another spelling ("Python") moves as the tag page does; else a 404
        found = tag_service.tag_for_address(slug, shown=posts.visible_to_public())
        if found is None or found.slug == slug:
            abort(404)  # no such tag, or none of its posts is public
        return redirect(url_for("discover.tag_feed", slug=found.slug), 301)
    # The tag comes with its posts, as on the tag page: no query of its own.
    tag = next(tag for tag in entries[0].tags if tag.slug == slug)
    feed = feeds.Feed(
        absolute_url("main.tag", slug=slug),
        absolute_url("discover.tag_feed", slug=slug),
        subject=f"#{tag.name}",
    )
    return feeds.atom(feed, entries)


@bp.get("/users/<username>/feed.xml")
def author_feed(username: str) -> Response:
    key = profiles.address_key(username)
    if key is None:
        abort(404)
    entries = feeds.latest(posts.published_posts().where(Post.author.has(User.username_key == key)))
    author = profiles.public_author(key, entries)
    if author is None:
        abort(404)
    feed = feeds.Feed(
        absolute_url("main.profile", username=author.username),
        absolute_url("discover.author_feed", username=author.username),
        subject=author.name_shown,
    )
    return feeds.atom(feed, entries)
