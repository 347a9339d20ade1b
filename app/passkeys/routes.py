"""Passkeys on ``/account/security`` (add, remove) and the login page's passkey sign-in.

The options endpoints answer JSON to ``app/static/js/passkeys.js`` (a POST with the page's
CSRF token in ``X-CSRFToken``); the browser's answer then comes back in an ordinary form POST,
so errors, flashes and redirects work as everywhere else.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import current_user, fresh_login_required
from werkzeug import Response

from app.auth import forms as auth_forms  # modules, not names: these blueprints import
from app.extensions import limiter
from app.forms import INVALID_FORM, add_error, entered, form_status
from app.lookups import possible_id
from app.mfa import routes as mfa_routes  # each other (the security and login pages)
from app.passkeys.forms import (
    AddPasskeyForm,
    PasskeySignInForm,
    RemovePasskeyForm,
    RemovePasskeyWithCodeForm,
)
from app.redirects import safe_redirect_target
from app.services import accounts, mfa, passkeys

bp = Blueprint("passkeys", __name__)
REAUTH_FAILED = {
    "password": _l("That password is not correct; the passkey was kept."),
    "code": _l("That code is not right, or was already used; the passkey was kept."),
}


def _json(text: str) -> Response:
    return Response(text, mimetype="application/json")


@bp.post("/account/passkeys/options")
@fresh_login_required
def registration_options() -> Response:
    user = current_user._get_current_object()
    if not mfa.may_add_second_factor(user):
        abort(403, str(mfa.SIGN_IN_WITH_A_FACTOR))
    return _json(passkeys.registration_options(user))


@bp.post("/account/passkeys")
@fresh_login_required
def add() -> Response | tuple[str, int]:
    user, form = current_user._get_current_object(), AddPasskeyForm()
    if not mfa.may_add_second_factor(user):
        abort(403, str(mfa.SIGN_IN_WITH_A_FACTOR))
    if form.validate_on_submit():
        first = not mfa.has_second_factor(user)
        try:
            passkey = passkeys.register(
                user, entered(form.name), entered(form.credential), first_factor=first
            )
        except passkeys.Refused as refused:
            add_error(form.name, str(refused))
        else:
            flash(
                _("Passkey “%(name)s” added: you can sign in with it now.", name=passkey.name),
                "success",
            )
            return redirect(url_for("mfa.security"))
    return mfa_routes.security_page(passkey_form=form), INVALID_FORM


@bp.route("/account/passkeys/<int:passkey_id>/remove", methods=["GET", "POST"])
@fresh_login_required
def remove(passkey_id: int) -> Response | tuple[str, int]:
    """Removing a passkey asks for the password again (and a code when two-factor is on)."""
    user = current_user._get_current_object()
    passkey = passkeys.get(user, passkey_id) if possible_id(passkey_id) else None
    if passkey is None:
        abort(404)
    form = RemovePasskeyWithCodeForm() if mfa.is_enabled(user) else RemovePasskeyForm()
    if form.validate_on_submit():
        code = entered(form.code) if isinstance(form, RemovePasskeyWithCodeForm) else None
        name, failed = passkey.name, mfa.reauthenticate(user, entered(form.password), code)
        if failed is None and passkeys.remove(user, passkey_id):
            flash(_("Passkey “%(name)s” removed.", name=name), "info")
            return redirect(url_for("mfa.security"))
        if failed is not None:
            add_error(form[failed], REAUTH_FAILED[failed])
    return render_template("passkeys/remove.html", form=form, passkey=passkey), form_status(form)


def _log_throttled(breached: RequestLimit) -> None:
    scope, window = f"address:{request.remote_addr}", breached.limit.get_expiry()
    accounts.record_throttled("", scope=scope, window_seconds=window)


@bp.post("/auth/passkey/options")
@limiter.limit(lambda: current_app.config["PASSKEY_OPTIONS_RATE_LIMIT"])
def sign_in_options() -> Response:
    return _json(passkeys.sign_in_options())


@bp.post("/auth/passkey")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], on_breach=_log_throttled)
def sign_in() -> Response | tuple[str, int]:
    """The login page's "Sign in with a passkey": no username, no code step after it."""
    next_url = safe_redirect_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form, login_form = PasskeySignInForm(), auth_forms.LoginForm(formdata=None)
    if form.validate_on_submit():
        mfa.cancel_pending()  # a new attempt ends any half-done one
        try:
            user = passkeys.sign_in(entered(form.credential), remember=form.remember.data)
        except passkeys.Refused as refused:
            login_form.form_errors.append(str(refused))
        else:
            flash(_("Signed in as %(username)s.", username=user.username), "success")
            return redirect(next_url)
    else:
        login_form.form_errors.extend(error for errors in form.errors.values() for error in errors)
    return render_template("auth/login.html", form=login_form), INVALID_FORM
