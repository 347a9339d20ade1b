"""Settings for each environment, chosen by ``APP_ENV`` and read from the process environment.

Order of precedence (last wins): the class defaults below, the documented environment variables
(``DATABASE_URL``, ``SECRET_KEY``, ``MAIL_*``…, see ``.env.example``), any ``FLASK_*`` variable
(``FLASK_SESSION_COOKIE_SECURE=false`` sets ``SESSION_COOKIE_SECURE``), then the overrides passed to
``create_app()`` by tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class Config:
    """Defaults shared by every environment."""

    APP_ENV = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    # SQLite: no pool_pre_ping. A connection to a file has no server to lose, so the ping (one
    # statement on every checkout, about 1 % of a member's page) could never find one dead.
    # PostgreSQL has its own options (app/__init__.py).
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {}
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 5
    # The public root for links in mail, feeds and canonical tags. Unset in development: the
    # request's own root is used (app/urls.py). Production refuses to start without it.
    SITE_URL = ""
    SITE_NAME = "Inkwell"
    # The language of a reader whose browser asks for neither of ours ("en" or "zh-Hans").
    DEFAULT_LOCALE = "en"
    LOG_LEVEL = "INFO"  # the app's own log lines, to stderr (the terminal, or gunicorn's log)
    POSTS_PER_PAGE = 10
    FEED_SIZE = 20
    REDIS_URL: str | None = None

    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = True
    MAIL_DEFAULT_SENDER = "Inkwell <no-reply@localhost>"
    MAIL_TIMEOUT = 10  # seconds per SMTP step, in the mail worker (requests never send mail)
    # SMTP whenever MAIL_SERVER is set (tests too: they run a real server); else the terminal.
    MAIL_BACKEND = "smtp"
    MAIL_RETRY_HOURS = 24  # then a message is "failed" and shown to admins
    MAIL_WORKER_POLL_SECONDS = 2.0

    # Requests: a blog form never needs more than this; larger bodies get the 413 page.
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Images (app/services/media.py). Only the upload forms accept the larger bodies.
    MEDIA_STORAGE = "database"  # app/services/media_storage.py BACKENDS
    MEDIA_MAX_UPLOAD_BYTES = 10 * 1000 * 1000  # 10 MB, as the forms say it
    MEDIA_MAX_PIXELS = 40_000_000  # checked from the file's header, before decoding
    MEDIA_MAX_SIDE = 2400  # longer sides are scaled down to this
    MEDIA_QUOTA_BYTES = 50 * 1000 * 1000  # what a member's images may take, all sizes counted
    MEDIA_RATE_LIMIT = "60 per hour"  # uploads kept per member (library and avatar)

    # Cookies. Flask's session cookie carries no expiry (it ends with the browser); only a
    # "remember me" sign-in sets a persistent cookie, and it is revocable server-side.
    SESSION_COOKIE_NAME = "inkwell_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "inkwell_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    # A browser that signed in to an account before keeps its own sign-in budget for it
    # (OWASP device cookies, app/services/device_cookies.py). Secure whenever the session is.
    DEVICE_COOKIE_NAME = "inkwell_device"
    DEVICE_COOKIE_DAYS = 365
    # "Trust this browser" at the code step of a two-factor sign-in (app/services/mfa.py).
    TRUSTED_BROWSER_COOKIE_NAME = "inkwell_trusted"
    TRUSTED_BROWSER_DAYS = 30

    # Server-side session registry (app/services/sessions.py).
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    REMEMBER_DAYS = 30

    # argon2id at the OWASP floor (m = 19 MiB, t = 2, p = 1); see README "Password hashing".
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_MEMORY_KIB = 19456
    PASSWORD_HASH_PARALLELISM = 1

    WTF_CSRF_TIME_LIMIT = 3600

    # Rate limits (Flask-Limiter). Memory storage is per process: with several workers or
    # instances set REDIS_URL, which becomes the shared storage.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "inkwell"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # Redis down: fall back to memory rather than fail sign-in
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Whole pages for anonymous readers (app/cache.py). Where their version lives: "redis" (in
    # Redis when REDIS_URL is set, so every app server sees a write at once; else as "local") or
    # "local" (a file under instance/, shared by this server's workers, pages in each process: no
    # round trip to Redis for a page). "local" is for one app server only: a second one would
    # never learn of the first one's writes, serving its old pages for PAGE_CACHE_SECONDS and
    # the old site settings until it restarts (docs/deploy.md).
    PAGE_CACHE_STORE = "redis"
    PAGE_CACHE_ENABLED = True
    PAGE_CACHE_SECONDS = 300
    PAGE_CACHE_PREFIX = "inkwell:pages"
    # Hits for visitors with no session are answered before Flask runs (cache.ServeCachedPages).
    PAGE_CACHE_WSGI_HITS = True
    # Uploaded images kept in each process by the same layer, at most this many bytes (0: none).
    MEDIA_MEMORY_BYTES = 32 * 1024 * 1024

    LOGIN_RATE_LIMIT = "5 per minute"  # per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"  # failed attempts per account, from anywhere
    REGISTER_RATE_LIMIT = "10 per hour"  # accounts created per client address
    REGISTER_ATTEMPT_LIMIT = "50 per hour"  # registration form posts per address, failed or not
    RESET_RATE_LIMIT = "5 per hour"  # reset requests and reset-link submissions, per address
    REAUTH_RATE_LIMIT = "10 per 15 minutes"  # failed password confirmations, per account
    PASSKEY_OPTIONS_RATE_LIMIT = "30 per minute"  # passkey sign-in challenges, per address
    # Admins without a second factor are sent to /account/security before any admin page.
    REQUIRE_ADMIN_2FA = False
    # Writing, per member (drafts count; edits do not): generous for a person, not for a script.
    POST_RATE_LIMIT = "30 per hour"
    COMMENT_RATE_LIMIT = "20 per 10 minutes"
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0


class DevelopmentConfig(Config):
    APP_ENV = "development"


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-0123456789"  # noqa: S105
    SITE_URL = "http://localhost"
    # Cheap hashing keeps the suite fast; the production floor is asserted by a test of its own.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 64
    PASSWORD_HASH_PARALLELISM = 1
    # Off so tests can sign in many times; the rate-limit tests switch it on.
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

_TRUE = {"1", "true", "yes", "on"}


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Map the documented environment variables to Flask config keys (only those that are set)."""
    settings: dict[str, Any] = {}
    text_keys = {
        "SECRET_KEY": "SECRET_KEY",
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "REDIS_URL": "REDIS_URL",
        "SITE_URL": "SITE_URL",
        "MAIL_SERVER": "MAIL_SERVER",
        "MAIL_USERNAME": "MAIL_USERNAME",
        "MAIL_PASSWORD": "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
        "LOG_LEVEL": "LOG_LEVEL",
        "MEDIA_STORAGE": "MEDIA_STORAGE",
        "MEDIA_RATE_LIMIT": "MEDIA_RATE_LIMIT",
        "PAGE_CACHE_STORE": "PAGE_CACHE_STORE",
    }
    int_keys = (
        "MAIL_PORT",
        "MAIL_TIMEOUT",
        "MAIL_RETRY_HOURS",
        "POSTS_PER_PAGE",
        "DATABASE_POOL_SIZE",
        "DATABASE_MAX_OVERFLOW",
        "SESSION_IDLE_MINUTES",
        "SESSION_MAX_HOURS",
        "REMEMBER_DAYS",
        "PROXY_FIX_X_FOR",
        "PROXY_FIX_X_PROTO",
        "MEDIA_MAX_UPLOAD_BYTES",
        "MEDIA_MAX_PIXELS",
        "MEDIA_MAX_SIDE",
        "MEDIA_QUOTA_BYTES",
    )
    for env_name, key in text_keys.items():
        if environ.get(env_name):
            settings[key] = environ[env_name]
    for name in int_keys:
        if environ.get(name):
            try:
                settings[name] = int(environ[name])
            except ValueError:
                raise RuntimeError(
                    f"{name} must be a whole number, got {environ[name]!r}."
                ) from None
    for name in ("MAIL_USE_TLS", "RATELIMIT_ENABLED", "REQUIRE_ADMIN_2FA"):
        if environ.get(name):
            settings[name] = environ[name].strip().lower() in _TRUE
    if environ.get("REDIS_URL"):
        settings["RATELIMIT_STORAGE_URI"] = environ["REDIS_URL"]
    if environ.get("TRUSTED_HOSTS"):
        hosts = [host.strip() for host in environ["TRUSTED_HOSTS"].split(",") if host.strip()]
        settings["TRUSTED_HOSTS"] = hosts
    return settings


def config_class(name: str) -> type[Config]:
    """The config class for an ``APP_ENV`` value."""
    name = name.strip().lower() or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        choices = ", ".join(sorted(CONFIGS))
        raise RuntimeError(f"APP_ENV={name!r} is not one of: {choices}.") from None
