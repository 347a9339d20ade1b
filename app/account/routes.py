from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, fresh_login_required, login_required
from werkzeug import Response

from app.auth.forms import ChangeEmailForm, ChangePasswordForm, DeleteAccountForm
from app.extensions import limiter
from app.forms import INVALID_FORM, Form, add_error, entered, form_status
from app.lookups import possible_id
from app.models import EventType
from app.pagination import paginate
from app.services import accounts, devices, events, mfa, posts, sessions, tokens
from app.timezones import local_label, member_zone

bp = Blueprint("account", __name__)


@bp.get("/")
@login_required
def index() -> Response:
    return redirect(url_for("account.devices_page"))


@bp.get("/posts")
@login_required
def my_posts() -> str:
    """The member's own posts, whatever their status: nobody else's, ever."""
    return render_template(
        "account/posts.html",
        page=paginate(posts.written_by(current_user)),
        zone=member_zone(current_user),
        local_label=local_label,
    )


@bp.route("/password", methods=["GET", "POST"])
@fresh_login_required
def password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    form.user = current_user
    if form.validate_on_submit():
        if accounts.check_password(current_user, entered(form.current_password)):
            accounts.change_password(current_user, entered(form.password))
            flash(_("Password changed. Every other device has been signed out."), "success")
            return redirect(url_for("account.devices_page"))
        add_error(form.current_password, _("That is not your current password."))
    return render_template("account/password.html", form=form), form_status(form)


@bp.get("/sessions")
@login_required
def devices_page() -> str:
    return _account_page(DeleteAccountForm(formdata=None))


def _account_page(delete_form: DeleteAccountForm) -> str:
    return render_template(
        "account/sessions.html",
        sessions=sessions.active_sessions(current_user),
        is_current=sessions.is_current,
        describe=devices.describe,
        sign_ins=events.recent_sign_ins(current_user),
        trusted=mfa.trusted_browsers(current_user),
        EventType=EventType,
        delete_form=delete_form,
        zone=member_zone(current_user),
    )


@bp.post("/sessions/<int:session_id>/revoke")
@fresh_login_required
def revoke(session_id: int) -> Response:
    current = sessions.current_sign_in()
    if current is not None and current.id == session_id:
        sessions.sign_out()
        flash(_("You have signed out."), "info")
        return redirect(url_for("main.index"))
    if not possible_id(session_id) or not sessions.revoke(current_user, session_id):
        abort(404)
    flash(_("That device has been signed out."), "success")
    return redirect(url_for("account.devices_page"))


@bp.post("/sessions/revoke-others")
@fresh_login_required
def revoke_others() -> Response:
    count = sessions.revoke_others(current_user)
    flash(
        ngettext(
            "Signed out everywhere else (%(num)d session).",
            "Signed out everywhere else (%(num)d sessions).",
            count,
        ),
        "success",
    )
    return redirect(url_for("account.devices_page"))


EMAIL_SENT = _l(
    "If that address is free, a confirmation link is on its way to it. "
    "Your email changes once you open the link (within 24 hours)."
)


# The form asks for the current password too (ASVS V7.5.1), on top of a fresh sign-in.
@bp.route("/email", methods=["GET", "POST"])
@fresh_login_required
# Each request mails a chosen address: limited like reset requests, so it relays no spam.
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def email() -> Response | tuple[str, int]:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if accounts.check_password(current_user, entered(form.current_password)):
            accounts.request_email_change(current_user, entered(form.email))
            flash(EMAIL_SENT, "info")
            return redirect(url_for("account.devices_page"))
        add_error(form.current_password, _("That is not your current password."))
    return render_template("account/email.html", form=form), form_status(form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Response | tuple[str, int]:
    """GET shows the change; only the POST (with CSRF) applies it."""
    change = tokens.email_change_for_token(token)
    if change is None:
        return render_template("account/email_invalid.html"), 400
    user, new_email = change
    form = Form()
    if form.validate_on_submit():
        try:
            accounts.change_email(user, new_email)
        except accounts.AccountExists:
            return render_template("account/email_invalid.html"), 409
        flash(_("Your email address is now %(email)s.", email=new_email), "success")
        return redirect(url_for("main.index"))
    return render_template(
        "account/email_confirm.html", form=form, user=user, new_email=new_email
    ), 200


@bp.post("/delete")
@fresh_login_required
def delete() -> Response | tuple[str, int]:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if accounts.check_password(current_user, entered(form.password)):
            accounts.delete_account(current_user._get_current_object())
            sessions.end_browser_session()
            flash(_("Your account and everything you wrote have been deleted."), "info")
            return redirect(url_for("main.index"))
        add_error(form.password, _("That password is not correct; nothing was deleted."))
    return _account_page(form), INVALID_FORM
