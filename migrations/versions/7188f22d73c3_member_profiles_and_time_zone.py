"""users: display_name, bio, bio_html, website (the public profile) and time_zone

Revision ID: 7188f22d73c3
Revises: e2b7c4a9d105
Create Date: 2026-12-10 10:00:00

Existing members get an empty profile (no display name, bio or website), so their bylines stay
their usernames, and the time zone UTC, the zone every time was shown in before.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "7188f22d73c3"
down_revision = "e2b7c4a9d105"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("bio", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("bio_html", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("website", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("time_zone")
        batch_op.drop_column("website")
        batch_op.drop_column("bio_html")
        batch_op.drop_column("bio")
        batch_op.drop_column("display_name")
