"""A real Chromium writes a Markdown post through the UI; axe-core scans the main pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

MARKDOWN = """# Getting started

Some **bold** words and a [link](https://example.com).

- first item
- second item

```python
def greet(name: str) -> str:
    return f"Hello, {name}"
```
"""


def _register(page: Page, base: str, username: str = "author") -> None:
    page.goto(f"{base}/auth/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def _write_post(page: Page) -> None:
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("My first Markdown post")
    page.get_by_label("Body").fill(MARKDOWN)
    page.get_by_label("Tags").fill("python, notes")
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save").click()


def test_write_a_markdown_post_and_see_it_rendered(browser: Browser, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    _register(page, live_server)
    _write_post(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("My first Markdown post")
    body = page.locator(".post-body")
    expect(body.get_by_role("heading", level=2)).to_have_text("Getting started")
    expect(body.locator("strong")).to_have_text("bold")
    expect(body.get_by_role("listitem")).to_have_count(2)
    expect(body.get_by_role("link", name="link")).to_have_attribute("rel", "nofollow noopener")
    expect(body.locator("pre code span").first).to_be_visible()
    assert body.locator("[style]").count() == 0

    page.get_by_role("textbox", name="Comment").fill("First!\nSecond line.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(".comment-body")).to_have_text("First!\nSecond line.")

    page.get_by_role("link", name="#python").click()
    expect(page.get_by_role("link", name="My first Markdown post")).to_be_visible()
    context.close()


def test_no_serious_accessibility_violations(browser: Browser, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    _register(page, live_server, "reader")
    _write_post(page)
    post_url = page.url
    axe = Axe()
    pages = {
        "home": f"{live_server}/",
        "post": post_url,
        "new post": f"{live_server}/posts/new",
        "profile": f"{live_server}/users/reader",
        "search": f"{live_server}/search?q=markdown",
    }
    anonymous = browser.new_context().new_page()
    anonymous_pages = {
        "login": f"{live_server}/auth/login",
        "register": f"{live_server}/auth/register",
    }
    problems = []
    for viewer, targets in ((page, pages), (anonymous, anonymous_pages)):
        for name, url in targets.items():
            viewer.goto(url)
            results = axe.run(viewer)
            for violation in results.response["violations"]:
                if violation["impact"] in {"serious", "critical"}:
                    problems.append(f"{name}: {violation['id']} — {violation['help']}")
    assert problems == []
    context.close()


def test_preview_then_publish_without_javascript(browser: Browser, live_server: str) -> None:
    """On a phone with scripts off: Preview shows the rendered post above the form with the text
    kept, nothing is saved, and Save then publishes exactly that."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    _register(page, live_server, "previewer")
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Looked at before publishing")
    page.get_by_label("Body").fill(MARKDOWN)
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Preview").click()

    preview = page.locator(".preview")
    expect(preview.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(preview.locator("pre code span").first).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Looked at before publishing")
    assert page.get_by_label("Body").input_value().replace("\r\n", "\n") == MARKDOWN
    expect(page.get_by_label("Published")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Looked at before publishing")
    page.goto(f"{live_server}/")
    expect(page.get_by_role("link", name="Looked at before publishing")).to_have_count(1)
    context.close()


def test_the_preview_page_passes_axe(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _register(page, live_server, "axepreview")
    page.goto(f"{live_server}/posts/new")
    page.get_by_label("Title").fill("A title long enough to wrap on a phone screen, surely")
    page.get_by_label("Body").fill(MARKDOWN + "\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview")).to_be_visible()
    findings = Axe().run(page).response["violations"]
    assert [v["id"] for v in findings if v["impact"] in {"serious", "critical"}] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
