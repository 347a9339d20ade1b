"""The reader's pages in both themes, in Chromium: each fits a phone and a desktop and passes axe
in light and in dark (from the device, ``prefers-color-scheme``), code blocks included."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from app.services import posts
from tests.browser.pages import PHONE
from tests.factories import create_post, create_user

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
BODY = """Some prose, then code in several token kinds, a long word and a table.

```python
# a comment
def greet(name: str) -> str:
    return f"hello {name!r}" + str(42)
```

Averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword and
https://example.com/a/very/long/address/that/never/breaks/anywhere/at/all/whatever/happens

| language | year |
| --- | ---: |
| Python | 1991 |
"""
PAGES = ("/", "/posts/themes-in-colour", "/tags/python", "/users/writer", "/search?q=prose")


@pytest.fixture
def site(app: Flask) -> None:
    with app.app_context():
        writer = create_user("writer")
        post = create_post(writer, title="Themes in colour", body=BODY, tags=("Python",))
        posts.add_comment(post, create_user("reader"), "A comment with a " + "long" * 20 + "word.")


def _problems(page: Page, axe: Axe, name: str, width: int) -> list[str]:
    found = []
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        found.append(f"{name}: {scroll} px wide at {width} px")
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            found.append(f"{name}: {violation['id']} — {violation['help']}")
    return found


@pytest.mark.parametrize(
    ("scheme", "locale", "html_lang"),
    [("light", "en-US", "en"), ("dark", "en-US", "en"), ("light", "zh-CN", "zh-Hans")],
)
def test_every_reading_page_fits_and_passes_axe_in_both_themes(
    browser: Browser, live_server: str, site: None, scheme: str, locale: str, html_lang: str
) -> None:
    """Both themes, and the light one in Chinese too (the browser's language, Accept-Language)."""
    axe = Axe()
    problems: list[str] = []
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, color_scheme=scheme, locale=locale)  # type: ignore[arg-type]
        page = context.new_page()
        for path in PAGES:
            page.goto(live_server + path)
            expect(page.locator("main")).to_be_visible()
            expect(page.locator("html")).to_have_attribute("lang", html_lang)
            problems += _problems(
                page, axe, f"{scheme} {locale} {viewport['width']} {path}", viewport["width"]
            )
        context.close()
    assert problems == []
