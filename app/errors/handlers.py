from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    render_template,
    request,
)
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, TooManyRequests

from app.extensions import db
from app.forms import SUBMIT_METHODS, typed_fields
from app.redirects import is_safe_redirect, same_site_referrer
from app.services import rate_limits

bp = Blueprint("errors", __name__)

PAGES: dict[int, tuple[str, str]] = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Go back, reload the page and try again."),
    ),
    403: (_l("Forbidden"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l("There is nothing at this address. It may have moved or never existed."),
    ),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts (1 MiB).")),
    429: (_l("Too many requests"), _l("You are going a little fast. Wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side. Please try again later."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l(
            "Our database is not answering right now, so this page cannot be shown. "
            "Please try again in a minute."
        ),
    ),
}
# What the database says when it is down, failing over, read-only or out of connections: an
# outage to wait out (503), not a bug (500). Integrity and data errors stay bugs.
DATABASE_OUTAGES = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.InternalError,
    sa_exc.TimeoutError,
    sa_exc.PendingRollbackError,
)
RETRY_AFTER_SECONDS = "30"
CSRF_FAILED = _l("This form had expired or did not come from this site; nothing was saved.")
BARE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><main><h1>{title}</h1><p>{message}</p><p>Error {code}</p></main></body></html>"
)
# Headers of the original error worth keeping on the friendly page.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, default_message = (
        str(text) for text in PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    )
    if request_ctx.url_adapter is None:
        # The request was refused before routing (an untrusted Host): no URL can be built, so
        # answer with a bare page instead of the site layout.
        bare = BARE_PAGE.format(code=code, title=title, message=message or default_message)
        return bare, code
    html = render_template(
        "errors/error.html", code=code, title=title, message=message or default_message
    )
    return html, code


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        current_app.logger.warning("rollback failed", exc_info=True)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    code = error.code or 500
    if code == TooManyRequests.code:
        return too_many_requests(error)
    if code >= 500:
        _rollback_quietly()
    # A message given to abort() is shown; Werkzeug's stock descriptions are not.
    custom = error.description if error.description != type(error).description else None
    response = make_response(render_error(code, custom))
    original = dict(error.get_headers())
    for name in KEPT_HEADERS:
        if name in original:
            response.headers[name] = original[name]
    return response


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> Response:
    """A form that failed its CSRF check: a 400 page in words, what was sent shown read-only.

    The view is never called, so nothing it does can run. The page holds no form and no fresh
    token: the request may have come from another site, so its text is shown back to be read or
    copied, never to be sent with one click. The link opens the form's page by a GET.
    """
    if request_ctx.url_adapter is None:
        return make_response(render_error(400, CSRF_FAILED))
    page = render_template(
        "errors/csrf_failed.html",
        message=CSRF_FAILED,
        kept=typed_fields(request.form),
        form_page=_form_page(),
    )
    response = make_response(page, 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_page() -> str | None:
    """Where the refused form can be opened again by a GET, if that is known.

    The address itself when it answers a GET; else the page the form was on, from a Referer
    of this very site (a POST-only action such as a comment); else None.
    """
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        candidates = [request.full_path.removesuffix("?"), request.path]
        return next((target for target in candidates if is_safe_redirect(target)), None)
    return same_site_referrer()


@bp.app_errorhandler(TooManyRequests)
def too_many_requests(error: HTTPException) -> Response:
    """A rate limit's refusal in words, with when to retry and what was typed (never secrets).

    Flask-Limiter's own text ("10 per 1 hour") is never shown.
    """
    wait = rate_limits.retry_after_seconds(error)
    kept = typed_fields(request.form) if request.method in SUBMIT_METHODS else []
    page = render_template("errors/too_many_requests.html", wait=in_words(wait), kept=kept)
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response


def in_words(seconds: int) -> str:
    """A wait as a person says it: "a few seconds", "about 4 minutes", "about an hour"."""
    if seconds < 10:
        return _("a few seconds")
    if seconds < 60:
        return _("about %(num)d seconds", num=seconds)
    minutes = -(-seconds // 60)  # rounded up: never earlier than the limit allows
    if minutes == 1:
        return _("about a minute")
    if minutes < 55:
        return _("about %(num)d minutes", num=minutes)
    if minutes < 90:
        return _("about an hour")
    return _("about %(num)d hours", num=round(minutes / 60))


def database_unavailable(error: Exception) -> Response:
    """The database cannot serve this request: a 503 in words, with what was typed shown back.

    Nothing was saved (the transaction is rolled back). The page is drawn for an anonymous
    visitor: who is signed in cannot be asked of a database that is not answering.
    """
    current_app.logger.warning("database unavailable: %s", error)
    _rollback_quietly()
    g._login_user = AnonymousUserMixin()  # Flask-Login's per-request user: never load it again
    kept = typed_fields(request.form) if request.method in SUBMIT_METHODS else []
    if request_ctx.url_adapter is None:
        response = make_response(render_error(503))
    else:
        page = render_template("errors/unavailable.html", kept=kept, submitted=bool(kept))
        response = make_response(page, 503)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    response.headers["Cache-Control"] = "no-store"
    return response


for _outage in DATABASE_OUTAGES:
    bp.app_errorhandler(_outage)(database_unavailable)
