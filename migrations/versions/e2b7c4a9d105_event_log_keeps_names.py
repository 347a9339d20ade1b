"""security_events.username / actor_username: the names an event was about, kept after deletion

Revision ID: e2b7c4a9d105
Revises: 3d7e9a1c5f20
Create Date: 2026-11-30 10:00:00

Existing rows get the names of the accounts they still point to. Rows of accounts deleted
before this revision lost that link already and keep no name (their deletion row has it in
``identifier``).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "e2b7c4a9d105"
down_revision = "3d7e9a1c5f20"
branch_labels = None
depends_on = None

events = sa.table(
    "security_events",
    sa.column("user_id", sa.Integer),
    sa.column("actor_id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("actor_username", sa.String),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("actor_username", sa.String(length=32), nullable=True))
    for name, account in (("username", events.c.user_id), ("actor_username", events.c.actor_id)):
        current_name = sa.select(users.c.username).where(users.c.id == account).scalar_subquery()
        op.execute(events.update().where(account.is_not(None)).values({name: current_name}))


def downgrade() -> None:
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_column("actor_username")
        batch_op.drop_column("username")
