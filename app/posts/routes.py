from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug import Response

from app.extensions import limiter
from app.forms import INVALID_FORM, entered, form_status
from app.models import Comment, Post, User
from app.posts.forms import CommentForm, NewPostForm, PostForm
from app.services import posts, rate_limits, tags
from app.services.markdown import linkify_text
from app.services.submissions import AlreadySubmitted

bp = Blueprint("posts", __name__)
# Comments are plain text: escaped, with their bare addresses as links.
bp.add_app_template_filter(linkify_text, "linkify")


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
    if form.validate_on_submit():
        try:
            post = posts.create_post(
                current_user,
                title=entered(form.title),
                body=entered(form.body),
                tags=tags.parse_tags(form.tags.data or ""),
                status=form.status.data,
                submission=form.submission_token.data,
            )
        except AlreadySubmitted as earlier:
            rate_limits.nothing_created()
            return redirect(earlier.location)
        flash("Your post is published." if post.is_published else "Draft saved.", "success")
        return redirect(url_for("posts.show", slug=post.slug))
    return render_template("posts/edit.html", form=form, post=None), form_status(form)


@bp.get("/posts/<slug>")
def show(slug: str) -> str:
    post = _post_or_404(slug)
    # Only members get a form: building one puts a CSRF token in the session.
    form = CommentForm(formdata=None) if current_user.is_authenticated else None
    return _post_page(post, form)


def _post_page(post: Post, comment_form: CommentForm | None) -> str:
    return render_template(
        "posts/show.html",
        post=post,
        comments=posts.visible_comments(post),
        comment_form=comment_form,
        can_edit=posts.can_edit(_viewer(), post),
    )


@bp.route("/posts/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> Response | tuple[str, int]:
    post = _editable_post_or_404(slug)
    form = PostForm(obj=post if request.method == "GET" else None)
    if request.method == "GET":
        form.body.data = post.body_markdown
        form.tags.data = ", ".join(tag.name for tag in post.tags)
    if form.validate_on_submit():
        posts.update_post(
            post,
            title=entered(form.title),
            body=entered(form.body),
            tags=tags.parse_tags(form.tags.data or ""),
            status=form.status.data,
        )
        flash("Post updated.", "success")
        return redirect(url_for("posts.show", slug=post.slug))
    return render_template("posts/edit.html", form=form, post=post), form_status(form)


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
    flash("Post deleted.", "info")
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
                post, current_user, entered(form.body), submission=form.submission_token.data
            )
        except AlreadySubmitted as earlier:
            rate_limits.nothing_created()
            return redirect(earlier.location)
        flash("Comment posted.", "success")
        return redirect(url_for("posts.show", slug=post.slug, _anchor=f"comment-{added.id}"))
    return _post_page(post, form), INVALID_FORM


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
    return render_template(
        "posts/delete_comment.html", comment=_deletable_comment_or_404(comment_id)
    )


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int) -> Response:
    found = _deletable_comment_or_404(comment_id)
    slug = found.post.slug
    posts.delete_comment(found)
    flash("Comment deleted.", "info")
    return redirect(url_for("posts.show", slug=slug, _anchor="comments"))
