from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user
from werkzeug import Response

from app.extensions import login_manager

P = ParamSpec("P")
R = TypeVar("R")


def admin_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Anonymous → sign-in page (with ``next``); signed-in non-admin → 403.

    ``current_user`` is loaded from the database on every request, so a revoked admin right or a
    deactivated account takes effect on the very next request.
    """

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
