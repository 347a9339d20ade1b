"""Whole-page cache for anonymous readers, correct by construction.

What may be cached. Only GETs of the public reading pages (``CACHEABLE_ENDPOINTS``) by visitors
who are not signed in and have no flash message waiting. A page is *stored* only when, at the very
end of the request (in ``StoreFinishedPages``, a WSGI layer that sees the response exactly as it
leaves, after Flask has saved the session), it is a 200 that sets no cookie, and when the view
neither wrote the session nor read anything personal from it (``TrackedSession`` records the keys
read; only Flask-Login's bookkeeping keys are harmless). So a CSRF token, a flash or a
language choice can never reach another visitor.

The key. ``page2:<version>:<endpoint>:<theme>:<language>:<script root><path>?<params>``: the
content version is read once, first thing in the request, before the view reads the database, and
the page is stored under that version only. A write bumps the version after its commit, so a reader
that rendered old content can only file it under an old version, which nobody reads any more. Only
the query parameters a page reads (``KEY_PARAMS``) are part of the key: ``?utm_source=…`` shares
the entry. The theme (``system``, ``light`` or ``dark``, from the ``theme`` cookie through
app/services/theme.py, any other value read as ``system``) is too: a page says ``<html
data-theme="dark">``, and a reader who chose Light must never get it. So is the language (``en`` or
``zh-Hans``, from the ``lang`` cookie and ``Accept-Language`` through ``chosen_language`` in
app/services/i18n.py, the function Flask-Babel's selector uses too), and every page says ``Vary:
Cookie, Accept-Language``. No other cookie is read.

Invalidation. Any commit that changes posts, comments, tags or what the public sees of a member
bumps the version (the ``before_flush``/``after_commit`` hooks at the end of this module; the
models and columns they know are listed in ``CONTENT_MODELS`` / ``VISIBLE_USER_COLUMNS`` and every
other model and column must be named as private, or ``tests/unit/test_cache_rules.py`` fails).

The site's settings (``SiteSettings``: name, tagline, share card; ``app/services/site.py``)
are content too, and also have a *settings token* of their own in the store: each process keeps
the settings it read under that token and reads them again only when it changes. A commit that
touches the row replaces the token first, then the version, so a page rendered with the old
settings can only be filed under the old version.

Where a hit is answered. A visitor with no session or remember cookie gets a hit from
``ServeCachedPages``, a WSGI layer in front of Flask, so no session, routing hook or view runs;
anyone else (a visitor whose session cookie holds a CSRF token, say) from ``serve_from_cache``,
the first ``before_request`` hook. Both make the key with ``page_key``. The same layer keeps
uploaded images in each process (``KeptImages``) under a *media token* that any deletion of an
image, its files or its owner replaces.

How it is stored. ``encode_entry``: the headers as one JSON line, then the body's own bytes, so
a hit decodes one short line and hands the body to the server as it is.

Where it lives. In Redis when ``REDIS_URL`` is set and ``PAGE_CACHE_STORE`` is ``redis`` (the
default; shared by all workers and servers), and each page or piece also in the memory of every
process that wrote or read it (``RedisPageStore``, under the same key, and no longer than Redis
would keep its own copy); otherwise (no Redis, or ``local`` for one app server) pages are kept
per process and the version in a file under ``instance/`` that the server's workers share.
Either way a request reads the version,
its due note and the settings token together, once (``_snapshot``): with Redis a page costs one
round trip and no page crosses the wire once the process has it. The version is a random
token, never a counter, and Redis restarts cannot roll it back: every new connection to Redis
compares the server's ``run_id`` with the one recorded beside the version; a restarted server
(restored from a snapshot or not) has a new ``run_id``, so the first connection to it sets a new
version before any page is read. A missing version is created the same way, never defaulted.

Scheduled posts. A post scheduled for later appears by itself at its time, with no job to run
and no write to bump the version then, so the version carries a clock. Each version records when
it was made (in its token), and beside it the store keeps *when it falls due*: the earliest
``published_at`` after that moment, i.e. the first post that pages made under it do not show.
A request that finds the time has come moves the store to a new version (only if nobody did
already) before it reads any page. The due time belongs to one version (it is written as
``<version>|<time>``), and is worked out only after that version exists, by the writer that made
it (``after_commit``) or by the first reader to find it missing; so a due time computed before a
concurrent commit is filed under a version that commit has already replaced, and never
outlives it. On a hit in the steady state this costs no SQL: one more value read with the
version (Redis ``MGET``; a second small file locally).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, SecurityError

from app.extensions import db
from app.http import HSTS
from app.models import (
    Comment,
    FormSubmission,
    MediaFile,
    MediaItem,
    OutboxMessage,
    Passkey,
    PasskeyChallenge,
    PendingSignIn,
    Post,
    PostImage,
    PostStatus,
    RecoveryCode,
    SecurityEvent,
    SiteSettings,
    Tag,
    TotpCredential,
    TrustedBrowser,
    User,
    UserSession,
    utcnow,
)
from app.request_guard import NUL
from app.services import i18n, theme

logger = logging.getLogger(__name__)

CACHEABLE_ENDPOINTS = frozenset(
    {
        "main.index",
        "posts.show",
        "main.tag",
        "main.profile",
        "main.feed",
        "main.sitemap",
        "main.robots",
        "discover.archive",
        "discover.month",
        "discover.tags",
        "discover.tag_feed",
        "discover.author_feed",
        "main.search_page",
    }
)
# The query parameters each page reads; every other parameter is ignored by the view and the key.
KEY_PARAMS: dict[str, tuple[str, ...]] = {
    "main.index": ("page",),
    "main.tag": ("page",),
    "main.profile": ("page",),
    "discover.month": ("page",),
    "main.search_page": ("q", "page"),
}
CONDITIONAL_ENDPOINTS = frozenset(
    {"posts.show", "main.feed", "discover.tag_feed", "discover.author_feed"}
)
# What public pages show: a change to any of these makes every cached page stale.
# ``avatar`` is the file name of the member's picture, shown beside their name. The site's
# settings (name, tagline, card) are on every page; a change also bumps the settings token.
CONTENT_MODELS = (Post, Comment, Tag, SiteSettings)
VISIBLE_USER_COLUMNS = frozenset(
    {"username", "is_active", "display_name", "bio", "bio_html", "website", "avatar"}
)
# What public pages never show (tests/unit/test_cache_rules.py holds every model to one list).
# Media rows are private: a post's body_html already holds its images' addresses (made on
# save, when PostImage rows change with the post), and its address never changes, deleted or not.
PRIVATE_MODELS = (
    UserSession,
    SecurityEvent,
    OutboxMessage,
    FormSubmission,
    MediaItem,
    MediaFile,
    PostImage,
    TotpCredential,
    RecoveryCode,
    PendingSignIn,
    TrustedBrowser,
    Passkey,
    PasskeyChallenge,
)
PRIVATE_USER_COLUMNS = frozenset(
    {"id", "username_key", "username_skeleton", "email", "email_key", "password_hash", "is_admin"}
    | {"created_at", "last_login_at", "time_zone", "locale"}
    | {"notify_comments", "notify_replies"}
)
# Session keys Flask-Login and the flash check read on every request: nothing personal for a
# visitor who is not signed in. Reading any other key makes the page personal.
HARMLESS_SESSION_KEYS = frozenset(
    {"_user_id", "_fresh", "_id", "_remember", "_remember_seconds", "_flashes"}
)
# Deleting any of these may take an image's last stored copy with it (rows cascade in the
# database): the commit replaces the media token (``ServeCachedPages`` keeps images).
IMAGE_OWNERS = (MediaItem, MediaFile, User)
MAX_KEY_LENGTH = 600
LOCAL_ENTRIES = 2000
# Bytes of pages and pieces each process keeps at most (``KeptEntries``); none over an eighth.
LOCAL_BYTES = 64 * 1024 * 1024
STORE_ENVIRON_KEY = "inkwell.page_cache.store"
# Request headers that ask for a conditional or partial answer: a hit carrying one is answered
# through Werkzeug's ``make_conditional`` (304, 412, 206); every other hit is replayed as stored.
CONDITIONAL_REQUEST_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_RANGE",
    "HTTP_IF_RANGE",
)
# Headers never stored: each answer gets its own Date from the server (a stored one would be
# replayed beside it, stale), X-Cache says how this very answer was made, and HSTS belongs to
# https answers only, whichever request's answer was stored (``_per_request_headers``).
UNSTORED_HEADERS = frozenset({"date", "x-cache", "strict-transport-security"})
ROUTES_REMEMBERED = 4096
MEDIA_ENDPOINT = "media.file"
PAGE_CACHE_STORES = ("redis", "local")
Kept = TypeVar("Kept")


class TrackedSession(SecureCookieSession):
    """Flask's cookie session, remembering which keys the request read."""

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial)
        self.read_keys: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read_keys.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read_keys.add(str(key))
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read_keys.add(key)
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.read_keys.add(key)
        return super().setdefault(key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self.read_keys.add(key)
        return super().pop(key, *default)


class TrackedSessionInterface(SecureCookieSessionInterface):
    session_class = TrackedSession


class PageStore(Protocol):
    def version(self) -> str: ...
    def state(self, settings: bool = True) -> tuple[str, str | None, str | None]:
        """The version, the due note last written (``<version>|<time>``, maybe another's) and
        the settings token (None if there is none yet, or not asked for), read together."""
        ...

    def bump(self) -> str: ...
    def advance(self, seen: str) -> str:
        """A new version if the current one is still ``seen``; the current version either way."""
        ...

    def note_due(self, note: str) -> None: ...
    def settings_token(self) -> str:
        """A random token, replaced whenever the site's settings change (``services/site.py``)."""
        ...

    def bump_settings(self) -> None: ...
    def media_token(self) -> str:
        """Replaced whenever a stored image may have gone (``ServeCachedPages`` keeps images)."""
        ...

    def bump_media(self) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def set(self, key: str, value: bytes, ttl: int) -> None: ...


def _new_version() -> str:
    """A random token that also says when it was made (microseconds since the epoch, UTC)."""
    return f"{secrets.token_hex(8)}-{int(utcnow().timestamp() * 1_000_000)}"


def version_made_at(version: str) -> datetime:
    """When ``version`` was made; the epoch for a token without a time (made by older code)."""
    _random, dash, micros = version.rpartition("-")
    made = int(micros) if dash and micros.isdigit() else 0
    return datetime.fromtimestamp(made / 1_000_000, UTC)


NOTHING_DUE = "none"


def due_note(version: str, due: datetime | None) -> str:
    stamp = NOTHING_DUE if due is None else str(int(due.timestamp() * 1_000_000))
    return f"{version}|{stamp}"


def read_due_note(version: str, note: str | None) -> tuple[bool, datetime | None]:
    """(known, due time) for ``version`` from a note: unknown when the note is another's."""
    owner, _bar, stamp = (note or "").rpartition("|")
    if owner != version or not (stamp == NOTHING_DUE or stamp.isdigit()):
        return False, None
    if stamp == NOTHING_DUE:
        return True, None
    return True, datetime.fromtimestamp(int(stamp) / 1_000_000, UTC)


class KeptEntries(Generic[Kept]):
    """Entries kept in this process, each until its expiry (``time.monotonic``): at most
    ``limit`` bytes (``weight`` of each) and ``most`` entries, least recently used out, none
    over an eighth of ``limit`` (found by a review: a few feeds of long posts, each in every
    theme and language, came to over 100 MB). A lock, as the development server answers
    requests in threads. Pages and pieces (``PageStore``) and images (``KeptImages``)."""

    def __init__(
        self,
        weight: Callable[[Kept], int],
        limit: int = LOCAL_BYTES,
        most: int | None = LOCAL_ENTRIES,
    ) -> None:
        self.limit = limit
        self.most = most
        self.weight = weight
        self.size = 0
        self.entries: OrderedDict[str, tuple[float, Kept]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Kept | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] <= time.monotonic():
                return None
            self.entries.move_to_end(key)
            return found[1]

    def put(self, key: str, expires: float, value: Kept) -> None:
        weight = self.weight(value)
        if weight > self.limit // 8 or expires <= time.monotonic():
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= self.weight(old[1])
            self.entries[key] = (expires, value)
            self.size += weight
            while self.size > self.limit or (
                self.most is not None and len(self.entries) > self.most
            ):
                _key, (_expires, dropped) = self.entries.popitem(last=False)
                self.size -= self.weight(dropped)


class RedisPageStore:
    """The version, its due note and the tokens in Redis, shared by every worker and server;
    the pages and pieces in Redis too, and each also kept in the process that wrote or read it.

    A kept entry is found by the same key, which holds the version read from Redis for this
    request, so it is exactly as current as Redis's own copy: a hit costs one round trip (the
    ``MGET`` of ``state``) and no page crosses the wire. A copy read from Redis is kept for the
    time Redis has left on it (``PTTL``, asked in the same round trip as the value, and counted
    on this process's own clock, so servers' clocks need not agree), a copy written for as long
    as Redis keeps it: so no kept copy lasts past the time Redis would have let its own go (the
    bound in docs/security.md W23 holds).
    """

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self.version_key = f"{prefix}:version"
        self.due_key = f"{prefix}:version-due"
        self.run_id_key = f"{prefix}:version-run-id"
        self.settings_key = f"{prefix}:settings-token"
        self.media_key = f"{prefix}:media-token"
        self.kept: KeptEntries[bytes] = KeptEntries(len)
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            redis_connect_func=self._on_connect,
        )

    def _on_connect(self, connection: redis.connection.AbstractConnection) -> None:
        """Before a new connection serves anything: a restarted Redis gets a new version."""
        connection.on_connect()
        connection.send_command("INFO", "server")
        info = connection.read_response()
        text = info.decode() if isinstance(info, bytes) else str(info)
        run_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in text.splitlines()
                if line.startswith("run_id:")
            ),
            "",
        )
        connection.send_command("GET", self.run_id_key)
        recorded = connection.read_response()
        if not run_id or (recorded.decode() if isinstance(recorded, bytes) else recorded) != run_id:
            connection.send_command("SET", self.version_key, _new_version())
            connection.read_response()
            connection.send_command("SET", self.settings_key, _new_version())
            connection.read_response()
            connection.send_command("SET", self.media_key, _new_version())
            connection.read_response()
            connection.send_command("SET", self.run_id_key, run_id)
            connection.read_response()
            logger.info("page cache: Redis %s is new to this cache; every page is stale", run_id)

    def _get(self, name: str) -> bytes | None:
        value = self.client.get(name)
        assert not isinstance(value, str)  # str only with decode_responses, which we never set
        return value

    def version(self) -> str:
        found = self._get(self.version_key)
        if found is None:
            self.client.set(self.version_key, _new_version(), nx=True)
            found = self._get(self.version_key)
        return (found or b"").decode()

    def state(self, settings: bool = True) -> tuple[str, str | None, str | None]:
        # The token costs nothing more in the same MGET.
        found, note, token = (
            value.decode() if isinstance(value, bytes) else value
            for value in self.client.mget([self.version_key, self.due_key, self.settings_key])
        )
        return (found, note, token) if found is not None else (self.version(), None, None)

    def bump(self) -> str:
        version = _new_version()
        self.client.set(self.version_key, version)
        return version

    def advance(self, seen: str) -> str:
        current = self.client.eval(ADVANCE_SCRIPT, 1, self.version_key, seen, _new_version())
        return current.decode() if isinstance(current, bytes) else self.version()

    def note_due(self, note: str) -> None:
        self.client.set(self.due_key, note)

    def _token(self, key: str) -> str:
        """The token at ``key``; a missing one is created, never defaulted."""
        found = self._get(key)
        if found is None:
            self.client.set(key, _new_version(), nx=True)
            found = self._get(key)
        return (found or b"").decode()

    def settings_token(self) -> str:
        return self._token(self.settings_key)

    def bump_settings(self) -> None:
        self.client.set(self.settings_key, _new_version())

    def media_token(self) -> str:
        return self._token(self.media_key)

    def bump_media(self) -> None:
        self.client.set(self.media_key, _new_version())

    def get(self, key: str) -> bytes | None:
        kept = self.kept.get(key)
        if kept is not None:
            return kept
        asked = time.monotonic()
        pipeline = self.client.pipeline(transaction=False)
        pipeline.get(f"{self.prefix}:{key}")
        pipeline.pttl(f"{self.prefix}:{key}")
        value, left_ms = pipeline.execute()
        if not isinstance(value, bytes):
            return None
        if isinstance(left_ms, int) and left_ms > 0:
            self.kept.put(key, asked + left_ms / 1000, value)
        return value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        started = time.monotonic()
        self.client.set(f"{self.prefix}:{key}", value, ex=ttl)
        self.kept.put(key, started + ttl, value)


