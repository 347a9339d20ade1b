"""PostgreSQL search: a stored tsvector column with a GIN index instead of an expression index

Revision ID: 7c1d2e3f4a5b
Revises: 5b478d716709
Create Date: 2026-11-23 12:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1d2e3f4a5b"
down_revision = "5b478d716709"
branch_labels = None
depends_on = None

DOCUMENT = "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body_markdown, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps its FTS5 table
    op.execute("DROP INDEX IF EXISTS ix_posts_search")
    op.execute(
        f"ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED"
    )
    op.execute("CREATE INDEX ix_posts_search ON posts USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_posts_search")
    op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
    op.execute(f"CREATE INDEX ix_posts_search ON posts USING gin ({DOCUMENT})")
