"""username_skeleton: what a username looks like (TR39), to refuse look-alikes of existing names

Revision ID: c4e1a9d27b3f
Revises: b8c09d4fdade
Create Date: 2026-11-23 16:40:00

Existing accounts get their skeleton computed here. The index is not unique: a database may
already hold two look-alike names, and both keep working.
"""

from alembic import op
import sqlalchemy as sa

from app.services.accounts import username_skeleton

# revision identifiers, used by Alembic.
revision = "c4e1a9d27b3f"
down_revision = "b8c09d4fdade"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("username_skeleton", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_skeleton", sa.String(length=255), nullable=True))
    connection = op.get_bind()
    for user_id, username in connection.execute(sa.select(users.c.id, users.c.username)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(username_skeleton=username_skeleton(username))
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "username_skeleton", existing_type=sa.String(length=255), nullable=False
        )
        batch_op.create_index(
            batch_op.f("ix_users_username_skeleton"), ["username_skeleton"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username_skeleton"))
        batch_op.drop_column("username_skeleton")
