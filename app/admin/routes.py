"""The admin area: dashboard, users, posts, comments and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_fresh
from werkzeug import Response as BaseResponse

from app.admin.spreadsheet import csv_lines
from app.auth.decorators import admin_required
from app.extensions import db, login_manager
from app.models import Comment, EventType, OutboxMessage, Post, PostStatus, SecurityEvent, User
from app.pagination import paginate
from app.services import admin, mail, mail_delivery, throttle

bp = Blueprint("admin", __name__)
Found = TypeVar("Found", User, Post, Comment, OutboxMessage)

PER_PAGE = 25
MAX_ID = 2**63 - 1
CSV_LIMIT = 50_000
USER_SORTS = {
    "username": User.username_key,
    "created": User.created_at,
    "last-sign-in": User.last_login_at,
}
DONE = {
    "deactivate": "{name} is deactivated and signed out everywhere.",
    "activate": "{name} can sign in again.",
    "make-admin": "{name} is now an admin.",
    "remove-admin": "{name} is no longer an admin.",
    "unlock": "{name} may try to sign in again.",
    "revoke-sessions": "{name} is signed out everywhere.",
}


@bp.before_request
@admin_required
def require_admin() -> BaseResponse | None:
    """Every admin route, including ones added later: admins only, and a fresh sign-in to act."""
    if request.method == "POST" and not login_fresh():
        return login_manager.needs_refresh()
    return None


def _get_or_404(model: type[Found], object_id: int) -> Found:
    found = db.session.get(model, object_id) if object_id <= MAX_ID else None
    if found is None:
        abort(404)
    return found


@bp.get("/")
def dashboard() -> str:
    latest = db.session.scalars(
        sa.select(SecurityEvent)
        .options(so.joinedload(SecurityEvent.user), so.joinedload(SecurityEvent.actor))
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
        .limit(10)
    )
    return render_template(
        "admin/dashboard.html",
        counts=admin.dashboard_counts(),
        latest=latest,
        mail=mail_delivery.backlog(),
        failed_mail=admin.failed_mail(),
        mail_subjects=mail.SUBJECTS,
    )


@bp.post("/mail/<int:message_id>/retry")
def retry_mail(message_id: int) -> BaseResponse:
    message = _get_or_404(OutboxMessage, message_id)
    try:
        admin.retry_mail(current_user._get_current_object(), message)
    except admin.AdminActionRefused as refused:
        abort(409, str(refused))
    flash(f"The message to {message.recipient} is queued again.", "success")
    return redirect(url_for("admin.dashboard"))


# Users -----------------------------------------------------------------------------------------


@bp.get("/users")
def users() -> str:
    query = request.args.get("q", "")[:100].strip()
    sort = request.args.get("sort", "created")
    if sort not in USER_SORTS:
        abort(400, "Sort by username, created or last-sign-in.")
    descending = request.args.get("dir", "desc") != "asc"
    column = USER_SORTS[sort]
    statement = sa.select(User).order_by(
        (column.desc() if descending else column.asc()).nulls_last(), User.id
    )
    if query:
        pattern = (
            "%"
            + query.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        statement = statement.where(
            sa.or_(
                User.username_key.like(pattern, escape="\\"),
                User.email_key.like(pattern, escape="\\"),
            )
        )
    page = paginate(statement, PER_PAGE)
    return render_template(
        "admin/users.html",
        page=page,
        query=query,
        sort=sort,
        direction="desc" if descending else "asc",
    )


USER_ACTION = "any(deactivate, activate, 'make-admin', 'remove-admin', unlock, 'revoke-sessions')"


@bp.post(f"/users/<int:user_id>/<{USER_ACTION}:action>")
def user_action(user_id: int, action: str) -> BaseResponse:
    target = _get_or_404(User, user_id)
    try:
        outcome = admin.USER_ACTIONS[action](current_user._get_current_object(), target)
    except admin.AdminActionRefused as refused:
        abort(409, str(refused))
    message = DONE[action].format(name=target.username)
    if outcome is throttle.Unlocked.CLEARED_HERE:
        message += " (In this server process only: without REDIS_URL each keeps its own count.)"
    flash(message, "success")
    return redirect(url_for("admin.users"))


# Posts and comments ----------------------------------------------------------------------------


@bp.get("/posts")
def posts() -> str:
    status = request.args.get("status", "")
    author = request.args.get("author", "")[:100].strip()
    statement = (
        sa.select(Post)
        .options(so.joinedload(Post.author))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    if status:
        if status not in {s.value for s in PostStatus}:
            abort(400, "Filter by status draft or published.")
        statement = statement.where(Post.status == status)
    if author:
        statement = statement.where(Post.author.has(User.username_key == author.casefold()))
    page = paginate(statement, PER_PAGE)
    return render_template("admin/posts.html", page=page, status=status, author=author)


@bp.post("/posts/<int:post_id>/<any(unpublish, delete):action>")
def post_action(post_id: int, action: str) -> BaseResponse:
    post = _get_or_404(Post, post_id)
    title = post.title
    if action == "unpublish":
        admin.unpublish(current_user._get_current_object(), post)
        flash(f"“{title}” is a draft again.", "success")
    else:
        admin.delete_post(current_user._get_current_object(), post)
        flash(f"“{title}” is deleted.", "success")
    return redirect(url_for("admin.posts"))


@bp.get("/comments")
def comments() -> str:
    shown = request.args.get("show", "all")
    statement = (
        sa.select(Comment)
        .options(so.joinedload(Comment.author), so.joinedload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    if shown == "hidden":
        statement = statement.where(Comment.is_hidden)
    elif shown == "visible":
        statement = statement.where(sa.not_(Comment.is_hidden))
    elif shown != "all":
        abort(400, "Show all, visible or hidden comments.")
    page = paginate(statement, PER_PAGE)
    return render_template("admin/comments.html", page=page, shown=shown)


@bp.post("/comments/<int:comment_id>/<any(hide, unhide, delete):action>")
def comment_action(comment_id: int, action: str) -> BaseResponse:
    comment = _get_or_404(Comment, comment_id)
    actor = current_user._get_current_object()
    if action == "delete":
        admin.delete_comment(actor, comment)
        flash("Comment deleted.", "success")
    else:
        admin.set_comment_hidden(actor, comment, hidden=action == "hide")
        flash("Comment hidden." if action == "hide" else "Comment shown again.", "success")
    return redirect(url_for("admin.comments"))


# Audit log -------------------------------------------------------------------------------------


def _audit_query() -> tuple[sa.Select[tuple[SecurityEvent]], dict[str, str]]:
    """The event log filtered by ?user=, ?type=, ?from=, ?to= (dates as YYYY-MM-DD, UTC)."""
    filters = {
        key: request.args.get(key, "")[:100].strip() for key in ("user", "type", "from", "to")
    }
    statement = (
        sa.select(SecurityEvent)
        .options(so.joinedload(SecurityEvent.user), so.joinedload(SecurityEvent.actor))
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
    )
    if filters["user"]:
        key = filters["user"].casefold()
        statement = statement.where(
            sa.or_(
                SecurityEvent.user.has(User.username_key == key),
                SecurityEvent.actor.has(User.username_key == key),
                sa.func.lower(SecurityEvent.identifier) == key,
            )
        )
    if filters["type"]:
        if filters["type"] not in {event.value for event in EventType}:
            abort(400, "That is not a known event type.")
        statement = statement.where(SecurityEvent.type == filters["type"])
    for name, bound in (
        ("from", SecurityEvent.created_at.__ge__),
        ("to", SecurityEvent.created_at.__lt__),
    ):
        if filters[name]:
            try:
                day = date.fromisoformat(filters[name])
            except ValueError:
                abort(400, "Write dates as YYYY-MM-DD, for example 2026-11-23.")
            start = datetime.combine(day, time.min, tzinfo=UTC)
            statement = statement.where(
                bound(start if name == "from" else start + timedelta(days=1))
            )
    return statement, filters


@bp.get("/audit")
def audit() -> str:
    statement, filters = _audit_query()
    page = paginate(statement, PER_PAGE)
    return render_template(
        "admin/audit.html", page=page, filters=filters, types=[event.value for event in EventType]
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    statement, _filters = _audit_query()

    def rows() -> Iterator[list[str]]:
        yield ["time", "event", "user", "actor", "identifier", "ip", "user_agent"]
        for event in db.session.scalars(statement.limit(CSV_LIMIT)):
            yield [
                event.created_at.isoformat(),
                event.type,
                event.user.username if event.user else "",
                event.actor.username if event.actor else "",
                event.identifier or "",
                event.ip_address or "",
                event.user_agent or "",
            ]

    response = Response(stream_with_context(csv_lines(rows())), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=inkwell-audit.csv"
    return response
