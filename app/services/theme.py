"""The reader's colour theme: System (the device's choice, the default), Light or Dark.

The choice lives in one cookie, ``theme``, holding ``light`` or ``dark`` (System is no cookie),
for members and visitors alike: no database row, nothing personal. Pages render it as
``<html data-theme="…">``; app/static/css/inkwell.css does the rest. The anonymous page cache
(app/cache.py) makes the theme part of its key, and reads it only through ``chosen_theme``, so a
cookie holding anything else counts as System and cannot make a key of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

COOKIE: Final = "theme"
SYSTEM: Final = "system"
THEMES: Final = (SYSTEM, "light", "dark")
# Translated where shown (theme/_switch.html); _l marks them for `make i18n`.
LABELS: Final = {SYSTEM: _l("System"), "light": _l("Light"), "dark": _l("Dark")}
COOKIE_MAX_AGE: Final = 365 * 24 * 3600


def chosen_theme(cookies: Mapping[str, str]) -> str:
    """The theme a request's cookies ask for; System for no cookie or an unknown value."""
    value = cookies.get(COOKIE, SYSTEM)
    return value if value in THEMES else SYSTEM


def remember(response: Response, theme: str) -> Response:
    """Set (or, for System, remove) the theme cookie on ``response``."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; expected one of {', '.join(THEMES)}")
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if theme == SYSTEM:
        response.delete_cookie(COOKIE, secure=secure, httponly=True, samesite="Lax")
    else:
        response.set_cookie(
            COOKIE, theme, max_age=COOKIE_MAX_AGE, secure=secure, httponly=True, samesite="Lax"
        )
    return response
