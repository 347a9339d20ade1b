"""comments.parent_id (replies) and users.notify_comments / notify_replies (mail settings)

Revision ID: e48eeb11c6b9
Revises: 234f816e7bb2
Create Date: 2026-12-07 10:00:00

Existing comments stay top-level (no parent). Existing members get both notifications on, as
new members do: the mail says how to turn each off in one click.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "e48eeb11c6b9"
down_revision = "234f816e7bb2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_comments_parent_id_comments"),
            "comments",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notify_comments", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("notify_replies", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notify_replies")
        batch_op.drop_column("notify_comments")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_comments_parent_id_comments"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_column("parent_id")
