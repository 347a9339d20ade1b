"""TR39 skeletons of usernames: look-alikes share one, different-looking names do not."""

from __future__ import annotations

import pytest

from app.services import accounts
from app.services.confusables import skeleton


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("unitest", "unit\u0435st"),
        ("admin", "adm\u0131n"),
        ("paypal", "paypa1"),
        ("paypal", "PaypaI"),
        ("scott", "sc0tt"),
        ("modern", "rnodern"),
        ("Unitest", "unit\u0435st"),
        ("\u0441\u0430\u0440", "cap"),  # all-Cyrillic: es, a, er
    ],
)
def test_look_alikes_share_a_skeleton(first: str, second: str) -> None:
    assert accounts.username_skeleton(first) == accounts.username_skeleton(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("anna", "anne"),
        ("admin", "admln"),
        ("unitest", "unittest"),
        ("ivan", "\u0438\u0432\u0430\u043d"),
    ],
)
def test_different_looking_names_do_not(first: str, second: str) -> None:
    assert accounts.username_skeleton(first) != accounts.username_skeleton(second)


def test_skeleton_follows_tr39_for_sources_and_prototypes() -> None:
    assert skeleton("\u0435") == skeleton("e") == "e"  # Cyrillic e → e
    assert skeleton("1") == skeleton("l") == skeleton("I") == "l"  # TR39: 1, I → l
    assert skeleton("m") == skeleton("rn") == "rn"
    assert skeleton("\u05c0") == "l"  # Hebrew paseq, a right-to-left source, → l


def test_a_skeleton_fits_its_column() -> None:
    longest = accounts.username_skeleton("\uaf66" * accounts.USERNAME_MAX)  # 7 each
    assert len(longest) <= accounts.USERNAME_SKELETON_MAX
