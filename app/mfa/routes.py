"""``/account/security`` (two-factor enrolment, recovery codes) and the sign-in's code step."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, fresh_login_required
from werkzeug import Response
from werkzeug.exceptions import TooManyRequests

from app.forms import INVALID_FORM, add_error, entered, form_status
from app.lookups import possible_id
from app.mfa.forms import CodeForm, DisableForm, EnrolForm, RegenerateForm
from app.passkeys.forms import AddPasskeyForm
from app.services import accounts, device_cookies, mfa, passkeys, throttle

bp = Blueprint("mfa", __name__)
WRONG_CODE = _l("That code is not right, or was already used. Try the next code your app shows.")


def security_page(
    enrol: EnrolForm | None = None,
    disable: DisableForm | None = None,
    passkey_form: AddPasskeyForm | None = None,
) -> str:
    """The security page: two-factor sign-in, then passkeys (``passkeys/_section.html``)."""
    user = current_user._get_current_object()
    may_add = mfa.may_add_second_factor(user)
    return render_template(
        "mfa/security.html",
        may_add=may_add,
        status=mfa.status(user) if may_add or mfa.is_enabled(user) else None,
        enrol_form=enrol or EnrolForm(formdata=None),
        regenerate_form=RegenerateForm(formdata=None),
        disable_form=disable or DisableForm(formdata=None),
        passkeys=passkeys.passkeys_of(user),
        passkey_form=passkey_form or AddPasskeyForm(formdata=None),
    )


@bp.get("/account/security")
@fresh_login_required
def security() -> str:
    return security_page()


@bp.post("/account/security/enrol")
@fresh_login_required
def enrol() -> Response | tuple[str, int]:
    if not mfa.may_add_second_factor(current_user):
        abort(403, str(mfa.SIGN_IN_WITH_A_FACTOR))
    form = EnrolForm()
    if form.validate_on_submit():
        codes = mfa.confirm_enrolment(current_user._get_current_object(), entered(form.code))
        if codes is not None:
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("mfa/recovery_codes.html", codes=codes), 200
        add_error(form.code, WRONG_CODE)
    return security_page(form), INVALID_FORM


@bp.post("/account/security/recovery-codes")
@fresh_login_required
def regenerate() -> Response | tuple[str, int]:
    user = current_user._get_current_object()
    if RegenerateForm().validate_on_submit() and mfa.is_enabled(user):
        codes = mfa.regenerate_recovery_codes(user)
        return render_template("mfa/recovery_codes.html", codes=codes), 200
    return redirect(url_for("mfa.security"))


@bp.post("/account/security/disable")
@fresh_login_required
def disable() -> Response | tuple[str, int]:
    """Turning two-factor off takes the password and a code (or a recovery code)."""
    user, form = current_user._get_current_object(), DisableForm()
    if form.validate_on_submit() and mfa.is_enabled(user):
        if not accounts.check_password(user, entered(form.password), forgive=False):
            add_error(form.password, _("That password is not correct."))
        elif not mfa.check_code(user, entered(form.code)):
            add_error(form.code, WRONG_CODE)
        else:
            mfa.disable(user)
            flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("mfa.security"))
    return security_page(disable=form), INVALID_FORM


@bp.post("/account/trusted-browsers/<int:browser_id>/revoke")
@fresh_login_required
def revoke_trusted(browser_id: int) -> Response:
    if not possible_id(browser_id) or not mfa.revoke_trusted_browser(current_user, browser_id):
        abort(404)
    flash(_("That browser will be asked for a code again."), "success")
    return redirect(url_for("account.devices_page"))


@bp.route("/auth/two-factor", methods=["GET", "POST"])
def code() -> Response | tuple[str, int]:
    """The second page of a sign-in with two-factor on: nobody is signed in until it passes."""
    row = mfa.pending()
    if row is None:
        flash(_("Please sign in again (that sign-in expired)."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        user, next_url = row.user, row.next_url
        budget = device_cookies.budget_key(user, accounts.throttle_key("", user))
        if wait := throttle.begin_attempt(budget):  # wrong codes spend the sign-in budget
            raise TooManyRequests(retry_after=wait)
        if mfa.complete_sign_in(row, entered(form.code), trust=form.trust.data):
            throttle.forgive(budget)
            flash(_("Signed in as %(username)s.", username=user.username), "success")
            return redirect(next_url)
        add_error(form.code, WRONG_CODE)
    return render_template("mfa/code.html", form=form), form_status(form)
