from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_url
from werkzeug import Response
from werkzeug.exceptions import TooManyRequests

from app.auth import replay
from app.auth.forms import (
    LoginForm,
    ReauthenticateForm,
    ReauthenticateWithCodeForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from app.extensions import db, limiter, login_manager
from app.forms import (
    SUBMIT_METHODS,
    add_error,
    entered,
    form_status,
    typed_fields,
)
from app.models import AuthMethod
from app.redirects import safe_redirect_target
from app.services import (
    accounts,
    device_cookies,
    i18n,
    mfa,
    rate_limits,
    sessions,
    site,
    throttle,
    tokens,
)

bp = Blueprint("auth", __name__)

TAKEN_MESSAGES = {
    "username": _l("That username is taken. Please choose another."),
    "email": _l("That email address cannot be used. If it is yours, sign in instead."),
}
REAUTH_FAILED = {
    "password": _l("That password is not correct."),
    "code": _l("That code is not right, or was already used."),
}
SIGN_IN_FAILED = _l("Incorrect username, email or password.")
RESET_SENT = _l(
    "If that address belongs to an account, a link to reset its password is on its way. "
    "It works once, for one hour."
)


@bp.route("/register", methods=["GET", "POST"])
# Accounts created per address; a form sent back with errors costs nothing here, but every
# attempt counts against the generous ceiling below.
@limiter.limit(
    lambda: current_app.config["REGISTER_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=rate_limits.created,
)
@limiter.limit(lambda: current_app.config["REGISTER_ATTEMPT_LIMIT"], methods=["POST"])
def register() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                entered(form.username),
                entered(form.email),
                entered(form.password),
                locale=i18n.request_language(),
            )
        except accounts.AccountExists as exists:
            add_error(getattr(form, exists.field), TAKEN_MESSAGES[exists.field])
        else:
            sessions.sign_in(user, remember=False)
            flash(
                _(
                    "Welcome to %(site)s, %(username)s!",
                    site=site.identity().name,
                    username=user.username,
                ),
                "success",
            )
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), form_status(form)


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Signed-out visitors are sent to sign in; a form sent after the session ended keeps its text.

    Nothing is saved (the visitor is anonymous), but the page shows what was typed so that a post
    or comment written while the session expired is not lost.
    """
    kept = typed_fields(request.form)
    if request.method in SUBMIT_METHODS and kept:
        page = render_template(
            "auth/session_ended.html", kept=kept, sign_in=url_for("auth.login", next=request.path)
        )
        return make_response(page, 401)
    flash(_(login_manager.login_message), login_manager.login_message_category)
    return redirect(login_url("auth.login", next_url=request.url))


@bp.app_errorhandler(sessions.SignInEnded)
def sign_in_ended(_error: sessions.SignInEnded) -> Response:
    """The sign-in was ended while its request ran (signed out from another device): nothing
    the request did is saved, this browser is signed out, and the visitor is answered as any
    whose sign-in has ended (a form keeps its text, read-only)."""
    db.session.rollback()
    sessions.end_browser_session()
    return unauthorized()


@login_manager.needs_refresh_handler
def needs_refresh() -> Response:
    """A sign-in restored by "remember me" confirms the password before a sensitive action.

    A page is reached again after the confirmation; a POST is kept, to be finished with one
    press after it (``app/auth/replay.py``) rather than turned into a GET of its address.
    """
    if request.method in SUBMIT_METHODS:
        replay.keep(request.full_path.removesuffix("?"), request.form)
    flash(_(login_manager.needs_refresh_message), login_manager.needs_refresh_message_category)
    return redirect(login_url("auth.reauthenticate", next_url=request.url))


def _log_throttled(breached: RequestLimit | None) -> None:
    """Record a refused sign-in, once per window: per address when the address's limit refused
    it (``breached``), else (the account's lock) per account. The identifier is cut first."""
    identifier = request.form.get("username", "")[: accounts.IDENTIFIER_MAX]
    if breached is not None:
        scope, window = f"address:{request.remote_addr}", breached.limit.get_expiry()
    else:
        scope = accounts.throttle_key(identifier, accounts.find_by_login(identifier))
        window = rate_limits.window_seconds("LOGIN_ACCOUNT_RATE_LIMIT")
    accounts.record_throttled(identifier, scope=scope, window_seconds=window)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], on_breach=_log_throttled
)
def login() -> Response | tuple[str, int]:
    next_url = safe_redirect_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        mfa.cancel_pending()  # a new attempt ends any half-done one
        target = accounts.find_by_login(entered(form.username))  # one lookup serves both below
        account = accounts.throttle_key(entered(form.username), target)
        budget = device_cookies.budget_key(target, account)  # a known browser has its own
        if wait := throttle.begin_attempt(budget):  # counted before the password is checked
            _log_throttled(None)
            raise TooManyRequests(retry_after=wait)
        user = accounts.authenticate(entered(form.username), entered(form.password), target)
        if user is not None and mfa.is_enabled(user) and not mfa.is_trusted(user):
            # Not forgiven yet: the budget is spent until the code passes too (app/mfa).
            mfa.start_pending(user, remember=form.remember.data, next_url=next_url)
            return redirect(url_for("mfa.code"))
        if user is not None:
            throttle.forgive(budget)
            method = AuthMethod.PASSWORD_TRUSTED if mfa.is_enabled(user) else AuthMethod.PASSWORD
            sessions.sign_in(user, remember=form.remember.data, method=method)
            flash(_("Signed in as %(username)s.", username=user.username), "success")
            return redirect(next_url)
        form.form_errors.append(SIGN_IN_FAILED)
    return render_template("auth/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout() -> Response:
    """POST only, with the CSRF check of every POST; a GET gets the 405 page and changes nothing."""
    mfa.cancel_pending()
    sessions.sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@login_required
def reauthenticate() -> Response | tuple[str, int]:
    """Ask a signed-in member (e.g. restored from "remember me") for the password, and for a
    code too when two-factor sign-in is on.

    Success steps the sign-in up (a new session token) and goes on to ``next``, or, when a POST
    to ``next`` was waiting for it, to a page that sends that POST with one press.
    """
    next_url = safe_redirect_target(request.args.get("next"))
    user = current_user._get_current_object()
    form = ReauthenticateWithCodeForm() if mfa.is_enabled(user) else ReauthenticateForm()
    pending = replay.waiting(next_url)  # read before the step up drops the session
    if form.validate_on_submit():
        code = entered(form.code) if isinstance(form, ReauthenticateWithCodeForm) else None
        failed = mfa.reauthenticate(user, entered(form.password), code)
        if failed is None:
            if pending is None:
                return redirect(next_url)
            return render_template(
                "auth/continue.html", action=next_url, fields=pending, label=replay.label(pending)
            ), 200
        add_error(form[failed], REAUTH_FAILED[failed])
    action = url_for("auth.reauthenticate", next=next_url)
    page = render_template("auth/reauthenticate.html", form=form, pending=pending, action=action)
    return page, form_status(form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def reset_request() -> Response | tuple[str, int]:
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(entered(form.email))
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), form_status(form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def reset_with_token(token: str) -> Response | tuple[str, int]:
    user = tokens.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    form.user = user
    if form.validate_on_submit():
        accounts.reset_password(user, entered(form.password))
        sessions.end_browser_session()
        flash(
            _("Your password is set. Sign in with it now; every device was signed out."), "success"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user), form_status(form)
