"""The ``next`` table: the bypass corpus of docs/security.md R3, plus variants found since."""

import pytest

from app.redirects import is_safe_redirect

UNSAFE = [
    # docs/security.md R3
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https:evil.com",
    "http:/\\/evil.com",
    "/%09/evil.com",
    "/\t/evil.com",
    "javascript:alert(1)",
    # more of the same family
    "https://evil.com",
    "http://evil.com/",
    "HTTPS://evil.com",
    "evil.com",
    "evil.com/path",
    "//evil.com/%2F..",
    "/%2F/evil.com",
    "/%2f%2fevil.com",
    "%2F%2Fevil.com",
    "/%5Cevil.com",
    "/%5c/evil.com",
    "/%250d%250a/evil.com",
    "/%0d%0aLocation:%20https://evil.com",
    "/\r\n/evil.com",
    "/\n/evil.com",
    "/ /evil.com",
    "/\u00a0/evil.com",
    "/\u200b/evil.com",
    "/\u202e/moc.live",
    "/\x00/evil.com",
    "javascript://%0aalert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "  /admin",
    "\t//evil.com",
    "",
    "relative/path",
    "?next=//evil.com",
    "#/evil.com",
    # docs/security.md R2 forbids whitespace after percent-decoding too, even in a harmless path
    "/tags/a%20b",
]

SAFE = [
    "/",
    "/admin/",
    "/posts/hello-world",
    "/posts/hello-world?page=2#comments",
    "/search?q=caf%C3%A9",
    "/users/zoë",
]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets_are_refused(target: str) -> None:
    assert not is_safe_redirect(target)


@pytest.mark.parametrize("target", SAFE)
def test_same_site_paths_are_followed(target: str) -> None:
    assert is_safe_redirect(target)


def test_missing_target_is_refused() -> None:
    assert not is_safe_redirect(None)
