"""post summary and reading time: a hand-written excerpt, and minutes to read stored on save

Revision ID: 4d8e2f6a1c37
Revises: 609bc5963e99
Create Date: 2026-12-03 18:20:00

``posts.summary`` (nullable) is the writer's own excerpt; no post has one yet. Every existing
post gets its ``reading_minutes`` and its ``excerpt`` worked out again from its stored HTML,
with the rules of this revision: the first paragraph of prose (headings, code, rules and images
skipped; without a paragraph, the first list, quote or table), cut at a word boundary or between
CJK characters with "…". The rules are a frozen copy of ``app/services/markdown.py`` as it
stood at this revision, so this migration means the same thing however the app changes later.

The columns are added and dropped in place (``ALTER TABLE``; ``reading_minutes`` has a server
default of 1): rebuilding ``posts`` on SQLite would drop the triggers of its search table.
Downgrading drops both columns and leaves the recomputed excerpts as they are.
"""

import re
import unicodedata
from html.parser import HTMLParser

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d8e2f6a1c37"
down_revision = "609bc5963e99"
branch_labels = None
depends_on = None

BATCH = 200

posts = sa.table(
    "posts",
    sa.column("id", sa.Integer),
    sa.column("body_html", sa.Text),
    sa.column("excerpt", sa.String),
    sa.column("reading_minutes", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("summary", sa.String(length=400), nullable=True))
        batch_op.add_column(
            sa.Column("reading_minutes", sa.Integer(), server_default="1", nullable=False)
        )
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(posts.c.id, posts.c.body_html)
            .where(posts.c.id > last)
            .order_by(posts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for post_id, html in rows:
            blocks = _blocks(html)
            connection.execute(
                posts.update()
                .where(posts.c.id == post_id)
                .values(excerpt=_excerpt(blocks), reading_minutes=_minutes(blocks))
            )
        last = rows[-1][0]


def downgrade() -> None:
    # Not in a batch: SQLite (3.35+) drops a column in place, keeping the search triggers.
    op.drop_column("posts", "reading_minutes")
    op.drop_column("posts", "summary")


# The rules as they stood at this revision (frozen: do not import them from the app). --------

LIMIT = 280
ELLIPSIS = "…"
NESTED_BLOCK_TAGS = frozenset(
    {"p", "br", "li", "blockquote", "ul", "ol", "tr", "th", "td", "pre", "h1", "h2", "h3", "h4",
     "h5", "h6", "table", "thead", "tbody", "div"}
)  # fmt: skip
VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
SKIPPED_TAGS = frozenset({"script", "style", "template"})
NOT_PROSE = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"})
WORDS_PER_MINUTE = 225
CJK_CHARACTERS_PER_MINUTE = 400
CJK = re.compile(
    "[\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]"
)
TRAILING_PUNCTUATION = " ,;:-\u2013\u2014\u3001\uff0c\uff1b\uff1a"
WHITESPACE = re.compile(r"\s+")


class _BlockReader(HTMLParser):
    """The top-level blocks of an HTML fragment as (tag, text parts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, list[str]]] = []
        self._depth = 0
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
            return
        if self._depth == 0:
            self.blocks.append((tag, []))
        elif tag in NESTED_BLOCK_TAGS:
            self.blocks[-1][1].append(" ")
        if tag not in VOID_TAGS:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(self._skipping - 1, 0)
            return
        if tag in VOID_TAGS:
            return
        self._depth = max(self._depth - 1, 0)
        if self._depth and tag in NESTED_BLOCK_TAGS:
            self.blocks[-1][1].append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._depth == 0:
            if not data.strip():
                return
            self.blocks.append(("p", []))
        self.blocks[-1][1].append(data)


def _blocks(html: str) -> list[tuple[str, str]]:
    reader = _BlockReader()
    reader.feed(html or "")
    reader.close()
    return [(tag, WHITESPACE.sub(" ", "".join(parts)).strip()) for tag, parts in reader.blocks]


def _breaks_before(text: str, index: int) -> bool:
    before, after = text[index - 1], text[index]
    if unicodedata.combining(after):
        return False
    return before.isspace() or after.isspace() or bool(CJK.match(before) or CJK.match(after))


def _excerpt(blocks: list[tuple[str, str]]) -> str:
    texts = [(tag, text) for tag, text in blocks if tag not in NOT_PROSE]
    paragraph = next((text for tag, text in texts if tag == "p" and text), None)
    text = paragraph or next((text for _tag, text in texts if text), "")
    if len(text) <= LIMIT:
        return text
    room = LIMIT - len(ELLIPSIS)
    cut = next((i for i in range(room, 0, -1) if _breaks_before(text, i)), room)
    return text[:cut].rstrip(TRAILING_PUNCTUATION) + ELLIPSIS


def _minutes(blocks: list[tuple[str, str]]) -> int:
    text = " ".join(text for _tag, text in blocks)
    characters = len(CJK.findall(text))
    words = len(CJK.sub(" ", text).split())
    per_both = WORDS_PER_MINUTE * CJK_CHARACTERS_PER_MINUTE
    minutes = -(-(words * CJK_CHARACTERS_PER_MINUTE + characters * WORDS_PER_MINUTE) // per_both)
    return max(minutes, 1)
