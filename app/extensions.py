"""Extension instances, created unbound here and bound to the app in ``create_app()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic can alter and drop them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # ``db.Model`` is made at run time from Base's own bases and body (plus Flask-SQLAlchemy's
    # table-naming and bind mixins); a type checker cannot take an attribute as a base class.
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)


def rowcount(result: sa.Result[Any]) -> int:
    """The rows an UPDATE or DELETE run with ``db.session.execute`` matched.

    The session returns a ``CursorResult`` for them, but is typed to return any ``Result``.
    """
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count: not an UPDATE or DELETE")
    return result.rowcount


class InkwellLoginManager(LoginManager):
    """Flask-Login, with the remember cookie deleted the way it was set.

    Flask-Login 0.6 deletes it without ``Secure``; a browser ignores that for a ``__Host-``
    cookie (our name over https), so signing out would leave the dead cookie in place.
    """

    def _clear_cookie(self, response: Response) -> None:
        config = current_app.config
        response.delete_cookie(
            config["REMEMBER_COOKIE_NAME"],
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=config["REMEMBER_COOKIE_HTTPONLY"],
            samesite=config["REMEMBER_COOKIE_SAMESITE"],
        )


login_manager = InkwellLoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
# Keyed on the client address as the WSGI server sees it; X-Forwarded-For counts only when
# PROXY_FIX_X_FOR says how many proxies to trust.
limiter = Limiter(key_func=get_remote_address)


def install_csrf_token(app: Flask) -> None:
    """Templates' ``csrf_token()``: Flask-WTF's token for this request, made once by Flask-WTF
    and read from ``g`` afterwards. Flask-WTF's own function reads two settings through the app
    first on every call, and a member's page asks for the token up to four times (sign-out,
    language switch, comment form). Call after ``csrf.init_app``."""
    field = app.config["WTF_CSRF_FIELD_NAME"]

    def csrf_token() -> str:
        made: str | None = g.get(field)
        return made if made is not None else str(generate_csrf())

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
