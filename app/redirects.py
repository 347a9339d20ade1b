"""Validation of redirect targets a visitor supplies, like ``?next=`` (docs/security.md R1-R3)."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import request, url_for

MAX_DECODE_ROUNDS = 3


def _has_forbidden_character(text: str) -> bool:
    # Backslashes are read as slashes by browsers; whitespace and control or format characters
    # (tab, newline, NUL, zero-width and bidi marks) are stripped or mangled before parsing.
    return any(
        char == "\\" or char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}
        for char in text
    )


def is_safe_redirect(target: str | None) -> bool:
    """True only for a same-site path: one leading ``/``, no scheme, no host, no tricks."""
    if not target:
        return False
    variants = [target]
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = unquote(variants[-1])
        if decoded == variants[-1]:
            break
        variants.append(decoded)
    for variant in variants:
        if _has_forbidden_character(variant):
            return False
        if not variant.startswith("/") or variant.startswith("//"):
            return False
        parts = urlsplit(variant)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_redirect_target(target: str | None, fallback_endpoint: str = "main.index") -> str:
    """``target`` when it is safe to follow, else the URL of ``fallback_endpoint``."""
    if target is not None and is_safe_redirect(target):
        return target
    return url_for(fallback_endpoint)


def same_site_referrer() -> str | None:
    """The path and query of the page this request came from, when that page is on this very
    site and safe to go back to; else None."""
    referrer = urlsplit(request.referrer or "")
    if f"{referrer.scheme}://{referrer.netloc}/" != request.host_url:
        return None
    target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return target if is_safe_redirect(target) else None
