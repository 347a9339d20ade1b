from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug import Response

from app.auth.forms import LoginForm, RegistrationForm
from app.extensions import limiter
from app.forms import rerender_on_csrf_error
from app.redirects import safe_redirect_target
from app.services import accounts, sessions

bp = Blueprint("auth", __name__)

INVALID_FORM = 422
TAKEN_MESSAGES = {
    "username": "That username is taken. Please choose another.",
    "email": "That email address cannot be used. If it is yours, sign in instead.",
}
SIGN_IN_FAILED = "Incorrect username, email or password."


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
@rerender_on_csrf_error
def register() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(form.username.data, form.email.data, form.password.data)
        except accounts.AccountExists as exists:
            getattr(form, exists.field).errors.append(TAKEN_MESSAGES[exists.field])
        else:
            sessions.sign_in(user, remember=False)
            flash(f"Welcome to Inkwell, {user.username}!", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form), _status(form)


def _account_key() -> str:
    return "login:" + accounts.throttle_key(request.form.get("username", ""))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == INVALID_FORM,
)
@rerender_on_csrf_error
def login() -> Response | tuple[str, int]:
    next_url = safe_redirect_target(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            sessions.sign_in(user, remember=form.remember.data)
            flash(f"Signed in as {user.username}.", "success")
            return redirect(next_url)
        form.form_errors.append(SIGN_IN_FAILED)
    return render_template("auth/login.html", form=form), _status(form)


@bp.post("/logout")
def logout() -> Response:
    """POST only, with the CSRF check of every POST; a GET gets the 405 page and changes nothing."""
    sessions.sign_out()
    flash("You have signed out.", "info")
    return redirect(url_for("main.index"))


def _status(form: LoginForm | RegistrationForm) -> int:
    return INVALID_FORM if form.is_submitted() else 200
