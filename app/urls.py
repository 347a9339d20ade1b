"""Absolute links on the public site (``SITE_URL``): feeds, sitemaps, canonical links and mail."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

# Where links point when SITE_URL is not set and no request says better (the mail worker in
# development outside ``make run``, which sets SITE_URL from HOST and PORT).
DEFAULT_SITE_URL = "http://127.0.0.1:5000"


def site_url() -> str:
    """The public site's root: ``SITE_URL``; in development without it, the request's own root
    (so ``make run PORT=5123`` links to port 5123); else ``DEFAULT_SITE_URL``.

    Only development may follow the request: in production a link built from the Host header
    could point mail at another site, so production always has SITE_URL (``configure``).
    """
    configured = str(current_app.config["SITE_URL"])
    if configured:
        return configured
    if has_request_context():
        return request.url_root
    return DEFAULT_SITE_URL


def absolute_url(endpoint: str, **values: Any) -> str:
    """``site_url()`` followed by the endpoint's path.

    ``SITE_URL`` carries the site's path prefix, if any; the prefix of the current request
    (the mail worker's request is built on ``SITE_URL``) is taken off ``url_for``'s path so
    that it is never written twice.
    """
    return _absolute(url_for, endpoint, values)


def public_url(endpoint: str, **values: Any) -> str:
    """``absolute_url`` for an address anyone may see (a public page's canonical address, a
    share card's image), built through the templates' per-process memo (``cache``'s
    ``install_template_url_for``). Never for an address that carries a secret or a value a
    visitor chose (a mail's token link, a search): the memo would keep it."""
    kept = current_app.extensions.get("inkwell_url_for") if has_request_context() else None
    return _absolute(kept or url_for, endpoint, values)


def _absolute(build: Any, endpoint: str, values: dict[str, Any]) -> str:
    path = str(build(endpoint, **values))
    root = request.script_root if has_request_context() else ""
    return site_url().rstrip("/") + path.removeprefix(root)
