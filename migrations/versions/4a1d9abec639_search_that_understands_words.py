"""search that understands words: stemmed and prefix indexes over the posts' plain text

Revision ID: 4a1d9abec639
Revises: a5c93e1f7b28
Create Date: 2026-12-07 04:45:00

``posts.search_title`` and ``posts.search_body`` hold what is indexed: the title and the body's
plain text (from ``body_html``), NFC-normalized, every Han, kana and Hangul character set apart
by U+001F, "<" written as U+001E. Every existing post gets them here, with a frozen copy of the rules of
``app/services/search.py`` as they stood at this revision.

SQLite: the one FTS5 table over ``title``/``body_markdown`` and its triggers make way for two
(``posts_fts``, porter-stemmed; ``posts_words``, unstemmed) over the new columns, filled with
FTS5's ``rebuild`` once the columns are; the columns are added in place (no batch rebuild,
which would drop the triggers). PostgreSQL: the ``simple`` ``search_vector`` becomes an
``english`` one (title weight A, body weight B) and ``search_words`` a ``simple`` one, both
stored generated columns with GIN indexes. Downgrading restores the previous structures.
"""

import re
import unicodedata
from html.parser import HTMLParser

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4a1d9abec639"
down_revision = "a5c93e1f7b28"
branch_labels = None
depends_on = None

BATCH = 200

posts = sa.table(
    "posts",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("body_html", sa.Text),
    sa.column("search_title", sa.Text),
    sa.column("search_body", sa.Text),
)

# The structures of this revision (frozen: do not import them from the app). -----------------

CATEGORIES = "categories 'L* M* N* Co'"
FTS_TABLES = {
    "posts_fts": f"porter unicode61 remove_diacritics 2 {CATEGORIES}",
    "posts_words": f"unicode61 remove_diacritics 2 {CATEGORIES}",
}
_INSERTS = " ".join(
    f"INSERT INTO {table}(rowid, search_title, search_body) "  # noqa: S608  (our table names)
    "VALUES (new.id, new.search_title, new.search_body);"
    for table in FTS_TABLES
)
_DELETES = " ".join(
    f"INSERT INTO {table}({table}, rowid, search_title, search_body) "  # noqa: S608
    "VALUES ('delete', old.id, old.search_title, old.search_body);"
    for table in FTS_TABLES
)
SQLITE_CREATE = [
    *(
        f"CREATE VIRTUAL TABLE {table} USING fts5(search_title, search_body, "
        f"content='posts', content_rowid='id', tokenize=\"{tokenizer}\")"
        for table, tokenizer in FTS_TABLES.items()
    ),
    f"CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN {_INSERTS} END",
    f"CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN {_DELETES} END",
    "CREATE TRIGGER posts_search_update AFTER UPDATE OF search_title, search_body ON posts "
    f"BEGIN {_DELETES} {_INSERTS} END",
    *(f"INSERT INTO {table}({table}) VALUES ('rebuild')" for table in FTS_TABLES),  # noqa: S608
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS posts_search_update",
    "DROP TRIGGER IF EXISTS posts_search_delete",
    "DROP TRIGGER IF EXISTS posts_search_insert",
    *(f"DROP TABLE IF EXISTS {table}" for table in FTS_TABLES),
]
POSTGRES_CREATE = [
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', search_title), 'A') || "
    "setweight(to_tsvector('english', search_body), 'B')) STORED",
    "CREATE INDEX ix_posts_search ON posts USING gin (search_vector)",
    "ALTER TABLE posts ADD COLUMN search_words tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', search_title || ' ' || search_body)) STORED",
    "CREATE INDEX ix_posts_search_words ON posts USING gin (search_words)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS ix_posts_search_words",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_words",
    "DROP INDEX IF EXISTS ix_posts_search",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]

# The structures of the previous revision, for the downgrade.
OLD_SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE posts_fts USING fts5(title, body_markdown, content='posts', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, title, body_markdown) "
    "VALUES (new.id, new.title, new.body_markdown); END",
    "CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, body_markdown) "
    "VALUES ('delete', old.id, old.title, old.body_markdown); END",
    "CREATE TRIGGER posts_fts_update AFTER UPDATE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, title, body_markdown) "
    "VALUES ('delete', old.id, old.title, old.body_markdown); "
    "INSERT INTO posts_fts(rowid, title, body_markdown) "
    "VALUES (new.id, new.title, new.body_markdown); END",
    "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
]
OLD_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS posts_fts_update",
    "DROP TRIGGER IF EXISTS posts_fts_delete",
    "DROP TRIGGER IF EXISTS posts_fts_insert",
    "DROP TABLE IF EXISTS posts_fts",
]
OLD_POSTGRES_CREATE = [
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(body_markdown, ''))) STORED",
    "CREATE INDEX ix_posts_search ON posts USING gin (search_vector)",
]
OLD_POSTGRES_DROP = [
    "DROP INDEX IF EXISTS ix_posts_search",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
]


def _execute(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _execute(OLD_POSTGRES_DROP if postgres else OLD_SQLITE_DROP)
    op.add_column("posts", sa.Column("search_title", sa.Text(), server_default="", nullable=False))
    op.add_column("posts", sa.Column("search_body", sa.Text(), server_default="", nullable=False))
    _backfill()
    _execute(POSTGRES_CREATE if postgres else SQLITE_CREATE)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _execute(POSTGRES_DROP if postgres else SQLITE_DROP)
    # Not in a batch: SQLite (3.35+) drops a column in place, keeping the other tables' triggers.
    op.drop_column("posts", "search_body")
    op.drop_column("posts", "search_title")
    _execute(OLD_POSTGRES_CREATE if postgres else OLD_SQLITE_CREATE)


def _backfill() -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(posts.c.id, posts.c.title, posts.c.body_html)
            .where(posts.c.id > last)
            .order_by(posts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for post_id, title, html in rows:
            connection.execute(
                posts.update()
                .where(posts.c.id == post_id)
                .values(search_title=_spaced(title or ""), search_body=_spaced(_plain(html)))
            )
        last = rows[-1][0]


# The rules as they stood at this revision (frozen: do not import them from the app). --------

SEPARATOR = "\x1f"
STRIPPED = str.maketrans("", "", "\x1f\x1e")
CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff]"
)
NESTED_BLOCK_TAGS = frozenset(
    {"p", "br", "li", "blockquote", "ul", "ol", "tr", "th", "td", "pre", "h1", "h2", "h3", "h4",
     "h5", "h6", "table", "thead", "tbody", "div"}
)  # fmt: skip
VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})
SKIPPED_TAGS = frozenset({"script", "style", "template"})
WHITESPACE = re.compile(r"\s+")


class _BlockReader(HTMLParser):
    """The top-level blocks of an HTML fragment as lists of text parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = []
        self._depth = 0
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
            return
        if self._depth == 0:
            self.blocks.append([])
        elif tag in NESTED_BLOCK_TAGS:
            self.blocks[-1].append(" ")
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
            self.blocks[-1].append(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._depth == 0:
            if not data.strip():
                return
            self.blocks.append([])
        self.blocks[-1].append(data)


def _plain(html: str | None) -> str:
    reader = _BlockReader()
    reader.feed(html or "")
    reader.close()
    return " ".join(WHITESPACE.sub(" ", "".join(parts)).strip() for parts in reader.blocks)


def _spaced(text: str) -> str:
    text = unicodedata.normalize("NFC", text.translate(STRIPPED)).replace("<", "\x1e")
    return CJK.sub(lambda match: SEPARATOR + match.group() + SEPARATOR, text)
