"""The one pagination helper: strict ``?page=`` parsing and a 404 for pages that do not exist.

Public lists use ``window`` (no COUNT: one more row than the page tells whether another page
follows, so the cost stays flat however many posts there are); the admin area, whose tables
are small and whose totals are worth showing, uses ``paginate`` (Flask-SQLAlchemy, with a count).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_sqlalchemy.pagination import Pagination

from app.extensions import db

# Far beyond any real page, and small enough that OFFSET never overflows a 64-bit integer.
MAX_PAGE = 100_000


def page_number() -> int:
    """``?page=N`` with N a plain positive integer (default 1); anything else is a 404."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_PAGE)):
        abort(404)
    page = int(raw)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def paginate(statement: sa.Select[Any], per_page: int | None = None) -> Pagination:
    """A page of ``statement``'s rows; a page past the last one (other than 1) is a 404."""
    per_page = per_page or current_app.config["POSTS_PER_PAGE"]
    return db.paginate(statement, page=page_number(), per_page=per_page, error_out=True)


@dataclass(frozen=True)
class Window:
    """A page of rows without a total: ``pages`` is unknown, so templates show "Page N"."""

    items: list[Any]
    page: int
    has_next: bool
    pages: None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def window(statement: sa.Select[Any], per_page: int | None = None) -> Window:
    """A page of ``statement``'s rows and whether more follow; past the end (page > 1) is a 404."""
    per_page = per_page or current_app.config["POSTS_PER_PAGE"]
    page = page_number()
    rows = list(db.session.scalars(statement.limit(per_page + 1).offset((page - 1) * per_page)))
    if page > 1 and not rows:
        abort(404)
    return Window(items=rows[:per_page], page=page, has_next=len(rows) > per_page)
