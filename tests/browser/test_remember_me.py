"""A real Chromium: register, sign out, sign in with remember-me, come back in a new browser."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _fill_register(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Username").fill("browser_user")
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_register_logout_login_remembered_in_a_new_browser(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    _fill_register(page, live_server)
    expect(page.get_by_test_id("current-user")).to_have_text("browser_user")
    expect(page.get_by_text("Welcome to Inkwell, browser_user!")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("Username or email").fill("browser@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("current-user")).to_have_text("browser_user")

    cookies = context.cookies()
    persistent = [cookie for cookie in cookies if cookie["expires"] > 0]
    # The device cookie outlives the browser too, but signs nobody in (see below).
    assert sorted(cookie["name"] for cookie in persistent) == ["inkwell_device", "inkwell_remember"]
    session_cookie = next(c for c in cookies if c["name"] == "inkwell_session")
    assert session_cookie["expires"] == -1, "the session cookie ends with the browser"
    assert all(cookie["httpOnly"] and cookie["sameSite"] == "Lax" for cookie in cookies)
    context.close()

    # A browser restart keeps only persistent cookies: the remember cookie alone signs us in.
    restarted = browser.new_context()
    restarted.add_cookies(persistent)
    page = restarted.new_page()
    page.goto(f"{live_server}/")
    expect(page.get_by_test_id("current-user")).to_have_text("browser_user")
    restarted.close()
    device_only = browser.new_context()
    device_only.add_cookies([c for c in persistent if c["name"] == "inkwell_device"])
    page = device_only.new_page()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    device_only.close()


def test_pages_work_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _fill_register(page, live_server)
    expect(page.get_by_test_id("current-user")).to_have_text("browser_user")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    context.close()


def test_wrong_password_shows_the_generic_message(browser: Browser, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect username, email or password.")
    context.close()