# Replace the version only if it is still the one the caller saw: servers that find the same
# due time at once make one new version between them, not one each.
ADVANCE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return current
"""


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{secrets.token_hex(4)}")
    temporary.write_text(text)
    temporary.replace(path)  # atomic, so workers never read half a file


def _read_small_file(path: Path) -> str:
    """A file of a few bytes (a version, a due note), read with two system calls: a cache hit
    reads two of these, and ``Path.read_text`` costs three times as long."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(descriptor, 4096):
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(descriptor)


class LocalPageStore:
    """Pages in this process (bounded, least recently used out); the version in a shared file,
    its due note in another beside it."""

    def __init__(self, version_file: Path) -> None:
        self.version_file = version_file
        self.due_file = version_file.with_name(f"{version_file.name}-due")
        self.settings_file = version_file.with_name(f"{version_file.name}-settings")
        self.media_file = version_file.with_name(f"{version_file.name}-media")
        self.kept: KeptEntries[bytes] = KeptEntries(len)

    def version(self) -> str:
        try:
            return _read_small_file(self.version_file)
        except FileNotFoundError:
            self.bump()
            return _read_small_file(self.version_file)

    def state(self, settings: bool = True) -> tuple[str, str | None, str | None]:
        version = self.version()
        try:
            note: str | None = _read_small_file(self.due_file)
        except FileNotFoundError:
            note = None
        try:
            return version, note, _read_small_file(self.settings_file) if settings else None
        except FileNotFoundError:
            return version, note, None

    def bump(self) -> str:
        version = _new_version()
        _write_atomically(self.version_file, version)
        return version

    def advance(self, seen: str) -> str:
        # Two workers finding the same due time may both make a new version: harmless.
        return self.bump() if self.version() == seen else self.version()

    def note_due(self, note: str) -> None:
        _write_atomically(self.due_file, note)

    @staticmethod
    def _token(path: Path) -> str:
        """The token in ``path``; a missing one is created, never defaulted."""
        try:
            return _read_small_file(path)
        except FileNotFoundError:
            _write_atomically(path, _new_version())
            return _read_small_file(path)

    def settings_token(self) -> str:
        return self._token(self.settings_file)

    def bump_settings(self) -> None:
        _write_atomically(self.settings_file, _new_version())

    def media_token(self) -> str:
        return self._token(self.media_file)

    def bump_media(self) -> None:
        _write_atomically(self.media_file, _new_version())

    def get(self, key: str) -> bytes | None:
        return self.kept.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self.kept.put(key, time.monotonic() + ttl, value)


