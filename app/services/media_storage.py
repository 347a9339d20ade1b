"""Where the bytes of media items live, behind one small interface.

``MEDIA_STORAGE`` chooses the backend; ``database`` (the default) keeps every stored width in
the ``media_files`` table, so any number of app servers serve the same images with no shared
disk, and a member's files go with their rows (ON DELETE CASCADE). Another backend (a folder,
an object store) implements ``MediaStorage`` and is named in ``BACKENDS``; its ``save`` and
``delete`` run inside the service's transaction, so it must tolerate a rollback after them
(write under the item's id, sweep files whose item is gone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import MediaFile, MediaItem

ORIGINAL = 0  # the width key of an item's original in ``save`` and ``read``


class MediaStorage(Protocol):
    def save(self, item: MediaItem, files: Mapping[int, bytes]) -> None:
        """Keep ``files`` (by width, ``ORIGINAL`` for the original) for a flushed item."""

    def read(self, name: str, ext: str, width: int) -> bytes | None:
        """The bytes of ``<name>.<ext>`` at ``width`` from any member's copy, if stored."""

    def delete(self, item: MediaItem) -> None:
        """Forget the item's files (called before the item's row is deleted)."""


class DatabaseStorage:
    """Bytes in ``media_files``: shared by every server, deleted with their item's row."""

    def save(self, item: MediaItem, files: Mapping[int, bytes]) -> None:
        db.session.add_all(
            MediaFile(item_id=item.id, width=width, data=data) for width, data in files.items()
        )

    def read(self, name: str, ext: str, width: int) -> bytes | None:
        return db.session.scalar(
            sa.select(MediaFile.data)
            .join(MediaItem, MediaItem.id == MediaFile.item_id)
            .where(MediaItem.name == name, MediaItem.ext == ext, MediaFile.width == width)
            .order_by(MediaItem.id)
            .limit(1)
        )

    def delete(self, item: MediaItem) -> None:
        """Nothing to do: the rows go with the item's (ON DELETE CASCADE)."""


BACKENDS: dict[str, Callable[[], MediaStorage]] = {"database": DatabaseStorage}


def storage() -> MediaStorage:
    """The backend ``MEDIA_STORAGE`` names (checked when the app starts)."""
    return BACKENDS[current_app.config["MEDIA_STORAGE"]]()


def check_setting(name: str) -> None:
    if name not in BACKENDS:
        choices = ", ".join(sorted(BACKENDS))
        raise RuntimeError(f"MEDIA_STORAGE={name!r} is not one of: {choices}.")
