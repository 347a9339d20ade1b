"""Database models: data and small domain methods only (writes live in ``app/services``)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from app.extensions import Model, db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite keeps no zone and hands back naive values; this type stores UTC and always returns an
    aware ``datetime`` so comparisons with ``utcnow()`` work the same on SQLite and PostgreSQL.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class User(UserMixin, Model):
    """A member. ``username_key`` and ``email_key`` carry the case-insensitive uniqueness;
    ``username_skeleton`` (what the name looks like) finds look-alikes, without a constraint."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(32))
    username_key: so.Mapped[str] = so.mapped_column(sa.String(96), unique=True)
    username_skeleton: so.Mapped[str] = so.mapped_column(sa.String(255), index=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    email_key: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    is_admin: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    is_active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The public profile (app/services/profiles.py): ``bio_html`` is ``bio`` rendered on save.
    display_name: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    bio: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    bio_html: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    website: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # An IANA name (zoneinfo), for showing times to this member; never shown to others.
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="UTC", server_default="UTC")
    # The member's language ("en", "zh-Hans"; app/services/i18n.py); None follows the browser.
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    # The file name of the member's avatar in the media library ("<name>.<ext>"), if any.
    avatar: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    # Mail me about comments on my posts / replies to my comments (app/services/notifications.py).
    notify_comments: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    notify_replies: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())

    sessions: so.WriteOnlyMapped[UserSession] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    # Deleting an account deletes its posts and comments (ON DELETE CASCADE in the database).
    posts: so.WriteOnlyMapped[Post] = so.relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )
    comments: so.WriteOnlyMapped[Comment] = so.relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._session_token: str | None = None

    @so.reconstructor
    def _init_on_load(self) -> None:
        self._session_token = None

    def attach_session_token(self, token: str) -> None:
        """Bind this object to the sign-in whose token Flask-Login will keep in its cookies."""
        self._session_token = token

    def get_id(self) -> str:
        """Flask-Login's id is the sign-in token: deleting the session row revokes both cookies."""
        if self._session_token is None:
            raise RuntimeError(
                "This user has no sign-in attached; use services.sessions.sign_in()."
            )
        return self._session_token

    @property
    def name_shown(self) -> str:
        """The name bylines show: the display name if set, else the username."""
        return self.display_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class AuthMethod(enum.StrEnum):
    """How a sign-in proved who it was, shown on the devices page."""

    PASSWORD = "password"  # noqa: S105 (a name, not a secret)
    PASSWORD_TOTP = "password+totp"  # noqa: S105
    PASSWORD_TRUSTED = "password+trusted"  # noqa: S105 (a browser trusted after a code)
    PASSKEY = "passkey"


class UserSession(Model):
    """One sign-in. Only a SHA-256 of its random token is stored."""

    __tablename__ = "user_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    remembered: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(512))
    auth_method: so.Mapped[str] = so.mapped_column(
        sa.String(20), default=AuthMethod.PASSWORD, server_default=AuthMethod.PASSWORD.value
    )
    # The passkey that made (or was enrolled in) this sign-in: removing it ends the sign-in.
    passkey_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("passkeys.id", ondelete="SET NULL"), index=True
    )

    user: so.Mapped[User] = so.relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class PostStatus(enum.StrEnum):
    """What is stored. A published post is public from ``published_at`` on: until then (a time
    in the future) it is *scheduled*, and appears by itself when the time comes."""

    DRAFT = "draft"
    PUBLISHED = "published"


