from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from werkzeug import Response

from app.forms import add_error, form_status
from app.media.forms import ACCEPT
from app.media.routes import limit_picture_uploads, too_large
from app.models import User
from app.profiles.forms import ProfileForm
from app.services import media, profiles

bp = Blueprint("profiles", __name__)


bp.register_error_handler(413, too_large)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
@limit_picture_uploads
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
                locale=form.locale.data or None,
            )
        except profiles.InvalidProfile as error:
            add_error(form[error.field], str(error))
        else:
            if _save_picture(user, form):
                refresh()  # the flash and the next page in the language just saved
                flash(_("Your profile is saved."), "success")
                return redirect(url_for("profiles.edit"))
    if form.errors and form.chosen_picture is not None and not form.picture.errors:
        add_error(form.picture, _("Nothing was saved: choose the picture again with the fixes."))
    page = render_template("profiles/edit.html", form=form, accept=ACCEPT)
    return page, form_status(form)


def _save_picture(user: User, form: ProfileForm) -> bool:
    """The picture part of a saved profile; False, with the reason on the field, if refused."""
    if form.remove_picture.data:
        media.clear_avatar(user)
    elif form.chosen_picture is not None:
        try:
            media.set_avatar(user, form.chosen_picture)
        except media.UploadRefused as refused:
            add_error(
                form.picture,
                _("The rest is saved, but not this picture: %(reason)s", reason=refused.message),
            )
            return False
    return True


@bp.app_template_filter("initials")
def initials(user: User) -> str:
    return profiles.initials(user.name_shown)


@bp.app_template_filter("avatar_hue")
def avatar_hue(user: User) -> int:
    return profiles.avatar_hue(user.username)
