"""An admin names the site in Chromium on a phone: the settings page (blank
and with errors) and the home page that shows the result fit 390 px and pass axe."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_post, create_user

pytestmark = pytest.mark.browser


def test_an_admin_names_the_site_and_readers_see_it(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_post(create_user("boss", is_admin=True), title="Opening night")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "boss")
    page.goto(f"{live_server}/admin/")
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Settings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site settings")
    problems = fits_and_is_accessible(page, axe, "settings page")

    page.get_by_label("Site name").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Give the site a name.")).to_be_visible()
    problems += fits_and_is_accessible(page, axe, "settings page with an error")

    page.get_by_label("Site name").fill("The Very Long Named Evening Chronicle of Everything")
    page.get_by_label("Tagline").fill("Reviews, notes and " + "x" * 90)
    page.get_by_label("About").fill("We write about *theatre*.\n\n- plays\n- openings")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()

    reader = browser.new_context(viewport=PHONE).new_page()
    reader.goto(live_server)
    expect(reader.locator(".brand")).to_have_text(
        "The Very Long Named Evening Chronicle of Everything"
    )
    expect(reader.locator(".site-intro em")).to_have_text("theatre")
    expect(reader).to_have_title("The Very Long Named Evening Chronicle of Everything")
    problems += fits_and_is_accessible(reader, axe, "home page with the site's intro")

    page.get_by_label("Site name").fill("W" * 60)  # the longest name, with no space to wrap at
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    reader.goto(live_server)
    expect(reader.locator(".brand")).to_have_text("W" * 60)
    problems += fits_and_is_accessible(reader, axe, "home page with a 60-letter name")
    reader.context.close()
    context.close()
    assert problems == []
