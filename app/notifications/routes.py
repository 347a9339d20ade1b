from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response

from app.extensions import csrf
from app.forms import form_status
from app.notifications.forms import NotificationSettingsForm
from app.services import notifications, tokens

bp = Blueprint("notifications", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings() -> Response | tuple[str, int]:
    form = NotificationSettingsForm()
    if not form.is_submitted():
        form.comments.data = current_user.notify_comments
        form.replies.data = current_user.notify_replies
    if form.validate_on_submit():
        notifications.save_settings(
            current_user, comments=bool(form.comments.data), replies=bool(form.replies.data)
        )
        flash(_("Notification settings saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form), form_status(form)


# The signed token is the authority here, not a session: mail providers send RFC 8058's
# one-click POST with no cookie and no CSRF token, and the token only turns off one kind of mail
# for the member it was made for. A GET (a link scanner, a preview) only asks to confirm.
@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> tuple[str, int]:
    found = tokens.unsubscribe_for_token(token)
    topic = notifications.topic_named(found[1]) if found else None
    if found is None or topic is None:
        return render_template("notifications/unsubscribe_invalid.html"), 400
    user = found[0]
    if request.method == "POST":
        notifications.unsubscribe(user, topic)
    return render_template(
        "notifications/unsubscribe.html", user=user, topic=topic, done=request.method == "POST"
    ), 200
