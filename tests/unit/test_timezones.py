"""Times typed in a member's zone: parsing, summer-time gaps and repeated hours, the fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.cache import due_note, read_due_note, version_made_at
from app.timezones import LocalTimeError, local_label, member_zone, parse_local, to_utc

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("name", "zone"),
    [(None, "UTC"), ("", "UTC"), ("Europe/Paris", "Europe/Paris"), ("Mars/Olympus", "UTC")],
)
def test_member_zone_falls_back_to_utc(name: str | None, zone: str) -> None:
    assert member_zone(SimpleNamespace(time_zone=name)).key == zone
    assert member_zone(SimpleNamespace(time_zone="")).key == "UTC"


@pytest.mark.parametrize("typed", ["2030-05-01T09:30", "2030-05-01 09:30", "2030-05-01T09:30:00"])
def test_what_a_datetime_local_input_sends_is_read(typed: str) -> None:
    assert parse_local(typed) == datetime(2030, 5, 1, 9, 30)  # noqa: DTZ001  (a wall-clock time)


@pytest.mark.parametrize("typed", ["tomorrow", "2030-13-01T09:30", "2030-05-01", "09:30", ""])
def test_anything_else_is_refused_with_a_hint(typed: str) -> None:
    with pytest.raises(LocalTimeError, match="YYYY-MM-DD HH:MM"):
        parse_local(typed)


def test_summer_and_winter_times_give_the_right_instants() -> None:
    assert to_utc(datetime(2030, 1, 15, 9, 0), PARIS) == datetime(2030, 1, 15, 8, 0, tzinfo=UTC)  # noqa: DTZ001
    assert to_utc(datetime(2030, 7, 15, 9, 0), PARIS) == datetime(2030, 7, 15, 7, 0, tzinfo=UTC)  # noqa: DTZ001


def test_a_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(LocalTimeError, match="does not exist in Europe/Paris"):
        to_utc(datetime(2030, 3, 31, 2, 30), PARIS)  # noqa: DTZ001  (clocks go 02:00 → 03:00)


def test_a_time_that_happens_twice_means_the_first_and_says_which() -> None:
    instant = to_utc(datetime(2030, 10, 27, 2, 30), PARIS)  # noqa: DTZ001  (03:00 → 02:00)
    assert instant == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert local_label(instant, PARIS) == "27 October 2030, 02:30 CEST (UTC+2)"
    later = local_label(datetime(2030, 10, 27, 1, 30, tzinfo=UTC), PARIS)
    assert later.endswith("02:30 CET (UTC+1)")


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("UTC", "1 May 2030, 07:30 UTC"),
        ("Europe/London", "1 May 2030, 08:30 BST (UTC+1)"),
        ("Asia/Shanghai", "1 May 2030, 15:30 CST (UTC+8)"),  # not America's Central time
        ("America/Chicago", "1 May 2030, 02:30 CDT (UTC-5)"),
        ("Asia/Kolkata", "1 May 2030, 13:00 IST (UTC+5:30)"),
        ("Asia/Dubai", "1 May 2030, 11:30 UTC+4"),  # tzdata has no abbreviation: "+04"
    ],
)
def test_a_time_says_its_offset_from_utc_as_an_abbreviation_can_mean_two_zones(
    zone: str, label: str
) -> None:
    assert local_label(datetime(2030, 5, 1, 7, 30, tzinfo=UTC), ZoneInfo(zone)) == label


def test_a_due_note_belongs_to_one_version() -> None:
    due = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    assert read_due_note("v1-5", due_note("v1-5", due)) == (True, due)
    assert read_due_note("v1-5", due_note("v1-5", None)) == (True, None)
    assert read_due_note("v2-6", due_note("v1-5", due)) == (False, None)
    assert read_due_note("v1-5", None) == (False, None)
    assert read_due_note("v1-5", "v1-5|soon") == (False, None)


def test_a_version_says_when_it_was_made() -> None:
    made = datetime(2030, 1, 15, 13, 0, 0, 250, tzinfo=UTC)
    assert version_made_at(f"0123abcd-{int(made.timestamp()) * 1_000_000 + 250}") == made
    # A token from before versions carried a time counts as made at the epoch: due at once.
    assert version_made_at("0123456789abcdef") == datetime(1970, 1, 1, tzinfo=UTC)
