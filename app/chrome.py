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
Those stay outside (the sign-out form, the language switch). At most ``KEPT_PARTS`` are kept
per process; when full, all are forgotten at once (a part is cheap to make again).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Flask, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

KEPT_PARTS = 4096


def install(app: Flask) -> None:
    parts: dict[tuple[Hashable, ...], Markup] = {}

    @pass_context
    def kept(context: Context, name: str, *key: Hashable, caller: Callable[[], str]) -> Markup:
        if app.debug:  # templates change under the developer's hands
            return Markup(caller())  # noqa: S704  (rendered by Jinja, escaped)
        # The page's language, as every page's context has it (app/i18n/routes.py).
        full_key = (name, context["current_language"], request.script_root, *key)
        found = parts.get(full_key)
        if found is None:
            found = Markup(caller())  # noqa: S704  (rendered by Jinja, escaped)
            if len(parts) >= KEPT_PARTS:
                parts.clear()
            parts[full_key] = found
        return found

    app.jinja_env.globals["kept_frame"] = kept
