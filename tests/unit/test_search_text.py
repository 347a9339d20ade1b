"""Search text rules: what is indexed, how a query splits into terms, how results are marked."""

from __future__ import annotations

import random

import pytest

from app.services.search import Term, highlighted, search_document, search_terms, snippet


def _texts(query: str) -> list[tuple[str, bool]]:
    return [(term.text, term.is_cjk) for term in search_terms(query)]


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Databases, running!", [("Databases", False), ("running", False)]),
        ('"NEAR(a b)" * -x', [("NEAR", False), ("a", False), ("b", False), ("x", False)]),
        ("हिन्दी भाषा", [("हिन्दी", False), ("भाषा", False)]),  # marks stay in the word
        ("Python编程 数据库", [("Python", False), ("编程", True), ("数据库", True)]),
        ("caf\u0065\u0301", [("café", False)]),  # NFC
        ("\x1f\x1e", []),
        ("!!! ...", []),
    ],
)
def test_queries_split_into_words_and_cjk_runs(query: str, terms: list[tuple[str, bool]]) -> None:
    assert _texts(query) == terms


def test_a_query_is_bounded() -> None:
    assert len(search_terms("word " * 1000)) == 12
    assert search_terms("x" * 10_000) == [Term("x" * 200, is_cjk=False)]


def test_the_indexed_text_is_plain_with_cjk_characters_apart() -> None:
    title, body = search_document("数据 <b>", "<h2>Intro</h2><p>Hello <em>world</em> &lt;x&gt;</p>")
    assert title == "\x1f数\x1f\x1f据\x1f \x1eb>"
    assert body == "Intro Hello world \x1ex>"


def test_titles_are_marked_and_escaped() -> None:
    terms = search_terms("database run")
    marked = highlighted("<i>Databases</i> & running", terms)
    assert marked == "&lt;i&gt;<mark>Databases</mark>&lt;/i&gt; &amp; <mark>running</mark>"
    assert highlighted("A date with data", search_terms("data")) == "A date with <mark>data</mark>"
    assert highlighted("Studies", search_terms("study")) == "<mark>Studies</mark>"
    assert highlighted("关系型数据库", search_terms("数据")) == "关系型<mark>数据</mark>库"
    assert highlighted("Cafe café", search_terms("café")) == "<mark>Cafe</mark> <mark>café</mark>"


def test_snippets_start_near_the_first_match_and_cut_between_words() -> None:
    text = " ".join(f"w{number}" for number in range(200)) + " target " + "tail " * 100
    shown = snippet(text, search_terms("target"), length=60)
    assert shown.startswith("…w")
    assert shown.endswith("…")
    assert "<mark>target</mark>" in shown
    assert len(shown) < 100
    assert snippet("short <b>", search_terms("nothing")) == "short &lt;b&gt;"


def test_a_snippet_marks_what_the_whole_text_marks_there() -> None:
    """The snippet looks for the first mark only, then marks the words it shows: what it marks
    is what marking the whole text marks in that stretch (found by a comparison with the
    version that marked all 10,000 characters first)."""
    rng = random.Random(7)
    vocabulary = ["database", "Databases", "data", "date", "running", "run", "Café", "<b>", "&"]
    vocabulary += ["studies", "w1", "x_run", "é", "—", "naïve", "数据库", "テスト"]
    for _ in range(300):
        words = rng.choices(vocabulary, k=rng.randint(0, 600))
        text = "".join(word + rng.choice([" ", ", ", "\n", ""]) for word in words)
        terms = search_terms(rng.choice(["database", "run", "cafe", "study", "data runn"]))
        part = str(snippet(text, terms, length=rng.choice([20, 60, 220])))
        assert part.removeprefix("…").removesuffix("…") in str(highlighted(text, terms))


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("Running late, as runners do", "<mark>Running</mark> late, as <mark>runners</mark> do"),
        ("x_run run2 ²run", "x_<mark>run</mark> <mark>run2</mark> ²run"),  # "_" breaks, "²" not
        ("Café RUNNING 数据库", "Café <mark>RUNNING</mark> <mark>数据</mark>库"),
        ("हिन्दी run", "हिन्दी <mark>run</mark>"),  # the vowel signs keep the word whole
        ("e\u0301run runé", "e\u0301run <mark>runé</mark>"),  # a combining mark is a letter
    ],
)
def test_words_are_found_alike_in_ascii_and_in_any_script(text: str, marked: str) -> None:
    """ASCII text takes a shortcut to its words; other text is classified character by
    character: both mark the same words."""
    assert str(highlighted(text, search_terms("run 数据"))) == marked
