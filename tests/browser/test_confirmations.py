"""Confirmation before destruction in Chromium without JavaScript, at 390 px, checked by axe."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from app.services import posts
from tests.browser.pages import PHONE, fits_and_is_accessible, sign_in
from tests.factories import create_post, create_user

pytestmark = pytest.mark.browser


def test_deleting_asks_first_and_every_confirmation_page_fits_a_phone(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        create_user("chief", is_admin=True)
        member = create_user("member")
        post = create_post(member, title="A rather long title " * 5, tags=("C++", "数据库"))
        comment = posts.add_comment(post, member, "See https://example.com/" + "x" * 200)
        slug, post_id, comment_id, member_id = post.slug, post.id, comment.id, member.id
    context = browser.new_context(viewport=PHONE)  # axe runs as a script in the page
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "chief")
    problems = []
    for path, heading in [
        (f"/posts/{slug}/delete", "Delete this post?"),
        (f"/comments/{comment_id}/delete", "Delete this comment?"),
        (f"/admin/users/{member_id}/deactivate", "Deactivate member?"),
        (f"/admin/posts/{post_id}/unpublish", "Unpublish this post?"),
        (f"/admin/posts/{post_id}/delete", "Delete this post?"),
        (f"/admin/comments/{comment_id}/delete", "Delete this comment?"),
        ("/tags/c-plus-plus", "Posts tagged #C++"),
        (f"/posts/{slug}", None),
    ]:
        page.goto(f"{live_server}{path}")
        if heading:
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
        problems += fits_and_is_accessible(page, axe, path)
    assert problems == []
    context.close()

    no_script = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = no_script.new_page()
    sign_in(page, live_server, "chief")
    page.goto(f"{live_server}/posts/{slug}")
    page.get_by_role("link", name="Delete post").click()
    expect(page.get_by_text("and its 1 comment? This cannot be undone.")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{live_server}/posts/{slug}")
    page.get_by_role("link", name="Delete post").click()
    page.get_by_role("button", name="Delete post").click()
    expect(page.get_by_text("Post deleted.")).to_be_visible()
    no_script.close()
