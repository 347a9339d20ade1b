"""Helpers shared by tests: form submission with CSRF, the CI rule for missing components, and
the environment the app never inherits from the shell that runs pytest."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from http.cookies import SimpleCookie
from pathlib import Path
from types import TracebackType

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from config import settings_from_environment

ROOT = Path(__file__).resolve().parents[1]


def ci_enabled(value: str) -> bool:
    """The CI rule, the same as ``in_ci`` in scripts/test.sh: true, 1 or yes, in any case."""
    return value.lower() in {"true", "1", "yes"}


IN_CI = ci_enabled(os.environ.get("CI", ""))


class _Reads(Mapping[str, str]):
    """An empty environment that remembers every name it is asked for."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _names_the_app_reads() -> frozenset[str]:
    environ = _Reads()
    settings_from_environment(environ)
    return frozenset(environ.names)


# What the app (config.py, create_app's APP_ENV, Flask's FLASK_* and .env), gunicorn.conf.py and
# gunicorn read from the environment. The suite never takes them from the shell that runs it: a
# developer's MAIL_SERVER, REDIS_URL or FLASK_RATELIMIT_ENABLED would change what is tested.
# The suite's own inputs (TEST_DATABASE_URL, TEST_REDIS_URL, CI, CHROMIUM_PATH, PG_BIN…) stay.
APP_SETTING_NAMES = _names_the_app_reads() | {"APP_ENV", "FORWARDED_ALLOW_IPS", "WEB_CONCURRENCY"}
APP_SETTING_PREFIXES = ("FLASK_", "GUNICORN_", "MAIL_", "PROXY_FIX_", "PASSWORD_HASH_")


def is_app_setting(name: str) -> bool:
    return name in APP_SETTING_NAMES or name.startswith(APP_SETTING_PREFIXES)


def app_free_environ(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a subprocess of the app (flask, gunicorn): ``os.environ`` less every
    app setting, ``FLASK_SKIP_DOTENV=1`` (the flask command would read a developer's ``.env``),
    then ``env`` on top: the test names every setting its subprocess runs with."""
    inherited = {name: value for name, value in os.environ.items() if not is_app_setting(name)}
    return {**inherited, "FLASK_SKIP_DOTENV": "1", **(env or {})}


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


SUBMISSION_INPUT = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')


def submission_token(html: str) -> str | None:
    """The one-time token of a create-form on the page, if it has one."""
    match = SUBMISSION_INPUT.search(html)
    return match.group(1) if match else None


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


FOREIGN_REFERER = {"Referer": "https://evil.example.net/"}
TEXTAREA = re.compile(r"<textarea\b[^>]*>")


def assert_nothing_to_send(html: str) -> None:
    """The page holds no form, field or button that could send anything, and no fresh token:
    text shown back sits only in read-only, unnamed text areas outside any form."""
    for markup in ("<form", "<input", "<button", "<select", "csrf_token", "submission_token"):
        assert markup not in html, markup
    for textarea in TEXTAREA.findall(html):
        assert " readonly" in textarea, textarea
        assert " name=" not in textarea, textarea


def submit(
    client: FlaskClient, url: str, data: dict[str, str], form_url: str | None = None
) -> TestResponse:
    """GET the page with the form (``form_url``, default ``url``), then POST it with its token."""
    page = client.get(form_url or url)
    # Browsers send the page's address as Referer; Flask-WTF requires it over https.
    headers = {"Referer": page.request.url}
    hidden = {"csrf_token": csrf_token(page.text)}
    if token := submission_token(page.text):
        hidden["submission_token"] = token
    return client.post(url, data={**hidden, **data}, headers=headers)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), []))
        elif tag in {"input", "button"} and self.forms and "name" in found:
            unticked = found.get("type") in {"checkbox", "radio"} and "checked" not in found
            if not unticked:
                self.forms[-1][1].append((found["name"], found.get("value", "")))


def page_forms(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each ``<form>`` of a page as (action, [(name, value) of its inputs and buttons])."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def send_form(client: FlaskClient, page: TestResponse, action: str, **typed: str) -> TestResponse:
    """Press the button of the form on ``page`` whose action contains ``action``, as a browser
    would: its hidden fields as they are, ``typed`` filled in."""
    url, fields = next(form for form in page_forms(page.text) if action in form[0])
    data = [(name, typed.get(name, value)) for name, value in fields]
    data += [(name, value) for name, value in typed.items() if name not in dict(fields)]
    target = url or page.request.full_path
    return client.post(target, data=MultiDict(data), headers={"Referer": page.request.url})


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


@dataclass
class HttpResponse:
    status: int
    headers: Message
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpSession:
    """A minimal browser over real HTTP: keeps cookies, sends Referer, never follows redirects."""

    def __init__(self, base_url: str, ssl_context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=ssl_context),
            _NoRedirect(),
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        url = self.base_url + path
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Referer": url, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return HttpResponse(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return HttpResponse(error.code, error.headers, error.read().decode())


def run_flask(
    database_url: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``flask --app wsgi ARGS`` as a shell runs it (testing config, on ``database_url``)."""
    environment = app_free_environ(
        {"APP_ENV": "testing", "DATABASE_URL": database_url, **(env or {})}
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GunicornServer:
    """``gunicorn wsgi:app`` in a subprocess on a free loopback port, as production runs it."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        *,
        tls: tuple[Path, Path] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ssl_context = ssl_context
        tls_args = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "5",
            *tls_args,
            "wsgi:app",
        ]
        self.env = app_free_environ(env)
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GunicornServer:
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}"
                )
            try:
                if HttpSession(self.url, self.ssl_context).request("GET", "/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
