"""Parts of every page's frame (header, footer links, share card) rendered once per process
for each set of their inputs.

A member's page renders the whole frame around its content on every request: the navigation
with eight translated labels and as many links, the footer's links and theme switch, the share
card's tags. Measured in-process, the header and footer were about a fifth of a member's post
page. ``kept_frame`` renders a part the first time and hands the same HTML back afterwards,
keyed by everything the part reads: the names the template passes (the site's name, who is
signed in and whether an admin, the theme, the card) plus the language and the script root,
which every part reads.

Rules for a kept part (base.html): it reads only what its key names (a new variable in it must
join the key), and nothing per request: no CSRF token, no flashed message, no request path.
Those stay outside (the sign-out form), or go in as ``fills`` where the part says
``kept_slot(name)``: the member's language switch keeps its two forms and puts this request's
CSRF token and path in them, escaped, each time. At most ``KEPT_PARTS`` are kept
per process; when full, all are forgotten at once (a part is cheap to make again).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Mapping

from flask import Flask, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

KEPT_PARTS = 4096


def install(app: Flask) -> None:
    parts: dict[tuple[Hashable, ...], Markup] = {}
    # Where a per-request value goes in a kept part: random per process, so no text anyone
    # wrote can stand for one.
    marker = secrets.token_hex(16)

    def slot(name: str) -> Markup:
        return Markup(f"{marker}:{name}:{marker}")  # noqa: S704  (hex and a name of ours)

    @pass_context
    def kept(
        context: Context,
        name: str,
        *key: Hashable,
        caller: Callable[[], str],
        fills: Mapping[str, str] | None = None,
    ) -> Markup:
        """The part, kept; each ``slot(name)`` in it replaced by ``fills[name]``, escaped."""
        # Nothing is kept in debug mode: templates change under the developer's hands. The
        # language is the page's, as every page's context has it (app/i18n/routes.py).
        full_key = (
            None if app.debug else (name, context["current_language"], request.script_root, *key)
        )
        found = parts.get(full_key) if full_key is not None else None
        if found is None:
            found = Markup(caller())  # noqa: S704  (rendered by Jinja, escaped)
            if full_key is not None:
                if len(parts) >= KEPT_PARTS:
                    parts.clear()
                parts[full_key] = found
        for slot_name, value in (fills or {}).items():
            found = found.replace(slot(slot_name), escape(value))  # Markup: escaped once
        return found

    app.jinja_env.globals["kept_frame"] = kept
    app.jinja_env.globals["kept_slot"] = slot
