"""The admin area: dashboard, users, posts, comments and the audit log.

Each view reads its filters, asks ``app/services/admin.py`` (queries and actions) and renders.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_fresh
from werkzeug import Response as BaseResponse

from app.admin import labels
from app.admin.spreadsheet import csv_lines
from app.auth.decorators import admin_required
from app.extensions import login_manager
from app.lookups import get_or_404
from app.models import Comment, EventType, OutboxMessage, Post, User
from app.pagination import paginate
from app.services import admin, mail_delivery, mfa, passkeys, throttle
from app.services import posts as posts_service

bp = Blueprint("admin", __name__)

PER_PAGE = 25
DONE = {
    "deactivate": _l("%(name)s is deactivated and signed out everywhere."),
    "activate": _l("%(name)s can sign in again."),
    "make-admin": _l("%(name)s is now an admin."),
    "remove-admin": _l("%(name)s is no longer an admin."),
    "unlock": _l("%(name)s may try to sign in again."),
    "revoke-sessions": _l("%(name)s is signed out everywhere."),
}


@bp.context_processor
def admin_labels() -> dict[str, object]:
    """The translated names of the values the admin pages list (app/admin/labels.py)."""
    return {"labels": labels, "event_label": labels.event_label}


@bp.before_request
@admin_required
def require_admin() -> BaseResponse | None:
    """Every admin route, including ones added later: admins only, and a fresh sign-in to act."""
    if request.method == "POST" and not login_fresh():
        return login_manager.needs_refresh()
    if current_app.config["REQUIRE_ADMIN_2FA"] and not mfa.admits_to_admin_pages():
        if mfa.has_second_factor(current_user):
            flash(
                _("Sign in with your passkey, or your password and a code, to use the admin pages.")
            )
        else:
            flash(_("Turn on two-factor sign-in before using the admin pages."), "info")
        return redirect(url_for("mfa.security"))
    return None


@bp.get("/")
def dashboard() -> str:
    return render_template(
        "admin/dashboard.html",
        counts=admin.dashboard_counts(),
        latest=admin.latest_events(),
        mail=mail_delivery.backlog(),
        failed_mail=admin.failed_mail(),
    )


@bp.post("/mail/<int:message_id>/retry")
def retry_mail(message_id: int) -> BaseResponse:
    message = get_or_404(OutboxMessage, message_id)
    try:
        admin.retry_mail(current_user._get_current_object(), message)
    except admin.AdminActionRefused as refused:
        abort(409, str(refused))
    flash(_("The message to %(address)s is queued again.", address=message.recipient), "success")
    return redirect(url_for("admin.dashboard"))


# Users -----------------------------------------------------------------------------------------


def _text_arg(name: str, default: str = "") -> str:
    """A query-string value as typed into a filter box (trimmed, at most 100 characters)."""
    return request.args.get(name, default)[:100].strip()


@bp.get("/users")
def users() -> str:
    query, sort = _text_arg("q"), request.args.get("sort", "created")
    descending = request.args.get("dir", "desc") != "asc"
    page = paginate(admin.find_users(query, sort, descending), PER_PAGE)
    return render_template(
        "admin/users.html",
        page=page,
        query=query,
        sort=sort,
        direction="desc" if descending else "asc",
    )


USER_ACTION = "any(deactivate, activate, 'make-admin', 'remove-admin', unlock, 'revoke-sessions')"


@bp.get("/users/<int:user_id>/deactivate")
def confirm_deactivate(user_id: int) -> str:
    target = get_or_404(User, user_id)
    return render_template(
        "admin/deactivate.html", target=target, footprint=admin.footprint(target)
    )


@bp.post(f"/users/<int:user_id>/<{USER_ACTION}:action>")
def user_action(user_id: int, action: str) -> BaseResponse:
    target = get_or_404(User, user_id)
    try:
        outcome = admin.USER_ACTIONS[action](current_user._get_current_object(), target)
    except admin.AdminActionRefused as refused:
        abort(409, str(refused))
    message = DONE[action] % {"name": target.username}
    if outcome is throttle.Unlocked.CLEARED_HERE:
        message = _(
            "%(name)s may try to sign in again (in this server process only: without REDIS_URL"
            " each keeps its own count).",
            name=target.username,
        )
    flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.get("/users/<int:user_id>/reset-two-factor")
def confirm_reset_two_factor(user_id: int) -> str:
    target = get_or_404(User, user_id)
    return render_template(
        "admin/reset_two_factor.html",
        target=target,
        enabled=mfa.is_enabled(target),
        passkeys=len(passkeys.passkeys_of(target)),
    )


@bp.post("/users/<int:user_id>/reset-two-factor")
def reset_two_factor(user_id: int) -> BaseResponse:
    """A member who lost their phone and recovery codes signs in with the password again."""
    target = get_or_404(User, user_id)
    if mfa.admin_reset(current_user._get_current_object(), target):
        flash(
            _(
                "Two-factor sign-in of %(username)s is off; they were told by mail.",
                username=target.username,
            ),
            "success",
        )
    else:
        flash(_("%(username)s had no two-factor sign-in.", username=target.username), "info")
    return redirect(url_for("admin.users"))


# Posts and comments ----------------------------------------------------------------------------


@bp.get("/posts")
def posts() -> str:
    status, author = request.args.get("status", ""), _text_arg("author")
    page = paginate(admin.find_posts(status, author), PER_PAGE)
    return render_template("admin/posts.html", page=page, status=status, author=author)


@bp.get("/posts/<int:post_id>/<any(unpublish, delete):action>")
def confirm_post_action(post_id: int, action: str) -> str:
    post = admin.post_with_author(post_id) or abort(404)
    comments = posts_service.comment_count(post)
    return render_template(f"admin/{action}_post.html", post=post, comments=comments)


@bp.post("/posts/<int:post_id>/<any(unpublish, delete):action>")
def post_action(post_id: int, action: str) -> BaseResponse:
    post = get_or_404(Post, post_id)
    title = post.title
    if action == "unpublish":
        admin.unpublish(current_user._get_current_object(), post)
        flash(_("“%(title)s” is a draft again.", title=title), "success")
    else:
        admin.delete_post(current_user._get_current_object(), post)
        flash(_("“%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("admin.posts"))


@bp.get("/comments")
def comments() -> str:
    shown = request.args.get("show", "all")
    page = paginate(admin.find_comments(shown), PER_PAGE)
    return render_template("admin/comments.html", page=page, shown=shown)


@bp.get("/comments/<int:comment_id>/delete")
def confirm_delete_comment(comment_id: int) -> str:
    comment = posts_service.comment_by_id(comment_id) or abort(404)
    replies = posts_service.reply_count(comment)
    return render_template("admin/delete_comment.html", comment=comment, replies=replies)


@bp.post("/comments/<int:comment_id>/<any(hide, unhide, delete):action>")
def comment_action(comment_id: int, action: str) -> BaseResponse:
    comment = get_or_404(Comment, comment_id)
    actor = current_user._get_current_object()
    if action == "delete":
        admin.delete_comment(actor, comment)
        flash(_("Comment deleted."), "success")
    else:
        admin.set_comment_hidden(actor, comment, hidden=action == "hide")
        flash(_("Comment hidden.") if action == "hide" else _("Comment shown again."), "success")
    return redirect(url_for("admin.comments"))


# Audit log -------------------------------------------------------------------------------------


def _audit_filters() -> dict[str, str]:
    return {key: _text_arg(key) for key in admin.AUDIT_FILTERS}


@bp.get("/audit")
def audit() -> str:
    filters = _audit_filters()
    page = paginate(admin.find_events(filters), PER_PAGE)
    return render_template(
        "admin/audit.html", page=page, filters=filters, types=[event.value for event in EventType]
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    rows = admin.audit_rows(admin.find_events(_audit_filters()))
    response = Response(stream_with_context(csv_lines(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=inkwell-audit.csv"
    return response