class PostState(enum.StrEnum):
    """What a writer sees: a published post whose time has not come yet is scheduled."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


post_tags = sa.Table(
    "post_tags",
    db.metadata,
    sa.Column("post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Model):
    """A topic: ``name`` as first written ("C++"), ``name_key`` says which spellings are this tag,
    ``slug`` is its address, given once and never changed (``app/services/tags.py``)."""

    __tablename__ = "tags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name_key: so.Mapped[str] = so.mapped_column(sa.String(160), unique=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name!r}>"


class Post(Model):
    """A post. ``body_html`` is the sanitized rendering of ``body_markdown``, made once on save.

    ``excerpt`` is the summary every list, feed and card shows: the writer's own ``summary``
    when there is one, else the first paragraph of the body (``make_excerpt``). Both it and
    ``reading_minutes`` are worked out on save, so lists never need the body.
    """

    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_status_published_at", "status", "published_at"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    author_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    slug: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    body_markdown: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    excerpt: so.Mapped[str] = so.mapped_column(sa.String(400))
    summary: so.Mapped[str | None] = so.mapped_column(sa.String(400))
    reading_minutes: so.Mapped[int] = so.mapped_column(sa.Integer, server_default="1")
    # What search indexes: the title and the body's plain text (app/services/search.py).
    search_title: so.Mapped[str] = so.mapped_column(sa.Text, server_default="")
    search_body: so.Mapped[str] = so.mapped_column(sa.Text, server_default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=PostStatus.DRAFT)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    author: so.Mapped[User] = so.relationship(back_populates="posts")
    tags: so.Mapped[list[Tag]] = so.relationship(secondary=post_tags, order_by=Tag.name_key)
    comments: so.WriteOnlyMapped[Comment] = so.relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True
    )
    # The images of this site the post shows (app/services/media.py keeps them).
    image_links: so.Mapped[list[PostImage]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_published(self) -> bool:
        """Public now (its author may still be deactivated): published and its time has come."""
        return self.status == PostStatus.PUBLISHED and not self.is_scheduled

    @property
    def is_scheduled(self) -> bool:
        return (
            self.status == PostStatus.PUBLISHED
            and self.published_at is not None
            and self.published_at > utcnow()
        )

    @property
    def was_public(self) -> bool:
        """Public at some time (it may be a draft again since): ``published_at`` has passed."""
        return self.published_at is not None and self.published_at <= utcnow()

    @property
    def last_changed(self) -> datetime:
        """Its last edit, or its publication if that came later (a post written beforehand)."""
        return max(self.updated_at, self.published_at or self.updated_at)

    @property
    def state(self) -> PostState:
        if self.status == PostStatus.DRAFT:
            return PostState.DRAFT
        return PostState.SCHEDULED if self.is_scheduled else PostState.PUBLISHED

    def withdraw(self) -> None:
        """Back to a draft; a publication time that has not come yet is forgotten."""
        self.status = PostStatus.DRAFT
        if not self.was_public:
            self.published_at = None

    def __repr__(self) -> str:
        return f"<Post {self.slug!r}>"


class Comment(Model):
    """A plain-text comment; ``is_hidden`` is set by moderators.

    A reply has a ``parent``: always a top-level comment (one level of threading). A thread
    lives and dies with its first comment: deleting it deletes its replies (ON DELETE CASCADE),
    and while it is hidden its replies are not shown either.
    """

    __tablename__ = "comments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    is_hidden: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )

    post: so.Mapped[Post] = so.relationship(back_populates="comments")
    author: so.Mapped[User] = so.relationship(back_populates="comments")
    parent: so.Mapped[Comment | None] = so.relationship(remote_side=[id], back_populates="replies")
    replies: so.WriteOnlyMapped[Comment] = so.relationship(
        back_populates="parent", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id}>"


class EventType(enum.StrEnum):
    REGISTERED = "registered"  # an account made from the sign-up form (not the command line)
    LOGIN_SUCCESS = "login_success"
    LOGIN_FAILURE = "login_failure"
    LOGOUT = "logout"
    THROTTLED = "throttled"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an event name)
    PASSWORD_RESET_REQUESTED = "password_reset_requested"  # noqa: S105  (an event name)
    PASSWORD_RESET = "password_reset"  # noqa: S105  (an event name)
    SESSION_REVOKED = "session_revoked"
    OTHER_SESSIONS_REVOKED = "other_sessions_revoked"
    REAUTHENTICATED = "reauthenticated"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    ACCOUNT_DELETED = "account_deleted"
    # Admin actions: ``actor`` is the admin (None from the command line), ``user`` the target.
    USER_DEACTIVATED = "user_deactivated"
    USER_ACTIVATED = "user_activated"
    ADMIN_GRANTED = "admin_granted"
    ADMIN_REVOKED = "admin_revoked"
    USER_UNLOCKED = "user_unlocked"
    SESSIONS_REVOKED_BY_ADMIN = "sessions_revoked_by_admin"
    POST_UNPUBLISHED = "post_unpublished"
    POST_DELETED = "post_deleted"
    COMMENT_HIDDEN = "comment_hidden"
    COMMENT_UNHIDDEN = "comment_unhidden"
    COMMENT_DELETED = "comment_deleted"
    MAIL_RETRIED = "mail_retried"
    SITE_SETTINGS_CHANGED = "site_settings_changed"  # identifier: the fields that changed
    # Two-factor sign-in (app/services/mfa.py).
    TOTP_ENABLED = "totp_enabled"
    TOTP_DISABLED = "totp_disabled"
    TOTP_RESET_BY_ADMIN = "totp_reset_by_admin"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated"
    RECOVERY_CODE_USED = "recovery_code_used"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    TRUSTED_BROWSER_REVOKED = "trusted_browser_revoked"
    # Passkeys (app/services/passkeys.py).
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    PASSKEY_CLONE_SUSPECTED = "passkey_clone_suspected"  # its counter went backwards


SIGN_IN_EVENTS = (EventType.LOGIN_SUCCESS, EventType.LOGIN_FAILURE, EventType.THROTTLED)


class SecurityEvent(Model):
    """The security event log: who did what to which account, from where, and when.

    Rows outlive the accounts they mention: the user columns become NULL when an account is
    deleted, and ``username`` / ``actor_username`` (the names when the event happened) stay, so
    the trail still says whose it was.
    """

    __tablename__ = "security_events"
    __table_args__ = (sa.Index("ix_security_events_user_id_created_at", "user_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    type: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    # The account the event is about, and who caused it (the same for self-service actions).
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    username: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    actor_username: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # For sign-in attempts: the name that was typed (it may match no account).
    identifier: so.Mapped[str | None] = so.mapped_column(sa.String(320))
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(512))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])
    actor: so.Mapped[User | None] = so.relationship(foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.type} user={self.user_id}>"


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until ``next_attempt_at`` (then claimable again)
    SENT = "sent"
    SKIPPED = "skipped"  # nothing to send (e.g. a reset asked for an address with no account)
    FAILED = "failed"  # retried for MAIL_RETRY_HOURS without success; an admin may retry it


class OutboxMessage(Model):
    """A mail to send, written in the same transaction as the change that causes it.

    ``kind`` names a composer in ``app/services/mail.py`` that turns ``payload`` into a message
    when the worker sends it, so links with secrets (reset, confirmation) are made then and
    never stored. The mail worker (``app/services/mail_delivery.py``) delivers the rows.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'skipped', 'failed')", name="status_known"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    recipient: so.Mapped[str] = so.mapped_column(sa.String(320))
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=MailStatus.PENDING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    claim: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"


