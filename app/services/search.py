"""Full-text search over posts: SQLite FTS5, PostgreSQL ``tsvector`` with GIN indexes.

What is indexed. ``posts.search_title`` and ``posts.search_body``, worked out on save by
``search_document``: the title and the body's plain text (from its sanitized HTML, never the
Markdown or tags), NFC-normalized, with every Han, kana and Hangul character set apart by
``SEPARATOR`` (an ASCII control character both engines read as a word break, removed again
for display), and "<" written as ``ANGLE``. So Chinese or Japanese text is searchable by any
run of characters: "数据" and "数据库" are phrases of one-character words; both find "数据库".

Two indexes, because a stemmed index cannot answer prefixes: "runn" is not a prefix of the
stored stem "run". The *stemmed* one (FTS5 ``porter``, PostgreSQL ``english``; the title
weighted above the body) finds "databases" for "database" and ranks; the *words* one (FTS5
``unicode61``, PostgreSQL ``simple``) answers the last word as a prefix ("data" finds
"database", "runn" finds "running"). A post matches when every word matches stemmed, or every
word but the last does and the last one starts a word of the post.

Cost. Each of the two branches keeps only its newest ``CANDIDATES`` matches before they are
ranked and counted, so a word in every post costs no more at 100,000 posts than at 1,000; a
count at that bound reads "500+".

The structures are not ORM models: the FTS5 tables (kept in step by triggers) and the
PostgreSQL stored generated columns with their GIN indexes are created by the migrations, and
by ``create_all`` through the DDL events at the end; ``include_in_autogenerate`` keeps Alembic
from reporting them as drift.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup, escape

from app.extensions import db
from app.models import Post
from app.services.markdown import plain_text

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# The last word counts as a prefix from this length on ("py" would match half the index).
MIN_PREFIX = 3
# The newest matches each branch ranks; a count at this bound is shown as "500+".
CANDIDATES = 500
SNIPPET_WORDS = 30

SEPARATOR = "\x1f"
# Stands in for "<" in indexed text: PostgreSQL's parser reads "<b>" or "<script>…</script>"
# as markup and skips it, content and all; "<" breaks words in both engines anyway.
ANGLE = "\x1e"
# Highlight markers: private-use characters, stripped from every input, turned into <mark>
# only after the snippet has been escaped.
MARK_START, MARK_END = "\ue000", "\ue001"
_STRIPPED = str.maketrans("", "", SEPARATOR + ANGLE + MARK_START + MARK_END)
# Han (with extensions and compatibility ideographs), Hiragana, Katakana, Hangul.
_CJK_CHARACTER = (
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff]"
)
_CJK = re.compile(_CJK_CHARACTER)
_CJK_RUN = re.compile(f"{_CJK_CHARACTER}+")
# Letters, combining marks and digits: "हिन्दी" is one word, not three.
_WORD_CATEGORIES = ("L", "M", "N")

SQLITE_STEMMED = "posts_fts"
SQLITE_WORDS = "posts_words"
_SQLITE_CATEGORIES = "categories 'L* M* N* Co'"
SQLITE_TOKENIZERS = {
    SQLITE_STEMMED: f"porter unicode61 remove_diacritics 2 {_SQLITE_CATEGORIES}",
    SQLITE_WORDS: f"unicode61 remove_diacritics 2 {_SQLITE_CATEGORIES}",
}
# bm25 weights of (title, body): a word in the title counts ten times one in the body.
SQLITE_WEIGHTS = "10.0, 1.0"

POSTGRES_STEMMED = "search_vector"
POSTGRES_WORDS = "search_words"
POSTGRES_INDEXES = {POSTGRES_STEMMED: "ix_posts_search", POSTGRES_WORDS: "ix_posts_search_words"}
POSTGRES_DOCUMENTS = {
    POSTGRES_STEMMED: "setweight(to_tsvector('english', search_title), 'A') || "
    "setweight(to_tsvector('english', search_body), 'B')",
    POSTGRES_WORDS: "to_tsvector('simple', search_title || ' ' || search_body)",
}


def _sqlite_ddl() -> list[str]:
    statements = []
    for table, tokenizer in SQLITE_TOKENIZERS.items():
        statements.append(
            f"CREATE VIRTUAL TABLE {table} USING fts5(search_title, search_body, "
            f"content='posts', content_rowid='id', tokenize=\"{tokenizer}\")"
        )
    inserts = " ".join(
        f"INSERT INTO {table}(rowid, search_title, search_body) "  # noqa: S608  (our table names)
        "VALUES (new.id, new.search_title, new.search_body);"
        for table in SQLITE_TOKENIZERS
    )
    deletes = " ".join(
        f"INSERT INTO {table}({table}, rowid, search_title, search_body) "  # noqa: S608
        "VALUES ('delete', old.id, old.search_title, old.search_body);"
        for table in SQLITE_TOKENIZERS
    )
    return [
        *statements,
        f"CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN {inserts} END",
        f"CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN {deletes} END",
        "CREATE TRIGGER posts_search_update AFTER UPDATE OF search_title, search_body ON posts "
        f"BEGIN {deletes} {inserts} END",
    ]


SQLITE_DDL = _sqlite_ddl()
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS posts_search_update",
    "DROP TRIGGER IF EXISTS posts_search_delete",
    "DROP TRIGGER IF EXISTS posts_search_insert",
    *(f"DROP TABLE IF EXISTS {table}" for table in SQLITE_TOKENIZERS),
]
POSTGRES_DDL = [
    statement
    for column, document in POSTGRES_DOCUMENTS.items()
    for statement in (
        f"ALTER TABLE posts ADD COLUMN {column} tsvector GENERATED ALWAYS AS ({document}) STORED",
        f"CREATE INDEX {POSTGRES_INDEXES[column]} ON posts USING gin ({column})",
    )
]
POSTGRES_DROP = [
    statement
    for column, index in POSTGRES_INDEXES.items()
    for statement in (
        f"DROP INDEX IF EXISTS {index}",
        f"ALTER TABLE posts DROP COLUMN IF EXISTS {column}",
    )
]


# What is indexed ------------------------------------------------------------------------------


def spaced(text: str) -> str:
    """``text`` NFC-normalized, each CJK character set apart by ``SEPARATOR``, "<" as ``ANGLE``."""
    text = unicodedata.normalize("NFC", text.translate(_STRIPPED)).replace("<", ANGLE)
    return _CJK.sub(lambda match: SEPARATOR + match.group() + SEPARATOR, text)


def search_document(title: str, html: str) -> tuple[str, str]:
    """``(search_title, search_body)`` of a post: what the search indexes read."""
    return spaced(title), spaced(plain_text(html))


# What is asked --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word of the query, or a run of CJK characters (a phrase of one-character words)."""

    text: str
    is_cjk: bool

    @property
    def words(self) -> str:
        return " ".join(self.text) if self.is_cjk else self.text


