"""Full-text search over posts: PostgreSQL ``tsvector`` with a GIN index, SQLite FTS5.

The search structures are not ORM models: SQLite's FTS5 table (kept in step by triggers) and
PostgreSQL's stored generated ``search_vector`` column with its GIN index are created by the
migrations, and by ``create_all`` through the DDL events below; ``include_in_autogenerate`` keeps
Alembic from reporting them as drift. The column is stored, not an expression index: a query then
never recomputes ``to_tsvector`` for rows (an expression index made the planner do exactly that
on small tables and on index rechecks, about 1 ms a post).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.models import Post

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
_TERM = re.compile(r"\w+", re.UNICODE)

SQLITE_FTS_TABLE = "posts_fts"
POSTGRES_INDEX = "ix_posts_search"
POSTGRES_COLUMN = "search_vector"
POSTGRES_DOCUMENT = (
    "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body_markdown, ''))"
)

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(title, body_markdown, content='posts', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, body_markdown) "
    "VALUES (new.id, new.title, new.body_markdown); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, body_markdown) "
    "VALUES ('delete', old.id, old.title, old.body_markdown); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, body_markdown) "
    "VALUES ('delete', old.id, old.title, old.body_markdown); "
    "INSERT INTO posts_fts(rowid, title, body_markdown) "
    "VALUES (new.id, new.title, new.body_markdown); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}",
]
POSTGRES_DDL = [
    f"ALTER TABLE posts ADD COLUMN {POSTGRES_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED",
    f"CREATE INDEX {POSTGRES_INDEX} ON posts USING gin ({POSTGRES_COLUMN})",
]
POSTGRES_DROP = [
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
    f"ALTER TABLE posts DROP COLUMN IF EXISTS {POSTGRES_COLUMN}",
]


def search_terms(query: str) -> list[str]:
    """The words of a user's query (letters and digits of any script), at most MAX_TERMS."""
    return _TERM.findall(query[:MAX_QUERY_LENGTH])[:MAX_TERMS]


def matching(terms: list[str], dialect: str) -> sa.ColumnElement[bool]:
    """A WHERE clause matching posts that contain every term; the terms are bound, never inlined."""
    if dialect == "postgresql":
        document: sa.ColumnClause[Any] = sa.literal_column(f"posts.{POSTGRES_COLUMN}")  # tsvector
        return document.op("@@")(
            sa.func.plainto_tsquery(sa.literal_column("'simple'"), " ".join(terms))
        )
    # FTS5: each term quoted, so no user input is read as query syntax.
    fts_query = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    return Post.id.in_(
        sa.select(sa.literal_column("rowid"))
        .select_from(sa.table(SQLITE_FTS_TABLE))
        .where(sa.literal_column(SQLITE_FTS_TABLE).op("MATCH")(fts_query))
    )


def include_in_autogenerate(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: the search structures live outside the models on purpose."""
    if type_ == "table" and name and name.startswith(SQLITE_FTS_TABLE):
        return False
    if type_ == "column" and name == POSTGRES_COLUMN:
        return False
    return not (type_ == "index" and name == POSTGRES_INDEX)


def _run(statements: list[str], dialect: str) -> Any:
    def listener(_target: Any, connection: sa.Connection, **_kw: Any) -> None:
        if connection.dialect.name == dialect:
            for statement in statements:
                connection.exec_driver_sql(statement)

    return listener


for _dialect, _create, _drop in (
    ("sqlite", SQLITE_DDL, SQLITE_DROP),
    ("postgresql", POSTGRES_DDL, POSTGRES_DROP),
):
    sa.event.listen(Post.__table__, "after_create", _run(_create, _dialect))
    sa.event.listen(Post.__table__, "before_drop", _run(_drop, _dialect))
