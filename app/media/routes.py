from __future__ import annotations

from typing import Any

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
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors.handlers import render_error
from app.extensions import limiter
from app.forms import Form, add_error, form_status
from app.lookups import possible_id
from app.media.forms import ACCEPT, AvatarForm, UploadForm
from app.models import User
from app.services import media, rate_limits
from app.services.images import AVATAR_SIZE
from app.services.submissions import AlreadySubmitted

bp = Blueprint("media", __name__)

# Images never change at an address (the name is the content's hash): keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# An image opened on its own runs nothing, loads nothing, and can be shown by any site (feeds).
IMAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
UPLOAD_ENDPOINTS = frozenset({"media.library", "media.avatar", "profiles.edit"})

# Per member, counting every upload that reached the decoder, kept or refused (a form sent twice
# or to a full library is refused before it and costs nothing); the library, the avatar page and
# the profile form share one budget.
limit_uploads = limiter.shared_limit(
    lambda: current_app.config["MEDIA_RATE_LIMIT"],
    scope="media-upload",
    key_func=rate_limits.member_key,
    methods=["POST"],
    deduct_when=rate_limits.created_or_costly,
)


@bp.app_url_value_preprocessor
def allow_image_uploads(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """The forms with an image (the library, the avatar page, the profile) take bodies up to
    MEDIA_MAX_UPLOAD_BYTES, every other form 1 MiB.

    Set here because Flask runs URL preprocessors before any ``before_request`` hook, and the
    CSRF check (one of those) reads the body.
    """
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["MEDIA_MAX_UPLOAD_BYTES"]


@bp.app_context_processor
def upload_limit() -> dict[str, str]:
    """``upload_limit``: the largest image file, as the upload forms' hints say it."""
    return {"upload_limit": media.format_bytes(current_app.config["MEDIA_MAX_UPLOAD_BYTES"])}


# The profile form also takes a picture: its uploads share the budget, and saving the rest of
# the profile never waits for it (a POST without a picture is not limited).
limit_picture_uploads = limiter.shared_limit(
    lambda: current_app.config["MEDIA_RATE_LIMIT"],
    scope="media-upload",
    key_func=rate_limits.member_key,
    methods=["POST"],
    exempt_when=lambda: not getattr(request.files.get("picture"), "filename", ""),
    deduct_when=rate_limits.created_or_costly,
)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    limit = media.format_bytes(current_app.config["MEDIA_MAX_UPLOAD_BYTES"])
    return render_error(
        413,
        _(
            "That file is larger than this site accepts (%(limit)s at most). Save the image at a "
            "smaller size or lower quality, then upload the new file.",
            limit=limit,
        ),
    )


@bp.route("/media", methods=["GET", "POST"])
@login_required
@limit_uploads
def library() -> Response | tuple[str, int]:
    form = UploadForm()
    if form.validate_on_submit():
        try:
            kept = media.upload(
                current_user, form.image.data, submission=form.submission_token.data
            )
        except AlreadySubmitted as earlier:
            rate_limits.nothing_created()
            return redirect(earlier.location)
        except media.UploadRefused as refused:
            add_error(form.image, refused.message)
        else:
            flash(_uploaded_message(kept), "success")
            return redirect(url_for("media.library", _anchor=kept.item.name))
    return _library_page(form), form_status(form)


def _uploaded_message(kept: media.Uploaded) -> str:
    address = f"/media/{kept.item.filename}"
    if kept.still_of_animation:
        return _(
            "Image uploaded. Its address: %(address)s — a still of its first frame: animations"
            " are not kept.",
            address=address,
        )
    return _("Image uploaded. Its address: %(address)s", address=address)


def _library_page(form: UploadForm) -> str:
    return render_template(
        "media/library.html",
        form=form,
        library=media.library(current_user),
        delete_form=Form(formdata=None),
        accept=ACCEPT,
        format_bytes=media.format_bytes,
        format_decimal=format_decimal,
    )


@bp.post("/media/<int:item_id>/delete")
@login_required
def delete(item_id: int) -> Response:
    item = media.owned_item(current_user, item_id) if possible_id(item_id) else None
    if item is None:
        abort(404)
    try:
        media.delete_item(item)
    except media.ImageInUse as in_use:
        flash(in_use.message, "error")
    else:
        flash(_("Image deleted."), "info")
    return redirect(url_for("media.library"))


@bp.get("/media/<filename>")
def file(filename: str) -> Response:
    """A stored image, the same for everyone: never asks who is signed in, writes nothing."""
    stored = media.parse_filename(filename)
    data = media.file_bytes(stored) if stored else None
    if stored is None or data is None:
        return Response("There is no image at this address.", 404, mimetype="text/plain")
    response = Response(data, mimetype=stored.content_type)
    response.headers.update(IMAGE_HEADERS)
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(stored.etag)
    return response.make_conditional(request)


@bp.route("/account/avatar", methods=["GET", "POST"])
@login_required
@limit_uploads
def avatar() -> Response | tuple[str, int]:
    form = AvatarForm()
    if form.validate_on_submit():
        try:
            media.set_avatar(current_user, form.image.data)
        except media.UploadRefused as refused:
            add_error(form.image, refused.message)
        else:
            flash(_("Your picture is saved."), "success")
            return redirect(url_for("profiles.edit"))
    page = render_template(
        "media/avatar.html",
        form=form,
        remove_form=Form(formdata=None),
        accept=ACCEPT,
    )
    return page, form_status(form)


@bp.post("/account/avatar/remove")
@login_required
def remove_avatar() -> Response:
    media.clear_avatar(current_user)
    flash(_("Your picture is removed."), "info")
    return redirect(url_for("profiles.edit"))


@bp.app_template_global("avatar_url")
def avatar_url(user: User, size: int = AVATAR_SIZE) -> str | None:
    """``{{ avatar_url(user, 64) }}``: the address of a member's picture, None without one."""
    return media.url_for_avatar(user, size)
