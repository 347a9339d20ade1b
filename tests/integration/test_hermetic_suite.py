"""The suite tests the same thing whatever the shell that runs it has set."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT, app_free_environ, ci_enabled, is_app_setting

# What a developer's shell may well hold, each of which changed what the suite tested.
SHELL_SETTINGS = {
    "MAIL_SERVER": "smtp.invalid",
    "REDIS_URL": "redis://nowhere.invalid:6379/0",
    "DATABASE_URL": "sqlite:////nonexistent/inkwell.db",
    "SECRET_KEY": "short",
    "APP_ENV": "production",
    "FLASK_RATELIMIT_ENABLED": "true",
    "FLASK_LOGIN_RATE_LIMIT": "1 per hour",
    "FLASK_SITE_URL": "https://elsewhere.invalid",
}
# Each fails when one of the settings above reaches it: a sign-in limit, mail over SMTP in the
# flask subprocess, the page cache on an unreachable Redis.
WITNESSES = [
    "tests/integration/test_login.py::test_failures_look_identical_for_unknown_wrong_and_inactive",
    "tests/integration/test_account.py"
    "::test_without_mail_server_the_worker_prints_the_message_in_the_terminal",
    "tests/integration/test_page_cache.py::test_second_anonymous_visit_is_served_without_sql[/]",
]


def test_the_shells_app_settings_change_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *WITNESSES],
        cwd=ROOT,
        env={**os.environ, **SHELL_SETTINGS},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(WITNESSES)} passed" in result.stdout


def test_subprocesses_get_only_the_settings_the_test_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SHELL_SETTINGS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:1/0")
    environ = app_free_environ({"APP_ENV": "testing"})
    assert {name for name in SHELL_SETTINGS if name in environ} == {"APP_ENV"}
    assert environ["APP_ENV"] == "testing"
    assert environ["FLASK_SKIP_DOTENV"] == "1", "the flask command must not read .env"
    assert environ["TEST_REDIS_URL"] == "redis://127.0.0.1:1/0", "the suite's own inputs stay"


def test_every_documented_setting_is_kept_from_the_tests() -> None:
    example = (ROOT / ".env.example").read_text()
    documented = re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE)
    assert len(documented) > 20
    assert [name for name in documented if not is_app_setting(name)] == []


CI_VALUES = ["true", "TRUE", "True", "1", "yes", "YES", "", "false", "0", "no", "on", "truthy"]


def test_ci_means_the_same_to_the_test_script_and_the_suite() -> None:
    script = (ROOT / "scripts/test.sh").read_text()
    in_ci = re.search(r"^in_ci\(\) \{.*\}$", script, flags=re.MULTILINE)
    assert in_ci, "scripts/test.sh defines in_ci()"
    for value in CI_VALUES:
        shell = subprocess.run(
            ["bash", "-c", f"{in_ci.group(0)}\nin_ci"], env={"CI": value}, check=False
        )
        assert (shell.returncode == 0) == ci_enabled(value), value
    assert [value for value in CI_VALUES if ci_enabled(value)] == [
        "true",
        "TRUE",
        "True",
        "1",
        "yes",
        "YES",
    ]
