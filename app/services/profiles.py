"""Member profiles: the rules for display names, bios, websites and time zones; the save; and
the initials and colour of an avatar for a member without a picture.

A display name is shown beside the @username everywhere (bylines, comments, the profile, the
feed), so a name that looks like someone else's cannot hide who wrote something. On top of
that, a display name may not look like another member's username (TR39 skeletons, as for
usernames), hold an "@" (it marks usernames), or carry invisible characters that reorder or
hide text (bidi overrides, zero-width spaces).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zoneinfo
from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Post, User
from app.services import i18n
from app.services.accounts import (
    InvalidAccountData,
    normalize_username,
    username_key,
    username_skeleton,
)
from app.services.markdown import render_bio
from app.text import ALLOWED_FORMAT, hides_or_reorders

DISPLAY_NAME_MAX = 50
BIO_MAX = 1000
WEBSITE_MAX = 200
DEFAULT_TIME_ZONE = "UTC"
WEBSITE_SCHEMES = frozenset({"http", "https"})
# The number of avatar colours: ``.avatar-hue-0`` … ``.avatar-hue-7`` in app/static/css.
AVATAR_HUES = 8
_SPACES = re.compile(r"\s+")
# More combining marks on one letter than any language needs ("Zalgo" text) draw over the
# lines around it, the @username included.
_STACKED_MARKS = re.compile(
    r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]{4,}"
)
_WORD_BREAKS = re.compile(r"[\s_.\-]+")


class InvalidProfile(ValueError):
    """A profile field breaks the rules; ``field`` names it, the message is user-facing."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def normalize_display_name(raw: str) -> str | None:
    """The display name as stored (NFC, trimmed, single spaces), None when empty."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX:
        raise InvalidProfile(
            "display_name",
            _(
                "Keep your display name to %(display_name_max)s characters.",
                display_name_max=DISPLAY_NAME_MAX,
            ),
        )
    if hides_or_reorders(name):
        raise InvalidProfile(
            "display_name", _("Remove the invisible or control characters from your display name.")
        )
    if not any(unicodedata.category(char)[0] in "LNPS" for char in name):
        raise InvalidProfile(
            "display_name", _("Your display name needs a visible letter, digit or symbol.")
        )
    if _STACKED_MARKS.search(unicodedata.normalize("NFD", name)):
        raise InvalidProfile(
            "display_name",
            _("Use fewer accents on one letter: they spill over the text around it."),
        )
    if "@" in name:
        raise InvalidProfile(
            "display_name", _("Leave out “@”: it marks usernames, and yours is shown beside it.")
        )
    return name


def normalize_bio(raw: str) -> str:
    """The bio as stored: line breaks as browsers count them (one character), trimmed."""
    bio = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(bio) > BIO_MAX:
        raise InvalidProfile(
            "bio",
            _(
                "Keep your bio to %(bio_max)s characters (%(length)s now).",
                bio_max=f"{BIO_MAX:,}",
                length=f"{len(bio):,}",
            ),
        )
    return bio


def normalize_website(raw: str) -> str | None:
    """An http(s) address with a host (``https://`` added when no scheme is typed), or None."""
    address = raw.strip()
    if not address:
        return None
    if any(char.isspace() or not char.isprintable() or char == "\\" for char in address):
        raise InvalidProfile("website", _("Remove the spaces and other invisible characters."))
    if not urlsplit(address).scheme:
        address = f"https://{address}"
    if len(address) > WEBSITE_MAX:
        raise InvalidProfile(
            "website",
            _("Use an address of at most %(website_max)s characters.", website_max=WEBSITE_MAX),
        )
    parts = urlsplit(address)
    if parts.scheme.lower() not in WEBSITE_SCHEMES:
        raise InvalidProfile("website", _("Use a web address starting with https:// or http://."))
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise InvalidProfile(
            "website", _("That address has a port that is not a number.")
        ) from None
    if parts.username is not None or parts.password is not None:
        raise InvalidProfile("website", _("Leave out the name and password before “@”."))
    if not parts.hostname or "." not in parts.hostname.strip("."):
        raise InvalidProfile(
            "website", _("Enter the address of a website, such as https://example.com.")
        )
    return address


@functools.cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name this system knows (UTC always), sorted."""
    return tuple(sorted(zoneinfo.available_timezones() | {DEFAULT_TIME_ZONE}))


def normalize_time_zone(raw: str) -> str:
    if raw not in time_zones():
        raise InvalidProfile("time_zone", _("Choose a time zone from the list."))
    return raw


def normalize_locale(raw: str | None) -> str | None:
    """A language of app/services/i18n.py, or None (empty): follow the browser."""
    if not raw:
        return None
    if raw not in i18n.LANGUAGES:
        raise InvalidProfile("locale", _("Choose a language from the list."))
    return raw


def _looks_like_another_member(user: User, display_name: str) -> bool:
    """True if the name, spaces and joiners aside, is another member's username in any case,
    or looks like it (a capital I is a look-alike of l, not of i, so both checks are needed)."""
    squashed = "".join(char for char in display_name if char not in ALLOWED_FORMAT | {" "})
    return (
        db.session.scalar(
            sa.select(User.id)
            .where(
                sa.or_(
                    User.username_key == username_key(squashed),
                    User.username_skeleton == username_skeleton(squashed),
                ),
                User.id != user.id,
            )
            .limit(1)
        )
        is not None
    )


def update_profile(
    user: User,
    *,
    display_name: str,
    bio: str,
    website: str,
    time_zone: str,
    locale: str | None = None,
) -> None:
    """Check and save ``user``'s profile as typed, and commit; InvalidProfile if a rule fails.

    The bio is rendered (and sanitized) here, once, not on every view.
    """
    name = normalize_display_name(display_name)
    if name is not None and _looks_like_another_member(user, name):
        raise InvalidProfile(
            "display_name",
            _("That looks like another member's username. Choose a name of your own."),
        )
    user.display_name = name
    user.bio = normalize_bio(bio)
    user.bio_html = render_bio(user.bio) if user.bio else ""
    user.website = normalize_website(website)
    user.time_zone = normalize_time_zone(time_zone)
    user.locale = normalize_locale(locale)
    db.session.commit()


def initials(name: str) -> str:
    """One or two letters for an avatar: the first letters of the first and last words.

    Unicode-aware: a letter keeps its combining marks ("हि"), a script without capitals stays
    as it is ("李"), and a capital that would grow ("ß" → "SS") keeps its small form.
    """
    letters = [
        letter for word in _WORD_BREAKS.split(name) if word and (letter := _first_letter(word))
    ]
    if not letters:
        return name.strip()[:1] or "?"
    chosen = letters[:1] if len(letters) == 1 else [letters[0], letters[-1]]
    return unicodedata.normalize("NFC", "".join(chosen))


def _first_letter(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    for index, char in enumerate(decomposed):
        if unicodedata.category(char)[0] in "LN":
            marks = ""
            for mark in decomposed[index + 1 :]:
                if unicodedata.category(mark)[0] != "M":
                    break
                marks += mark
            upper = char.upper()
            return (upper if len(upper) == 1 else char) + marks
    return ""


def avatar_hue(username: str) -> int:
    """The avatar colour of a member: a stable hash of the username (the same in any process)."""
    digest = hashlib.sha256(username_key(username).encode()).digest()
    return int.from_bytes(digest[:4], "big") % AVATAR_HUES


def address_key(username: str) -> str | None:
    """The key of the member a ``/users/<username>`` address names; None if no one could."""
    try:
        return username_key(normalize_username(username))
    except InvalidAccountData:
        return None


def public_author(key: str, their_posts: Sequence[Post]) -> User | None:
    """The member with ``key`` if the public may see them (None if absent or deactivated).

    Taken from the first of their posts already loaded (author joined): only a member with no
    public post costs a query.
    """
    author = (
        their_posts[0].author
        if their_posts
        else db.session.scalar(sa.select(User).where(User.username_key == key))
    )
    return author if author is not None and author.is_active else None
