"""Response headers applied to every response: pages, errors and static files alike."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"
# (name, lower-case name, value): each is added unless the response already has that header.
DEFAULT_HEADERS = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    )
)
SECURE_HEADERS = (
    *DEFAULT_HEADERS,
    ("Strict-Transport-Security", "strict-transport-security", HSTS),
)
# Answers that are the same for everyone and never ask who is signed in (see below).
ANONYMOUS_ENDPOINTS = frozenset({"static", "media.file"})
# Blueprints whose pages carry account data or one-time form tokens.
PRIVATE_BLUEPRINTS = frozenset({"auth", "admin", "account", "notifications", "passkeys"})


def set_security_headers(response: Response) -> Response:
    """The headers every response carries; ``no-store`` on pages with account data.

    A static file or an image (``ANONYMOUS_ENDPOINTS``) never reads ``current_user``: with only
    a remember cookie (a browser just restarted), reading it would restore the sign-in into a new
    session cookie, and a stylesheet's or image's answer arriving after the page's would replace
    the page's session, CSRF token included, so the page's forms would fail.
    """
    headers = response.headers
    # The names present are read once: a setdefault per header scans them each time (16 -> 6 us).
    present = {name.lower() for name, _value in headers}
    defaults = SECURE_HEADERS if request.is_secure else DEFAULT_HEADERS
    headers.extend([(name, value) for name, lower, value in defaults if lower not in present])
    if request.endpoint in ANONYMOUS_ENDPOINTS:
        return response  # the same for everyone: never ask who is signed in (see above)
    if request.blueprint in PRIVATE_BLUEPRINTS or current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
    return response
