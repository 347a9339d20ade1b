"""site_settings: the site's name, tagline, about text and share image (one row)

Revision ID: 4a21868a5fef
Revises: 4a1d9abec639
Create Date: 2026-12-07 05:00:00

No row is written: until an admin saves the settings page, the site shows ``SITE_NAME``.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4a21868a5fef"
down_revision = "4a1d9abec639"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("tagline", sa.String(length=160), nullable=False),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("about_html", sa.Text(), nullable=False),
        sa.Column("share_image_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_site_settings_one_row")),
        sa.ForeignKeyConstraint(
            ["share_image_id"],
            ["media_items.id"],
            name=op.f("fk_site_settings_share_image_id_media_items"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_settings")),
    )


def downgrade() -> None:
    op.drop_table("site_settings")
