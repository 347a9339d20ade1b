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
count at that bound reads "500+". FTS5 yields matches newest first, and its prefix indexes
answer the last word without merging every word it begins; SQLite reads through a memory map
(``app.SQLITE_MMAP_SIZE``), so the few hundred posts and FTS5 rows a search looks up are not
copied page by page into a small cache. What still grows with the posts on SQLite: bm25 counts
every post with a query word for its IDF, and a prefix after other words ("database
replicat") keeps the posts the other words match through a list of all of them. PostgreSQL
keeps the tsvectors in the row (not TOAST) and both in one GIN index, which intersects the
stemmed words and the prefix itself; but GIN cannot yield matches in order, so collecting the
newest 500 costs either a backward walk of the primary key (about 500 divided by the share of
posts that match) or every match; the structures that yield matches in order, a term-to-post
table and the RUM extension, were measured and cost more than they save. A smaller bound was
measured and not taken: with 200, the planner walks the primary key backwards for "database
replication" (15,000 posts a branch, more than twice as slow as reading every match), as it
underrates what matching a tsvector costs (docs/performance.md, "Search").

Highlighting is done here, not by the engines (FTS5 ``snippet()`` re-runs the query for every
row it marks, which costs a whole doclist per post at 100,000 posts): ``highlighted`` and
``snippet`` mark the words that are a query word, begin with it, or share its stem with a short
ending; the text is escaped piece by piece, so only our <mark> tags are markup.

The structures are not ORM models: the FTS5 tables (kept in step by triggers) and the
PostgreSQL stored generated columns with their GIN index are created by the migrations, and
by ``create_all`` through the DDL events at the end; ``include_in_autogenerate`` keeps Alembic
from reporting them as drift.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup, escape

from app.extensions import db
from app.models import Post
from app.pagination import Window
from app.services.markdown import plain_text
from app.text import is_word_character, words

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# The last word counts as a prefix from this length on ("py" would match half the index).
MIN_PREFIX = 3
# The newest matches each branch ranks; a count at this bound is shown as "500+".
CANDIDATES = 500
SNIPPET_LENGTH = 220
# Snippets come from the start of a post: marking a whole long post would cost more than the query.
SNIPPET_SCAN = 10_000

SEPARATOR = "\x1f"
# Stands in for "<" in indexed text: PostgreSQL's parser reads "<b>" or "<script>…</script>"
# as markup and skips it, content and all; "<" breaks words in both engines anyway.
ANGLE = "\x1e"
_STRIPPED = str.maketrans("", "", SEPARATOR + ANGLE)
# Han (with extensions and compatibility ideographs), Hiragana, Katakana, Hangul.
_CJK_CHARACTER = (
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uffdc\U00020000-\U0003ffff]"
)
_CJK = re.compile(_CJK_CHARACTER)
_CJK_RUN = re.compile(f"{_CJK_CHARACTER}+")
# Letters, combining marks and digits: "हिन्दी" is one word, not three.

SQLITE_STEMMED = "posts_fts"
SQLITE_WORDS = "posts_words"
_SQLITE_CATEGORIES = "categories 'L* M* N* Co'"
SQLITE_TOKENIZERS = {
    SQLITE_STEMMED: f"porter unicode61 remove_diacritics 2 {_SQLITE_CATEGORIES}",
    SQLITE_WORDS: f"unicode61 remove_diacritics 2 {_SQLITE_CATEGORIES}",
}
# bm25 weights of (title, body): a word in the title counts ten times one in the body.
SQLITE_WEIGHTS = "10.0, 1.0"
# Prefix indexes of the words table, by prefix length: without one, FTS5 answers "data*" by
# merging the posting lists of every word that starts with "data" (twice: once more for bm25's
# document count), which costs as many posts as those words are in, not the 500 kept
# (migration 9e4b2d6c1a57). Longer prefixes are still answered, by merging.
SQLITE_PREFIXES = {SQLITE_WORDS: " ".join(str(length) for length in range(MIN_PREFIX, 9))}

POSTGRES_STEMMED = "search_vector"
POSTGRES_WORDS = "search_words"
# One GIN index over both columns (migration c60496b51f85): "database replicat" asks for the
# stemmed words and the last word's prefix together, and one index intersects them itself, where
# two indexes each built a bitmap of every post with "database" and then ANDed them.
POSTGRES_INDEX = "ix_posts_search"
POSTGRES_DOCUMENTS = {
    POSTGRES_STEMMED: "setweight(to_tsvector('english', search_title), 'A') || "
    "setweight(to_tsvector('english', search_body), 'B')",
    POSTGRES_WORDS: "to_tsvector('simple', search_title || ' ' || search_body)",
}