class FormSubmission(Model):
    """A create-form's one-time token, saved with what it created, so a replay finds it."""

    __tablename__ = "form_submissions"

    # Each member's tokens are their own: another member sending the same text creates anew.
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    # Where the first submission led (a path on this site), for the replay to go too.
    location: so.Mapped[str] = so.mapped_column(sa.String(300))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<FormSubmission for user {self.user_id}>"


class MediaKind(enum.StrEnum):
    IMAGE = "image"  # in the member's library, for posts
    AVATAR = "avatar"  # a square picture of the member; not listed in the library


class MediaItem(Model):
    """One member's image: a content-hash name, its pixel sizes, and the widths stored.

    The name is a hash of the re-encoded original, so the same image uploaded twice by one
    member is one row. Two members uploading the same image each own a row and a copy of the
    bytes (``app/services/media.py`` says why); ``/media/<name>.<ext>`` serves either copy.
    """

    __tablename__ = "media_items"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "kind", "name", name="uq_media_items_owner_kind_name"),
        sa.CheckConstraint("kind IN ('image', 'avatar')", name="kind_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default=MediaKind.IMAGE)
    name: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    ext: so.Mapped[str] = so.mapped_column(sa.String(4))
    width: so.Mapped[int]
    height: so.Mapped[int]
    # The narrower copies kept beside the original, by width in pixels (for ``srcset``).
    variant_widths: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    stored_bytes: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.ext}"

    def __repr__(self) -> str:
        return f"<MediaItem {self.filename} of user {self.owner_id}>"


class MediaFile(Model):
    """The bytes of one stored width of a media item (the database storage backend).

    ``width`` 0 is the original; the others are the narrower copies.
    """

    __tablename__ = "media_files"

    item_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("media_items.id", ondelete="CASCADE"), primary_key=True
    )
    width: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)

    def __repr__(self) -> str:
        return f"<MediaFile {self.width} of item {self.item_id}>"


