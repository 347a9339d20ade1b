"""Tag spellings, keys and slugs (``app/services/tags.py``)."""

from __future__ import annotations

import re

import pytest

from app.services.tags import InvalidTags, base_slug, parse_tags, tag_key


@pytest.mark.parametrize(
    ("written", "slug"),
    [
        ("C", "c"),
        ("C++", "c-plus-plus"),
        ("C#", "c-sharp"),
        ("F#", "f-sharp"),
        (".NET", "dot-net"),
        ("ASP.NET", "asp-net"),
        ("Node.js", "node-js"),
        ("Go", "go"),
        ("machine learning", "machine-learning"),
        ("数据库", "数据库"),
        ("हिन्दी", "हिन्दी"),
        ("தமிழ்", "தமிழ்"),
        ("تعلم الآلة", "تعلم-الآلة"),
        ("Straße", "strasse"),
        (
            "\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48",
            "full-width",
        ),  # full-width letters
        ("x" * 40 + "+" * 20, ("x" * 40 + "-plus" * 8)[:80].strip("-")),
        ("+", ""),
        ("#.", ""),
        ("!!!", ""),
    ],
)
def test_slugs(written: str, slug: str) -> None:
    assert base_slug(written) == slug


def test_c_cpp_and_csharp_have_different_keys_and_slugs() -> None:
    written = ["C", "C++", "C#", "C♯"]
    assert len({tag_key(name) for name in written}) == 4
    assert len({base_slug(name) for name in written[:3]}) == 3


@pytest.mark.parametrize(
    "spellings",
    [
        ("Python", "python", "PYTHON"),
        ("machine learning", "Machine-Learning", "machine_learning", " machine  learning "),
        ("Straße", "STRASSE"),
        ("Café", "Cafe\u0301"),
    ],
)
def test_one_key_for_spellings_of_one_tag(spellings: tuple[str, ...]) -> None:
    assert len({tag_key(name) for name in spellings}) == 1


def test_parse_keeps_the_first_spelling_in_order() -> None:
    assert parse_tags(" Python , C++,python, , C#,c++ ") == ["Python", "C++", "C#"]
    assert parse_tags("") == []


def test_chinese_and_japanese_commas_separate_tags_too() -> None:
    """A Chinese keyboard types U+FF0C (and lists with U+3001): one tag each, as with ","."""
    typed = "网页\uff0c笔记\u3001Python,旅行"
    assert parse_tags(typed) == ["网页", "笔记", "Python", "旅行"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("x" * 41, "keep each tag to 40 characters"),
        ("ﷺ" * 10, "keep each tag to 40 characters"),  # 10 characters, 180 once NFKC-folded
        ("ok, ++", "“++” needs at least one letter or digit."),
        ("tab\x0b", "invisible control characters"),
        (",".join(str(n) for n in range(11)), "Use at most 10 tags."),
    ],
)
def test_refused(raw: str, message: str) -> None:
    with pytest.raises(InvalidTags, match=re.escape(message)):
        parse_tags(raw)


def test_ten_distinct_tags_are_allowed_whatever_the_repeats() -> None:
    assert len(parse_tags(",".join(str(n % 10) for n in range(30)))) == 10
