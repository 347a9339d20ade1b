"""Inkwell: the application factory."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from config import config_class, settings_from_environment

MIN_SECRET_KEY_LENGTH = 32
MAX_REMEMBER_DAYS = 30


def create_app(
    overrides: Mapping[str, Any] | None = None,
    *,
    env: str | None = None,
    instance_path: str | None = None,
) -> Flask:
    """Build the app for ``env`` (default: ``APP_ENV``, else development).

    ``overrides`` win over every other source of settings; tests use them.
    """
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    configure(app, env or os.environ.get("APP_ENV", "development"), overrides)
    register_logging(app)
    register_request_guard(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_request_hooks(app)
    register_proxy(app)
    return app


def configure(app: Flask, env_name: str, overrides: Mapping[str, Any] | None) -> None:
    from app.services import media_storage

    app.config.from_object(config_class(env_name))
    app.config.update(settings_from_environment(os.environ))
    app.config.from_prefixed_env()
    if overrides:
        app.config.update(overrides)

    env = app.config["APP_ENV"]
    if env == "development" and not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    secret = app.config.get("SECRET_KEY") or ""
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters in "
            f"{env}. Generate one with:\n"
            "  python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database = Path(app.instance_path) / "inkwell.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Per worker process: a few connections serve a sync worker; overflow absorbs bursts.
        # No pool_pre_ping: connections are checked without a round trip (app/database.py).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": app.config["DATABASE_POOL_SIZE"],
            "max_overflow": app.config["DATABASE_MAX_OVERFLOW"],
            "pool_recycle": 1800,
        }
    if not app.config.get("MAIL_SERVER") and app.config["MAIL_BACKEND"] == "smtp":
        app.config["MAIL_BACKEND"] = "app.services.mail.TerminalEmailBackend"
    _name_cookies(app)
    media_storage.check_setting(app.config["MEDIA_STORAGE"])
    if app.config["REMEMBER_DAYS"] > MAX_REMEMBER_DAYS:
        raise RuntimeError(
            f"REMEMBER_DAYS may be at most {MAX_REMEMBER_DAYS} (docs/security.md, row L12)."
        )
    if env == "production":
        _check_production(app)
    if env != "development":
        # The interactive debugger runs code sent by the browser: never outside development.
        app.config["DEBUG"] = False
        app.debug = False


HOST_PREFIX = "__Host-"
# Each cookie's name setting, and the setting that makes it Secure.
COOKIES = (
    ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
    ("REMEMBER_COOKIE_NAME", "REMEMBER_COOKIE_SECURE"),
    ("DEVICE_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
    ("TRUSTED_BROWSER_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
)


def _name_cookies(app: Flask) -> None:
    """Secure cookies are named ``__Host-…`` (ASVS V3.3.1); over http (development) stay plain.

    A browser accepts a ``__Host-`` cookie only over https, with Path=/ and no Domain: a sibling
    subdomain or a plain-http page can neither plant nor overwrite it.
    """
    for name_key, secure_key in COOKIES:
        name = app.config[name_key]
        if app.config[secure_key] and not name.startswith(HOST_PREFIX):
            app.config[name_key] = HOST_PREFIX + name
    if app.config["SESSION_COOKIE_SECURE"]:
        app.config["SESSION_COOKIE_PATH"] = "/"  # not APPLICATION_ROOT: the prefix needs Path=/
    for key in ("SESSION_COOKIE_DOMAIN", "REMEMBER_COOKIE_DOMAIN"):
        if app.config.get(key):
            raise RuntimeError(f"{key} must not be set: Inkwell's cookies are for this host only.")


# The OWASP floor for argon2id (docs/security.md P8, P10): production may not go below it.
HASH_FLOOR = {"PASSWORD_HASH_TIME_COST": 2, "PASSWORD_HASH_MEMORY_KIB": 19456}


def _check_production(app: Flask) -> None:
    if not app.config["SITE_URL"].startswith(("https://", "http://")):
        raise RuntimeError(
            "SITE_URL must be set in production (e.g. https://blog.example.com): links in mail "
            "and feeds are built on it, never on the Host header a request brings."
        )
    for key, floor in HASH_FLOOR.items():
        if app.config[key] < floor:
            raise RuntimeError(f"{key} must be at least {floor} in production (OWASP floor).")
    if not app.config.get("REDIS_URL"):
        app.logger.warning(
            "REDIS_URL is not set: rate limits and cached pages are kept per process. "
            "Set it when gunicorn runs more than one worker or there is more than one server."
        )


def _instance_secret_key(instance: Path) -> str:
    """Development only: a random key made once and kept, so sign-ins survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def register_request_guard(app: Flask) -> None:
    """Before the extensions: the NUL check must run before any of their request hooks."""
    from app import request_guard

    request_guard.init_app(app)


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app import models  # noqa: F401  (the models must be known to db and migrate)
    from app.extensions import (
        babel,
        csrf,
        db,
        install_csrf_token,
        limiter,
        login_manager,
        mail,
        migrate,
    )
    from app.services import (
        i18n,
        search,  # noqa: F401  (DDL for the full-text search structures)
    )
    from app.services.sessions import load_user

    db.init_app(app)
    app.teardown_appcontext(_release_session)  # runs before Flask-SQLAlchemy's own remove()
    migrate.init_app(app, db)
    csrf.init_app(app)
    install_csrf_token(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.refresh_view = "auth.reauthenticate"
    login_manager.needs_refresh_message = _l("Please confirm your password to continue.")
    login_manager.needs_refresh_message_category = "info"
    login_manager.user_loader(load_user)
    mail.init_app(app)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.babel_locale(app.config["DEFAULT_LOCALE"]))
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_template_gettext(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            sa.event.listen(db.engine, "connect", _tune_sqlite)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from app import database

        with app.app_context():
            database.check_on_checkout(db.engine)


def _release_session(_error: BaseException | None) -> None:
    """End the request's session; a database lost after the view ran must not become a 500.

    Releasing a connection rolls it back; when the server died meanwhile that rollback fails
    after the answer is ready. The dead connection is discarded either way (the pool's check at
    checkout, app/database.py, and SQLAlchemy's disconnect handling), so the failure is only
    logged.
    """
    from app.extensions import db

    try:
        db.session.remove()
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("could not release a database session", exc_info=True)
        db.session.registry.clear()


# Reads through a memory map of the file (shared by every connection and process) instead of
# copying each page into a connection's 2 MB page cache: a search at 100,000 posts looks up a
# few hundred posts and FTS5 rows scattered over a 600 MB file, and the copies cost 0.4-0.6 ms
# of its 1-3 ms statement (docs/performance.md, "Search"). The size is an upper bound, not memory
# taken; SQLite's default build allows up to 2 GB.
SQLITE_MMAP_SIZE = 1 << 30


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on (SQLite ships them off), WAL for concurrent readers, wait on locks,
    reads through a memory map."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_SIZE}")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from app.account import bp as account_bp
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.discover import bp as discover_bp
    from app.errors import bp as errors_bp
    from app.i18n import bp as i18n_bp
    from app.main import bp as main_bp
    from app.media import bp as media_bp
    from app.mfa import bp as mfa_bp
    from app.notifications import bp as notifications_bp
    from app.passkeys import bp as passkeys_bp
    from app.posts import bp as posts_bp
    from app.profiles import bp as profiles_bp
    from app.site_settings import bp as site_settings_bp
    from app.theme import bp as theme_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(discover_bp)
    app.register_blueprint(posts_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(mfa_bp)
    app.register_blueprint(passkeys_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(notifications_bp)
    app.register_blueprint(theme_bp)
    app.register_blueprint(site_settings_bp)
    app.register_blueprint(i18n_bp)


def register_cli(app: Flask) -> None:
    from app.cli import create_admin_command, mail_group, seed_command, users_group

    app.cli.add_command(create_admin_command)
    app.cli.add_command(mail_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(users_group)


def register_logging(app: Flask) -> None:
    """The app's own lines (``app.*`` loggers: the mail worker's reports, the page cache's notices)
    reach the terminal through Flask's handler from ``LOG_LEVEL`` up (INFO unless set)."""
    app.logger.setLevel(app.config["LOG_LEVEL"].upper())


def register_proxy(app: Flask) -> None:
    """Trust the proxy's X-Forwarded-For/-Proto when configured: outermost of every WSGI layer,
    so the page cache's hit layer (``cache.ServeCachedPages``) sees the reader's scheme too."""
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        # Flask's documented way to add WSGI middleware replaces a method, which mypy forbids.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)  # type: ignore[method-assign]


def register_request_hooks(app: Flask) -> None:
    from app import cache, chrome
    from app.http import set_security_headers
    from app.services.sessions import touch_current_session

    cache.init_app(app)  # first: the page cache reads its version before anything else runs
    chrome.install(app)
    app.before_request(touch_current_session)
    app.after_request(set_security_headers)
