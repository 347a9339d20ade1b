from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response

from app.extensions import limiter
from app.forms import INVALID_FORM, entered, form_status
from app.models import Comment, Post, User, utcnow
from app.posts import shared
from app.posts.forms import CANNOT_REPLY, REPLY_GONE, CommentForm, NewPostForm, PostForm
from app.services import posts, rate_limits, sharing, submissions, tags
from app.services.markdown import linkify_text
from app.services.submissions import AlreadySubmitted
from app.timezones import local_label, member_zone

bp = Blueprint("posts", __name__)
# Comments are plain text: escaped, with their bare addresses as links.
bp.add_app_template_filter(linkify_text, "linkify")
bp.add_app_template_global(sharing.blog_posting, "blog_posting")


# The editor's body may hold BODY_MAX characters of any script: up to 4 bytes each in UTF-8, and
# three characters a byte once form-encoded (%F0%9F%98%80), so 1 MiB would refuse a body within
# the limit with a bare 413 before the form could say anything. Every other form keeps 1 MiB.
EDITOR_MAX_REQUEST_BYTES = 2 * 1024 * 1024
EDITOR_ENDPOINTS = frozenset({"posts.new", "posts.edit"})


@bp.url_value_preprocessor
def allow_long_posts(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Set before the CSRF check reads the body (URL preprocessors run first)."""
    if endpoint in EDITOR_ENDPOINTS:
        request.max_content_length = EDITOR_MAX_REQUEST_BYTES


def _viewer() -> User | None:
    viewer: User | None = current_user if current_user.is_authenticated else None
    return viewer


def _post_or_404(slug: str) -> Post:
    """The post if this visitor may see it; drafts of others are a 404, as if absent."""
    post = posts.post_by_slug(slug)
    if post is None or not posts.can_view(_viewer(), post):
        abort(404)
    return post


def _editable_post_or_404(slug: str) -> Post:
    post = _post_or_404(slug)
    if not posts.can_edit(current_user, post):
        abort(403)
    return post


# Per member, counting only what was created (a form shown again with errors costs nothing).
limit_posts = limiter.limit(
    lambda: current_app.config["POST_RATE_LIMIT"],
    key_func=rate_limits.member_key,
    methods=["POST"],
    deduct_when=rate_limits.created,
)
limit_comments = limiter.limit(
    lambda: current_app.config["COMMENT_RATE_LIMIT"],
    key_func=rate_limits.member_key,
    methods=["POST"],
    deduct_when=rate_limits.created,
)


@bp.route("/posts/new", methods=["GET", "POST"])
@login_required
@limit_posts
def new() -> Response | tuple[str, int]:
    form = NewPostForm()
    form.prepare(None, member_zone(current_user), fill=False)
    if form.validate_on_submit() and not form.preview.data:
        status, publish_at = form.publication()
        try:
            post = posts.create_post(
                current_user,
                title=entered(form.title),
                body=entered(form.body),
                summary=form.summary.data,
                tags=tags.parse_tags(form.tags.data or ""),
                status=status,
                publish_at=publish_at,
                submission=form.submission_token.data,
            )
        except AlreadySubmitted as earlier:
            rate_limits.nothing_created()
            return redirect(earlier.location)
        flash(
            *_saved(post, _("Your post is published.") if post.is_published else _("Draft saved."))
        )
        return redirect(url_for("posts.show", slug=post.slug))
    return _editor(form, post=None)


def _editor(form: PostForm, post: Post | None) -> tuple[str, int]:
    """The editor again: with its errors, or with the preview that was asked for."""
    preview = posts.preview(entered(form.body)) if form.preview.data and not form.errors else None
    excerpt = None if preview is None else posts.excerpt_of(preview, form.summary.data)
    page = render_template(
        "posts/edit.html", form=form, post=post, preview=preview, preview_excerpt=excerpt
    )
    return page, 200 if preview is not None else form_status(form)


@bp.get("/posts/<slug>")
def show(slug: str) -> str:
    page = shared.page_of(slug, _viewer())
    reply_to = request.args.get("reply_to", type=int)  # "Reply" links add ?reply_to=<id>#reply
    if not current_user.is_authenticated or reply_to is None:
        # Only members get a form (it puts a CSRF token in the session); a blank one is written
        # out by the template, as building a CommentForm cost a fifth of the page.
        return _post_page(page, None)
    form = CommentForm(formdata=None)
    form.reply_to.data = reply_to
    return _post_page(page, form)


def _post_page(page: shared.PostPage, comment_form: CommentForm | None) -> str:
    """The shared pieces of the page with this reader's own parts (posts/show.html)."""
    viewer = _viewer()
    return render_template(
        "posts/show.html",
        page=page,
        comment_form=comment_form,
        submission_token=submissions.new_token() if comment_form is None and viewer else None,
        replying_to=_reply_target(page, comment_form),
        can_edit=posts.is_author_or_admin(viewer, page.author_id),
        publishes=_publication_time(page.published_at) if page.is_scheduled else None,
    )


def _publication_time(published_at: datetime | None) -> str:
    """When a scheduled post becomes public, in the zone of the member looking at it."""
    return local_label(published_at or utcnow(), member_zone(current_user))


def _saved(post: Post, message: str) -> tuple[str, str]:
    """The flash after saving: ``message``, or when a scheduled post will be published."""
    if post.is_scheduled:
        return _(
            "Scheduled: it will be published on %(when)s.",
            when=_publication_time(post.published_at),
        ), "success"
    return message, "success"


def _reply_target(page: shared.PostPage, form: CommentForm | None) -> shared.CommentShown | None:
    """The shown comment the form answers; if it is not shown, the form is for a new comment."""
    if form is None or (form.reply_to.data is None and not any(form.reply_to.raw_data or [])):
        return None
    target = page.comment(form.reply_to.data)
    if target is None:
        _forget_reply(form, CANNOT_REPLY if form.is_submitted() else REPLY_GONE)
        return None
    form.body.label.text = _("Your reply to %(name)s", name=target.username)
    if target.parent_id is not None and not form.body.data:
        form.body.data = f"@{target.username} "  # a reply to a reply joins its thread
    return target


def _forget_reply(form: CommentForm, message: str) -> None:
    form.reply_to.data, form.reply_to.raw_data = None, []
    form.form_errors.append(str(message))


@bp.route("/posts/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> Response | tuple[str, int]:
    post = _editable_post_or_404(slug)
    form = PostForm(obj=post if request.method == "GET" else None)
    form.prepare(post, member_zone(current_user), fill=request.method == "GET")
    if form.validate_on_submit() and not form.preview.data:
        status, publish_at = form.publication()
        posts.update_post(
            post,
            title=entered(form.title),
            body=entered(form.body),
            summary=form.summary.data,
            tags=tags.parse_tags(form.tags.data or ""),
            status=status,
            publish_at=publish_at,
        )
        flash(*_saved(post, _("Post updated.")))
        return redirect(url_for("posts.show", slug=post.slug))
    return _editor(form, post)


@bp.get("/posts/<slug>/delete")
@login_required
def confirm_delete(slug: str) -> str:
    post = _editable_post_or_404(slug)
    return render_template("posts/delete.html", post=post, comments=posts.comment_count(post))


@bp.post("/posts/<slug>/delete")
@login_required
def delete(slug: str) -> Response:
    post = _editable_post_or_404(slug)
    posts.delete_post(post)
    flash(_("Post deleted."), "info")
    return redirect(url_for("main.index"))


@bp.post("/posts/<slug>/comments")
@login_required
@limit_comments
def comment(slug: str) -> Response | tuple[str, int]:
    post = _post_or_404(slug)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            added = posts.add_comment(
                post,
                current_user,
                entered(form.body),
                reply_to=form.reply_to.data,
                submission=form.submission_token.data,
            )
        except AlreadySubmitted as earlier:
            rate_limits.nothing_created()
            return redirect(earlier.location)
        except posts.CannotReply:
            _forget_reply(form, CANNOT_REPLY)
            return _post_page(shared.page_of(slug, current_user, post), form), INVALID_FORM
        flash(_("Reply posted.") if added.parent_id else _("Comment posted."), "success")
        return redirect(url_for("posts.show", slug=post.slug, _anchor=f"comment-{added.id}"))
    return _post_page(shared.page_of(slug, current_user, post), form), INVALID_FORM


def _deletable_comment_or_404(comment_id: int) -> Comment:
    """The comment if this member may delete it; on a post they cannot see, a 404."""
    found = posts.comment_by_id(comment_id)
    if found is None or not posts.can_view(current_user, found.post):
        abort(404)
    if not posts.can_delete_comment(current_user, found):
        abort(403)
    return found


@bp.get("/comments/<int:comment_id>/delete")
@login_required
def confirm_delete_comment(comment_id: int) -> str:
    found = _deletable_comment_or_404(comment_id)
    return render_template(
        "posts/delete_comment.html", comment=found, replies=posts.reply_count(found)
    )


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int) -> Response:
    found = _deletable_comment_or_404(comment_id)
    slug = found.post.slug
    posts.delete_comment(found)
    flash(_("Comment deleted."), "info")
    return redirect(url_for("posts.show", slug=slug, _anchor="comments"))
