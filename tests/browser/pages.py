"""What the Chromium tests share: the phone viewport, signing in, and the phone + axe check."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.helpers import PASSWORD

PHONE = {"width": 390, "height": 844}


def sign_in(page: Page, base: str, username: str) -> None:
    """Sign ``username`` in through the login form (the password is ``PASSWORD``)."""
    page.goto(f"{base}/auth/login")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("current-user")).to_have_text(username)


def fits_and_is_accessible(page: Page, axe: Axe, name: str) -> list[str]:
    """The page's problems: wider than the phone, or a serious or critical axe finding."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{name}: {width} px wide at {PHONE['width']} px")
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            problems.append(f"{name}: {violation['id']} — {violation['help']}")
    return problems
