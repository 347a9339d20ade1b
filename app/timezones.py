"""A member's time zone, and times typed in it (``datetime-local`` inputs) to and from UTC.

Times are stored in UTC; members read and type them in their own zone, chosen on their profile
(``users.time_zone``); ``member_zone`` is the one place that reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from app.services.i18n import DATE_PATTERNS, ENGLISH

if TYPE_CHECKING:
    from app.models import User

# What a ``datetime-local`` input sends (seconds only when its step asks for them); a space for
# browsers that show a plain text box.
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class LocalTimeError(ValueError):
    """A typed time that names no instant; the message says what to type instead."""


def member_zone(user: User) -> ZoneInfo:
    """The member's zone (``users.time_zone``, an IANA name), UTC when unset or unknown."""
    name = user.time_zone or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_local(text: str) -> datetime:
    """A naive wall-clock time from what a ``datetime-local`` input sent."""
    for layout in LOCAL_FORMATS:
        try:
            return datetime.strptime(text.strip(), layout)  # noqa: DTZ007  (a wall-clock time)
        except ValueError:
            continue
    raise LocalTimeError(_("Enter the date and time as YYYY-MM-DD HH:MM, e.g. 2030-05-01 09:30."))


def to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time in ``zone`` names.

    A time the clocks skip (the hour lost when summer time starts) names no instant: refused,
    so the member chooses. A time that happens twice (the hour repeated when it ends) means its
    first occurrence (``fold=0``); lists show times with their zone's abbreviation, which tells
    the two apart.
    """
    try:
        instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        round_trip = instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        raise LocalTimeError(_("Choose a date in the next few years.")) from None
    if round_trip != wall:
        locale = get_locale() or "en"  # the reader's (English outside a request)
        days = DATE_PATTERNS["date"]  # how each language writes a day, as pages do
        raise LocalTimeError(
            _(
                "%(time)s on %(date)s does not exist in %(zone)s: the clocks skip it. "
                "Choose another time.",
                time=format_time(wall.time(), "HH:mm", locale=locale),
                date=format_date(
                    wall.date(),
                    days.get(str(locale).replace("_", "-"), days[ENGLISH]),
                    locale=locale,
                ),
                zone=zone.key,
            )
        )
    return instant


def to_local_input(instant: datetime, zone: ZoneInfo) -> str:
    """``instant`` as a ``datetime-local`` input shows it in ``zone``."""
    return instant.astimezone(zone).strftime(INPUT_FORMAT)


# How a language other than English writes a date and time (Babel patterns, by Babel locale).
LABEL_PATTERNS = {"zh_Hans": "y年M月d日 HH:mm"}


def local_label(instant: datetime, zone: ZoneInfo) -> str:
    """``instant`` for people to read in ``zone``, e.g. "1 May 2030, 09:30 CEST (UTC+2)", or in
    the request's language (Chinese: "2030年5月1日 09:30 CEST", full-width brackets around the
    offset)."""
    local = instant.astimezone(zone)
    pattern = LABEL_PATTERNS.get(str(get_locale()))
    when = format_datetime(local, pattern, rebase=False) if pattern else f"{local:%-d %B %Y, %H:%M}"
    return f"{when} {_zone_label(local)}"


def _zone_label(local: datetime) -> str:
    """The zone's abbreviation with its offset from UTC, as an abbreviation alone can mean two
    zones ("CST": China's or America's Central): "CEST (UTC+2)", "UTC", and "UTC+4" where the
    zone has no abbreviation (tzdata writes "+04")."""
    name = local.strftime("%Z")
    minutes = round((local.utcoffset() or timedelta()).total_seconds() / 60)
    if minutes == 0 and name in {"UTC", "GMT"}:
        return name
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    offset = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    if name[:1] in "+-":
        return offset
    # TRANSLATORS: a time zone's abbreviation and its offset, e.g. "CEST (UTC+2)".
    return _("%(zone)s (%(offset)s)", zone=name, offset=offset)
