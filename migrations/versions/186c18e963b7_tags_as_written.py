"""tags as written: a display name, a key for its spellings and a stable slug

Revision ID: 186c18e963b7
Revises: e48eeb11c6b9
Create Date: 2026-11-30 10:00:00

Existing tags were stored normalized ("machine-learning"): that name stays as their display
form and becomes their slug and key too, so every old /tags/<name> address keeps working.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "186c18e963b7"
down_revision = "e48eeb11c6b9"
branch_labels = None
depends_on = None

tags = sa.table(
    "tags",
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("slug", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("slug", sa.String(length=80), nullable=True))
    op.execute(tags.update().values(name_key=tags.c.name, slug=tags.c.name))
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=160), nullable=False)
        batch_op.alter_column("slug", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_tags_name_key"), ["name_key"])
        batch_op.create_unique_constraint(batch_op.f("uq_tags_slug"), ["slug"])


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tags_slug"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_tags_name_key"), type_="unique")
        batch_op.drop_column("slug")
        batch_op.drop_column("name_key")
