"""Build rows through the real services, so tests hold the same data users would create."""

from __future__ import annotations

from app.extensions import db
from app.models import Post, User
from app.services import accounts, posts
from tests.helpers import PASSWORD


def create_user(
    username: str = "reader",
    *,
    email: str | None = None,
    password: str = PASSWORD,
    is_admin: bool = False,
    is_active: bool = True,
) -> User:
    """A committed account; call inside an app context."""
    user = accounts.register_user(
        username, email or f"{username}@example.com", password, is_admin=is_admin
    )
    if not is_active:
        user.is_active = False
        db.session.commit()
    return user


def create_post(
    author: User,
    *,
    title: str = "A post",
    body: str = "Some *Markdown* text.",
    tags: tuple[str, ...] = (),
    status: str = "published",
) -> Post:
    """A committed post written through the posting service; call inside an app context."""
    return posts.create_post(author, title=title, body=body, tags=list(tags), status=status)
