"""The reader's language: English (``en``) or Simplified Chinese (``zh-Hans``).

Who decides, first match wins: a signed-in member's saved preference (``users.locale``, set on
the profile page or with the footer switch) > the ``lang`` cookie (the footer switch, for
visitors) > the browser's ``Accept-Language`` > ``DEFAULT_LOCALE`` (``en``).

``chosen_language`` is the one function that reads the cookie and the header: Flask-Babel's
selector (``select_locale``) and the anonymous page cache's key (app/cache.py ``page_key``,
in Flask and in the WSGI layer in front of it) both call it, so a cached page is always filed
under the language it was rendered in. Any other cookie value reads as "no choice".

Accept-Language: ``zh``, ``zh-CN``, ``zh-SG``, ``zh-Hans`` (any ``zh-Hans-*``) mean Simplified
Chinese. Traditional Chinese (``zh-Hant``, ``zh-TW``, ``zh-HK``, ``zh-MO``) is not offered, so
those tags are skipped and the reader's next language decides (English if none is ours): a reader
of Traditional script who lists no other language gets the default, not the other script.

Tags are BCP 47 (``zh-Hans``, for ``<html lang>``, the cookie and URLs); Babel's catalogs use
the locale identifier (``zh_Hans``, ``babel_locale``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Final

from babel import dates as babel_dates
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_datetime, format_timedelta, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import User

COOKIE: Final = "lang"
ENGLISH: Final = "en"
CHINESE: Final = "zh-Hans"
# Each language in its own name: a reader who cannot read the page can still find theirs.
LANGUAGES: Final = {ENGLISH: "English", CHINESE: "简体中文"}
COOKIE_MAX_AGE: Final = 365 * 24 * 3600
TRADITIONAL_CHINESE: Final = frozenset({"zh-hant", "zh-tw", "zh-hk", "zh-mo"})
MAX_HEADER_LENGTH: Final = 500  # longer Accept-Language headers are read only this far


def header_language(accept_language: str) -> str | None:
    """Our language the browser prefers most (by its q-values), or None if it lists neither."""
    accepted = parse_accept_header(accept_language[:MAX_HEADER_LENGTH], LanguageAccept)
    for tag, quality in accepted:  # already sorted, best first
        parts = tag.lower().replace("_", "-").split("-")
        if quality <= 0:
            continue
        if parts[0] == ENGLISH:
            return ENGLISH
        if parts[0] == "zh":
            if "-".join(parts[:2]) in TRADITIONAL_CHINESE:
                continue
            return CHINESE
    return None


def chosen_language(cookies: Mapping[str, str], accept_language: str, default: str) -> str:
    """The language of a request with no signed-in member: cookie > header > ``default``
    (``DEFAULT_LOCALE``; English if that is none of ours). Needs no app context."""
    cookie = cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    return header_language(accept_language) or (default if default in LANGUAGES else ENGLISH)


def request_language() -> str:
    """This request's language: the member's saved preference, else ``chosen_language``."""
    saved = getattr(current_user, "locale", None) if current_user else None
    if saved in LANGUAGES:
        return str(saved)
    return chosen_language(
        request.cookies,
        request.headers.get("Accept-Language", ""),
        current_app.config["DEFAULT_LOCALE"],
    )


def babel_locale(language: str) -> str:
    """Babel's identifier for a language tag: ``zh-Hans`` -> ``zh_Hans``."""
    return language.replace("-", "_")


def select_locale() -> str:
    """Flask-Babel's locale selector; ``DEFAULT_LOCALE`` outside a request (the CLI)."""
    if not has_request_context():
        return babel_locale(default_language())
    return babel_locale(request_language())


def default_language() -> str:
    return chosen_language({}, "", current_app.config["DEFAULT_LOCALE"])


def remember(response: Response, language: str) -> Response:
    """Set the ``lang`` cookie on ``response``."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def save_preference(user: User, language: str | None) -> None:
    """Save ``user``'s language (None: follow the browser), and commit."""
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    user.locale = language
    db.session.commit()


