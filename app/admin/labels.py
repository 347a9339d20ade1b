"""The words the admin pages show for values kept in English in the database and the URL: event
types, post states, comment visibility, user sorts and the buttons of the user list. Each a whole
label, lazily translated, so a Chinese reader gets Chinese and the URLs stay the same."""

from __future__ import annotations

from typing import Final

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from app.models import EventType, PostState
from app.services import mail, notifications

EVENTS: Final[dict[str, str]] = {
    EventType.REGISTERED: _l("Registered"),
    EventType.LOGIN_SUCCESS: _lp("sign-in result", "Signed in"),
    EventType.LOGIN_FAILURE: _l("Sign-in failed"),
    EventType.LOGOUT: _l("Signed out"),
    EventType.THROTTLED: _l("Sign-in throttled"),
    EventType.PASSWORD_CHANGED: _l("Password changed"),
    EventType.PASSWORD_RESET_REQUESTED: _l("Password reset requested"),
    EventType.PASSWORD_RESET: _l("Password reset"),
    EventType.SESSION_REVOKED: _l("Device signed out"),
    EventType.OTHER_SESSIONS_REVOKED: _l("Other devices signed out"),
    EventType.REAUTHENTICATED: _l("Password confirmed"),
    EventType.EMAIL_CHANGE_REQUESTED: _l("Email change requested"),
    EventType.EMAIL_CHANGED: _l("Email changed"),
    EventType.ACCOUNT_DELETED: _l("Account deleted"),
    EventType.USER_DEACTIVATED: _l("User deactivated"),
    EventType.USER_ACTIVATED: _l("User activated"),
    EventType.ADMIN_GRANTED: _l("Admin rights granted"),
    EventType.ADMIN_REVOKED: _l("Admin rights removed"),
    EventType.USER_UNLOCKED: _l("Sign-in unlocked"),
    EventType.SESSIONS_REVOKED_BY_ADMIN: _l("Signed out everywhere by an admin"),
    EventType.POST_UNPUBLISHED: _l("Post unpublished"),
    EventType.POST_DELETED: _l("Post deleted"),
    EventType.COMMENT_HIDDEN: _l("Comment hidden"),
    EventType.COMMENT_UNHIDDEN: _l("Comment shown again"),
    EventType.COMMENT_DELETED: _l("Comment deleted"),
    EventType.MAIL_RETRIED: _l("Mail retried"),
    EventType.SITE_SETTINGS_CHANGED: _l("Site settings changed"),
    EventType.TOTP_ENABLED: _l("Authenticator app turned on"),
    EventType.TOTP_DISABLED: _l("Authenticator app turned off"),
    EventType.TOTP_RESET_BY_ADMIN: _l("Two-factor reset by an admin"),
    EventType.RECOVERY_CODES_REGENERATED: _l("New recovery codes made"),
    EventType.RECOVERY_CODE_USED: _l("Recovery code used"),
    EventType.SECOND_FACTOR_FAILED: _l("Two-factor code refused"),
    EventType.TRUSTED_BROWSER_REVOKED: _l("Browser no longer trusted"),
    EventType.PASSKEY_ADDED: _l("Passkey added"),
    EventType.PASSKEY_REMOVED: _l("Passkey removed"),
    EventType.PASSKEY_CLONE_SUSPECTED: _l("Passkey possibly copied"),
}

# The status filter of the posts page (value in the URL, label) and each post's state.
POST_FILTERS: Final = (
    ("", _l("All")),
    (PostState.PUBLISHED.value, _l("Published")),
    (PostState.SCHEDULED.value, _l("Scheduled")),
    (PostState.DRAFT.value, _l("Drafts")),
)
POST_STATES: Final[dict[str, str]] = {
    PostState.PUBLISHED: _l("published"),
    PostState.SCHEDULED: _l("scheduled"),
    PostState.DRAFT: _l("draft"),
}

# The comments page's "Show:" links and each comment's state.
COMMENT_FILTERS: Final = (
    ("all", _l("all")),
    ("visible", _l("visible")),
    ("hidden", _l("hidden")),
)

# The users page's sort links.
USER_SORTS: Final = (
    ("username", _l("username")),
    ("created", _l("created")),
    ("last-sign-in", _l("last sign-in")),
)


# The dashboard's failed mail, by kind: the subjects, but the comment ones name no one.
MAIL_KINDS: Final[dict[str, str]] = {
    **mail.SUBJECTS,
    notifications.POST_COMMENT: _l("A comment on a post"),
    notifications.COMMENT_REPLY: _l("A reply to a comment"),
}


def event_label(kind: str) -> str:
    """An event type as the admin pages name it (an unknown one as it is stored)."""
    label = EVENTS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")
