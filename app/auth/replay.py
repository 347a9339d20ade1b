"""Carrying a POST through re-authentication, so confirming the password does not lose it.

A POST that needs a fresh sign-in (an admin's "Hide", "Sign out everywhere else") from a session
restored by "remember me" has already passed its CSRF check. A redirect to the password page
would lose it (and send the member to a GET of a POST-only URL). Instead the password page is
shown in its place and carries the POST's fields as hidden inputs (never a secret, never the old
CSRF token). Once the password is confirmed, the sign-in steps up (a new session token and a new
CSRF token) and a page names the action with one button that sends those fields to the original
URL.

That last POST is an ordinary request, with its own CSRF check, through the action's own view and
validation: there is no second path that runs a view's writes. The member presses the button
rather than it being sent automatically, because a remembered session may come back days later:
the page says what is about to happen, and no script is needed.
"""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from app.forms import SECRET_FIELDS

MARKER = "pending"  # present when the password page carries an action
PREFIX = "pending."
LABEL_FIELD = "do"  # the action's button names itself with name="do" value="<label>"
MAX_FIELDS = 50


def carry(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The fields of the POST that needs a fresh sign-in, to carry through the password page."""
    fields = [(name, value) for name, value in form.items(multi=True) if name not in SECRET_FIELDS]
    return fields[:MAX_FIELDS]


def carried(form: MultiDict[str, str]) -> list[tuple[str, str]] | None:
    """The fields the password page carried back, or None when it carries no action."""
    if MARKER not in form:
        return None
    return carry(
        MultiDict(
            (name.removeprefix(PREFIX), value)
            for name, value in form.items(multi=True)
            if name.startswith(PREFIX)
        )
    )


def label(fields: list[tuple[str, str]]) -> str:
    """The words on the button that finishes the action."""
    return next((value for name, value in fields if name == LABEL_FIELD), "Continue")[:60]