def _words_of(text: str) -> list[str]:
    words, current = [], []
    for character in text:
        if unicodedata.category(character)[0] in _WORD_CATEGORIES:
            current.append(character)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def search_terms(query: str) -> list[Term]:
    """The terms of a user's query, at most ``MAX_TERMS``; punctuation and syntax are dropped."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_LENGTH].translate(_STRIPPED))
    terms = []
    for word in _words_of(text):
        position = 0
        for run in _CJK_RUN.finditer(word):
            if run.start() > position:
                terms.append(Term(word[position : run.start()], is_cjk=False))
            terms.append(Term(run.group(), is_cjk=True))
            position = run.end()
        if position < len(word):
            terms.append(Term(word[position:], is_cjk=False))
    return terms[:MAX_TERMS]


def _prefix_term(terms: list[Term]) -> Term | None:
    return terms[-1] if _can_be_prefix(terms[-1]) else None


# FTS5 and tsquery texts: terms hold only letters, marks and digits, so quoting them is enough
# for no input to be read as syntax; they are still bound, never inlined.


def _can_be_prefix(term: Term) -> bool:
    return not term.is_cjk and len(term.text) >= MIN_PREFIX


def _fts(terms: list[Term], joiner: str = " ", prefix: bool = False) -> str:
    """FTS5 query text; with ``prefix``, every term long enough is a prefix."""
    star = "*" if prefix else ""
    return joiner.join(f'"{term.words}"{star if _can_be_prefix(term) else ""}' for term in terms)


def _tsquery(terms: list[Term], joiner: str = " & ", prefix: bool = False) -> str:
    """tsquery text; with ``prefix``, every term long enough is a prefix."""
    star = ":*" if prefix else ""
    return joiner.join(f"'{term.words}'{star if _can_be_prefix(term) else ''}" for term in terms)


# Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    post: Post
    title: Markup
    snippet: Markup


@dataclass(frozen=True)
class Results:
    """A page of hits with the total count (``capped``: at least ``total``)."""

    items: list[Hit]
    page: int
    has_next: bool
    total: int
    capped: bool
    pages: None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def search(
    terms: list[Term], shown: sa.ColumnElement[bool], page: int, per_page: int
) -> Results | None:
    """Page ``page`` of the posts matching ``terms`` among those ``shown``, best first, newest
    first among equals; None past the last page. Three statements: the page with its authors
    and the count, the tags, the highlighted titles and snippets."""
    dialect = db.engine.dialect.name
    branches, score = (_postgres if dialect == "postgresql" else _sqlite)(terms)
    union = sa.union_all(*branches).cte("hits")
    candidates = (
        sa.select(union.c.id, sa.func.min(union.c.score).label("score"))
        .group_by(union.c.id)
        .subquery("candidates")
    )
    full = sa.select(sa.func.count().label("n")).select_from(union).group_by(union.c.branch)
    capped = sa.select(sa.func.max(full.subquery().c.n)).scalar_subquery()

    def of_post(column: Any) -> sa.ScalarSelect[Any]:
        return sa.select(column).where(Post.id == candidates.c.id).scalar_subquery()

    # The shown candidates, ranked and counted with narrow rows; each post is read by its id
    # (so the planner never walks every public post through the status index to find them).
    ranked = (
        sa.select(
            candidates.c.id,
            (candidates.c.score if score is None else of_post(score)).label("score"),
            of_post(Post.published_at).label("published_at"),
            sa.func.count().over().label("total"),
        )
        .where(sa.exists().where(Post.id == candidates.c.id, shown).correlate_except(Post))
        .order_by(sa.text("score, published_at DESC, id DESC"))
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
        .subquery("ranked")
    )
    statement = (
        sa.select(Post, ranked.c.total, capped.label("largest"))
        .join(ranked, ranked.c.id == Post.id)
        .options(so.joinedload(Post.author), so.selectinload(Post.tags))
        .order_by(ranked.c.score, ranked.c.published_at.desc(), ranked.c.id.desc())
    )
    rows = db.session.execute(statement).all()
    if page > 1 and not rows:
        return None
    shown_posts = [row[0] for row in rows[:per_page]]
    marks = _highlights(terms, [post.id for post in shown_posts], dialect)
    hits = [
        Hit(post, *marks.get(post.id, (escape(post.title), Markup("")))) for post in shown_posts
    ]
    total = rows[0].total if rows else 0
    capped_at = bool(rows) and (rows[0].largest or 0) >= CANDIDATES
    return Results(hits, page, len(rows) > per_page, total, capped_at)


def _sqlite(terms: list[Term]) -> tuple[list[sa.Select[Any]], sa.ColumnElement[Any] | None]:
    """The newest matches of each branch, with bm25 (lower is better) worked out by FTS5."""

    def branch(table: str, query: str, number: int, where: sa.ColumnElement[bool] | None) -> Any:
        fts = sa.table(table)
        rowid: sa.ColumnClause[Any] = sa.literal_column(f"{table}.rowid")
        select = (
            sa.select(
                rowid.label("id"),
                sa.literal_column(f"bm25({table}, {SQLITE_WEIGHTS})").label("score"),
                sa.literal(number).label("branch"),
            )
            .select_from(fts)
            .where(sa.literal_column(table).op("MATCH")(query))
        )
        if where is not None:
            select = select.where(where)
        return sa.select(select.order_by(rowid.desc()).limit(CANDIDATES).subquery())

    branches = [branch(SQLITE_STEMMED, _fts(terms), 1, None)]
    last = _prefix_term(terms)
    if last is not None:
        head = terms[:-1]
        within = None
        if head:
            within = sa.literal_column(f"{SQLITE_WORDS}.rowid").in_(
                sa.select(sa.literal_column(f"{SQLITE_STEMMED}.rowid"))
                .select_from(sa.table(SQLITE_STEMMED))
                .where(sa.literal_column(SQLITE_STEMMED).op("MATCH")(_fts(head)))
            )
        branches.append(branch(SQLITE_WORDS, _fts([last], prefix=True), 2, within))
    return branches, None


def _postgres(terms: list[Term]) -> tuple[list[sa.Select[Any]], sa.ColumnElement[Any] | None]:
    """The newest matches of each branch; the rank (ts_rank_cd, higher is better) is worked
    out afterwards for the candidates only."""
    stemmed: sa.ColumnClause[Any] = sa.literal_column(f"posts.{POSTGRES_STEMMED}")
    words: sa.ColumnClause[Any] = sa.literal_column(f"posts.{POSTGRES_WORDS}")

    def query(config: str, text: str) -> sa.ColumnElement[Any]:
        return sa.func.to_tsquery(sa.literal_column(f"'{config}'"), text)

    def branch(number: int, *conditions: sa.ColumnElement[bool]) -> sa.Select[Any]:
        inner = (
            sa.select(Post.id.label("id"), sa.literal(0.0).label("score"))
            .where(*conditions)
            .order_by(Post.id.desc())
            .limit(CANDIDATES)
            .subquery()
        )
        return sa.select(inner.c.id, inner.c.score, sa.literal(number).label("branch"))

    every = query("english", _tsquery(terms))
    branches = [branch(1, stemmed.op("@@")(every))]
    rank: sa.ColumnElement[Any] = sa.func.ts_rank_cd(
        stemmed, query("english", _tsquery(terms, " | "))
    )
    last = _prefix_term(terms)
    if last is not None:
        prefix = query("simple", _tsquery([last], prefix=True))
        conditions = [words.op("@@")(prefix)]
        if terms[:-1]:
            conditions.append(stemmed.op("@@")(query("english", _tsquery(terms[:-1]))))
        branches.append(branch(2, *conditions))
        rank = rank + sa.func.ts_rank_cd(words, prefix)
    return branches, -rank


def _highlights(
    terms: list[Term], ids: list[int], dialect: str
) -> dict[int, tuple[Markup, Markup]]:
    """The title and a body snippet of each post with the query's words in <mark>: from the
    stemmed index ("databases" for "database") and the words one ("running" for "runn"),
    whichever marks more."""
    if not ids:
        return {}
    prefix = _prefix_term(terms) is not None
    stemmed_query, words_query = _fts(terms, " OR "), _fts(terms, " OR ", prefix)
    statement: sa.CompoundSelect[Any]
    if dialect == "postgresql":
        statement = _postgres_highlights(terms, ids, prefix)
    else:
        statement = sa.union_all(
            _sqlite_highlights(SQLITE_STEMMED, stemmed_query, ids),
            _sqlite_highlights(SQLITE_WORDS, words_query, ids),
        )
    best: dict[int, tuple[str, str]] = {}
    for post_id, title, snippet in db.session.execute(statement):
        if post_id not in best or _marks(title + snippet) > _marks("".join(best[post_id])):
            best[post_id] = (title, snippet)
    return {post_id: (marked(title), marked(snippet)) for post_id, (title, snippet) in best.items()}


def _sqlite_highlights(table: str, query: str, ids: list[int]) -> sa.Select[Any]:
    rowid: sa.ColumnClause[Any] = sa.literal_column(f"{table}.rowid")
    marks = f"'{MARK_START}', '{MARK_END}'"
    return (
        sa.select(
            rowid,
            sa.literal_column(f"highlight({table}, 0, {marks})"),
            sa.literal_column(f"snippet({table}, 1, {marks}, '…', {SNIPPET_WORDS})"),
        )
        .select_from(sa.table(table))
        .where(sa.literal_column(table).op("MATCH")(query), rowid.in_(ids))
    )


def _postgres_highlights(terms: list[Term], ids: list[int], prefix: bool) -> sa.CompoundSelect[Any]:
    options = f"StartSel={MARK_START}, StopSel={MARK_END}"
    snippet = f"{options}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"
    selects = []
    for config, text in (
        ("english", _tsquery(terms, " | ")),
        ("simple", _tsquery(terms, " | ", prefix)),
    ):
        language: sa.ColumnClause[Any] = sa.literal_column(f"'{config}'")
        tsquery = sa.func.to_tsquery(language, text)
        selects.append(
            sa.select(
                Post.id,
                sa.func.ts_headline(
                    language, Post.search_title, tsquery, f"{options}, HighlightAll=true"
                ),
                sa.func.ts_headline(language, Post.search_body, tsquery, snippet),
            ).where(Post.id.in_(ids))
        )
    return sa.union_all(*selects)


def _marks(text: str) -> int:
    return text.count(MARK_START)


def marked(text: str) -> Markup:
    """Indexed text for display: escaped, the CJK separators gone, the markers as <mark>."""
    # Marks side by side (PostgreSQL marks each character of "数据") become one.
    text = text.replace(SEPARATOR, "").replace(ANGLE, "<").replace(MARK_END + MARK_START, "")
    shown = str(escape(text))
    # Safe: escaped above; only the two markers, never in any input, become tags.
    return Markup(shown.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S704


def include_in_autogenerate(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: the search structures live outside the models on purpose."""
    if type_ == "table" and name and name.startswith((SQLITE_STEMMED, SQLITE_WORDS)):
        return False
    if type_ == "column" and name in POSTGRES_DOCUMENTS:
        return False
    return not (type_ == "index" and name in POSTGRES_INDEXES.values())


def _run(statements: list[str], dialect: str) -> Any:
    def listener(_target: Any, connection: sa.Connection, **_kw: Any) -> None:
        if connection.dialect.name == dialect:
            for statement in statements:
                connection.exec_driver_sql(statement)

    return listener


for _dialect, _create, _drop in (
    ("sqlite", SQLITE_DDL, SQLITE_DROP),
    ("postgresql", POSTGRES_DDL, POSTGRES_DROP),
):
    sa.event.listen(Post.__table__, "after_create", _run(_create, _dialect))
    sa.event.listen(Post.__table__, "before_drop", _run(_drop, _dialect))
