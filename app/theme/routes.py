"""GET /theme?theme=dark&next=/posts/x: remember the choice in a cookie, go back.

A GET, not a POST with a CSRF token: the switch sits in the footer of every page, and a token
there would make every anonymous page personal, so the page cache (app/cache.py) could store none
of them. Forging the request can only change how a page looks to the forger's victim, with a
whitelisted value; ``next`` goes through app/redirects.py like every other redirect target.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, request
from flask.typing import ResponseReturnValue

from app import cache
from app.redirects import safe_redirect_target
from app.services import theme
from app.theme.forms import ThemeForm

bp = Blueprint("theme", __name__)


@bp.app_context_processor
def inject_theme() -> dict[str, object]:
    return {
        "theme": theme.chosen_theme(request.cookies),
        "theme_labels": theme.LABELS,
        "theme_return": return_address,
    }


def return_address() -> str:
    """Where the switch sends the reader back: this page, with only the query parameters that
    make it (a cached page is shared, so it must not carry one visitor's ``?utm_…``)."""
    if request.endpoint in cache.CACHEABLE_ENDPOINTS:
        kept = urlencode(
            [
                (name, request.args[name])
                for name in cache.KEY_PARAMS.get(request.endpoint or "", ())
                if name in request.args
            ]
        )
        return request.path + (f"?{kept}" if kept else "")
    return request.full_path.rstrip("?")


@bp.get("/theme")
def switch() -> ResponseReturnValue:
    form = ThemeForm(request.args)
    if not form.validate():
        abort(400, description="Choose a theme: System, Light or Dark.")
    response = redirect(safe_redirect_target(form.next.data), 303)
    return theme.remember(response, form.theme.data or theme.SYSTEM)
