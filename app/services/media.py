"""Members' images: upload, library, delete, avatars, and serving (each write owns its commit).

Ownership. Every upload makes (or finds) one ``MediaItem`` row of its member, named by a hash of
the re-encoded image, with its own copy of the bytes (``app/services/media_storage.py``). The
same image uploaded twice by one member is one item. Two members who upload the same image
each own an item and a copy; ``/media/<name>.<ext>`` serves whichever copy exists, so one
member deleting theirs never breaks the other's posts. Copies are not shared on purpose: no
reference counting, nothing another transaction can delete under an upload, and each member's
quota counts exactly the bytes kept for them. Identical uploads by different members are rare.

Use. ``post_media`` rows (``PostImage``) say which images each post shows; the posting service
keeps them on every save (``local_images`` / ``link_images``). An image the owner's own posts show
is never deleted. An image is its owner's to delete: another member whose post shows it by its
address cannot keep it alive (or fill its owner's quota) that way. Media rows are private to the
page cache: a post's HTML holds only the address, which stays the same either way.

Cost. Decoding is the expensive step (seconds and hundreds of MB for the largest images), so
everything cheap is checked before it (a form sent twice, a full library), and every upload that
reaches the decoder spends the member's upload budget (``rate_limits.costly_attempt``), kept or
not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import MediaItem, MediaKind, Post, PostImage, SiteSettings, User
from app.services import images, rate_limits, submissions
from app.services.images import ImageRefused, Processed
from app.services.markdown import LocalImage
from app.services.media_storage import ORIGINAL, storage

# A stored file's address: /media/<name>.<ext> for the original, /media/<name>-<width>.<ext>.
FILE_NAME: Final = re.compile(
    r"(?P<name>[0-9a-f]{32})(?:-(?P<width>[1-9][0-9]{1,3}))?\.(?P<ext>jpg|png|webp)"
)
# The same, as written into a post's Markdown (``![](/media/<name>.<ext>)``).
SNIPPET_URL: Final = re.compile(r"/media/([0-9a-f]{32}\.(?:jpg|png|webp))\b")
URL_PREFIX: Final = "/media/"


class UploadRefused(Exception):
    """An upload that cannot be kept; ``message`` is for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ImageInUse(Exception):
    """An image some post shows: deleting it would break the post."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Uploaded:
    """What an upload kept; ``still_of_animation`` when only its first frame could be kept."""

    item: MediaItem
    still_of_animation: bool


@dataclass(frozen=True)
class LibraryEntry:
    item: MediaItem
    used_in: list[Post]


@dataclass(frozen=True)
class Library:
    entries: list[LibraryEntry]
    used_bytes: int
    quota_bytes: int


# Uploads ----------------------------------------------------------------------------------------


def read_upload(upload: FileStorage | None) -> bytes:
    """The bytes of an uploaded file; ``UploadRefused`` when the form carried none."""
    if upload is None or not upload.filename:
        raise UploadRefused(_("Choose an image file to upload."))
    return upload.stream.read()


def upload(owner: User, upload: FileStorage | None, *, submission: str | None = None) -> Uploaded:
    """Keep an uploaded image in ``owner``'s library and commit; the same image again is the
    item they already have. ``UploadRefused`` says why a file cannot be kept (not an image,
    damaged, too many pixels, library full); ``AlreadySubmitted`` for a form sent twice."""
    data = read_upload(upload)
    submissions.check(owner, submission)
    _check_room(owner)
    config = current_app.config
    rate_limits.costly_attempt()
    try:
        processed = images.process(
            data, max_pixels=config["MEDIA_MAX_PIXELS"], max_side=config["MEDIA_MAX_SIDE"]
        )
    except ImageRefused as refused:
        raise UploadRefused(refused.message) from None
    location = f"/media#{processed.name}"
    existing = _item(owner, MediaKind.IMAGE, processed.name)
    if existing is None:
        _check_quota(owner, processed)
        existing = _store(owner, MediaKind.IMAGE, processed)
    submissions.record(owner, submission, location)
    try:
        db.session.commit()
    except IntegrityError:  # a twin submission, or the same image sent twice at once
        db.session.rollback()
        submissions.check(owner, submission)
        found = _item(owner, MediaKind.IMAGE, processed.name)
        if found is None:
            raise
        return Uploaded(found, processed.dropped_frames)
    return Uploaded(existing, processed.dropped_frames)


def _item(owner: User, kind: str, name: str) -> MediaItem | None:
    return db.session.scalar(
        sa.select(MediaItem).where(
            MediaItem.owner_id == owner.id, MediaItem.kind == kind, MediaItem.name == name
        )
    )


def _used_bytes(owner: User) -> int:
    used = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(MediaItem.stored_bytes), 0)).where(
            MediaItem.owner_id == owner.id
        )
    )
    return int(used or 0)


def _check_quota(owner: User, processed: Processed) -> None:
    quota = current_app.config["MEDIA_QUOTA_BYTES"]
    if _used_bytes(owner) + processed.stored_bytes > quota:
        raise UploadRefused(_full_message(quota))


def _check_room(owner: User) -> None:
    """Refuse before decoding when the library is already full (the exact check follows)."""
    quota = current_app.config["MEDIA_QUOTA_BYTES"]
    if _used_bytes(owner) >= quota:
        raise UploadRefused(_full_message(quota))


def _full_message(quota: int) -> str:
    return _(
        "Your image library is full (%(size)s in all). "
        "Delete images you no longer use, then try again.",
        size=format_bytes(quota),
    )


def _store(owner: User, kind: str, processed: Processed) -> MediaItem:
    """Add the item and its files to the session (the caller commits)."""
    item = MediaItem(
        owner_id=owner.id,
        kind=kind,
        name=processed.name,
        ext=processed.ext,
        width=processed.width,
        height=processed.height,
        variant_widths=sorted(processed.variants),
        stored_bytes=processed.stored_bytes,
    )
    db.session.add(item)
    db.session.flush()  # its id, for the files
    storage().save(item, {ORIGINAL: processed.data, **processed.variants})
    return item


# The library ----------------------------------------------------------------------------------


def library(owner: User) -> Library:
    """The member's images, newest first, each with the member's posts that show it."""
    items = list(
        db.session.scalars(
            sa.select(MediaItem)
            .where(MediaItem.owner_id == owner.id)
            .order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
        )
    )
    shown = [item for item in items if item.kind == MediaKind.IMAGE]
    uses: dict[str, list[Post]] = {item.filename: [] for item in shown}
    if shown:
        rows = db.session.execute(
            sa.select(PostImage.filename, Post)
            .join(Post, Post.id == PostImage.post_id)
            .where(Post.author_id == owner.id, PostImage.filename.in_(list(uses)))
            .order_by(Post.updated_at.desc())
        )
        for filename, post in rows.tuples():
            uses[filename].append(post)
    return Library(
        entries=[LibraryEntry(item, uses[item.filename]) for item in shown],
        used_bytes=sum(item.stored_bytes for item in items),
        quota_bytes=current_app.config["MEDIA_QUOTA_BYTES"],
    )


def owned_item(owner: User, item_id: int) -> MediaItem | None:
    """``owner``'s library image with this id (another member's is None, as if absent)."""
    return db.session.scalar(
        sa.select(MediaItem).where(
            MediaItem.id == item_id,
            MediaItem.owner_id == owner.id,
            MediaItem.kind == MediaKind.IMAGE,
        )
    )


def delete_item(item: MediaItem) -> None:
    """Delete an image and commit; ``ImageInUse`` while one of the owner's posts shows it.

    Other members' posts do not count: an image is its owner's, and a post that shows someone
    else's image by its address (a draft, say) cannot stop them deleting it.
    """
    own = list(
        db.session.scalars(
            sa.select(Post)
            .join(PostImage, PostImage.post_id == Post.id)
            .where(PostImage.filename == item.filename, Post.author_id == item.owner_id)
        )
    )
    if _is_share_card(item):
        raise ImageInUse(
            _("This image is the site's share card. Choose another in the site settings first.")
        )
    if own:
        titles = _(", ").join(_("“%(title)s”", title=post.title) for post in own[:3])
        raise ImageInUse(
            ngettext(
                "This image is in your post %(titles)s. Remove it from it first, then delete it.",
                "This image is in your posts %(titles)s. Remove it from them first, then delete"
                " it.",
                len(own),
                titles=titles,
            )
        )
    _delete(item)
    db.session.commit()


def _is_share_card(item: MediaItem) -> bool:
    """Whether the site settings show ``item`` as the share card (``app/services/site.py``)."""
    found = db.session.scalar(
        sa.select(SiteSettings.id).where(SiteSettings.share_image_id == item.id)
    )
    return found is not None


def _delete(item: MediaItem) -> None:
    storage().delete(item)
    db.session.delete(item)


# Posts ----------------------------------------------------------------------------------------


def local_images(markdown: str) -> dict[str, LocalImage]:
    """The images of this site a post's Markdown names (``/media/<name>.<ext>``), by file name.

    One query, whoever owns them; an address nobody has an image at is left out.
    """
    filenames = set(SNIPPET_URL.findall(markdown))
    if not filenames:
        return {}
    names = {filename.split(".")[0] for filename in filenames}
    found: dict[str, LocalImage] = {}
    for item in db.session.scalars(
        sa.select(MediaItem).where(MediaItem.name.in_(names)).order_by(MediaItem.id)
    ):
        if item.filename in filenames and item.filename not in found:
            found[item.filename] = LocalImage(
                item.filename, item.width, item.height, tuple(item.variant_widths)
            )
    return found


def link_images(post: Post, shown: dict[str, LocalImage]) -> None:
    """Make ``post``'s image links the files it shows (the posting service commits)."""
    kept = {link.filename: link for link in post.image_links if link.filename in shown}
    post.image_links = [kept.get(name) or PostImage(filename=name) for name in sorted(shown)]


