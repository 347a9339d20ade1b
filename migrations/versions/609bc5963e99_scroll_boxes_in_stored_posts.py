"""stored post bodies get the keyboard-scrollable boxes new renderings have

Revision ID: 609bc5963e99
Revises: 9c4d2b7e1f60
Create Date: 2026-12-03 18:10:00

Bodies are rendered on save, so the posts that exist lack what ``render_markdown`` now writes
around code blocks and tables (a labelled region that takes focus). The sanitizer wrote those
two tags bare, so replacing ``<pre>`` and ``<table>`` finds exactly them; the rest of
``body_html`` is untouched. No schema change. The markup is spelt out here, not imported, so the
migration keeps meaning what it meant when the renderer changes again.
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "609bc5963e99"
down_revision = "9c4d2b7e1f60"
branch_labels = None
depends_on = None

posts = sa.table("posts", sa.column("id", sa.Integer), sa.column("body_html", sa.Text))
CODE_BOX = '<pre tabindex="0" role="region" aria-label="Code">'
TABLE_OPEN = '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>'
TABLE_CLOSE = "</table></div>"


def _boxed(html: str) -> str:
    html = html.replace("<pre>", CODE_BOX)
    return html.replace("<table>", TABLE_OPEN).replace("</table>", TABLE_CLOSE)


def _unboxed(html: str) -> str:
    html = html.replace(CODE_BOX, "<pre>")
    return html.replace(TABLE_OPEN, "<table>").replace(TABLE_CLOSE, "</table>")


def _rewrite(rewrite: Callable[[str], str], *marks: str) -> None:
    """Apply ``rewrite`` to every body holding one of ``marks``."""
    connection = op.get_bind()
    holding = sa.or_(*(posts.c.body_html.contains(mark, autoescape=True) for mark in marks))
    rows = connection.execute(sa.select(posts.c.id, posts.c.body_html).where(holding)).all()
    for post_id, html in rows:
        connection.execute(
            posts.update().where(posts.c.id == post_id).values(body_html=rewrite(html))
        )


def upgrade() -> None:
    _rewrite(_boxed, "<pre>", "<table>")


def downgrade() -> None:
    _rewrite(_unboxed, CODE_BOX, TABLE_OPEN)
