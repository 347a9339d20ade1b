"""Chromium resets a forgotten password by following the link from the mail that really arrived."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.conftest import Inbox, serve
from tests.factories import create_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a fresh and memorable passphrase"


def test_forgotten_password_reset_through_the_mailed_link(
    browser: Browser, mail_app: Flask, inbox: Inbox
) -> None:
    with mail_app.app_context():
        create_user("forgetful", email="forgetful@example.com")
    with serve(mail_app) as base:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base}/auth/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("Email").fill("forgetful@example.com")
        page.get_by_role("button", name="Send reset link").click()
        expect(page.get_by_text("a link to reset its password is on its way")).to_be_visible()

        inbox.deliver()  # what `flask mail worker` does beside the server
        [message] = inbox.to("forgetful@example.com")
        text = message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(rf"{re.escape(base)}/auth/reset/\S+", text).group(0)

        page.goto(link)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_text("Your password is set.")).to_be_visible()

        page.get_by_label("Username or email").fill("forgetful")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_test_id("current-user")).to_have_text("forgetful")

        page.goto(link)
        expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
        context.close()
