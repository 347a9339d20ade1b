"""Whole-page cache for anonymous readers, invalidated the moment content changes.

Only GETs of the public reading pages by visitors who are not signed in and have no flash message
waiting are served from or stored in the cache, and only responses that set no cookie: nothing
personal or CSRF-bearing can reach another visitor. Entries are keyed by a site-wide *content
version*; any commit that changes posts, comments, tags or who is visible bumps it, so every
cached page is stale at once. The version and the pages live in Redis when ``REDIS_URL`` is set
(shared by all workers and servers); otherwise pages are kept per process and the version in a
file under ``instance/``, shared by the workers of one machine.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user

from app.models import Comment, Post, Tag, User

CACHEABLE_ENDPOINTS = frozenset(
    {
        "main.index",
        "posts.show",
        "main.tag",
        "main.profile",
        "main.feed",
        "main.sitemap",
        "main.robots",
    }
)
CONDITIONAL_ENDPOINTS = frozenset({"posts.show", "main.feed"})
CONTENT_MODELS = (Post, Comment, Tag)
# Changes to these User columns change what public pages show (profiles disappear, names).
VISIBLE_USER_COLUMNS = ("username", "is_active")
MAX_KEY_LENGTH = 600
LOCAL_ENTRIES = 2000


class PageStore(Protocol):
    def version(self) -> str: ...
    def bump(self) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: int) -> None: ...


class RedisPageStore:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix

    def version(self) -> str:
        return (self.client.get(f"{self.prefix}:version") or b"0").decode()

    def bump(self) -> None:
        self.client.incr(f"{self.prefix}:version")

    def get(self, key: str) -> bytes | None:
        return self.client.get(f"{self.prefix}:{key}")  # type: ignore[return-value]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.client.set(f"{self.prefix}:{key}", value, ex=ttl)


class LocalPageStore:
    """Pages in this process (bounded, least recently used out); the version in a shared file."""

    def __init__(self, version_file: Path) -> None:
        self.version_file = version_file
        self.entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def version(self) -> str:
        try:
            return self.version_file.read_text()
        except FileNotFoundError:
            return "0"

    def bump(self) -> None:
        self.version_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.version_file.with_suffix(f".{secrets.token_hex(4)}")
        temporary.write_text(secrets.token_hex(8))
        temporary.replace(self.version_file)  # atomic, so workers never read half a version

    def get(self, key: str) -> bytes | None:
        found = self.entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        self.entries.move_to_end(key)
        return found[1]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.entries[key] = (time.monotonic() + ttl, value)
        self.entries.move_to_end(key)
        while len(self.entries) > LOCAL_ENTRIES:
            self.entries.popitem(last=False)


def _store() -> PageStore | None:
    return current_app.extensions.get("inkwell_page_cache")


def _eligible() -> bool:
    return (
        current_app.config["PAGE_CACHE_ENABLED"]
        and request.method in {"GET", "HEAD"}
        and request.endpoint in CACHEABLE_ENDPOINTS
        and len(request.full_path) <= MAX_KEY_LENGTH
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _key(store: PageStore) -> str:
    return f"page:{store.version()}:{request.full_path}"


def serve_from_cache() -> Response | None:
    """before_request: answer an anonymous reader from the cache (no SQL at all) if we can."""
    store = _store()
    if store is None or not _eligible():
        return None
    try:
        raw = store.get(_key(store))
    except redis.RedisError:
        return None
    if raw is None:
        g.page_cache_miss = True
        return None
    data = json.loads(raw)
    response = Response(
        base64.b64decode(data["body"]), status=data["status"], headers=data["headers"]
    )
    response.headers["X-Cache"] = "HIT"
    return response


def store_in_cache(response: Response) -> Response:
    """after_request: keep a fresh anonymous page, unless it is personal in any way."""
    store = _store()
    if (
        store is not None
        and g.pop("page_cache_miss", False)
        and response.status_code == 200
        and "Set-Cookie" not in response.headers
        and not response.direct_passthrough
        and _eligible()
    ):
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"]
        body = base64.b64encode(response.get_data()).decode()
        data = json.dumps({"status": response.status_code, "headers": headers, "body": body})
        with contextlib.suppress(redis.RedisError):  # a cache that is down only costs speed
            store.set(_key(store), data.encode(), current_app.config["PAGE_CACHE_SECONDS"])
        response.headers["X-Cache"] = "MISS"
    return response


def conditional(response: Response) -> Response:
    """ETag on posts and the feed, so a reader or feed reader that has it gets a 304."""
    if request.endpoint in CONDITIONAL_ENDPOINTS and response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


def bump_version() -> None:
    store = _store() if has_app_context() else None
    if store is not None:
        try:
            store.bump()
        except redis.RedisError:
            current_app.logger.exception("page cache: could not invalidate")


# Invalidation: watch every ORM session for content changes; bump once the commit is done.


def _touches_content(session: so.Session) -> bool:
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, CONTENT_MODELS):
            return True
        if isinstance(instance, User):
            state = sa.inspect(instance)
            if instance in session.deleted:
                return True
            if any(state.attrs[name].history.has_changes() for name in VISIBLE_USER_COLUMNS):
                return True
    return False


@sa.event.listens_for(so.Session, "before_flush")
def _note_changes(session: so.Session, _context: Any, _instances: Any) -> None:
    if _touches_content(session):
        session.info["content_changed"] = True


@sa.event.listens_for(so.Session, "do_orm_execute")
def _note_bulk_changes(state: so.ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper and mapper.class_ in (*CONTENT_MODELS, User):
        state.session.info["content_changed"] = True


@sa.event.listens_for(so.Session, "after_commit")
def _bump_after_commit(session: so.Session) -> None:
    if session.info.pop("content_changed", False):
        bump_version()


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_after_rollback(session: so.Session) -> None:
    session.info.pop("content_changed", None)


# Static files: ``url_for('static', …)`` adds ``?v=<content hash>``, and such URLs may be kept
# for a year, since a new file content gives a new URL.

STATIC_MAX_AGE = "public, max-age=31536000, immutable"


@functools.cache
def _fingerprint(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def add_static_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or "filename" not in values or "v" in values:
        return
    folder = Path(current_app.static_folder or "")
    path = (folder / values["filename"]).resolve()
    if path.is_file() and path.is_relative_to(folder.resolve()):
        values["v"] = _fingerprint(path, path.stat().st_mtime_ns)


def long_lived_static(response: Response) -> Response:
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        response.headers["Cache-Control"] = STATIC_MAX_AGE
    return response


def init_app(app: Flask) -> None:
    if app.config["PAGE_CACHE_ENABLED"]:
        redis_url = app.config.get("REDIS_URL")
        store: PageStore = (
            RedisPageStore(redis_url, app.config["PAGE_CACHE_PREFIX"])
            if redis_url
            else LocalPageStore(Path(app.instance_path) / "page-cache-version")
        )
        app.extensions["inkwell_page_cache"] = store
        app.before_request(serve_from_cache)
        app.after_request(store_in_cache)
    app.after_request(conditional)
    app.url_defaults(add_static_fingerprint)
    app.after_request(long_lived_static)
