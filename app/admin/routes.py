from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from app.auth.decorators import admin_required
from app.extensions import db
from app.models import User

bp = Blueprint("admin", __name__)


@bp.before_request
@admin_required
def require_admin() -> None:
    """Guard every admin route, including ones added later, with one check."""


@bp.get("/")
def dashboard() -> str:
    counts = db.session.execute(
        sa.select(
            sa.func.count(User.id),
            sa.func.count(User.id).filter(User.is_active),
            sa.func.count(User.id).filter(User.is_admin),
        )
    ).one()
    return render_template(
        "admin/dashboard.html", users=counts[0], active=counts[1], admins=counts[2]
    )