class PostImage(Model):
    """An image of this site that a post shows (``<name>.<ext>``), kept by the posting service on
    every save, so the library can say where an image is used and refuse to delete it."""

    __tablename__ = "post_media"

    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    filename: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<PostImage {self.filename} in post {self.post_id}>"


class TotpCredential(Model):
    """A member's authenticator app (RFC 6238 TOTP), one per account.

    ``secret`` is the shared key encrypted with a key derived from SECRET_KEY (Fernet); it is
    shown only while ``confirmed_at`` is empty (during enrolment). ``last_step`` is the latest
    time step accepted, so a code is accepted once: a step at or before it is refused.
    """

    __tablename__ = "totp_credentials"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: so.Mapped[str] = so.mapped_column(sa.String(255))
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_step: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<TotpCredential of user {self.user_id}>"


class RecoveryCode(Model):
    """A single-use recovery code: only its SHA-256 is stored; ``used_at`` once spent."""

    __tablename__ = "recovery_codes"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_id_code_hash"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} of user {self.user_id}>"


class PendingSignIn(Model):
    """A sign-in whose password was right and whose second factor is still to come.

    Nobody is signed in while it exists: the browser's session holds the random token (only its
    SHA-256 is here), and the row expires within minutes, after a few wrong codes, at logout or
    at the next sign-in attempt.
    """

    __tablename__ = "pending_sign_ins"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    remember: so.Mapped[bool] = so.mapped_column(default=False)
    next_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="/")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), index=True)

    user: so.Mapped[User] = so.relationship()

    def __repr__(self) -> str:
        return f"<PendingSignIn {self.id} of user {self.user_id}>"


class TrustedBrowser(Model):
    """ "Trust this browser": a sign-in from it skips the code until ``expires_at``.

    The browser holds a signed cookie with a random token; only its SHA-256 is here, so deleting
    the row (the devices page, a password change or reset, signing out everywhere) ends it.
    """

    __tablename__ = "trusted_browsers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ip_address: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(512))

    def __repr__(self) -> str:
        return f"<TrustedBrowser {self.id} of user {self.user_id}>"


class Passkey(Model):
    """A passkey (a WebAuthn discoverable credential) that signs its member in by itself.

    ``credential_id`` and ``public_key`` come from the authenticator at registration;
    ``user_handle`` is the account's WebAuthn user id (random, the same for each of its
    passkeys), which a sign-in's assertion must name. ``sign_count`` is the authenticator's
    counter (0 for those that keep none); ``backed_up`` and ``device_type`` are the backup flags
    py_webauthn reports ("single_device" or "multi_device").
    """

    __tablename__ = "passkeys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    credential_id: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(1023), unique=True)
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    user_handle: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(64))
    sign_count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    transports: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    device_type: so.Mapped[str] = so.mapped_column(sa.String(20))
    backed_up: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship()

    def __repr__(self) -> str:
        return f"<Passkey {self.id} of user {self.user_id}>"


class PasskeyChallenge(Model):
    """A WebAuthn challenge handed out and not yet answered: single use, minutes long.

    The browser's session holds the challenge; this row holds only its SHA-256, what it is for
    (``purpose``: "register" or "sign_in") and, for a registration, whose it is. Answering
    deletes the row, so a challenge passes once even if the session cookie is replayed.
    """

    __tablename__ = "passkey_challenges"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    challenge_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(10))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), index=True)

    def __repr__(self) -> str:
        return f"<PasskeyChallenge {self.id} for {self.purpose}>"


class SiteSettings(Model):
    """The site's identity, set by admins: one row (id 1), read through ``app/services/site.py``.

    ``about_html`` is ``about`` rendered on save by the profiles' safe renderer. The share image
    is an image of the library; deleting it is refused while it is the card (``media``).
    """

    __tablename__ = "site_settings"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False, default=1)
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    tagline: so.Mapped[str] = so.mapped_column(sa.String(160), default="")
    about: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    about_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    share_image_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("media_items.id", ondelete="SET NULL")
    )
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    share_image: so.Mapped[MediaItem | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<SiteSettings {self.name!r}>"
