"""A post printed from Chromium (the print stylesheet): the article alone, black on white even for
a reader who chose Dark, link addresses written out, code and tables whole on the page.

The test leaves ``print.png`` (the page as printed) in its pytest temporary directory, to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from app.services import posts
from tests.browser.pages import sign_in
from tests.factories import create_post, create_user
from tests.unit.test_contrast import THEMES, contrast

pytestmark = pytest.mark.browser

WAIT = 10_000  # ms
BODY = """A paragraph with [a link](https://example.com/printed/address) to follow on paper.

```python
def greet(name: str) -> str:
    return "hello " + name + " and a long line that would run off the edge of any sheet of paper"
```

| language | year |
| --- | ---: |
| Python | 1991 |
"""
PAPER = {"width": 640, "height": 900}  # about an A4 sheet's printable width in CSS pixels
# The colour of every visible text on the page, code included (avatars print their own disc).
TEXT_COLOURS = """() => [...new Set([...document.body.querySelectorAll("*:not(.avatar)")]
  .filter(e => e.checkVisibility() && [...e.childNodes].some(
    n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
  .map(e => getComputedStyle(e).color))]"""
# The code's token colours: still highlighted on paper.
TOKEN_COLOURS = """() => [...new Set(
  [...document.querySelectorAll(".post-body pre [class]:not(.w)")]
    .map(e => getComputedStyle(e).color))]"""
LINK_AFTER = (
    "getComputedStyle(document.querySelector('.post-body a[href^=\"http\"]'), '::after').content"
)


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


DARK_PAPER = _rgb(THEMES["dark chosen"]["--paper"])


def _hex(rgb: str) -> str:
    red, green, blue = (int(part) for part in re.findall(r"\d+", rgb)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


@pytest.mark.parametrize("dark", ["chosen", "from the device"])
def test_a_post_prints_without_the_site_around_it_black_on_white(
    browser: Browser, app: Flask, live_server: str, tmp_path: Path, dark: str
) -> None:
    with app.app_context():
        writer = create_user("writer")
        post = create_post(writer, title="On paper", body=BODY)
        posts.add_comment(post, create_user("reader"), "Printed too.")
        slug = post.slug
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    context.set_default_timeout(WAIT)
    page = context.new_page()
    sign_in(page, live_server, "writer")  # the author: edit buttons and the comment form
    if dark == "chosen":
        page.emulate_media(color_scheme="light")
        page.goto(f"{live_server}/theme?theme=dark")
    page.goto(f"{live_server}/posts/{slug}")
    around = [
        page.locator(".site-header"),
        page.locator(".site-footer"),
        page.locator(".post-actions"),
        page.locator(".comment-actions"),
        page.locator("form.comment-form"),
    ]
    for part in around:
        expect(part.first).to_be_visible()
    expect(page.locator("body")).to_have_css("background-color", DARK_PAPER)

    page.emulate_media(media="print")  # the device's colour scheme stays as it was
    page.set_viewport_size(PAPER)  # type: ignore[arg-type]
    page.screenshot(path=tmp_path / "print.png", full_page=True)
    for part in around:
        expect(part.first).to_be_hidden()
    for form in page.locator("form").all():
        expect(form).to_be_hidden()
    expect(page.get_by_role("heading", name="On paper")).to_be_visible()
    expect(page.locator(".post-body pre")).to_be_visible()
    expect(page.get_by_text("Printed too.")).to_be_visible()
    expect(page.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")
    expect(page.locator("body")).to_have_css("color", "rgb(0, 0, 0)")
    assert "https://example.com/printed/address" in page.evaluate(LINK_AFTER)
    pre = page.locator(".post-body pre")
    assert pre.evaluate("e => e.scrollWidth <= e.clientWidth"), "code cut off on paper"
    assert page.evaluate("document.documentElement.scrollWidth") <= PAPER["width"]
    assert len(page.evaluate(TOKEN_COLOURS)) > 3
    faint = [rgb for rgb in page.evaluate(TEXT_COLOURS) if contrast(_hex(rgb), "#ffffff") < 4.5]
    assert not faint, f"text too faint on paper: {faint}"
    context.close()
