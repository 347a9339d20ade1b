"""Search over HTTP, on SQLite and PostgreSQL alike: stems, a prefix for the last word, CJK and
Devanagari words, relevance then recency, a count, highlighted snippets escaped, bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Post, utcnow
from app.services import search
from tests.factories import create_post, create_user

RESULT = re.compile(r'<h2 id="post-\d+"><a href="[^"]*">(.*?)</a></h2>', re.S)
COUNT = re.compile(r'<p class="result-count" role="status">(.*?) for “', re.S)
SNIPPET = re.compile(r'<p class="excerpt snippet">(.*?)</p>', re.S)


def _titles(client: FlaskClient, query: str) -> list[str]:
    """The titles found for ``query``, in order, without their highlighting."""
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200, query
    return [re.sub(r"</?mark>", "", title) for title in RESULT.findall(response.text)]


def _count(client: FlaskClient, query: str) -> str:
    match = COUNT.search(client.get("/search", query_string={"q": query}).text)
    assert match is not None, query
    return match.group(1).strip()


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def library(app: Flask) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(author, title="Choosing a database", body="Tables, rows and an index.")
        create_post(author, title="Weekend notes", body="We were running late, as usual.")
        create_post(author, title="Two databases", body="Replication between them.")
        create_post(author, title="Tea", body="Green, black and oolong.")


def test_a_word_finds_its_other_forms(library: None, client: FlaskClient) -> None:
    assert set(_titles(client, "database")) == {"Choosing a database", "Two databases"}
    assert set(_titles(client, "databases")) == {"Choosing a database", "Two databases"}
    assert _titles(client, "replicated") == ["Two databases"]
    assert _titles(client, "coffee") == []


def test_the_last_word_is_also_a_prefix(library: None, client: FlaskClient) -> None:
    assert set(_titles(client, "data")) == {"Choosing a database", "Two databases"}
    assert _titles(client, "runn") == ["Weekend notes"]  # "running" is stored as the stem "run"
    assert _titles(client, "choosing datab") == ["Choosing a database"]
    assert _titles(client, "dat choosing") == []  # only the last word is a prefix
    assert _titles(client, "ru") == []  # too short to be a prefix


def test_title_matches_rank_above_body_matches_and_newer_breaks_ties(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(author, title="Gardening", body="Notes on soil.")
        create_post(author, title="Old weekend", body="Some gardening on Sunday.")
        create_post(author, title="New weekend", body="Some gardening on Sunday.")
        create_post(author, title="Kitchen", body="Nothing about plants.")
    assert _titles(client, "gardening") == ["Gardening", "New weekend", "Old weekend"]
    assert _titles(client, "garden") == ["Gardening", "New weekend", "Old weekend"]


def test_results_are_counted_and_paged(app: Flask, client: FlaskClient) -> None:
    app.config["POSTS_PER_PAGE"] = 2
    with app.app_context():
        author = create_user("writer")
        for number in range(3):
            create_post(author, title=f"Kites {number}", body="About kites.")
        create_post(author, title="Boats", body="About boats and a kite.")
        create_post(author, title="Hidden kites", body="A draft.", status="draft")
    assert _count(client, "kite") == "4 results"
    assert _count(client, "boat") == "1 result"
    assert _count(client, "submarine") == "0 results"
    first = client.get("/search?q=kite").text
    assert '?q=kite&amp;page=2"' in first or "?page=2&amp;q=kite" in first
    second = client.get("/search?q=kite&page=2")
    assert second.status_code == 200
    assert len(RESULT.findall(second.text)) == 2
    # Results are in order of relevance: the links say next and previous, not older and newer.
    assert "Next →" in first
    assert "Older" not in first
    assert "← Previous" in second.text
    assert "Newer" not in second.text
    assert "Hidden kites" not in first + second.text
    assert client.get("/search?q=kite&page=3").status_code == 404


def test_a_count_at_the_bound_says_so(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each branch ranks its newest ``CANDIDATES`` matches only: a count there ends in "+"."""
    monkeypatch.setattr(search, "CANDIDATES", 2)
    with app.app_context():
        author = create_user("writer")
        for number in range(3):
            create_post(author, title=f"Kites {number}", body="About kites.")
    assert _count(client, "kite") == "2+ results"
    assert _titles(client, "kite") == ["Kites 2", "Kites 1"]  # the newest ones


