"""private slugs for drafts never published (a draft must not hold an address others ask for)

Revision ID: 3d7e9a1c5f20
Revises: c4e1a9d27b3f
Create Date: 2026-11-24 10:00:00

A data migration: a draft that was never published moves from its readable slug (``my-title``)
to a private one (``my-title-k3f9x2``), as new drafts get since this revision; it takes the
readable slug back when first published, if free. Downgrading leaves the slugs as they are.
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3d7e9a1c5f20"
down_revision = "c4e1a9d27b3f"
branch_labels = None
depends_on = None

SLUG_MAX = 80
SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
SUFFIX_LENGTH = 6

posts = sa.table(
    "posts",
    sa.column("id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("slug", sa.String),
    sa.column("published_at", sa.DateTime),
)
# A replayed new-post form leads to where its post now lives.
form_submissions = sa.table(
    "form_submissions",
    sa.column("user_id", sa.Integer),
    sa.column("location", sa.String),
)


def _private(slug: str) -> str:
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    base = slug[: SLUG_MAX - SUFFIX_LENGTH - 1].strip("-") or "post"
    return f"{base}-{suffix}"


def upgrade() -> None:
    connection = op.get_bind()
    drafts = connection.execute(
        sa.select(posts.c.id, posts.c.author_id, posts.c.slug).where(posts.c.published_at.is_(None))
    ).all()
    for post_id, author_id, slug in drafts:
        private = _private(slug)
        connection.execute(sa.update(posts).where(posts.c.id == post_id).values(slug=private))
        connection.execute(
            sa.update(form_submissions)
            .where(
                form_submissions.c.user_id == author_id,
                form_submissions.c.location == f"/posts/{slug}",
            )
            .values(location=f"/posts/{private}")
        )


def downgrade() -> None:
    pass  # the private slugs stay valid addresses
