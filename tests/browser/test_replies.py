"""Replying and the notification settings in Chromium without JavaScript, at 390 px, with axe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from app.extensions import db
from app.models import User
from app.services import posts, tokens
from tests.browser.pages import PHONE, fits_and_is_accessible
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_a_member_replies_and_sets_notifications_on_a_phone(
    browser: Browser, app: Flask, live_server: str
) -> None:
    with app.app_context():
        reader = create_user("reader")
        post = create_post(create_user("writer"), title="A post worth talking about")
        first = posts.add_comment(post, reader, "A long first comment " + "word " * 60).id
        posts.add_comment(post, reader, "x" * 300, reply_to=first)
        token = tokens.make_unsubscribe_token(reader, "replies")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    axe_context = browser.new_context(viewport=PHONE)  # axe needs scripts; the pages do not
    checked = axe_context.new_page()
    axe = Axe()
    problems: list[str] = []

    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Username or email").fill("writer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"{live_server}/posts/a-post-worth-talking-about")
    page.get_by_role("link", name="Reply to reader").first.click()
    reply_form = page.get_by_role("form", name="Reply to reader")
    expect(reply_form).to_be_visible()
    page.get_by_label("Your reply to reader").fill("Thank you for reading.")
    page.get_by_role("button", name="Post reply").click()
    replies = page.get_by_role("list", name="Replies to reader")
    expect(replies.get_by_text("Thank you for reading.")).to_be_visible()

    checked.context.add_cookies(context.cookies())
    checked.goto(f"{live_server}/posts/a-post-worth-talking-about?reply_to={first}#reply")
    expect(checked.get_by_role("form", name="Reply to reader")).to_be_visible()
    problems += fits_and_is_accessible(checked, axe, "post page with a reply form")

    page.goto(f"{live_server}/account/sessions")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_label("Someone comments on one of my posts").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Notification settings saved.")).to_be_visible()
    expect(page.get_by_label("Someone comments on one of my posts")).not_to_be_checked()
    checked.goto(f"{live_server}/account/notifications")
    problems += fits_and_is_accessible(checked, axe, "notification settings")

    stranger = browser.new_context(viewport=PHONE)
    unsubscribe = stranger.new_page()
    unsubscribe.goto(f"{live_server}/notifications/unsubscribe/{token}")
    problems += fits_and_is_accessible(unsubscribe, axe, "unsubscribe page")
    unsubscribe.get_by_role("button", name="Unsubscribe").click()
    expect(unsubscribe.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    problems += fits_and_is_accessible(unsubscribe, axe, "unsubscribed page")
    assert problems == []
    with app.app_context():
        settings = db.session.execute(
            sa.select(User.username, User.notify_comments, User.notify_replies).order_by(User.id)
        ).all()
    assert [tuple(row) for row in settings] == [("reader", True, False), ("writer", False, True)]
    for each in (context, axe_context, stranger):
        each.close()
