"""``/admin/settings``: the site's name, tagline, about text and share image (admins only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from app.admin.routes import require_admin
from app.forms import add_error, form_status
from app.models import User
from app.services import sharing, site
from app.site_settings.forms import SiteSettingsForm

bp = Blueprint("site_settings", __name__)
# The admin area's own gate, re-checked on every request: admins only, a fresh sign-in to save.
bp.before_request(require_admin)


@bp.app_context_processor
def inject_site() -> dict[str, object]:
    identity = site.identity()
    return {
        "site": identity,
        "canonical_url": sharing.canonical_url,
        "default_card": sharing.DEFAULT_CARD,
        "post_card": lambda post: (
            sharing.first_image(post.body_html) or identity.image or sharing.DEFAULT_CARD
        ),
    }


@bp.route("/admin/settings", methods=["GET", "POST"])
def edit() -> Response | tuple[str, int]:
    admin: User = current_user._get_current_object()
    row = site.settings_row()
    form = SiteSettingsForm(obj=row, name=site.identity().name)
    choices = site.share_image_choices(admin)
    form.share_image.choices = [("", _("The built-in card"))] + [
        (str(item.id), item.filename) for item in choices
    ]
    if not form.is_submitted() and row is not None:
        form.share_image.data = str(row.share_image_id or "")
    if form.validate_on_submit():
        try:
            changed = site.save(
                admin,
                name=form.name.data or "",
                tagline=form.tagline.data or "",
                about=form.about.data or "",
                share_image=form.share_image.data or "",
            )
        except site.SettingsRefused as refused:
            for field, message in refused.errors.items():
                add_error(form[field], message)
        else:
            flash(_("Settings saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("site_settings.edit"))
    page = render_template("site_settings/edit.html", form=form, images=choices)
    return page, form_status(form)
