"""/language: choose the site's language (app/services/i18n.py says who decides).

Visitors get GET links, as for the theme switch (app/theme/routes.py explains why: a token in
the footer would make every anonymous page personal, so none could be cached); the choice is
only a cookie. A member's pages are never cached, so members get a small POST form with a CSRF
token, and the choice is saved to their account as well as the cookie. An unknown language is a
400; the way back is ``next`` when safe, else the same-site Referer, else the home page.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.i18n.forms import LanguageForm, LanguageLinkForm
from app.redirects import safe_redirect_target, same_site_referrer
from app.services import i18n

bp = Blueprint("i18n", __name__)
# Answers that never depend on the reader's language (and must not read who is signed in).
LANGUAGE_FREE_ENDPOINTS = frozenset({"static", "media.file"})


@bp.app_context_processor
def inject_language() -> dict[str, object]:
    return {
        "current_language": str(get_locale() or i18n.ENGLISH).replace("_", "-"),
        "languages": i18n.LANGUAGES,
        "language_saved": current_user.is_authenticated,  # members' switch saves (a POST)
    }


bp.add_app_template_filter(i18n.format_when, "when")
bp.add_app_template_filter(i18n.format_ago, "ago")


@bp.after_app_request
def vary_on_language(response: Response) -> Response:
    """Pages differ by the cookie and Accept-Language (the language), so caches must key on both.
    A file's bytes do not; its error page (a 404 in the reader's language) does."""
    if request.endpoint not in LANGUAGE_FREE_ENDPOINTS or response.status_code >= 400:
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response


def _back(target: str | None, language: str) -> Response:
    response = redirect(safe_redirect_target(target or same_site_referrer()), 303)
    return i18n.remember(response, language)


@bp.get("/language")
def switch() -> ResponseReturnValue:
    form = LanguageLinkForm(request.args)
    if not form.validate():
        abort(400, description=gettext("Choose a language: English or 简体中文."))
    return _back(form.next.data, form.lang.data or i18n.ENGLISH)


@bp.post("/language")
@login_required
def save() -> ResponseReturnValue:
    form = LanguageForm()
    if not form.validate():
        abort(400, description=gettext("Choose a language: English or 简体中文."))
    language = form.lang.data or i18n.ENGLISH
    i18n.save_preference(current_user._get_current_object(), language)
    return _back(form.next.data, language)
