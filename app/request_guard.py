"""The first check on every request: no NUL character in its address reaches a view.

PostgreSQL refuses any statement holding a NUL, so a view that puts a path segment or a query
parameter into a query (the admin filters, search, tags, profiles, slugs, tokens…) would answer
500 there. Rather than trusting every view to remember, ``refuse_nul_bytes`` runs before every
other request hook and answers 400 when the path or a query parameter holds one. Only ``next``
is exempt: it is never stored, and ``app.redirects.safe_redirect_target`` turns any unsafe value
(NUL included) into the home page, so a sign-in with a mangled link still works.

Form fields are left to their forms, which refuse NUL with a message beside the field and keep
what was typed: ``app.forms.plain_text`` for text that is stored, the username and email rules
in ``app/services/accounts.py``; passwords are only ever hashed. Request headers are stored
only through ``events.printable`` (user agents); WSGI servers refuse NUL in headers.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

NUL = "\x00"
REFUSED = _l("The address holds a NUL character (%00), which this site never accepts.")
NEVER_STORED_PARAMS = frozenset({"next"})


def holds_nul(path: str, args: MultiDict[str, str]) -> bool:
    """Whether a request's path or query parameters (``next`` aside) hold a NUL."""
    return NUL in path or any(
        NUL in name or (NUL in value and name not in NEVER_STORED_PARAMS)
        for name, value in args.items(multi=True)
    )


def refuse_nul_bytes() -> None:
    if holds_nul(request.path, request.args):
        abort(400, str(REFUSED))


def init_app(app: Flask) -> None:
    """Call before the extensions are bound, so this hook runs before theirs."""
    app.before_request(refuse_nul_bytes)
