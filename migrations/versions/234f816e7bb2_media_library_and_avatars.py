"""media_items, media_files, post_media and users.avatar: members' images

Revision ID: 234f816e7bb2
Revises: 7188f22d73c3
Create Date: 2026-12-01 10:00:00

Existing posts have no library images, so ``post_media`` starts empty. Their ``<img>`` tags get
what new renderings give them (``loading="lazy"``, and ``referrerpolicy="no-referrer"`` for
images from other sites, which the new CSP lets load); the rest of ``body_html`` is untouched.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "234f816e7bb2"
down_revision = "7188f22d73c3"
branch_labels = None
depends_on = None

posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("body_html", sa.Text))
IMG_TAG = re.compile(r"<img\b([^>]*)>")
EXTERNAL_SRC = re.compile(r'\bsrc="(?:https:|//)', re.IGNORECASE)


def _lazy(match: re.Match[str]) -> str:
    attributes = match.group(1)
    if "loading=" not in attributes:
        attributes += ' loading="lazy"'
    if EXTERNAL_SRC.search(attributes) and "referrerpolicy=" not in attributes:
        attributes += ' referrerpolicy="no-referrer"'
    return f"<img{attributes}>"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar", sa.String(length=40), nullable=True))

    op.create_table(
        "media_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("ext", sa.String(length=4), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("variant_widths", sa.JSON(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('image', 'avatar')", name=op.f("ck_media_items_kind_known")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_media_items_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_items")),
        sa.UniqueConstraint("owner_id", "kind", "name", name="uq_media_items_owner_kind_name"),
    )
    with op.batch_alter_table("media_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_items_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_items_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "media_files",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["media_items.id"],
            name=op.f("fk_media_files_item_id_media_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "width", name=op.f("pk_media_files")),
    )

    op.create_table(
        "post_media",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_media_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "filename", name=op.f("pk_post_media")),
    )
    with op.batch_alter_table("post_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_media_filename"), ["filename"], unique=False)

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(posts.c.id, posts.c.body_html).where(posts.c.body_html.like("%<img%"))
    )
    for post_id, html in rows.all():
        connection.execute(
            posts.update().where(posts.c.id == post_id).values(body_html=IMG_TAG.sub(_lazy, html))
        )


def downgrade() -> None:
    with op.batch_alter_table("post_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_media_filename"))
    op.drop_table("post_media")
    op.drop_table("media_files")
    with op.batch_alter_table("media_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_items_owner_id"))
        batch_op.drop_index(batch_op.f("ix_media_items_name"))
    op.drop_table("media_items")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("avatar")
