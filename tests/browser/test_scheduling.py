"""Scheduling in Chromium, on the real clock: a post scheduled a few seconds ahead in the form
appears on the (already cached) home page by itself; My posts and the editor fit a phone."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from app.models import utcnow
from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_post, create_user

pytestmark = pytest.mark.browser


def test_a_post_scheduled_in_the_form_appears_on_the_home_page_at_its_time(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="Already out")
    reader = browser.new_context().new_page()
    reader.goto(live_server)
    reader.reload()  # the home page is now in the page cache
    expect(reader.get_by_role("link", name="Already out")).to_be_visible()

    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, live_server, "writer")
    page.get_by_role("link", name="New post").click()
    page.get_by_label("Title").fill("Launch day")
    page.get_by_label("Body").fill("It is out.")
    page.get_by_label("Scheduled").check()
    due = utcnow() + timedelta(seconds=4)  # the member's zone is UTC
    page.get_by_label("Publish at").fill(due.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Scheduled: it will be published on")).to_be_visible()

    reader.reload()
    expect(reader.get_by_role("link", name="Launch day")).to_have_count(0)
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.2)
    reader.reload()
    expect(reader.get_by_role("link", name="Launch day")).to_be_visible()


def test_my_posts_and_the_editor_fit_a_phone_and_pass_axe(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        writer = create_user("writer")
        create_post(
            writer, title="A draft with a rather long title that has to wrap", status="draft"
        )
        create_post(writer, title="Published")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "writer")
    page.goto(f"{live_server}/posts/new")
    page.get_by_label("Title").fill("Later")
    page.get_by_label("Body").fill("Soon.")
    page.get_by_label("Scheduled").check()
    page.get_by_label("Publish at").fill((utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("scheduled-notice")).to_be_visible()

    problems = []
    page.get_by_role("link", name="My posts").click()
    expect(page.get_by_role("heading", name="My posts")).to_be_visible()
    expect(page.get_by_test_id("my-post")).to_have_count(3)
    problems += fits_and_is_accessible(page, axe, "my posts")
    page.get_by_role("link", name="Edit “Later”").click()
    expect(page.get_by_label("Publish at")).not_to_have_value("")
    problems += fits_and_is_accessible(page, axe, "editor")
    page.get_by_label("Publish at").fill("2000-01-01T00:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose a time in the future, or publish now.")).to_be_visible()
    problems += fits_and_is_accessible(page, axe, "editor with an error")
    assert problems == []
    context.close()


# The right edge of the widest element: a table that scrolls sideways inside the page counts too.
RIGHTMOST = (
    "Math.max(...Array.from(document.body.querySelectorAll('*'),"
    " (element) => element.getBoundingClientRect().right))"
)


@pytest.mark.parametrize(
    ("title", "tags"),
    [
        ("T" * 200, ("short",)),
        ("Short title", ("Q" * 40, "Supercalifragilisticexpialidocious" + "X" * 6)),
    ],
    ids=["title", "tags"],
)
def test_long_unbroken_titles_and_tags_fit_a_phone(
    browser: Browser, app: Flask, live_server: str, title: str, tags: tuple[str, ...]
) -> None:
    """A 200-character title and 40-character tags without spaces wrap instead of overflowing."""
    with app.app_context():
        writer = create_user("writer")
        post = create_post(writer, title=title, tags=tags)
        create_post(writer, title="D" + title[1:], tags=tags, status="draft")
        paths = ("/account/posts", f"/posts/{post.slug}", "/", "/users/writer")
        paths += tuple(f"/tags/{tag.slug}" for tag in post.tags)
    page = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    sign_in(page, live_server, "writer")
    problems = []
    for path in paths:
        response = page.goto(f"{live_server}{path}")
        assert response is not None
        assert response.ok, path
        right = page.evaluate(RIGHTMOST)
        if right > PHONE["width"]:
            problems.append(f"{path[:24]}: {right:.0f} px")
    assert problems == [], "; ".join(problems)
