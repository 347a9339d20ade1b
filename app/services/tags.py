"""Tags as written: a display form, a key that says which tags are one, and a stable URL slug.

A tag keeps the form its first writer gave it ("C++", "Node.js", "数据库"). Two spellings are one
tag when their keys match: the key is the NFKC form, case-folded, with runs of spaces, dashes
and underscores as one dash ("Python" = "python", "Machine learning" = "machine-learning").

Its slug is made once, when the tag is created, and stored, so it never changes: the key's
letters, digits and combining marks of any script (so "हिन्दी" stays whole), with "+" and "#"
spelled out and a leading "." too ("c-plus-plus", "c-sharp", "dot-net"); any other character
separates words ("node-js"). C, C++ and C# get "c", "c-plus-plus" and "c-sharp". Two tags
whose slugs would be the same ("Node.js" and "node js") are told apart by "-2", "-3"…
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Post, Tag, post_tags
from app.text import has_invisible_controls, is_word_character

TAG_MAX = 40
TAGS_PER_POST = 10
SLUG_MAX = 80
KEY_MAX = 160  # NFKC and case folding can lengthen a 40-character tag ("ß" → "ss")
SPELLED_OUT = {"+": "plus", "#": "sharp"}
_SEPARATORS = re.compile(r"[\s_-]+")
_SPACES = re.compile(r"\s+")
# A slug suffix tries these numbers, then a random one (a collision that deep is deliberate).
NUMBERED_SUFFIXES = range(2, 12)


class InvalidTags(ValueError):
    """The tags typed cannot be used; the message says why, in words for the writer."""


def display_form(text: str) -> str:
    """The tag as written: trimmed, composed (NFC), runs of spaces as one."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def tag_key(text: str) -> str:
    """What makes spellings one tag: NFKC, case-folded, spaces, dashes and underscores as one."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("-", folded).strip("-")


def base_slug(text: str) -> str:
    """The slug a tag would get if no other tag had it (empty when it has no letter or digit)."""
    key = tag_key(text)
    if not any(is_word_character(character) for character in key):
        return ""  # "+", "#" or "." alone are not a tag
    words: list[str] = []
    word = ""
    for character in key:
        if is_word_character(character):
            word += character
            continue
        if word:
            words.append(word)
            word = ""
        if character in SPELLED_OUT:
            words.append(SPELLED_OUT[character])
        elif character == "." and not words:
            words.append("dot")
    if word:
        words.append(word)
    return "-".join(words)[:SLUG_MAX].strip("-")


# "," and the commas of Chinese and Japanese keyboards: the full-width comma and the list comma.
TAG_SEPARATORS = re.compile("[,\uff0c\u3001]")


def parse_tags(raw: str) -> list[str]:
    """Comma-separated input → tags as written, one per key (the first spelling), in order.

    Raises ``InvalidTags`` for a tag that is too long, has no letter or digit, or holds control
    characters, and for more than ``TAGS_PER_POST`` tags.
    """
    if has_invisible_controls(raw):
        raise InvalidTags(_("Remove the invisible control characters from the tags."))
    names: list[str] = []
    keys: set[str] = set()
    for part in TAG_SEPARATORS.split(raw):
        name = display_form(part)
        if not name:
            continue
        if len(name) > TAG_MAX or len(tag_key(name)) > KEY_MAX:
            shown = name[:TAG_MAX]
            raise InvalidTags(
                _(
                    "“%(shown)s…” is too long: keep each tag to %(tag_max)s characters.",
                    shown=shown,
                    tag_max=TAG_MAX,
                )
            )
        if not base_slug(name):
            raise InvalidTags(_("“%(name)s” needs at least one letter or digit.", name=name))
        key = tag_key(name)
        if key not in keys:
            keys.add(key)
            names.append(name)
    if len(names) > TAGS_PER_POST:
        raise InvalidTags(_("Use at most %(tags_per_post)s tags.", tags_per_post=TAGS_PER_POST))
    return names


def tags_named(names: Sequence[str]) -> list[Tag]:
    """The Tag rows for ``names`` (as ``parse_tags`` gives them), creating missing ones.

    An existing tag keeps its own spelling; safe against a concurrent creator. Never commits.
    """
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(tag_key(name), name)  # the first spelling wins
    if not wanted:
        return []
    existing = db.session.scalars(sa.select(Tag).where(Tag.name_key.in_(list(wanted))))
    found = {tag.name_key: tag for tag in existing}
    for key, name in wanted.items():
        if key not in found:
            found[key] = _create(name, key)
    return [found[key] for key in wanted]


def _create(name: str, key: str) -> Tag:
    for attempt in range(2):
        try:
            with db.session.begin_nested():
                slug = _free_slug(base_slug(name), random=attempt > 0)
                tag = Tag(name=name, name_key=key, slug=slug)
                db.session.add(tag)
            return tag
        except IntegrityError:  # another request created this tag, or took the slug, meanwhile
            existing = db.session.scalar(sa.select(Tag).where(Tag.name_key == key))
            if existing is not None:
                return existing
    raise AssertionError("unreachable: a random slug suffix does not collide twice")


def _free_slug(base: str, *, random: bool) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever no tag has yet."""
    if random:
        return f"{base[: SLUG_MAX - 9]}-{secrets.token_hex(4)}"
    numbered = [f"{base[: SLUG_MAX - 3]}-{n}" for n in NUMBERED_SUFFIXES]
    candidates = [base, *numbered]
    taken = set(db.session.scalars(sa.select(Tag.slug).where(Tag.slug.in_(candidates))))
    free = next((slug for slug in candidates if slug not in taken), None)
    return free or _free_slug(base, random=True)


def tag_for_address(text: str, *, shown: sa.ColumnElement[bool]) -> Tag | None:
    """The tag an address such as ``/tags/Python`` or ``/tags/C++`` means, if any.

    For addresses that are not a slug: matched by key ("C++" → "c++"), then by the slug the
    text would get ("Machine Learning" → "machine-learning"); the caller redirects to the slug.
    Only tags of a post that ``shown`` selects count: a tag used by drafts alone stays unknown.
    """
    if not text or len(text) > SLUG_MAX + TAG_MAX or not text.isprintable():
        return None
    key, slug = tag_key(text), base_slug(text)
    if not slug:
        return None
    return db.session.scalar(
        sa.select(Tag)
        .where(sa.or_(Tag.name_key == key, Tag.slug == slug))
        .where(Tag.id.in_(sa.select(post_tags.c.tag_id).join(Post).where(shown)))
        .order_by(sa.case((Tag.name_key == key, 0), else_=1), Tag.id)
        .limit(1)
    )