def _sqlite_ddl() -> list[str]:
    statements = []
    for table, tokenizer in SQLITE_TOKENIZERS.items():
        prefix = f", prefix='{SQLITE_PREFIXES[table]}'" if table in SQLITE_PREFIXES else ""
        statements.append(
            f"CREATE VIRTUAL TABLE {table} USING fts5(search_title, search_body, "
            f"content='posts', content_rowid='id', tokenize=\"{tokenizer}\"{prefix})"
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
    *(
        statement
        for column, document in POSTGRES_DOCUMENTS.items()
        for statement in (
            f"ALTER TABLE posts ADD COLUMN {column} tsvector "
            f"GENERATED ALWAYS AS ({document}) STORED",
            # In the row, not TOAST: each post a search reads costs no TOAST lookups (migration
            # 7c2e5f0a9d31).
            f"ALTER TABLE posts ALTER COLUMN {column} SET STORAGE MAIN",
        )
    ),
    f"CREATE INDEX {POSTGRES_INDEX} ON posts USING gin ({', '.join(POSTGRES_DOCUMENTS)})",
]
POSTGRES_DROP = [
    f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",
    *(f"ALTER TABLE posts DROP COLUMN IF EXISTS {column}" for column in POSTGRES_DOCUMENTS),
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


def search_terms(query: str) -> list[Term]:
    """The terms of a user's query, at most ``MAX_TERMS``; punctuation and syntax are dropped."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_LENGTH].translate(_STRIPPED))
    terms = []
    for word in words(text):
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


def _fts(terms: list[Term], prefix: bool = False) -> str:
    """FTS5 query text, every term required; with ``prefix``, every term long enough is a
    prefix."""
    star = "*" if prefix else ""
    return " ".join(f'"{term.words}"{star if _can_be_prefix(term) else ""}' for term in terms)


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
class Results(Window):
    """A page of hits with the total count (``capped``: at least ``total``)."""

    total: int = 0
    capped: bool = False


def search(
    terms: list[Term], shown: sa.ColumnElement[bool], page: int, per_page: int
) -> Results | None:
    """Page ``page`` of the posts matching ``terms`` among those ``shown``, best first, newest
    first among equals; None past the last page. Two statements: the page with its authors
    and the count, and the tags; titles and snippets are marked here (``highlighted``)."""
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

    # The shown candidates, ranked and counted with narrow rows. Each post is read by its id
    # once: on PostgreSQL by a join (its planner reads the few candidates first); SQLite's would
    # walk every public post through the status index to find them, so there the post is read
    # by correlated subqueries instead.
    ranking: sa.Select[Any]
    if score is None:

        def of_post(column: Any) -> sa.ScalarSelect[Any]:
            return sa.select(column).where(Post.id == candidates.c.id).scalar_subquery()

        ranking = sa.select(
            candidates.c.id,
            candidates.c.score,
            of_post(Post.published_at).label("published_at"),
            sa.func.count().over().label("total"),
        ).where(sa.exists().where(Post.id == candidates.c.id, shown).correlate_except(Post))
    else:
        ranking = (
            sa.select(
                candidates.c.id,
                score.label("score"),
                Post.published_at.label("published_at"),
                sa.func.count().over().label("total"),
            )
            .join_from(candidates, Post, Post.id == candidates.c.id)
            .where(shown)
        )
    ranked = (
        ranking.order_by(sa.text("score, published_at DESC, id DESC"))
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
    hits = [
        Hit(
            post,
            highlighted(_shown(post.search_title), terms),
            snippet(_shown(post.search_body), terms),
        )
        for post in shown_posts
    ]
    total = rows[0].total if rows else 0
    capped_at = bool(rows) and (rows[0].largest or 0) >= CANDIDATES
    return Results(hits, page, len(rows) > per_page, total=total, capped=capped_at)


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
            # "+rowid": a filter on the prefix matches as FTS5 yields them, newest first; a plain
            # rowid IN would run the prefix query once for every post the other words match.
            within = sa.literal_column(f"+{SQLITE_WORDS}.rowid").in_(
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


def _folded(word: str) -> str:
    """A word as compared for highlighting: case and Latin accents ignored."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")


# How ``_tokens`` reads a character: part of a word, a CJK character (a word alone), or neither.
_WORD, _CJK_WORD, _BREAK = "w", "c", " "
_TOKEN = re.compile(f"{_WORD}+|{_CJK_WORD}")
_ASCII_WORD = re.compile("[A-Za-z0-9]+")


def _kind(character: str) -> str:
    if _CJK.match(character):
        return _CJK_WORD
    return _WORD if is_word_character(character) else _BREAK


def _tokens(text: str) -> list[tuple[int, int]]:
    """The spans of the words of ``text``: letters, marks and digits; each CJK character alone.

    Each distinct character is classified once and the text is matched as a string of kinds
    (one character each, so the spans are the text's): a loop over every character in Python
    cost about 0.1 ms for a post of 500 characters, and a page marks ten posts three times.
    """
    if text.isascii():  # the common case: the only word characters are letters and digits
        return [match.span() for match in _ASCII_WORD.finditer(text)]
    kinds = text.translate({ord(character): _kind(character) for character in set(text)})
    return [match.span() for match in _TOKEN.finditer(kinds)]


