"""user_sessions.passkey_id: the passkey that made a sign-in, so removing it ends the sign-in

Revision ID: d3f8a1c5e7b2
Revises: 9e4b2d6c1a57
Create Date: 2026-12-07 08:00:00

Nullable, set null when the passkey goes: sign-ins made before this revision name none, and the
service ends the sign-ins a removed passkey made before it deletes the passkey's row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d3f8a1c5e7b2"
down_revision = "9e4b2d6c1a57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("passkey_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_user_sessions_passkey_id"), ["passkey_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_sessions_passkey_id_passkeys"),
            "passkeys",
            ["passkey_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_sessions_passkey_id_passkeys"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_user_sessions_passkey_id"))
        batch_op.drop_column("passkey_id")
