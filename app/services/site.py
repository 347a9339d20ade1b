"""The site's identity: its name, tagline, "about" text and share image (``site_settings``).

Reading costs no SQL in the steady state. Each process keeps the settings it read last with the
settings token of the page cache's store (``app/cache.py``) at that moment; any commit that
changes the row replaces the token (before the page version), so the next page each process
renders reads the row again, once. Without a page cache (``PAGE_CACHE_ENABLED`` off) there is
no token to share and the row is read for every page. When the database cannot be read, pages
show ``SITE_NAME`` and the built-in card, and try again on the next page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g
from flask_babel import gettext as _

from app import cache
from app.extensions import db
from app.models import EventType, MediaItem, MediaKind, SiteSettings, User, utcnow
from app.services import events
from app.services.markdown import render_bio
from app.services.sharing import Card, library_card
from app.text import has_invisible_controls, hides_or_reorders

NAME_MAX: Final = 60
TAGLINE_MAX: Final = 160
ABOUT_MAX: Final = 2000
ROW_ID: Final = 1
PROCESS_KEY: Final = "inkwell_site_identity"


@dataclass(frozen=True)
class SiteIdentity:
    """What every page shows of the site; ``image`` None means the built-in card."""

    name: str
    tagline: str = ""
    about_html: str = ""
    image: Card | None = None


class InvalidSettings(ValueError):
    """A field breaks the rules; ``field`` names it, the message is for the admin."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SettingsRefused(ValueError):
    """``save`` refused the form: ``errors`` holds a message for each field that breaks the
    rules (all of them at once, so the admin fixes the form in one go)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _configured() -> SiteIdentity:
    return SiteIdentity(name=current_app.config["SITE_NAME"])


def _read() -> SiteIdentity:
    """The row as pages show it (one query with its image); the configured name without one."""
    row = db.session.scalar(
        sa.select(SiteSettings)
        .where(SiteSettings.id == ROW_ID)
        .options(so.joinedload(SiteSettings.share_image))
    )
    if row is None:
        return _configured()
    item = row.share_image
    image = (
        library_card(item.name, item.ext, (item.width, item.height), item.variant_widths, "")
        if item is not None
        else None
    )
    return SiteIdentity(row.name, row.tagline, row.about_html, image)


def identity() -> SiteIdentity:
    """The site's identity for this page: kept per request, per process and settings token."""
    if "site_identity" in g:
        found: SiteIdentity = g.site_identity
        return found
    token = cache.settings_token()
    kept: tuple[str, SiteIdentity] | None = current_app.extensions.get(PROCESS_KEY)
    if token is not None and kept is not None and kept[0] == token:
        g.site_identity = kept[1]
        return kept[1]
    try:
        found = _read()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("site settings unreadable; showing SITE_NAME", exc_info=True)
        found = kept[1] if kept is not None else _configured()
    else:
        if token is not None:
            current_app.extensions[PROCESS_KEY] = (token, found)
    g.site_identity = found
    return found


def settings_row() -> SiteSettings | None:
    return db.session.scalar(sa.select(SiteSettings).where(SiteSettings.id == ROW_ID))


def share_image_choices(admin: User) -> list[MediaItem]:
    """The images an admin may make the share card: their own library's, newest first, and the
    card chosen now, whoever's library it is in (so another admin's save keeps it)."""
    row = settings_row()
    mine = MediaItem.owner_id == admin.id
    if row is not None and row.share_image_id is not None:
        mine = sa.or_(mine, MediaItem.id == row.share_image_id)
    return list(
        db.session.scalars(
            sa.select(MediaItem)
            .where(mine, MediaItem.kind == MediaKind.IMAGE)
            .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
        )
    )


def _line(field: str, raw: str, limit: int) -> str:
    """One line of text for ``field`` ("name" or "tagline"); the messages name the field."""
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if has_invisible_controls(text) or hides_or_reorders(text):  # no override may flip the page
        if field == "name":
            raise InvalidSettings(
                field, _("Remove the invisible control characters from the site name.")
            )
        raise InvalidSettings(field, _("Remove the invisible control characters from the tagline."))
    if len(text) > limit:
        if field == "name":
            message = _(
                "Keep the site name to %(limit)s characters (%(length)s now).",
                limit=limit,
                length=len(text),
            )
        else:
            message = _(
                "Keep the tagline to %(limit)s characters (%(length)s now).",
                limit=limit,
                length=len(text),
            )
        raise InvalidSettings(field, message)
    return text


def normalize_name(raw: str) -> str:
    name = _line("name", raw, NAME_MAX)
    if not name:
        raise InvalidSettings("name", _("Give the site a name."))
    return name


def normalize_tagline(raw: str) -> str:
    return _line("tagline", raw, TAGLINE_MAX)


def normalize_about(raw: str) -> str:
    about = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if has_invisible_controls(about):
        raise InvalidSettings("about", _("Remove the invisible control characters from the text."))
    if len(about) > ABOUT_MAX:
        raise InvalidSettings(
            "about",
            _(
                "Keep the about text to %(limit)s characters (%(length)s now).",
                limit=f"{ABOUT_MAX:,}",
                length=f"{len(about):,}",
            ),
        )
    return about


def _share_image_id(admin: User, chosen: str) -> int | None:
    """The library image chosen by its id ("" is the built-in card); only ``admin``'s own."""
    if not chosen:
        return None
    if chosen.isdigit() and int(chosen) in {item.id for item in share_image_choices(admin)}:
        return int(chosen)
    raise InvalidSettings(
        "share_image", _("Choose one of your library's images, or the built-in card.")
    )


def save(admin: User, *, name: str, tagline: str, about: str, share_image: str) -> list[str]:
    """Store the settings and audit them in one commit; the names of the fields that changed.

    ``share_image`` is the id of an image of ``admin``'s library, or "" for the built-in card.
    ``SettingsRefused`` names every field that breaks the rules. When nothing changed, nothing
    is written or audited.
    """
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for field, normalize, raw in (
        ("name", normalize_name, name),
        ("tagline", normalize_tagline, tagline),
        ("about", normalize_about, about),
    ):
        try:
            values[field] = normalize(raw)
        except InvalidSettings as error:
            errors[error.field] = str(error)
    share_image_id: int | None = None
    try:
        share_image_id = _share_image_id(admin, share_image)
    except InvalidSettings as error:
        errors[error.field] = str(error)
    if errors:
        raise SettingsRefused(errors)
    existing = settings_row()
    changed = [
        field
        for field, value in values.items()
        if existing is None or getattr(existing, field) != value
    ]
    if (existing.share_image_id if existing is not None else None) != share_image_id:
        changed.append("share_image")
    if not changed:
        return []
    row = existing or SiteSettings(id=ROW_ID)
    db.session.add(row)
    for field, value in values.items():
        setattr(row, field, value)
    row.about_html = render_bio(values["about"])
    row.share_image_id = share_image_id
    row.updated_at = utcnow()
    events.record(EventType.SITE_SETTINGS_CHANGED, actor=admin, identifier=", ".join(changed))
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another admin saved the first settings at the same moment
        db.session.rollback()
        raise SettingsRefused(
            {"name": _("The settings changed meanwhile: send the form again.")}
        ) from None
    return changed
