from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug import Response

from app.forms import Form, add_error, form_status
from app.media.forms import ACCEPT, AvatarForm
from app.models import User
from app.profiles.forms import ProfileForm
from app.services import profiles

bp = Blueprint("profiles", __name__)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit() -> Response | tuple[str, int]:
    """The signed-in member's own profile: the form edits ``current_user`` and no one else."""
    user: User = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            profiles.update_profile(
                user,
                display_name=form.display_name.data or "",
                bio=form.bio.data or "",
                website=form.website.data or "",
                time_zone=form.time_zone.data or "",
            )
        except profiles.InvalidProfile as error:
            add_error(form[error.field], str(error))
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("profiles.edit"))
    page = render_template(
        "profiles/edit.html",
        form=form,
        avatar_form=AvatarForm(formdata=None),
        remove_form=Form(formdata=None),
        accept=ACCEPT,
    )
    return page, form_status(form)


@bp.app_template_filter("initials")
def initials(user: User) -> str:
    return profiles.initials(user.name_shown)


@bp.app_template_filter("avatar_hue")
def avatar_hue(user: User) -> int:
    return profiles.avatar_hue(user.username)
