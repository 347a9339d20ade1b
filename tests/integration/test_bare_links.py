"""Bare addresses become links on the post page: in the post and in its comments."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import create_user
from tests.helpers import AuthActions, submit


def test_bare_addresses_in_a_post_and_its_comments_are_links(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")
    fields = {"title": "Links", "body": "See https://example.com/a.", "status": "published"}
    location = submit(client, "/posts/new", fields).headers["Location"]
    comment = 'Also www.example.org and https://x.com/"onmouseover=alert(1) <b>'
    submit(client, f"{location}/comments", {"body": comment}, form_url=location)
    page = client.get(location).text
    assert '<a href="https://example.com/a" rel="nofollow noopener">' in page
    assert (
        'Also <a href="http://www.example.org" rel="nofollow ugc noopener">www.example.org</a>'
        ' and <a href="https://x.com/" rel="nofollow ugc noopener">https://x.com/</a>'
        "&#34;onmouseover=alert(1) &lt;b&gt;"
    ) in page
