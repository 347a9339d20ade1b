"""GET /theme?theme=dark: remember the choice in a cookie, go back to the page it came from.

A GET link, not a POST form with a CSRF token: the switch sits in the footer of every page, and a
token or a per-page field there would make every anonymous page personal or different, so the
page cache (app/cache.py) could store none of them, and error and CSRF-failure pages, which carry
no form by design, would carry one. Forging the request can only change how a page looks to the
forger's victim, with a whitelisted value. The way back is ``next`` when given, else the page of
this site that linked here (the Referer), through app/redirects.py; else the home page.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app import cache
from app.redirects import safe_redirect_target, same_site_referrer
from app.services import theme
from app.theme.forms import ThemeForm

bp = Blueprint("theme", __name__)


@bp.app_context_processor
def inject_theme() -> dict[str, object]:
    return {"theme": theme.chosen_theme(request.cookies), "theme_labels": theme.LABELS}


@bp.app_template_global("theme_switch")
def theme_switch(current: str) -> Markup:
    """The footer's theme switch: the same links for every reader of a language and theme, so
    kept as a shared fragment (its three links and labels were a tenth of a signed-in page)."""
    return cache.shared_fragment(
        f"theme-switch:{current}",
        lambda: render_template("theme/_switch.html", theme=current, theme_labels=theme.LABELS),
    )


@bp.get("/theme")
def switch() -> ResponseReturnValue:
    form = ThemeForm(request.args)
    if not form.validate():
        abort(400, description=_l("Choose a theme: System, Light or Dark."))
    response = redirect(safe_redirect_target(form.next.data or same_site_referrer()), 303)
    return theme.remember(response, form.theme.data or theme.SYSTEM)
