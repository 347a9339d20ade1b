"""Absolute links on the public site (``SITE_URL``): feeds, sitemaps, canonical links and mail."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


def absolute_url(endpoint: str, **values: Any) -> str:
    """``SITE_URL`` followed by the endpoint's path.

    ``SITE_URL`` carries the site's path prefix, if any; the prefix of the current request
    (the mail worker's request is built on ``SITE_URL``) is taken off ``url_for``'s path so
    that it is never written twice.
    """
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    return str(current_app.config["SITE_URL"]).rstrip("/") + path.removeprefix(root)
