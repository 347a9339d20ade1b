"""Keeping a POST through re-authentication, so confirming the password does not lose it.

A POST that needs a fresh sign-in (an admin's "Hide", "Sign out everywhere else") from a session
restored by "remember me" has already passed its CSRF check. Like a page, it is sent to the
password page (a redirect with ``next``), but a redirect alone would lose it, and would later
send the member to a GET of a POST-only URL. So its fields are kept in the session, for that
address only (never a secret, never the CSRF token; at most ``MAX_BYTES``). Once the password is
confirmed, the sign-in steps up (a new session token and a new CSRF token, the rest of the
session dropped) and a page names the action with one button that sends those fields to the
original address.

That last POST is an ordinary request, with its own CSRF check, through the action's own view and
validation: there is no second path that runs a view's writes. The member presses the button
rather than it being sent automatically, because a remembered session may come back days later:
the page says what is about to happen, and no script is needed.
"""

from __future__ import annotations

import json

from flask import session
from werkzeug.datastructures import MultiDict

from app.forms import SECRET_FIELDS

SESSION_KEY = "pending_action"
LABEL_FIELD = "do"  # the action's button names itself with name="do" value="<label>"
MAX_BYTES = 2048  # the session is a cookie: a bigger form is not kept


def keep(path: str, form: MultiDict[str, str]) -> None:
    """Remember the POST to ``path`` that waits for the password (replacing any earlier one)."""
    fields = [(name, value) for name, value in form.items(multi=True) if name not in SECRET_FIELDS]
    if len(json.dumps(fields)) <= MAX_BYTES:
        session[SESSION_KEY] = {"path": path, "fields": fields}
    else:
        session.pop(SESSION_KEY, None)


def waiting(path: str) -> list[tuple[str, str]] | None:
    """The fields of the POST to ``path`` waiting for the password, if there is one."""
    pending = session.get(SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("path") != path:
        return None
    fields = pending.get("fields")
    if not isinstance(fields, list):
        return None
    return [(str(pair[0]), str(pair[1])) for pair in fields if len(pair) == 2]


def label(fields: list[tuple[str, str]]) -> str | None:
    """The words on the button that finishes the action (None: the page says "Continue")."""
    found = next((value for name, value in fields if name == LABEL_FIELD), None)
    return found[:60] if found else None
