"""Build rows through the real services, so tests hold the same data users would create."""

from __future__ import annotations

from app.extensions import db
from app.models import User
from app.services import accounts
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
