from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, fresh_login_required, login_required
from werkzeug import Response

from app.auth.forms import ChangePasswordForm
from app.forms import rerender_on_csrf_error
from app.models import EventType
from app.services import accounts, devices, events, sessions

bp = Blueprint("account", __name__)

INVALID_FORM = 422
MAX_ID = 2**63 - 1


@bp.get("/")
@login_required
def index() -> Response:
    return redirect(url_for("account.devices_page"))


@bp.route("/password", methods=["GET", "POST"])
@fresh_login_required
@rerender_on_csrf_error
def password() -> Response | tuple[str, int]:
    form = ChangePasswordForm()
    form.user = current_user
    if form.validate_on_submit():
        if accounts.check_password(current_user, form.current_password.data):
            accounts.change_password(current_user, form.password.data)
            flash("Password changed. Every other device has been signed out.", "success")
            return redirect(url_for("account.devices_page"))
        form.current_password.errors.append("That is not your current password.")
    status = INVALID_FORM if form.is_submitted() else 200
    return render_template("account/password.html", form=form), status


@bp.get("/sessions")
@login_required
def devices_page() -> str:
    return render_template(
        "account/sessions.html",
        sessions=sessions.active_sessions(current_user),
        is_current=sessions.is_current,
        describe=devices.describe,
        sign_ins=events.recent_sign_ins(current_user),
        EventType=EventType,
    )


@bp.post("/sessions/<int:session_id>/revoke")
@fresh_login_required
def revoke(session_id: int) -> Response:
    current = sessions.current_session_record()
    if current is not None and current.id == session_id:
        sessions.sign_out()
        flash("You have signed out.", "info")
        return redirect(url_for("main.index"))
    if session_id > MAX_ID or not sessions.revoke(current_user, session_id):
        abort(404)
    flash("That device has been signed out.", "success")
    return redirect(url_for("account.devices_page"))


@bp.post("/sessions/revoke-others")
@fresh_login_required
def revoke_others() -> Response:
    count = sessions.revoke_all(current_user, except_current=True)
    events.record(EventType.OTHER_SESSIONS_REVOKED, user=current_user, actor=current_user)
    flash(f"Signed out everywhere else ({count} session{'' if count == 1 else 's'}).", "success")
    return redirect(url_for("account.devices_page"))
