"""The footer's theme switch in Chromium with JavaScript off: Dark reloads the page dark and
stays on the next page, Light wins over a dark device, System follows the device again.

Every call has its own timeout, so a navigation that never ends fails the test instead of
hanging it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import PHONE
from tests.factories import create_post, create_user
from tests.unit.test_contrast import THEMES

pytestmark = pytest.mark.browser

WAIT = 10_000  # ms, for every call
ANY = re.compile(".*")


def _rgb(colour: str) -> str:
    """``#rrggbb`` as a computed style says it."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


LIGHT_PAPER = _rgb(THEMES["light from the device"]["--paper"])
DARK_PAPER = _rgb(THEMES["dark chosen"]["--paper"])


def _switch(page: Page, label: str, back_to: str) -> None:
    page.get_by_role("navigation", name="Theme").get_by_role("link", name=label).click(timeout=WAIT)
    expect(page).to_have_url(back_to, timeout=WAIT)
    expect(page.get_by_role("navigation", name="Theme").locator("[aria-current]")).to_have_text(
        label, timeout=WAIT
    )


def _looks(page: Page, paper: str) -> None:
    expect(page.locator("body")).to_have_css("background-color", paper, timeout=WAIT)


def test_the_footer_switch_works_without_javascript(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        slug = create_post(create_user("writer"), title="In the dark").slug
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, color_scheme="light")  # type: ignore[arg-type]
    context.set_default_timeout(WAIT)
    context.set_default_navigation_timeout(WAIT)
    page = context.new_page()
    html = page.locator("html")
    post = f"{live_server}/posts/{slug}"
    try:
        page.goto(post, timeout=WAIT)
        expect(html).not_to_have_attribute("data-theme", ANY, timeout=WAIT)
        _looks(page, LIGHT_PAPER)

        _switch(page, "Dark", back_to=post)  # a 303 back to the page the link was on
        expect(html).to_have_attribute("data-theme", "dark", timeout=WAIT)
        _looks(page, DARK_PAPER)

        page.goto(f"{live_server}/search", timeout=WAIT)  # the choice is kept
        expect(html).to_have_attribute("data-theme", "dark", timeout=WAIT)
        _looks(page, DARK_PAPER)

        page.emulate_media(color_scheme="dark")
        _switch(page, "Light", back_to=f"{live_server}/search")
        expect(html).to_have_attribute("data-theme", "light", timeout=WAIT)
        _looks(page, LIGHT_PAPER)  # light, though the device prefers dark

        _switch(page, "System", back_to=f"{live_server}/search")
        expect(html).not_to_have_attribute("data-theme", ANY, timeout=WAIT)
        _looks(page, DARK_PAPER)  # the device's dark
        page.emulate_media(color_scheme="light")
        _looks(page, LIGHT_PAPER)  # and its light, with no reload
    finally:
        context.close()