def _storable(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in UNSTORED_HEADERS]


def encode_entry(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """A stored page: its headers as one line of JSON (which never holds a raw newline), then
    the body's bytes as they are. Only 200s are stored, so the status is not."""
    return json.dumps(_storable(headers), separators=(",", ":")).encode() + b"\n" + body


def decode_entry(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    head, _newline, body = raw.partition(b"\n")
    return [(str(name), str(value)) for name, value in json.loads(head)], body


def _store() -> PageStore | None:
    return current_app.extensions.get("inkwell_page_cache")


def _eligible() -> bool:
    return (
        current_app.config["PAGE_CACHE_ENABLED"]
        and request.method in {"GET", "HEAD"}
        and request.endpoint in CACHEABLE_ENDPOINTS
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def page_key(
    version: str,
    endpoint: str,
    path: str,
    args: Mapping[str, str],
    cookies: Mapping[str, str],
    language: str,
) -> str | None:
    """The key of a page under ``version``; None if too long to be worth keeping.

    The one place the key is made, for Flask's hook and for ``ServeCachedPages`` alike; both
    work ``language`` out with ``i18n.chosen_language``. ``path`` is the script root and the
    path: the page's links are built under the root (SCRIPT_NAME, which a proxy may set)."""
    # Quoted, so a value holding "&page=2" cannot pass for another parameter.
    params = "&".join(
        f"{name}={quote(args[name], safe='')}"
        for name in KEY_PARAMS.get(endpoint, ())
        if name in args
    )
    shade = theme.chosen_theme(cookies)
    # "page2": entries are stored as ``encode_entry`` makes them (``page:`` held base64 JSON).
    key = f"page2:{version}:{endpoint}:{shade}:{language}:{path}?{params}"
    return key if len(key) <= MAX_KEY_LENGTH else None


def _page_key(version: str) -> str | None:
    """The key of this request's page under ``version``."""
    return page_key(
        version,
        request.endpoint or "",
        request.script_root + request.path,
        request.args,
        request.cookies,
        i18n.chosen_language(
            request.cookies,
            request.headers.get("Accept-Language", ""),
            current_app.config["DEFAULT_LOCALE"],
        ),
    )


def serve_from_cache() -> Response | None:
    """First before_request: answer an anonymous reader from the cache (no SQL at all) if we can.

    On a miss, the key (with the version read now, before the view reads anything) is kept in
    ``g`` for the page to be stored under once it is known to be shareable.
    """
    store = _store()
    if store is None:
        return None
    if current_app.config["PAGE_CACHE_ENABLED"] and request.method in {"GET", "HEAD"}:
        # The version first, before anything of the request reads the database: ``_eligible``
        # loads a member into the session, and a piece of their page built later would reuse
        # that object as it was then (found by a review: a member renamed meanwhile by another
        # server was filed, old name and all, under the new version).
        with contextlib.suppress(redis.RedisError):
            _snapshot(store)
    if not _eligible():
        return None
    try:
        key = _page_key(_current_version(store))
        raw = store.get(key) if key else None
    except redis.RedisError:
        return None  # a cache that is down costs speed, never the page
    if raw is None:
        g.page_cache_key = key
        return None
    headers, body = decode_entry(raw)
    response = Response(body, status=200, headers=headers)
    response.headers["X-Cache"] = "HIT"
    return response


SNAPSHOT_ENVIRON_KEY = "inkwell.page_cache.snapshot"


def _snapshot(store: PageStore) -> tuple[str, str | None]:
    """The version to read pages under and the settings token, read together once a request.

    Read once, the version is still one read before anything the request renders after it
    (the rule for filing pages and pieces), and the settings token comes in the same round
    trip. They are kept in the request's environ (not ``g``, which a test's app context can
    share between requests). A commit of this request that replaces either drops them
    (``_forget_snapshot``), so what it renders next is looked up under the new ones.
    """
    environ = request.environ if has_request_context() else {}
    kept: tuple[str, str | None] | None = environ.get(SNAPSHOT_ENVIRON_KEY)
    if kept is None:
        version, note, settings = store.state()
        kept = environ[SNAPSHOT_ENVIRON_KEY] = (_due_version(store, version, note), settings)
    return kept


def _forget_snapshot() -> None:
    if has_request_context():
        request.environ.pop(SNAPSHOT_ENVIRON_KEY, None)


def _current_version(store: PageStore) -> str:
    return _snapshot(store)[0]


def _due_version(store: PageStore, version: str, note: str | None) -> str:
    """``version``, or a new one if a scheduled post has fallen due since it was made."""
    known, due = read_due_note(version, note)
    if not known:
        try:
            due = next_due(db.session(), version_made_at(version))
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            return version  # the database is down: the view cannot render a newer page either
        store.note_due(due_note(version, due))
    if due is not None and utcnow() >= due:
        return store.advance(version)
    return version


def shared_fragment(name: str, build: Callable[[], str]) -> Markup:
    """HTML that every reader gets alike, signed in or not, kept under the content version.

    For the parts of personal pages that are not personal (a page of the post list): a member's
    page renders its own header around the stored piece, and a hit runs no SQL for it. ``name``
    must say everything the HTML depends on (which list, which page) but the language, which is
    part of every fragment's key, and ``build`` must read nothing else about the reader. Stale
    is impossible for the same reason as for whole pages: the version is read before ``build``
    reads the database, and any content commit replaces it.
    A store that is down, or disabled, costs speed only: the piece is built every time.
    """
    # A rendered template: Jinja escaped everything that went into it.
    return Markup(shared_text(name, lambda: (build(), True)))  # noqa: S704


def shared_text(name: str, build: Callable[[], tuple[str, bool]]) -> str:
    """``shared_fragment`` for any text, kept only when ``build`` says it may be shared.

    ``build`` returns the text and whether it is the same for every reader; text that is not
    (a post only its author may see, say) is made again for each request and never stored.
    """
    store = _store()
    if store is None or not current_app.config["PAGE_CACHE_ENABLED"]:
        return build()[0]
    try:
        # The script root too: links in the piece are built under it (SCRIPT_NAME).
        root = request.script_root if has_request_context() else ""
        key = f"fragment:{_current_version(store)}:{get_locale()}:{root}:{name}"
        raw = store.get(key) if len(key) <= MAX_KEY_LENGTH else None
    except redis.RedisError:
        return build()[0]
    if raw is not None:
        return raw.decode()
    text, shared = build()
    if shared and len(key) <= MAX_KEY_LENGTH:
        with contextlib.suppress(redis.RedisError):
            store.set(key, text.encode(), current_app.config["PAGE_CACHE_SECONDS"])
    return text


def next_due(reader: so.Session | sa.Connection, after: datetime) -> datetime | None:
    """When the first post published (scheduled) for a time after ``after`` becomes public."""
    return reader.scalar(
        sa.select(sa.func.min(Post.published_at)).where(
            Post.status == PostStatus.PUBLISHED, Post.published_at > after
        )
    )


def _session_is_impersonal() -> bool:
    read = getattr(session, "read_keys", None)  # the proxy hands it over from TrackedSession
    return not session.modified and read is not None and read <= HARMLESS_SESSION_KEYS


def mark_for_storage(response: Response) -> Response:
    """after_request: hand a shareable page's key to ``StoreFinishedPages`` (which stores it)."""
    key = g.pop("page_cache_key", None)
    if (
        key is not None
        and request.method == "GET"
        and response.status_code == 200
        and not response.direct_passthrough
        and _eligible()
        and _session_is_impersonal()
    ):
        request.environ[STORE_ENVIRON_KEY] = (
            _store(),
            key,
            current_app.config["PAGE_CACHE_SECONDS"],
        )
        response.headers["X-Cache"] = "MISS"
    return response


class StoreFinishedPages:
    """WSGI layer: store a page marked by ``mark_for_storage`` once it has fully left Flask.

    Only here are the response's final headers known (Flask saves the session, and may set its
    cookie, after every after_request hook): a page that sets any cookie is never stored.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen: dict[str, Any] = {}
        body = self.wsgi_app(environ, _recording(start_response, seen))
        marked = environ.get(STORE_ENVIRON_KEY)
        if marked is None:
            return body
        # A marked page is a plain, already rendered body: read it whole, then store it.
        chunks = _read_whole(body)
        if _plain_200(seen):
            self._store(marked, seen["headers"], b"".join(chunks))
        return chunks

    @staticmethod
    def _store(
        marked: tuple[PageStore, str, int], headers: list[tuple[str, str]], body: bytes
    ) -> None:
        store, key, ttl = marked
        try:
            store.set(key, encode_entry(headers, body), ttl)
        except redis.RedisError:
            logger.warning("page cache: could not store a page", exc_info=True)


class KeptImages:
    """Uploaded images answered by ``ServeCachedPages``: per process, least recently used out,
    at most ``limit`` bytes of bodies (an image over an eighth of it is never kept), each for
    ``seconds`` at most. Each is filed under the media token read before Flask read its bytes,
    and found only under the current one."""

    def __init__(self, limit: int, seconds: int) -> None:
        self.limit = limit
        self.seconds = seconds
        # (media token, headers, body); only the bodies count, and no bound on how many.
        self.kept: KeptEntries[tuple[str, list[tuple[str, str]], bytes]] = KeptEntries(
            lambda image: len(image[2]), limit, most=None
        )

    @property
    def size(self) -> int:
        return self.kept.size

    @property
    def entries(self) -> Mapping[str, object]:
        return self.kept.entries

    def get(self, path: str, token: str) -> tuple[list[tuple[str, str]], bytes] | None:
        found = self.kept.get(path)
        if found is None or found[0] != token:
            return None
        return found[1], found[2]

    def put(self, path: str, token: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.kept.put(path, time.monotonic() + self.seconds, (token, _storable(headers), body))


class ServeCachedPages:
    """Outermost WSGI layer: answer a cache hit for a visitor with no session before Flask runs.

    A request qualifies only when it is a GET or HEAD carrying neither the session cookie nor
    the remember cookie (so nobody is signed in, no flash is waiting and no session can be
    read or written), its Host is trusted, its address holds no NUL, and it routes to a
    cacheable page. The key, the version and its due time are read exactly as
    ``serve_from_cache`` reads them; when anything is not known at once (no due time recorded,
    a scheduled post fallen due, the store down, a miss), the request goes to Flask unchanged,
    which works it out and stores the page. A hit is the stored answer as Flask sent it (the
    security headers and the ETag included), replayed byte for byte with no Response object;
    a request asking for a conditional or partial answer (``If-None-Match``, ``Range``…) of a
    page that carries an ETag is answered through Werkzeug's ``make_conditional`` instead.

    Uploaded images (``media.file``) are kept here too, in ``KeptImages``: the view never
    asks who is signed in (so any visitor qualifies, cookie or not) and an address always
    holds the same bytes; what can change is that the last copy is deleted, so each is filed
    under the *media token* read before Flask runs, which any commit deleting an image (or its
    owner) replaces. Conditional requests for images go to Flask.

    Which endpoint a Host and path route to never changes while the process runs, so the
    answer of the URL map is remembered (``ROUTES_REMEMBERED`` of them, forgotten all at once
    when full, so made-up addresses cannot grow it).
    """

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.session_cookies = frozenset(
            {app.config["SESSION_COOKIE_NAME"], app.config["REMEMBER_COOKIE_NAME"]}
        )
        self.default_language = app.config["DEFAULT_LOCALE"]
        self.routes: dict[tuple[str, ...], str | None] = {}
        self.images = KeptImages(app.config["MEDIA_MEMORY_BYTES"], app.config["PAGE_CACHE_SECONDS"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        store: PageStore | None = self.app.extensions.get("inkwell_page_cache")
        if store is None:
            return self.wsgi_app(environ, start_response)
        endpoint = self._endpoint(environ)
        if endpoint == MEDIA_ENDPOINT and self.images.limit:
            return self._image(environ, start_response, store)
        found = self.hit(environ, endpoint, store) if endpoint in CACHEABLE_ENDPOINTS else None
        if found is None:
            return self.wsgi_app(environ, start_response)
        headers, body = found
        if endpoint in CONDITIONAL_ENDPOINTS and _asks_conditionally(environ):
            response = Response(body, status=200, headers=headers)
            response.headers.extend(_per_request_headers(environ))
            response.make_conditional(self.app.request_class(environ))
            return response(environ, start_response)
        return _replay(environ, start_response, headers, body)

    def hit(
        self, environ: dict[str, Any], endpoint: str | None, store: PageStore
    ) -> tuple[list[tuple[str, str]], bytes] | None:
        """The stored headers and body of this request's page; None to ask Flask."""
        raw_cookies = environ.get("HTTP_COOKIE", "")
        if any(name in raw_cookies for name in self.session_cookies):
            return None  # cheap first look; the parsed cookies are checked below
        request_ = self.app.request_class(environ)
        cookies = request_.cookies if raw_cookies else {}
        if self.session_cookies & cookies.keys():
            return None
        try:
            version, note, _settings = store.state(settings=False)  # a hit renders nothing
            known, due = read_due_note(version, note)
            if not known or (due is not None and utcnow() >= due):
                return None  # Flask works the due time out, or moves to a new version
            key = page_key(
                version,
                endpoint or "",
                request_.root_path + request_.path,
                request_.args if endpoint in KEY_PARAMS else {},
                cookies,
                i18n.chosen_language(
                    cookies, environ.get("HTTP_ACCEPT_LANGUAGE", ""), self.default_language
                ),
            )
            raw = store.get(key) if key else None
        except redis.RedisError:
            return None
        return decode_entry(raw) if raw is not None else None

    def _image(
        self, environ: dict[str, Any], start_response: Callable[..., Any], store: PageStore
    ) -> Any:
        """An uploaded image from ``self.images``; else from Flask, kept if it is a plain 200."""
        path = environ.get("PATH_INFO", "")
        if _asks_conditionally(environ):
            return self.wsgi_app(environ, start_response)
        try:
            token = store.media_token()  # before Flask reads the bytes
        except redis.RedisError:
            return self.wsgi_app(environ, start_response)
        found = self.images.get(path, token)
        if found is not None:
            return _replay(environ, start_response, *found)
        if environ["REQUEST_METHOD"] != "GET":
            return self.wsgi_app(environ, start_response)
        seen: dict[str, Any] = {}
        chunks = _read_whole(self.wsgi_app(environ, _recording(start_response, seen)))
        if _plain_200(seen):
            self.images.put(path, token, seen["headers"], b"".join(chunks))
        return chunks

    def _endpoint(self, environ: dict[str, Any]) -> str | None:
        """Where the URL map sends a GET or HEAD with no NUL in its address; None for anything
        else, a 404, a redirect or an untrusted Host (Flask answers all of those)."""
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            return None
        # Flask refuses a NUL in the path or a parameter with its 400 (app/request_guard.py).
        query = environ.get("QUERY_STRING", "")
        if NUL in environ.get("PATH_INFO", "") or NUL in query or "%00" in query:
            return None
        route = (
            environ.get("HTTP_HOST", ""),
            environ.get("SERVER_NAME", ""),
            environ.get("SERVER_PORT", ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ["REQUEST_METHOD"],
        )
        if route in self.routes:
            return self.routes[route]
        try:
            adapter = self.app.create_url_adapter(self.app.request_class(environ))
            endpoint, _args = adapter.match() if adapter is not None else (None, None)
        except (HTTPException, SecurityError):
            endpoint = None
        if len(self.routes) >= ROUTES_REMEMBERED:
            self.routes.clear()
        self.routes[route] = endpoint
        return endpoint


def _recording(start_response: Callable[..., Any], seen: dict[str, Any]) -> Callable[..., Any]:
    """``start_response``, also keeping the status and headers it was given in ``seen``."""

    def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        seen["status"], seen["headers"] = status, headers
        return start_response(status, headers, *args)

    return start


def _read_whole(body: Iterable[bytes]) -> list[bytes]:
    """A WSGI body read to its end, and closed as the server would close it."""
    try:
        return list(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _plain_200(seen: Mapping[str, Any]) -> bool:
    """Whether the answer whose start was ``seen`` is a 200 that sets no cookie."""
    return str(seen.get("status", "")).startswith("200") and not any(
        name.lower() == "set-cookie" for name, _value in seen.get("headers", [])
    )


def _per_request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """What a replayed answer adds for this request: X-Cache, and HSTS over https (as
    ``app.http.set_security_headers`` does for answers made by Flask)."""
    if environ.get("wsgi.url_scheme") == "https":
        return [("X-Cache", "HIT"), ("Strict-Transport-Security", HSTS)]
    return [("X-Cache", "HIT")]


def _replay(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    headers: list[tuple[str, str]],
    body: bytes,
) -> list[bytes]:
    start_response("200 OK", [*headers, *_per_request_headers(environ)])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def _asks_conditionally(environ: dict[str, Any]) -> bool:
    return any(name in environ for name in CONDITIONAL_REQUEST_HEADERS)


def conditional(response: Response) -> Response:
    """ETag on posts and the feeds, so a reader or feed reader that has it gets a 304.

    Not on a page no browser keeps (``no-store``: a member's, set by ``http.set_security_headers``,
    which runs before this hook): nobody can ask for it again with its ETag, and hashing the body
    cost a member's post page about 15 µs.
    """
    if (
        request.endpoint in CONDITIONAL_ENDPOINTS
        and response.status_code == 200
        and not response.cache_control.no_store
    ):
        response.add_etag()
        response.make_conditional(request)
    return response


def bump_version() -> None:
    """A new version, and its due time: worked out now, so that readers need no SQL for it."""
    store = _store() if has_app_context() else None
    if store is None:
        return
    _forget_snapshot()
    try:
        version = store.bump()
    except redis.RedisError:
        current_app.logger.exception("page cache: could not invalidate")
        return
    try:
        # After a commit the session may not run SQL: a connection of its own.
        with db.engine.connect() as connection:
            due = next_due(connection, version_made_at(version))
        store.note_due(due_note(version, due))
    except (sa.exc.SQLAlchemyError, redis.RedisError):
        logger.warning("page cache: no due time noted; the first reader works it out")


# Invalidation: watch every ORM session for content changes; bump once the commit is done.


def _announce(bump: Callable[[PageStore], None], failure: str) -> None:
    """Replace a token of the page store (any store error is logged as ``failure``)."""
    store = _store() if has_app_context() else None
    if store is None:
        return
    _forget_snapshot()
    try:
        bump(store)
    except redis.RedisError:
        current_app.logger.exception("page cache: could not announce %s", failure)


def bump_settings() -> None:
    """A new settings token: every process reads the site's settings again on its next page."""
    _announce(lambda store: store.bump_settings(), "new site settings")


def bump_media() -> None:
    """A new media token: every process forgets the images it keeps (``KeptImages``)."""
    _announce(lambda store: store.bump_media(), "a deleted image")


def settings_token() -> str | None:
    """The current settings token; None without a page cache or when its store is down.

    In a request it comes with the version (``_snapshot``: one round trip for both); a token
    not made yet is made here, never defaulted."""
    store = _store() if has_app_context() else None
    if store is None:
        return None
    try:
        if has_request_context():
            token = _snapshot(store)[1]
            if token is not None:
                return token
        return store.settings_token()
    except redis.RedisError:
        return None


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
    if any(
        isinstance(instance, SiteSettings)
        for instance in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["settings_changed"] = True
    if any(isinstance(instance, IMAGE_OWNERS) for instance in session.deleted):
        session.info["media_changed"] = True


@sa.event.listens_for(so.Session, "do_orm_execute")
def _note_bulk_changes(state: so.ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper and mapper.class_ in (*CONTENT_MODELS, User):
        state.session.info["content_changed"] = True
    if state.is_delete and mapper and issubclass(mapper.class_, IMAGE_OWNERS):
        state.session.info["media_changed"] = True


@sa.event.listens_for(so.Session, "after_commit")
def _bump_after_commit(session: so.Session) -> None:
    # The settings token first: a page rendered with the old settings may then only be filed
    # under the old version, which nobody reads once the version is bumped.
    if session.info.pop("settings_changed", False):
        bump_settings()
    if session.info.pop("media_changed", False):
        bump_media()
    if session.info.pop("content_changed", False):
        bump_version()


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_after_rollback(session: so.Session) -> None:
    session.info.pop("content_changed", None)
    session.info.pop("settings_changed", None)
    session.info.pop("media_changed", None)


# Static files: ``url_for('static', …)`` adds ``?v=<content hash>``, and such URLs may be kept
# for a year, since a new file content gives a new URL. Only the file's own hash earns that: any
# other ``v`` (an old hash, a guess) gets the ordinary short-lived answer, so nobody can plant a
# year-long copy of a file under an address a future version of the site will use.

STATIC_MAX_AGE = "public, max-age=31536000, immutable"


@functools.cache
def _fingerprint(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_fingerprint(filename: str) -> str | None:
    """The content hash of a file in the static folder, or None if there is no such file.

    Looked up once per process outside debug mode (static files change only with a deploy,
    which restarts the workers); in debug mode on every call, so an edited file gets a new one.
    """
    folder = current_app.static_folder or ""
    if current_app.debug:
        return _static_fingerprint(folder, filename)
    return _static_fingerprint_once(folder, filename)


@functools.lru_cache(maxsize=256)  # bounded: ?v= on made-up file names cannot grow it
def _static_fingerprint_once(folder: str, filename: str) -> str | None:
    return _static_fingerprint(folder, filename)


def _static_fingerprint(static_folder: str, filename: str) -> str | None:
    folder = Path(static_folder)
    path = (folder / filename).resolve()
    if not (path.is_file() and path.is_relative_to(folder.resolve())):
        return None
    return _fingerprint(path, path.stat().st_mtime_ns)


def add_static_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or "filename" not in values or "v" in values:
        return
    fingerprint = static_fingerprint(values["filename"])
    if fingerprint is not None:
        values["v"] = fingerprint


def long_lived_static(response: Response) -> Response:
    if (
        request.endpoint == "static"
        and response.status_code == 200
        and request.args.get("v")
        and request.args["v"] == static_fingerprint((request.view_args or {}).get("filename", ""))
    ):
        response.headers["Cache-Control"] = STATIC_MAX_AGE
    return response


# url_for's own options: the scheme or host they add is not part of an address kept by path.
_UNKEPT_URL_OPTIONS = frozenset({"_external", "_scheme", "_method"})
# Longer values (a ``next`` a visitor wrote, a long query) are not kept: a slug is at most 100.
LONGEST_KEPT_VALUE = 100


def install_template_url_for(app: Flask) -> None:
    """Templates (and ``urls.public_url``) build each address once per process.

    An address is a function of the script root, the endpoint and its values alone: static
    fingerprints are fixed outside debug mode and no ``url_defaults`` reads the request. A page's
    header and footer build about twenty addresses and each cost Flask's ``url_for`` about 10 µs
    (a canonical link, a member's profile link, a post's comment form…). At most
    ``ROUTES_REMEMBERED`` are kept, all forgotten at once when full; what is not kept is checked
    only when it is built, so a kept address costs one dictionary lookup. Anything else (an
    external address, an endpoint relative to the blueprint, an unhashable value, debug mode)
    goes to Flask's ``url_for`` as before, and so does a value over ``LONGEST_KEPT_VALUE``
    characters: the memo must not fill with what visitors send. ``urls.public_url`` (canonical
    links, share cards) uses it; mail links, which carry tokens, never do.
    """
    build = app.url_for
    kept: dict[tuple[Any, ...], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        try:
            key = (request.script_root, endpoint, *values.items())
            found = kept.get(key)
        except TypeError:  # an unhashable value (a list of a parameter's values, say)
            return str(build(endpoint, **values))
        if found is not None:
            return found
        found = str(build(endpoint, **values))
        if not (
            app.debug
            or endpoint.startswith(".")
            or not _UNKEPT_URL_OPTIONS.isdisjoint(values)
            or any(isinstance(v, str) and len(v) > LONGEST_KEPT_VALUE for v in values.values())
        ):
            if len(kept) >= ROUTES_REMEMBERED:
                kept.clear()
            kept[key] = found
        return found

    # For tests: what is kept.
    url_for.kept = kept  # type: ignore[attr-defined]
    app.jinja_env.globals["url_for"] = url_for
    app.extensions["inkwell_url_for"] = url_for


def init_app(app: Flask) -> None:
    """Call before any other before_request hook: the version must be read before the view."""
    app.session_interface = TrackedSessionInterface()
    if app.config["PAGE_CACHE_STORE"] not in PAGE_CACHE_STORES:
        raise RuntimeError(
            f"PAGE_CACHE_STORE={app.config['PAGE_CACHE_STORE']!r} is not one of: "
            f"{', '.join(PAGE_CACHE_STORES)} (config.py says which to choose)."
        )
    if app.config["PAGE_CACHE_ENABLED"]:
        redis_url = app.config.get("REDIS_URL")
        store: PageStore = (
            RedisPageStore(redis_url, app.config["PAGE_CACHE_PREFIX"])
            if redis_url and app.config["PAGE_CACHE_STORE"] == "redis"
            else LocalPageStore(Path(app.instance_path) / "page-cache-version")
        )
        app.extensions["inkwell_page_cache"] = store
        app.before_request(serve_from_cache)
        app.after_request(mark_for_storage)
        # WSGI middleware, added the way Flask documents: by replacing a method (mypy forbids it).
        app.wsgi_app = StoreFinishedPages(app.wsgi_app)  # type: ignore[method-assign]
        if app.config["PAGE_CACHE_WSGI_HITS"]:
            app.wsgi_app = ServeCachedPages(app, app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(conditional)
    app.url_defaults(add_static_fingerprint)
    install_template_url_for(app)
    app.after_request(long_lived_static)
