"""An admin deactivates a member in Chromium; the member's open browser is signed out."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.pages import sign_in
from tests.factories import create_user

pytestmark = pytest.mark.browser


def test_admin_deactivates_a_member_whose_browser_is_signed_out(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("chief", is_admin=True)
        create_user("member")
    member_context, admin_context = browser.new_context(), browser.new_context()
    member = member_context.new_page()
    sign_in(member, live_server, "member")
    chief = admin_context.new_page()
    sign_in(chief, live_server, "chief")

    chief.get_by_role("link", name="Admin").click()
    chief.get_by_role("navigation", name="Administration").get_by_role("link", name="Users").click()
    row = chief.get_by_role("row").filter(has_text="member@example.com")
    row.get_by_role("link", name="Deactivate").click()
    expect(chief.get_by_role("heading", name="Deactivate member?")).to_be_visible()
    chief.get_by_role("button", name="Deactivate").click()
    expect(chief.get_by_text("member is deactivated and signed out everywhere.")).to_be_visible()
    expect(chief.get_by_role("row").filter(has_text="member@example.com")).to_contain_text(
        "inactive"
    )

    member.reload()
    expect(member.get_by_role("link", name="Sign in", exact=True)).to_be_visible()
    expect(member.get_by_test_id("current-user")).to_have_count(0)
    member_context.close()
    admin_context.close()
