"""Passkeys end to end in Chromium, with the DevTools virtual authenticator (a platform
authenticator that keeps discoverable credentials and verifies its user): add one on the
security page, sign out, sign in with it and no username, see how the sign-in was made, remove
it. Without JavaScript the passkey controls stay hidden."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.conftest import serve
from tests.factories import create_user
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """The live server reached as ``localhost``: a secure context whose host is a valid relying
    party ID (browsers refuse an IP address), with SITE_URL saying the same."""
    with serve(app) as url:
        local = url.replace("127.0.0.1", "localhost")
        app.config["SITE_URL"] = local
        yield local


def test_add_a_passkey_sign_in_with_it_and_remove_it(
    browser: Browser, app: Flask, site: str
) -> None:
    with app.app_context():
        create_user("reader")
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    problems: list[str] = []

    sign_in(page, site, "reader")
    page.goto(f"{site}/account/security")
    expect(page.get_by_test_id("passkeys")).to_have_text("No passkeys yet.")
    page.get_by_label("Name").fill("This laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “This laptop” added")).to_be_visible()
    expect(page.get_by_test_id("passkeys")).to_contain_text("This laptop")
    stored = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert [credential["isResidentCredential"] for credential in stored["credentials"]] == [True]
    problems += fits_and_is_accessible(page, Axe(), "security page with a passkey")

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{site}/auth/login")
    problems += fits_and_is_accessible(page, Axe(), "login page with the passkey button")
    page.get_by_role("button", name="Sign in with a passkey").click()  # no username typed
    expect(page.get_by_test_id("current-user")).to_have_text("reader")
    page.goto(f"{site}/account/sessions")
    expect(page.get_by_test_id("auth-method").first).to_have_text("with a passkey")
    page.goto(f"{site}/account/security")
    expect(page.get_by_test_id("passkeys")).not_to_contain_text("never")  # last used: now

    page.get_by_role("link", name="Remove This laptop").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Remove the passkey").click()
    expect(page.get_by_text("Passkey “This laptop” removed.")).to_be_visible()
    expect(page.get_by_test_id("passkeys")).to_have_text("No passkeys yet.")
    context.close()
    assert problems == []


def test_without_javascript_the_passkey_controls_stay_hidden(
    browser: Browser, app: Flask, site: str
) -> None:
    with app.app_context():
        create_user("reader")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{site}/auth/login")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    sign_in(page, site, "reader")  # the password form works as before
    page.goto(f"{site}/account/security")
    expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()
    expect(page.get_by_text("Adding a passkey needs JavaScript")).to_be_visible()
    context.close()