# Serving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    name: str
    ext: str
    width: int  # ORIGINAL for the original

    @property
    def content_type(self) -> str:
        return images.CONTENT_TYPES[self.ext]

    @property
    def etag(self) -> str:
        return f"{self.name}-{self.width}.{self.ext}"


def parse_filename(filename: str) -> StoredFile | None:
    """The file an address names, or None when no stored file can have that name."""
    match = FILE_NAME.fullmatch(filename)
    if match is None:
        return None
    width = int(match["width"]) if match["width"] else ORIGINAL
    return StoredFile(match["name"], match["ext"], width)


def file_bytes(file: StoredFile) -> bytes | None:
    """The stored bytes (one read-only query; no other member state is touched)."""
    return storage().read(file.name, file.ext, file.width)


# Avatars --------------------------------------------------------------------------------------


def set_avatar(user: User, upload: FileStorage | None) -> MediaItem:
    """Make an uploaded image ``user``'s avatar (a centred square) and commit.

    ``UploadRefused`` as for ``upload``. The previous avatar's item is deleted: avatars are not
    library images, so nothing else could list or delete it later.
    """
    data = read_upload(upload)
    _check_room(user)
    rate_limits.costly_attempt()
    try:
        processed = images.process_avatar(data, max_pixels=current_app.config["MEDIA_MAX_PIXELS"])
    except ImageRefused as refused:
        raise UploadRefused(refused.message) from None
    item = _item(user, MediaKind.AVATAR, processed.name)
    if item is None:
        _check_quota(user, processed)
        item = _store(user, MediaKind.AVATAR, processed)
    _forget_avatar(user, keep=item.filename)
    user.avatar = item.filename
    db.session.commit()
    return item


