"""Helpers shared by tests: form submission with CSRF, and the CI rule for missing components."""

from __future__ import annotations

import os
import re
from http.cookies import SimpleCookie

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "a long and unusual passphrase"
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def require(available: bool, component: str) -> None:
    """Skip a test whose component is missing, except in CI, where that is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{component} is required in CI (CI=true) but is not available")
    pytest.skip(f"{component} is not available")


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def submit(
    client: FlaskClient, url: str, data: dict[str, str], form_url: str | None = None
) -> TestResponse:
    """GET the page with the form (``form_url``, default ``url``), then POST it with its token."""
    page = client.get(form_url or url)
    # Browsers send the page's address as Referer; Flask-WTF requires it over https.
    headers = {"Referer": page.request.url}
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data}, headers=headers)


def set_cookie_headers(response: TestResponse) -> dict[str, SimpleCookie]:
    """The response's Set-Cookie headers, parsed, by cookie name."""
    parsed: dict[str, SimpleCookie] = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            parsed[name] = cookie
    return parsed


class AuthActions:
    """Register, sign in and sign out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def register(
        self, username: str = "reader", email: str | None = None, password: str = PASSWORD
    ) -> TestResponse:
        data = {
            "username": username,
            "email": email or f"{username}@example.com",
            "password": password,
            "confirm": password,
        }
        return submit(self.client, "/auth/register", data)

    def login(
        self,
        username: str = "reader",
        password: str = PASSWORD,
        *,
        remember: bool = False,
        next_url: str | None = None,
    ) -> TestResponse:
        url = "/auth/login" if next_url is None else f"/auth/login?next={next_url}"
        data = {"username": username, "password": password}
        if remember:
            data["remember"] = "y"
        return submit(self.client, url, data)

    def logout(self) -> TestResponse:
        return submit(self.client, "/auth/logout", {}, form_url="/")
