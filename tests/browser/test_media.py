"""A member uploads an image in Chromium, pastes its Markdown into a post, and readers see it."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_user
from tests.images import photo

pytestmark = pytest.mark.browser


def test_upload_paste_publish_and_the_image_shows(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("writer")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server, "writer")
    page.goto(f"{live_server}/media")
    page.get_by_label("Image", exact=True).set_input_files(
        files=[{"name": "field.jpg", "mimeType": "image/jpeg", "buffer": photo(1800, 1200)}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Image uploaded. Its address: /media/")).to_be_visible()
    snippet = page.get_by_label("Markdown to paste").first.input_value()
    assert snippet.startswith("![](/media/")

    page.goto(f"{live_server}/posts/new")
    page.get_by_label("Title").fill("A field")
    page.get_by_label("Body").fill(f"Look at this:\n\n{snippet}\n")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A field")

    image = page.locator(".post-body img")
    expect(image).to_have_attribute("loading", "lazy")
    assert "-960.jpg 960w" in (image.get_attribute("srcset") or "")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.post-body img').complete")
    assert page.evaluate("document.querySelector('.post-body img').naturalWidth") > 0
    context.close()


def test_the_library_fits_a_phone_and_passes_axe(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("writer")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, live_server, "writer")
    page.goto(f"{live_server}/media")
    page.get_by_label("Image", exact=True).set_input_files(
        files=[{"name": "wide.png", "mimeType": "image/png", "buffer": photo(2000, 300, "PNG")}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Markdown to paste")).to_have_count(1)
    axe = Axe()
    problems = fits_and_is_accessible(page, axe, "image library")
    page.goto(f"{live_server}/account/avatar")
    problems += fits_and_is_accessible(page, axe, "avatar page")
    assert problems == []
    context.close()
