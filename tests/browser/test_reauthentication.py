"""A remembered admin clicks "Hide" in Chromium, without JavaScript: the password is asked, the
action is one press away after it, and it is done."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from app.services import posts
from tests.browser.pages import PHONE, fits_and_is_accessible
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_a_remembered_admin_confirms_the_password_and_the_hide_is_done(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("chief", is_admin=True)
        member = create_user("member")
        posts.add_comment(create_post(member, title="A post"), member, "rude words")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Username or email").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("current-user")).to_have_text("chief")
    # The browser restarts: the session cookie is gone, "remember me" brings the member back.
    remembered = [c for c in context.cookies() if c["name"] != "inkwell_session"]
    context.clear_cookies()
    context.add_cookies(remembered)

    page.goto(f"{live_server}/admin/comments")
    page.get_by_role("row").filter(has_text="rude words").get_by_role("button", name="Hide").click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Password confirmed")).to_be_visible()
    page.get_by_role("button", name="Hide").click()

    expect(page).to_have_url(f"{live_server}/admin/comments")
    row = page.get_by_role("row").filter(has_text="rude words")
    expect(row.get_by_role("button", name="Show")).to_be_visible()
    context.close()


def test_the_new_pages_fit_a_phone_and_pass_axe(
    browser: Browser, app: Flask, live_server: str
) -> None:
    """The password page with a kept action, the page that finishes it, and the page a failed
    CSRF check shows: 390 px wide without sideways scrolling, no serious axe finding."""
    with app.app_context():
        create_user("chief", is_admin=True)
        member = create_user("member")
        posts.add_comment(create_post(member, title="A post"), member, "x" * 300)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    axe = Axe()
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Username or email").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    remembered = [c for c in context.cookies() if c["name"] != "inkwell_session"]
    context.clear_cookies()
    context.add_cookies(remembered)

    problems = []
    page.goto(f"{live_server}/admin/comments")
    page.get_by_role("button", name="Hide").click()
    expect(page.get_by_role("heading", name="Confirm your password")).to_be_visible()
    problems += fits_and_is_accessible(page, axe, "password page")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Password confirmed")).to_be_visible()
    problems += fits_and_is_accessible(page, axe, "continue page")

    anonymous = browser.new_context(viewport=PHONE)
    stale = anonymous.new_page()
    stale.goto(f"{live_server}/auth/register")
    stale.get_by_label("Username").fill("w" * 32)
    stale.get_by_label("Email").fill("a-very-long-address-" + "x" * 60 + "@example.com")
    anonymous.clear_cookies()  # the form's CSRF token no longer matches any session
    stale.get_by_role("button", name="Create account").click()
    expect(stale.get_by_text("nothing was saved")).to_be_visible()
    problems += fits_and_is_accessible(stale, axe, "CSRF failure page")
    assert problems == []
    context.close()
    anonymous.close()
