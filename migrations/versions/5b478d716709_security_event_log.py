"""security event log

Revision ID: 5b478d716709
Revises: 28ff507ea34b
Create Date: 2026-11-23 11:59:26.442400

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b478d716709"
down_revision = "28ff507ea34b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("identifier", sa.String(length=320), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_security_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_security_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_security_events_type"), ["type"], unique=False)
        batch_op.create_index(
            "ix_security_events_user_id_created_at", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("security_events", schema=None) as batch_op:
        batch_op.drop_index("ix_security_events_user_id_created_at")
        batch_op.drop_index(batch_op.f("ix_security_events_type"))
        batch_op.drop_index(batch_op.f("ix_security_events_created_at"))

    op.drop_table("security_events")