def _same_word(token: str, term: str) -> bool:
    """Whether ``token`` is ``term``, begins with it, or looks like another form of it (a
    shared stem with short endings: "database"/"databases", "studies"/"study")."""
    if token == term or (len(term) >= MIN_PREFIX and token.startswith(term)):
        return True
    common = next(
        (i for i, (a, b) in enumerate(zip(token, term, strict=False)) if a != b),
        min(len(token), len(term)),
    )
    return common >= max(4, len(term) - 3) and common >= len(token) - 4


def _marked_spans(
    text: str, terms: list[Term], spans: list[tuple[int, int]] | None = None
) -> Iterator[tuple[int, int]]:
    """The spans of ``text`` to mark, in order: its words (``spans``, found if not given) that
    are a word of ``terms``, and the runs of CJK characters that spell a CJK term. Lazily, so
    ``snippet`` can stop at the first; whether a word is marked depends on it and the next few
    only, so marking a slice of ``spans`` marks what the whole would mark there."""
    spans = _tokens(text) if spans is None else spans
    folded_terms = [(term, _folded(term.text)) for term in terms]
    folded: dict[str, str] = {}

    def word(index: int) -> str:
        token = text[slice(*spans[index])]
        if token not in folded:
            folded[token] = _folded(token)
        return folded[token]

    same: dict[tuple[str, str], bool] = {}
    for index, (start, _end) in enumerate(spans):
        for term, folded_term in folded_terms:
            if term.is_cjk:
                stop = index + len(term.text)
                run = spans[index:stop]
                adjacent = all(a[1] == b[0] for a, b in itertools.pairwise(run))
                if (
                    len(run) == len(term.text)
                    and adjacent
                    and "".join(word(i) for i in range(index, stop)) == folded_term
                ):
                    yield start, run[-1][1]
                    break
                continue
            pair = (word(index), folded_term)
            if pair not in same:
                same[pair] = _same_word(*pair)
            if same[pair]:
                yield spans[index]
                break


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    """``text[start:end]`` escaped, with ``spans`` in <mark>."""
    parts, position = [], start
    for span_start, span_end in spans:
        if span_start < position or span_end > end:
            continue
        parts += [escape(text[position:span_start]), Markup("<mark>")]
        parts += [escape(text[span_start:span_end]), Markup("</mark>")]
        position = span_end
    parts.append(escape(text[position:end]))
    return Markup("").join(parts)


def highlighted(text: str, terms: list[Term]) -> Markup:
    """All of ``text`` (a title) with the words of the query in <mark>."""
    return _render(text, list(_marked_spans(text, terms)), 0, len(text))


# Where a token (a span) starts and ends, for bisecting ``_tokens``'s list (sorted by both).
_START, _END = operator.itemgetter(0), operator.itemgetter(1)


def snippet(text: str, terms: list[Term], length: int = SNIPPET_LENGTH) -> Markup:
    """About ``length`` characters of ``text`` from a little before the first word of the
    query (within its first ``SNIPPET_SCAN`` characters), marked, cut between words with "…"."""
    text = text[:SNIPPET_SCAN]
    tokens = _tokens(text)
    # Only the first mark is looked for in the whole text, and the words shown are marked: a
    # post of 10,000 characters has some 1,500 words, the snippet about 40.
    first = next(_marked_spans(text, terms, tokens), None)
    start = 0
    if first is not None and first[0] > length // 4:
        start = tokens[bisect.bisect_left(tokens, first[0] - length // 4, key=_START)][0]
    end = len(text)
    if start + length < end:
        last = bisect.bisect_right(tokens, start + length, key=_END)
        end = tokens[last - 1][1] if last and tokens[last - 1][1] > start else start + length
    shown = tokens[
        bisect.bisect_left(tokens, start, key=_START) : bisect.bisect_right(tokens, end, key=_END)
    ]
    spans = list(_marked_spans(text, terms, shown))
    lead = "…" if start else ""
    tail = "…" if end < len(text) else ""
    return escape(lead) + _render(text, spans, start, end) + escape(tail)


def _shown(text: str) -> str:
    """Indexed text as written: the CJK separators gone, "<" back."""
    return text.replace(SEPARATOR, "").replace(ANGLE, "<")


def include_in_autogenerate(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: the search structures live outside the models on purpose."""
    if type_ == "table" and name and name.startswith((SQLITE_STEMMED, SQLITE_WORDS)):
        return False
    if type_ == "column" and name in POSTGRES_DOCUMENTS:
        return False
    return not (type_ == "index" and name == POSTGRES_INDEX)


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
