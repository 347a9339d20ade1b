"""Every model and every member column is known to the page cache as public or private.

A new model, or a new column on ``users``, fails here until it is listed in ``app/cache.py``:
as content (a change invalidates every cached page) or as private (public pages never show it).
"""

from __future__ import annotations

from app import cache
from app.extensions import db
from app.models import User


def test_every_model_is_content_or_private() -> None:
    mapped = {mapper.class_ for mapper in db.Model.registry.mappers}
    known = {*cache.CONTENT_MODELS, *cache.PRIVATE_MODELS, User}
    assert mapped - known == set(), "list the new model in app/cache.py"
    assert set(cache.CONTENT_MODELS).isdisjoint(cache.PRIVATE_MODELS)


def test_every_member_column_is_visible_or_private() -> None:
    columns = {column.key for column in User.__table__.columns}
    known = cache.VISIBLE_USER_COLUMNS | cache.PRIVATE_USER_COLUMNS
    assert columns - known == set(), "say in app/cache.py whether public pages show it"
    assert known - columns == set(), "app/cache.py names a column that no longer exists"
    assert cache.VISIBLE_USER_COLUMNS.isdisjoint(cache.PRIVATE_USER_COLUMNS)
