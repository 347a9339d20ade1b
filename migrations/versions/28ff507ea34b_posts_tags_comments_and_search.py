"""posts, tags, comments and search

Revision ID: 28ff507ea34b
Revises: 5282c6337ede
Create Date: 2026-11-23 11:47:30.376869

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "28ff507ea34b"
down_revision = "5282c6337ede"
branch_labels = None
depends_on = None

# Full-text search structures, frozen here as they were when this migration was written
# (app/services/search.py creates the same ones for create_all).
SEARCH_DDL = {
    "postgresql": [
        "CREATE INDEX ix_posts_search ON posts USING gin (to_tsvector('simple', "
        "coalesce(title, '') || ' ' || coalesce(body_markdown, '')))"
    ],
    "sqlite": [
        "CREATE VIRTUAL TABLE posts_fts USING fts5(title, body_markdown, content='posts', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN INSERT INTO "
        "posts_fts(rowid, title, body_markdown) VALUES (new.id, new.title, "
        "new.body_markdown); END",
        "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN INSERT INTO "
        "posts_fts(posts_fts, rowid, title, body_markdown) VALUES ('delete', old.id, "
        "old.title, old.body_markdown); END",
        "CREATE TRIGGER posts_fts_update AFTER UPDATE ON posts BEGIN INSERT INTO "
        "posts_fts(posts_fts, rowid, title, body_markdown) VALUES ('delete', old.id, "
        "old.title, old.body_markdown); INSERT INTO posts_fts(rowid, title, body_markdown) "
        "VALUES (new.id, new.title, new.body_markdown); END",
    ],
}
SEARCH_DROP = {
    "postgresql": ["DROP INDEX IF EXISTS ix_posts_search"],
    "sqlite": [
        "DROP TRIGGER IF EXISTS posts_fts_update",
        "DROP TRIGGER IF EXISTS posts_fts_delete",
        "DROP TRIGGER IF EXISTS posts_fts_insert",
        "DROP TABLE IF EXISTS posts_fts",
    ],
}


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_posts_status_known")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_posts_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("slug", name=op.f("uq_posts_slug")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_posts_status_published_at", ["status", "published_at"], unique=False
        )

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comments_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comments_post_id"), ["post_id"], unique=False)

    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_tags_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_post_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "tag_id", name=op.f("pk_post_tags")),
    )
    with op.batch_alter_table("post_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_tags_tag_id"), ["tag_id"], unique=False)

    for statement in SEARCH_DDL.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in SEARCH_DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    with op.batch_alter_table("post_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_tags_tag_id"))

    op.drop_table("post_tags")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_post_id"))
        batch_op.drop_index(batch_op.f("ix_comments_author_id"))

    op.drop_table("comments")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_status_published_at")
        batch_op.drop_index(batch_op.f("ix_posts_author_id"))

    op.drop_table("posts")
    op.drop_table("tags")