# How templates show a time, per language (Babel patterns; the English ones are the site's own).
DATE_PATTERNS: Final = {
    "date": {ENGLISH: "d MMMM y", CHINESE: "y年M月d日"},
    "datetime": {ENGLISH: "d MMMM y, HH:mm", CHINESE: "y年M月d日 HH:mm"},
    "short": {ENGLISH: "d MMM y, HH:mm", CHINESE: "y年M月d日 HH:mm"},
    "short_date": {ENGLISH: "d MMM y", CHINESE: "y年M月d日"},
    "month": {ENGLISH: "MMMM y", CHINESE: "y年M月"},
    "month_name": {ENGLISH: "MMMM", CHINESE: "M月"},
}


def format_when(value: datetime, kind: str = "date", zone: tzinfo | None = None) -> str:
    """``value`` (UTC) as this request's language writes it: ``DATE_PATTERNS[kind]``, in UTC
    unless a ``zone`` is given (a member's own pages: never a shared fragment or a cached page,
    which every reader gets alike)."""
    language = str(get_locale() or ENGLISH).replace("_", "-")
    patterns = DATE_PATTERNS[kind]
    pattern = patterns.get(language, patterns[ENGLISH])
    if zone is not None:
        return babel_dates.format_datetime(value, pattern, tzinfo=zone, locale=get_locale())
    return format_datetime(value, pattern)


def format_ago(value: datetime) -> str:
    """How long ago ``value`` was, in words of this request's language ("3 minutes ago")."""
    return format_timedelta(value - datetime.now(UTC), add_direction=True, granularity="minute")


def install_template_gettext(app: Flask) -> None:
    """Templates translate through each language's catalog found once per process, in one call.

    Flask-Babel's own callables look the catalog up again for every ``_()`` (the request's
    context, the domain, the locale, the cache: about 60 lookups for the 20 messages of a
    member's header and footer, a tenth of a signed-in page), and Jinja's newstyle wrappers add
    two more calls through the template context to each (``_`` resolves ``gettext``, which calls
    the translation). These read the locale Flask-Babel chose for this request, or that
    ``force_locale`` set, each time, so they translate exactly as Flask-Babel would, keep its
    catalog for that locale, and do what Jinja's newstyle callables do with the result: Markup
    when autoescaping, then ``%`` with the variables (a message with no "%" is its own result).
    Measured in-process: 5.6 -> 3 µs a message. Call after ``babel.init_app``.
    """
    catalogs: dict[str, Translations | NullTranslations] = {}

    def catalog() -> Translations | NullTranslations:
        state = g.get("_flask_babel")  # where Flask-Babel keeps the request's locale
        locale = getattr(state, "babel_locale", None)
        if locale is None:
            return get_translations()  # not chosen yet: Flask-Babel chooses (and records) it
        # The locale object is the request's (or force_locale's): its catalog is noted on it.
        found: Translations | NullTranslations | None = getattr(state, "inkwell_catalog", None)
        if found is not None and state.inkwell_catalog_locale is locale:
            return found
        key = str(locale)
        found = catalogs.get(key)
        if found is None:
            found = catalogs[key] = get_translations()
        state.inkwell_catalog, state.inkwell_catalog_locale = found, locale
        return found

    def finished(context: Context, text: str, variables: dict[str, object]) -> str:
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704  (a translation: as trusted as the template)
        return text % variables if variables or "%" in text else text

    # Positional-only, as Jinja's own: a message may name a variable "message" or "n".
    @pass_context
    def gettext(context: Context, message: str, /, **variables: object) -> str:
        return finished(context, catalog().ugettext(message), variables)

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, n: int, /, **variables: object
    ) -> str:
        variables.setdefault("num", n)
        return finished(context, catalog().ungettext(singular, plural, n), variables)

    @pass_context
    def pgettext(context: Context, where: str, message: str, /, **variables: object) -> str:
        variables.setdefault("context", where)
        return finished(context, catalog().upgettext(where, message), variables)

    @pass_context
    def npgettext(
        context: Context, where: str, singular: str, plural: str, n: int, /, **variables: object
    ) -> str:
        variables.setdefault("context", where)
        variables.setdefault("num", n)
        return finished(context, catalog().unpgettext(where, singular, plural, n), variables)

    # ``_`` is Jinja's alias for ``gettext`` through the context: here it is ``gettext`` itself.
    app.jinja_env.globals.update(
        _=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext
    )
