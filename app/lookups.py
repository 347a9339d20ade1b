"""Rows named by an id in a URL: an id no row can have is a 404 before the database sees it.

``<int:…>`` accepts any number of digits; SQLite raises OverflowError past a 64-bit integer.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort

from app.extensions import db

# The largest id any table can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1

Found = TypeVar("Found")


def possible_id(number: int) -> bool:
    """Whether a row could have this id at all."""
    return 0 < number <= MAX_ID


def get_or_404(model: type[Found], object_id: int) -> Found:
    """The ``model`` row with ``object_id``, or a 404."""
    found = db.session.get(model, object_id) if possible_id(object_id) else None
    if found is None:
        abort(404)
    return found
