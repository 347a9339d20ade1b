"""how each sign-in was made: password, password + code, or passkey

Revision ID: 3a7f5c2e9b10
Revises: 186c18e963b7
Create Date: 2026-12-03 18:00:00

Every session that exists was made with a password, so the server default fills them in.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "3a7f5c2e9b10"
down_revision = "186c18e963b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "auth_method", sa.String(length=20), server_default="password", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("auth_method")
