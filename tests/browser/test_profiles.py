"""A member fills in a profile in Chromium, and readers see it: the form and the profile page
fit a phone and pass axe."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_post, create_user

pytestmark = pytest.mark.browser


def test_a_profile_saved_without_javascript_shows_in_bylines(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="On Garamond")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "writer")
    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_label("Display name").fill("Émile Martin")
    page.get_by_label("Bio").fill("I set *type* by hand.")
    page.get_by_label("Website").fill("emile.example.com")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")

    reader = browser.new_context(java_script_enabled=False).new_page()
    reader.goto(live_server)
    byline = reader.locator(".post-meta").first
    expect(byline).to_contain_text("By ÉMÉmile Martin @writer")  # initials, name, username
    byline.get_by_role("link", name="Émile Martin").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Émile Martin")
    expect(reader.get_by_role("link", name="emile.example.com")).to_have_attribute(
        "href", "https://emile.example.com"
    )
    expect(reader.locator(".bio em")).to_have_text("type")
    reader.context.close()
    context.close()


def test_the_profile_pages_fit_a_phone_and_pass_axe(
    browser: Browser, app: Flask, live_server: str
) -> None:
    """The form (blank, then with errors) and a full profile page: 390 px wide without
    sideways scrolling, no serious axe finding."""
    with app.app_context():
        create_post(create_user("writer"), title="On Garamond", tags=("type",))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "writer")

    problems = []
    page.goto(f"{live_server}/account/profile")
    problems += fits_and_is_accessible(page, axe, "profile form")
    page.get_by_label("Display name").fill("Ann @writer")
    page.get_by_label("Website").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Leave out “@”")).to_be_visible()
    problems += fits_and_is_accessible(page, axe, "profile form with errors")

    page.get_by_label("Display name").fill("Maximilian Alexander Bartholomew-Featherstonehaugh")
    page.get_by_label("Bio").fill("A very long word: " + "x" * 120 + "\n\n- a list\n- of things")
    page.get_by_label("Website").fill("https://example.com/" + "long-path/" * 15)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    anonymous = browser.new_context(viewport=PHONE)
    profile = anonymous.new_page()
    profile.goto(f"{live_server}/users/writer")
    problems += fits_and_is_accessible(profile, axe, "profile page")
    profile.goto(f"{live_server}/posts/on-garamond")
    problems += fits_and_is_accessible(profile, axe, "post page with a long byline")
    assert problems == []
    anonymous.close()
    context.close()
