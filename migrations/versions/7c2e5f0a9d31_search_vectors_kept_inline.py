"""search vectors kept inline: PostgreSQL stores the two tsvector columns in the row, not TOAST

Revision ID: 7c2e5f0a9d31
Revises: 1abec9e6faa8
Create Date: 2026-12-07 07:45:00

A post's row (its Markdown, HTML, plain text and two tsvectors) is about 3 kB, over PostgreSQL's
2 kB TOAST threshold, and the toaster moved the tsvectors out of line first, so every post a
search looked at cost a TOAST index lookup and chunk reads (about four buffers) before ``@@``
or ``ts_rank_cd`` could read it. ``STORAGE MAIN`` makes the toaster move the texts out first and
keep the tsvectors in the row. The strategy applies to rows as they are written, so every post
is written again here (the generated columns are recomputed; the old row versions are left to
autovacuum). SQLite: nothing to do.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7c2e5f0a9d31"
down_revision = "1abec9e6faa8"
branch_labels = None
depends_on = None

COLUMNS = ("search_vector", "search_words")


def _storage(strategy: str) -> None:
    op.execute(
        "ALTER TABLE posts "
        + ", ".join(f"ALTER COLUMN {column} SET STORAGE {strategy}" for column in COLUMNS)
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("MAIN")
    op.execute("UPDATE posts SET search_title = search_title")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("EXTENDED")
