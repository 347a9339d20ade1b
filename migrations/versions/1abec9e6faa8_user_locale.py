"""users.locale: a member's saved language ("en", "zh-Hans"), none for existing members

Revision ID: 1abec9e6faa8
Revises: 4a21868a5fef
Create Date: 2026-12-07 05:00:00

Nullable, no default: a member without a saved language gets the one their browser asks for
(app/services/i18n.py), as before this revision.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1abec9e6faa8"
down_revision = "4a21868a5fef"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locale")