def test_snippets_mark_the_words_and_escape_everything_else(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(
            author,
            title="Markup <b>inside</b> databases",
            body="Write `<script>alert(1)</script>` and `<b>` in databases here.",
        )
    page = client.get("/search", query_string={"q": '"alert" <databases>'}).text
    found = page[page.index('class="result-count"') :]
    assert "<script>" not in found
    assert "<b>" not in found
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in found
    assert "Markup &lt;b&gt;inside&lt;/b&gt; <mark>databases</mark>" in found
    snippet = SNIPPET.search(found)
    assert snippet is not None
    assert snippet.group(1).count("<mark>") == 2  # "alert" and "databases"
    assert "&#34;alert&#34; &lt;databases&gt;" in found  # the query, echoed


def test_chinese_and_japanese_are_searchable_by_any_run_of_characters(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(author, title="数据库入门", body="关系型数据库的基本概念。")
        create_post(author, title="東京の日記", body="きょうはデータベースの勉強をしました。")
        create_post(author, title="数学", body="代数和几何。")
    assert _titles(client, "数据库") == ["数据库入门"]
    assert _titles(client, "数据") == ["数据库入门"]
    assert _titles(client, "概念") == ["数据库入门"]
    assert _titles(client, "データベース") == ["東京の日記"]
    assert _titles(client, "数") == ["数学", "数据库入门"]  # "数学" in the title ranks first
    assert _titles(client, "据学") == []
    page = client.get("/search", query_string={"q": "数据"}).text
    assert "<mark>数据</mark>库入门" in page
    assert "关系型<mark>数据</mark>库的基本概念。" in page  # shown as written, without spaces


def test_words_with_combining_marks_stay_whole(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        author = create_user("writer")
        create_post(author, title="भाषा", body="हिन्दी एक भाषा है।")
        create_post(author, title="Other", body="हिन्द महासागर")
    assert _titles(client, "हिन्दी") == ["भाषा"]
    assert _titles(client, "महासागर") == ["Other"]


def test_accents(app: Flask, client: FlaskClient) -> None:
    """SQLite folds accents; PostgreSQL's dictionaries keep them (docs/architecture.md)."""
    with app.app_context():
        create_post(create_user("writer"), title="Café culture", body="A naïve espresso.")
    assert _titles(client, "café") == ["Café culture"]
    folded = ["Café culture"] if _dialect(app) == "sqlite" else []
    assert _titles(client, "cafe") == folded
    assert _titles(client, "naive") == folded


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "!!! ??? ...",
        "x" * 10_000,
        '"',
        '"unterminated',
        "NEAR(",
        "NEAR(a b",
        "*",
        "-",
        "a -b",
        "title:x",
        "a OR b AND NOT c",
        "'; DROP TABLE posts; --",
        "x:* & !y | (z",
        "\ue000\ue001",
        "\u0301",
        "a\u0301 \u0903",
        "\x1f\x1e",
        "\u200b",
        "日本" * 200,
    ],
)
def test_any_input_gets_a_page(library: None, client: FlaskClient, query: str) -> None:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Search posts" in response.text


def test_a_nul_is_refused_clearly(client: FlaskClient) -> None:
    assert client.get("/search?q=a%00b").status_code == 400


def test_edits_and_deletions_reach_the_index(app: Flask, client: FlaskClient) -> None:
    from app.services import posts

    with app.app_context():
        create_post(create_user("writer"), title="Draft title", body="Apples.")
    assert _titles(client, "apples") == ["Draft title"]
    with app.app_context():
        post = db.session.scalar(sa.select(Post))
        posts.update_post(
            post, title="Pears", body="Pears only.", summary=None, tags=[], status="published"
        )
    assert _titles(client, "apples") == []
    assert _titles(client, "pear") == ["Pears"]
    with app.app_context():
        posts.delete_post(db.session.scalar(sa.select(Post)))
    assert _titles(client, "pear") == []


def test_scheduled_posts_are_found_once_their_time_comes(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        post = create_post(create_user("writer"), title="Future comet", body="Soon.")
        post.published_at = utcnow() + timedelta(hours=1)
        db.session.commit()
    assert _titles(client, "comet") == []
    with app.app_context():
        post = db.session.scalar(sa.select(Post))
        post.published_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert _titles(client, "comet") == ["Future comet"]


def test_anonymous_results_are_cached_until_the_next_post(app: Flask, client: FlaskClient) -> None:
    from tests.integration.test_reading import counted_statements

    with app.app_context():
        create_post(create_user("writer"), title="Kites", body="About kites.")
    assert _titles(client, "kite") == ["Kites"]
    with counted_statements(app) as statements:
        assert _titles(client, "kite") == ["Kites"]
    assert statements == []
    assert _titles(client, "kite&page=2") == []  # a query of its own, cached under its own key
    assert client.get("/search?q=kite&page=2").status_code == 404
    with app.app_context():
        create_post(create_user("second"), title="More kites", body="Kites again.")
    assert set(_titles(client, "kite")) == {"More kites", "Kites"}


@pytest.mark.only_on("postgresql")
def test_postgresql_keeps_the_search_vectors_in_the_row(app: Flask) -> None:
    """Out of line (TOAST), each post a search reads costs about four more buffer reads."""
    with app.app_context():
        storage = db.session.execute(
            sa.text(
                "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'posts'::regclass"
                " AND attname IN ('search_vector', 'search_words') ORDER BY attname"
            )
        ).all()
    assert [tuple(row) for row in storage] == [("search_vector", "m"), ("search_words", "m")]


@pytest.mark.only_on("sqlite")
def test_sqlite_answers_prefixes_from_prefix_indexes(app: Flask) -> None:
    """Without them FTS5 merges every word that starts with the prefix: a cost that grows with
    the posts those words are in, not with the 500 kept."""
    with app.app_context():
        definition = db.session.scalar(
            sa.text("SELECT sql FROM sqlite_master WHERE name = :table"),
            {"table": search.SQLITE_WORDS},
        )
    assert "prefix='3 4 5 6 7 8'" in definition
