"""Two-factor sign-in in Chromium without JavaScript, at 390 px: enrol by the key shown beside
the QR code, keep the recovery codes, sign in again with one; every new page passes axe."""

from __future__ import annotations

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_user
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _password_step(page: Page, base: str) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("Username or email").fill("reader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()


def test_enrol_and_sign_in_with_a_code_without_javascript_on_a_phone(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("reader")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    axe_context = browser.new_context(viewport=PHONE)  # axe needs scripts; the pages do not
    checked = axe_context.new_page()
    axe = Axe()
    problems: list[str] = []

    sign_in(page, live_server, "reader")
    page.get_by_test_id("current-user").wait_for()
    page.goto(f"{live_server}/account/sessions")
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    checked.context.add_cookies(context.cookies())
    checked.goto(f"{live_server}/account/security")
    problems += fits_and_is_accessible(checked, axe, "security page, enrolling")

    key = page.get_by_test_id("totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10

    checked.goto(f"{live_server}/account/security")
    expect(checked.get_by_test_id("totp-state")).to_contain_text("On")
    problems += fits_and_is_accessible(checked, axe, "security page, on")

    page.get_by_role("button", name="Sign out").click()
    _password_step(page, live_server)
    expect(page.get_by_test_id("current-user")).to_have_count(0)  # nobody signed in yet
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_have_text("reader")

    axe_context.clear_cookies()
    _password_step(checked, live_server)
    problems += fits_and_is_accessible(checked, axe, "code page")
    checked.get_by_label("Code", exact=True).fill("000000")
    checked.get_by_role("button", name="Sign in").click()
    expect(checked.get_by_text("That code is not right")).to_be_visible()
    problems += fits_and_is_accessible(checked, axe, "code page with an error")
    context.close()
    axe_context.close()
    assert problems == []