def clear_avatar(user: User) -> None:
    """Remove ``user``'s avatar and commit."""
    _forget_avatar(user, keep=None)
    user.avatar = None
    db.session.commit()


def _forget_avatar(user: User, keep: str | None) -> None:
    if user.avatar is None or user.avatar == keep:
        return
    name = user.avatar.split(".")[0]
    old = _item(user, MediaKind.AVATAR, name)
    if old is not None:
        _delete(old)


def url_for_avatar(user: User, size: int = images.AVATAR_SIZE) -> str | None:
    """The address of ``user``'s avatar at ``size`` px or larger (None when they have none);
    no query: the name is on the user row and both sizes always exist."""
    if not user.avatar:
        return None
    if size > images.AVATAR_SMALL:
        return f"{URL_PREFIX}{user.avatar}"
    name, ext = user.avatar.split(".")
    return f"{URL_PREFIX}{name}-{images.AVATAR_SMALL}.{ext}"


def format_bytes(count: int) -> str:
    """A size as people say it: 812 bytes, 41 KB, 3.2 MB (1 KB = 1,000 bytes)."""
    if count < 1000:
        return ngettext("%(num)d byte", "%(num)d bytes", count)
    if count < 1_000_000:
        return f"{count / 1000:.0f} KB"
    return f"{count / 1_000_000:.1f} MB".replace(".0 MB", " MB")
