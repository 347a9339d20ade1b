"""Sign-in identifiers are cut before they are normalized: NFKC can lengthen text 18 times."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest
from flask import Flask

from app.services import accounts

HUGE = "\ufdfa" * 100_000  # each becomes 18 characters under NFKC


def _peak_bytes(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refused_username() -> None:
    with pytest.raises(accounts.InvalidAccountData):
        accounts.normalize_username(HUGE)


def test_a_huge_username_is_refused_before_it_is_normalized() -> None:
    assert _peak_bytes(_refused_username) < 200_000


def test_a_huge_identifier_is_cut_before_its_throttle_key_is_made() -> None:
    key = ""

    def make() -> None:
        nonlocal key
        key = accounts.throttle_key(HUGE, None)

    assert _peak_bytes(make) < 200_000
    assert key.startswith("name:")
    assert len(key) <= len("name:") + accounts.EMAIL_KEY_MAX


def test_a_huge_identifier_finds_no_account_at_no_cost(app: Flask) -> None:
    with app.app_context():
        assert _peak_bytes(lambda: accounts.find_by_login(HUGE)) < 200_000
        assert accounts.find_by_login(HUGE) is None
